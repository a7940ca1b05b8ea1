/* cpuid.c - per-vCPU CPUID.
 *
 * KVM_GET_SUPPORTED_CPUID describes what the host and KVM can offer, but
 * its topology fields describe nothing in particular (APIC id 0, host core
 * counts).  Linux derives its CPU topology from leaves 1, 4, 0xB/0x1F and
 * (on AMD) 0x80000008, so each vCPU gets its own copy with those rewritten
 * to say: one package, nr_vcpus cores, one thread per core, APIC id ==
 * vCPU index (which is also what the MP table and KVM_CREATE_VCPU use).  Everything else,
 * including KVM's own signature/feature leaves 0x40000000+, passes
 * through unchanged. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cpuid.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_EDX_HTT (1u << 28)

#define TOPO_TYPE_INVALID 0
#define TOPO_TYPE_SMT 1
#define TOPO_TYPE_CORE 2

/* KVM emulates the TSC-deadline timer in its in-kernel LAPIC but leaves
 * the bit out of KVM_GET_SUPPORTED_CPUID; without it Linux falls back to
 * calibrating the LAPIC timer against the PIT, which costs about a second
 * of boot in a nested guest and makes the timer load-sensitive. */
static void cpuid_add_tsc_deadline(int kvm_fd, struct kvm_cpuid2 *c)
{
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) <= 0)
		return;
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= CPUID_1_ECX_TSC_DEADLINE;
}

int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out, struct lerr *e)
{
	/* KVM answers E2BIG until the buffer is large enough; 256 entries
	 * covers every current CPU, the loop covers future ones. */
	for (unsigned int n = 256; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) +
				      (n + CPUID_EXTRA_ENTRIES) *
					      sizeof(c->entries[0]));
		if (!c)
			return lerr_set(e, ENOMEM, "KVM_GET_SUPPORTED_CPUID");
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			cpuid_add_tsc_deadline(kvm_fd, c);
			*out = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return lerr_set(e, errno, "KVM_GET_SUPPORTED_CPUID");
	}
	return lerr_set(e, E2BIG, "KVM_GET_SUPPORTED_CPUID");
}

/* Bits needed to hold n distinct ids: the x2APIC id shift of a level. */
static unsigned int order_base_2(unsigned int n)
{
	unsigned int s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

static void cpuid_leaf1(struct kvm_cpuid_entry2 *ent, unsigned int id,
			unsigned int nr)
{
	/* EBX[31:24] initial APIC id: Linux reads it before the LAPIC is up
	 * and must agree with the MP table. EBX[23:16] logical processors
	 * per package; meaningful only with HTT set, which real multi-core
	 * packages always set. */
	ent->ebx &= 0x0000ffffu;
	ent->ebx |= (id & 0xffu) << 24;
	ent->ebx |= (nr > 255 ? 255u : nr) << 16;
	if (nr > 1)
		ent->edx |= CPUID_1_EDX_HTT;
	else
		ent->edx &= ~CPUID_1_EDX_HTT;
	/* The hypervisor bit tells the guest to look at 0x40000000 for the
	 * KVM signature (kvmclock, PV EOI, steal time...). */
	ent->ecx |= CPUID_1_ECX_HYPERVISOR;
}

static void cpuid_leaf4(struct kvm_cpuid_entry2 *ent, unsigned int nr)
{
	unsigned int level = (ent->eax >> 5) & 7;
	unsigned int sharing;

	if ((ent->eax & 0x1f) == 0) /* no cache at this index */
		return;
	/* EAX[31:26] cores per package - 1: the host's count would make
	 * Linux believe in cores that do not exist. EAX[25:14] threads
	 * sharing this cache - 1: L1/L2 are per core (no SMT here), the
	 * last level is shared by the whole package. */
	sharing = level >= 3 ? nr - 1 : 0;
	ent->eax &= 0x00003fffu;
	ent->eax |= ((nr - 1) & 0x3fu) << 26;
	ent->eax |= (sharing & 0xfffu) << 14;
}

/* One sub-leaf of the extended topology leaves 0xB and 0x1F: level 0 is
 * SMT (one thread per core), level 1 the cores of the single package,
 * level 2 terminates the enumeration.  EDX is the x2APIC id at every
 * level. */
static void cpuid_topology(struct kvm_cpuid_entry2 *ent, unsigned int fn,
			   unsigned int index, unsigned int id,
			   unsigned int nr)
{
	memset(ent, 0, sizeof(*ent));
	ent->function = fn;
	ent->index = index;
	ent->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	ent->edx = id;
	switch (index) {
	case 0:
		ent->eax = 0;
		ent->ebx = 1;
		ent->ecx = index | (TOPO_TYPE_SMT << 8);
		break;
	case 1:
		ent->eax = order_base_2(nr);
		ent->ebx = nr;
		ent->ecx = index | (TOPO_TYPE_CORE << 8);
		break;
	default:
		ent->ecx = index | (TOPO_TYPE_INVALID << 8);
		break;
	}
}

/* "AuthenticAMD" / "HygonGenuine" in leaf 0 EBX: vendors whose Linux
 * topology code reads 0x80000008 ECX instead of leaf 4. */
static bool cpuid_vendor_amd(const struct kvm_cpuid2 *c)
{
	for (unsigned int i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 0)
			return c->entries[i].ebx == 0x68747541 || /* "Auth" */
			       c->entries[i].ebx == 0x6f677948;   /* "Hygo" */
	}
	return false;
}

static void cpuid_leaf_80000008(struct kvm_cpuid_entry2 *ent,
				unsigned int nr)
{
	/* ECX[7:0] cores per package - 1 and ECX[15:12] the APIC id bits
	 * that number them: AMD's equivalent of leaf 4's core count, from
	 * which Linux splits APIC ids into package and core. */
	ent->ecx &= ~0xf0ffu;
	ent->ecx |= (nr - 1) & 0xffu;
	ent->ecx |= (order_base_2(nr) & 0xfu) << 12;
}

int cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int vcpu_id,
		   unsigned int nr_vcpus, struct kvm_cpuid2 *out,
		   unsigned int out_cap)
{
	bool has_leaf[2] = { false, false }; /* 0xB, 0x1F */
	bool amd = cpuid_vendor_amd(supported);
	unsigned int n = 0;

	if (supported->nent + CPUID_EXTRA_ENTRIES > out_cap)
		return -ENOSPC;

	for (unsigned int i = 0; i < supported->nent; i++) {
		const struct kvm_cpuid_entry2 *src = &supported->entries[i];
		struct kvm_cpuid_entry2 *ent = &out->entries[n];

		/* The topology leaves are rebuilt below, whatever number of
		 * sub-leaves KVM reported for them. */
		if (src->function == 0xb || src->function == 0x1f) {
			has_leaf[src->function == 0x1f] = true;
			continue;
		}
		*ent = *src;
		switch (ent->function) {
		case 1:
			cpuid_leaf1(ent, vcpu_id, nr_vcpus);
			break;
		case 4:
			cpuid_leaf4(ent, nr_vcpus);
			break;
		case 0x80000008:
			if (amd)
				cpuid_leaf_80000008(ent, nr_vcpus);
			break;
		default:
			break;
		}
		n++;
	}

	for (unsigned int l = 0; l < 2; l++) {
		if (!has_leaf[l])
			continue;
		for (unsigned int index = 0; index < 3; index++)
			cpuid_topology(&out->entries[n++], l ? 0x1f : 0xb,
				       index, vcpu_id, nr_vcpus);
	}
	out->nent = n;
	out->padding = 0;
	return 0;
}
