/* test-mptable.c - the MP table parsed back the way a guest kernel would:
 * floating pointer scan, both checksums, every entry walked by type. */
#include <criterion/criterion.h>
#include <string.h>

#include "layout.h"
#include "mptable.h"

static struct guest_mem m;

static void setup(void)
{
	struct lerr e = { 0 };

	cr_assert_eq(guest_mem_init(&m, 64ULL << 20, &e), 0, "%s", e.msg);
}

static void teardown(void)
{
	guest_mem_free(&m);
}

TestSuite(mptable, .init = setup, .fini = teardown);

static uint8_t sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

struct parsed {
	unsigned int cpus, bsps, buses, ioapics, intsrcs, lintsrcs, entries;
	uint8_t cpu_ids[256];
	struct mpc_ioapic ioapic;
	struct mpc_lintsrc lint[2];
	bool irq_identity;
};

/* Scan [from, from + len) on 16-byte boundaries for "_MP_", as Linux's
 * smp_scan_config does. */
static const struct mpf_intel *scan(uint64_t from, uint64_t len)
{
	uint64_t a;

	for (a = from; a + 16 <= from + len; a += 16) {
		const struct mpf_intel *f = guest_mem_ptr(&m, a, 16);

		if (f && memcmp(f->signature, MPF_SIGNATURE, 4) == 0 &&
		    f->length == 1 && sum(f, 16) == 0)
			return f;
	}
	return NULL;
}

static void parse(struct parsed *p)
{
	const struct mpf_intel *mpf = scan(639 * 1024, 1024);
	const struct mpc_table *mpc;
	const uint8_t *pos, *end;

	memset(p, 0, sizeof(*p));
	p->irq_identity = true;
	cr_assert_not_null(mpf, "no floating pointer in the last KiB of base memory");
	cr_expect_eq((uint64_t)((const uint8_t *)mpf - m.region[0].host),
		     LAYOUT_MPTABLE_FP);
	cr_expect_eq(mpf->specification, 4);
	cr_expect_eq(mpf->feature1, 0, "a configuration table is present");
	mpc = guest_mem_ptr(&m, mpf->physptr, sizeof(*mpc));
	cr_assert_not_null(mpc);
	cr_assert_eq(memcmp(mpc->signature, MPC_SIGNATURE, 4), 0);
	cr_assert_not_null(guest_mem_ptr(&m, mpf->physptr, mpc->length));
	cr_expect_lt(mpf->physptr + mpc->length, LAYOUT_BIOS_END + 1);
	cr_expect_eq(sum(mpc, mpc->length), 0, "config table checksum");
	cr_expect_eq(mpc->spec, 4);
	cr_expect_eq(mpc->lapic, 0xfee00000);

	pos = (const uint8_t *)(mpc + 1);
	end = (const uint8_t *)mpc + mpc->length;
	while (pos < end) {
		p->entries++;
		switch (*pos) {
		case MP_PROCESSOR: {
			const struct mpc_cpu *c = (const void *)pos;

			cr_expect(c->cpuflag & MP_CPU_ENABLED);
			p->bsps += !!(c->cpuflag & MP_CPU_BSP);
			if (c->cpuflag & MP_CPU_BSP)
				cr_expect_eq(c->apicid, 0, "BSP is not APIC 0");
			cr_expect_eq(c->apicver, MP_APIC_VERSION);
			p->cpu_ids[p->cpus++] = c->apicid;
			pos += sizeof(*c);
			break;
		}
		case MP_BUS: {
			const struct mpc_bus *b = (const void *)pos;

			cr_expect_eq(memcmp(b->bustype, "ISA   ", 6), 0);
			p->buses++;
			pos += sizeof(*b);
			break;
		}
		case MP_IOAPIC:
			memcpy(&p->ioapic, pos, sizeof(p->ioapic));
			p->ioapics++;
			pos += sizeof(struct mpc_ioapic);
			break;
		case MP_INTSRC: {
			const struct mpc_intsrc *s = (const void *)pos;

			if (s->srcbusirq != p->intsrcs || s->dstirq != p->intsrcs ||
			    s->irqtype != MP_IRQ_INT)
				p->irq_identity = false;
			p->intsrcs++;
			pos += sizeof(*s);
			break;
		}
		case MP_LINTSRC:
			cr_assert_lt(p->lintsrcs, 2);
			memcpy(&p->lint[p->lintsrcs++], pos,
			       sizeof(struct mpc_lintsrc));
			pos += sizeof(struct mpc_lintsrc);
			break;
		default:
			cr_assert_fail("unknown MP entry type %u", *pos);
		}
	}
	cr_expect_eq(pos, end, "entries overrun the table length");
	cr_expect_eq(p->entries, mpc->oemcount);
}

static void check(unsigned int n)
{
	struct lerr e = { 0 };
	struct parsed p;
	unsigned int i;

	cr_assert_eq(mptable_write(&m, n, &e), 0, "%s", e.msg);
	parse(&p);
	cr_expect_eq(p.cpus, n);
	cr_expect_eq(p.bsps, 1);
	for (i = 0; i < p.cpus; i++)
		cr_expect_eq(p.cpu_ids[i], i);
	cr_expect_eq(p.buses, 1);
	cr_expect_eq(p.ioapics, 1);
	cr_expect_eq(p.ioapic.apicid, n);
	cr_expect_eq(p.ioapic.apicaddr, 0xfec00000);
	cr_expect_eq(p.ioapic.apicver, 0x11);
	cr_expect(p.ioapic.flags & MP_IOAPIC_ENABLED);
	cr_expect_eq(p.intsrcs, 24);
	cr_expect(p.irq_identity, "ISA IRQ i must go to IOAPIC pin i");
	cr_expect_eq(p.lintsrcs, 2);
	cr_expect_eq(p.lint[0].irqtype, MP_IRQ_EXTINT);
	cr_expect_eq(p.lint[0].destapiclint, 0);
	cr_expect_eq(p.lint[1].irqtype, MP_IRQ_NMI);
	cr_expect_eq(p.lint[1].destapiclint, 1);
	cr_expect_eq(mptable_config_size(n), 44 + 20 * n + 8 * 28);
}

Test(mptable, one_cpu)
{
	check(1);
}

Test(mptable, two_cpus)
{
	check(2);
}

Test(mptable, max_cpus_fit)
{
	check(MPTABLE_MAX_CPUS);
	cr_expect_leq(LAYOUT_MPTABLE_CONFIG + mptable_config_size(64),
		      LAYOUT_BIOS_END);
}

Test(mptable, rewrite_with_fewer_cpus)
{
	check(64);
	check(3);
}

Test(mptable, rejects_bad_counts)
{
	struct lerr e = { 0 };

	cr_expect_eq(mptable_write(&m, 0, &e), -EINVAL);
	cr_expect(strstr(e.msg, "0 vCPUs") != NULL, "%s", e.msg);
	cr_expect_eq(mptable_write(&m, 65, &e), -EINVAL);
	cr_expect_null(scan(639 * 1024, 1024));
}
