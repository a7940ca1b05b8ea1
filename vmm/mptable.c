/* mptable.c - the MP table (Intel MP spec 1.4) lighter gives its guests in
 * place of ACPI.
 *
 * Floating pointer at 0x9fc00 (the last KiB of base memory, where Linux
 * looks), configuration table in the reserved BIOS area at 0xf0000: one
 * processor entry per vCPU (APIC id = index, BSP = 0), one ISA bus, one
 * I/O APIC (id = nr_cpus) whose pins 0..23 take ISA IRQs 0..23 one to one
 * (as Firecracker does), LINT0 as ExtINT on the BSP and LINT1 as NMI on
 * every local APIC.  Both structures carry a checksum making their bytes
 * sum to zero. */
#include <string.h>

#include "layout.h"
#include "mptable.h"

#define MP_BUS_ISA 0
#define MP_CPU_SIGNATURE 0x600      /* family 6 */
#define MP_CPU_FEATURES 0x201       /* FPU, APIC */
#define MP_IRQFLAG_CONFORMS 0

_Static_assert(sizeof(struct mpf_intel) == 16, "MP floating pointer size");
_Static_assert(sizeof(struct mpc_table) == 44, "MP config header size");
_Static_assert(sizeof(struct mpc_cpu) == 20, "MP processor entry size");
_Static_assert(sizeof(struct mpc_bus) == 8 && sizeof(struct mpc_ioapic) == 8 &&
		       sizeof(struct mpc_intsrc) == 8 &&
		       sizeof(struct mpc_lintsrc) == 8,
	       "MP 8-byte entry sizes");
_Static_assert(LAYOUT_MPTABLE_FP + sizeof(struct mpf_intel) <=
		       LAYOUT_LOW_RAM_END,
	       "MP floating pointer outside the EBDA");

size_t mptable_config_size(unsigned int nr_cpus)
{
	return sizeof(struct mpc_table) + nr_cpus * sizeof(struct mpc_cpu) +
	       sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
	       MPTABLE_NR_IRQS * sizeof(struct mpc_intsrc) +
	       2 * sizeof(struct mpc_lintsrc);
}

_Static_assert(LAYOUT_MPTABLE_CONFIG + sizeof(struct mpc_table) +
			       MPTABLE_MAX_CPUS * sizeof(struct mpc_cpu) +
			       2 * 8 + MPTABLE_NR_IRQS * 8 + 2 * 8 <=
		       LAYOUT_BIOS_END,
	       "MP configuration table for the maximum vCPU count overflows");

static uint8_t mp_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)(0x100 - sum);
}

/* Append an entry at *pos and advance it. */
static void mp_put(uint8_t **pos, const void *entry, size_t len)
{
	memcpy(*pos, entry, len);
	*pos += len;
}

static void mp_write_entries(uint8_t *pos, unsigned int nr_cpus)
{
	struct mpc_ioapic ioapic = {
		.type = MP_IOAPIC,
		.apicid = (uint8_t)nr_cpus,
		.apicver = MP_IOAPIC_VERSION,
		.flags = MP_IOAPIC_ENABLED,
		.apicaddr = (uint32_t)LAYOUT_IOAPIC,
	};
	struct mpc_bus bus = { .type = MP_BUS, .busid = MP_BUS_ISA };
	struct mpc_lintsrc lint0 = {
		.type = MP_LINTSRC,
		.irqtype = MP_IRQ_EXTINT,
		.irqflag = MP_IRQFLAG_CONFORMS,
		.srcbusid = MP_BUS_ISA,
		.destapic = 0,
		.destapiclint = 0,
	};
	struct mpc_lintsrc lint1 = {
		.type = MP_LINTSRC,
		.irqtype = MP_IRQ_NMI,
		.irqflag = MP_IRQFLAG_CONFORMS,
		.srcbusid = MP_BUS_ISA,
		.destapic = 0xff, /* every local APIC */
		.destapiclint = 1,
	};
	unsigned int i;

	memcpy(bus.bustype, "ISA   ", sizeof(bus.bustype));
	for (i = 0; i < nr_cpus; i++) {
		struct mpc_cpu cpu = {
			.type = MP_PROCESSOR,
			.apicid = (uint8_t)i,
			.apicver = MP_APIC_VERSION,
			.cpuflag = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
			.cpufeature = MP_CPU_SIGNATURE,
			.featureflag = MP_CPU_FEATURES,
		};

		mp_put(&pos, &cpu, sizeof(cpu));
	}
	mp_put(&pos, &bus, sizeof(bus));
	mp_put(&pos, &ioapic, sizeof(ioapic));
	for (i = 0; i < MPTABLE_NR_IRQS; i++) {
		struct mpc_intsrc src = {
			.type = MP_INTSRC,
			.irqtype = MP_IRQ_INT,
			.irqflag = MP_IRQFLAG_CONFORMS,
			.srcbus = MP_BUS_ISA,
			.srcbusirq = (uint8_t)i,
			.dstapic = (uint8_t)nr_cpus,
			.dstirq = (uint8_t)i,
		};

		mp_put(&pos, &src, sizeof(src));
	}
	mp_put(&pos, &lint0, sizeof(lint0));
	mp_put(&pos, &lint1, sizeof(lint1));
}

int mptable_write(struct guest_mem *m, unsigned int nr_cpus, struct lerr *e)
{
	size_t size = mptable_config_size(nr_cpus);
	struct mpf_intel *mpf;
	struct mpc_table *mpc;
	uint8_t *cfg;

	if (nr_cpus < 1 || nr_cpus > MPTABLE_MAX_CPUS)
		return lerr_fail(e, EINVAL, "MP table: %u vCPUs (1..%d)", nr_cpus,
				MPTABLE_MAX_CPUS);
	mpf = guest_mem_ptr(m, LAYOUT_MPTABLE_FP, sizeof(*mpf));
	cfg = guest_mem_ptr(m, LAYOUT_MPTABLE_CONFIG, size);
	if (!mpf || !cfg)
		return lerr_fail(e, EFAULT, "MP table outside guest RAM");

	memset(cfg, 0, size);
	mpc = (struct mpc_table *)cfg;
	memcpy(mpc->signature, MPC_SIGNATURE, 4);
	mpc->length = (uint16_t)size;
	mpc->spec = MP_SPEC_REV;
	memcpy(mpc->oem, "LIGHTER ", sizeof(mpc->oem));
	memcpy(mpc->productid, "MICROVM     ", sizeof(mpc->productid));
	mpc->oemcount = (uint16_t)(nr_cpus + 2 + MPTABLE_NR_IRQS + 2);
	mpc->lapic = (uint32_t)LAYOUT_LAPIC;
	mp_write_entries(cfg + sizeof(*mpc), nr_cpus);
	mpc->checksum = mp_checksum(cfg, size);

	memset(mpf, 0, sizeof(*mpf));
	memcpy(mpf->signature, MPF_SIGNATURE, 4);
	mpf->physptr = (uint32_t)LAYOUT_MPTABLE_CONFIG;
	mpf->length = 1;
	mpf->specification = MP_SPEC_REV;
	mpf->checksum = mp_checksum(mpf, sizeof(*mpf));
	return 0;
}
