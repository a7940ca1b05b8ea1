/* test-cpuid.c - cpuid_for_vcpu() over a synthetic KVM_GET_SUPPORTED_CPUID
 * table: topology leaves rewritten per vCPU, everything else passed on. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid.h"

#define EBX_AUTH 0x68747541 /* "Auth" of "AuthenticAMD" */
#define EBX_GENU 0x756e6547 /* "Genu" of "GenuineIntel" */

#define HTT (1u << 28)
#define HYPERVISOR (1u << 31)

#define NR_SUPPORTED 16

static struct kvm_cpuid2 *sup, *out;

static void add(uint32_t fn, uint32_t index, uint32_t flags, uint32_t eax,
		uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *ent = &sup->entries[sup->nent++];

	cr_assert_leq(sup->nent, NR_SUPPORTED);
	*ent = (struct kvm_cpuid_entry2){ .function = fn, .index = index,
					  .flags = flags, .eax = eax,
					  .ebx = ebx, .ecx = ecx, .edx = edx };
}

/* Host-like values with topology fields that describe the host, not the VM
 * (APIC id 0x22, 16 logical, 8 cores): none of them may leak through. */
static void build(uint32_t vendor_ebx)
{
	const uint32_t idx = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;

	sup = calloc(1, sizeof(*sup) + NR_SUPPORTED * sizeof(sup->entries[0]));
	out = calloc(1, sizeof(*out) + (NR_SUPPORTED + CPUID_EXTRA_ENTRIES) *
					       sizeof(out->entries[0]));
	cr_assert(sup && out);
	add(0, 0, 0, 0x1f, vendor_ebx, 0x11111111, 0x22222222);
	/* ebx: APIC id 0x22, 16 logical, CLFLUSH 8, brand 0x34 */
	add(1, 0, 0, 0x000906ea, 0x22100834, 0x7ed8320b, 0x0f8bfbff & ~HTT);
	/* Leaf 4: L1d, L1i, L2, L3 and the null terminator. */
	add(4, 0, idx, (7u << 26) | (1u << 14) | (1u << 5) | 1, 0x1c0003f, 0x3f,
	    0);
	add(4, 1, idx, (7u << 26) | (1u << 14) | (1u << 5) | 2, 0x1c0003f, 0x3f,
	    0);
	add(4, 2, idx, (7u << 26) | (1u << 14) | (2u << 5) | 3, 0x3c0003f,
	    0x3ff, 0);
	add(4, 3, idx, (7u << 26) | (15u << 14) | (3u << 5) | 3, 0x3c0003f,
	    0x3fff, 6);
	add(4, 4, idx, 0, 0, 0, 0);
	/* Host topology leaves: two sub-leaves each, host x2APIC id. */
	add(0xb, 0, idx, 1, 2, 0x100, 0x22);
	add(0xb, 1, idx, 4, 16, 0x201, 0x22);
	add(0x1f, 0, idx, 1, 2, 0x100, 0x22);
	add(0x1f, 1, idx, 4, 16, 0x201, 0x22);
	add(0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(0x80000000, 0, 0, 0x80000008, vendor_ebx, 0, 0);
	/* ecx: 16 threads (0x0f), ApicIdSize 5, plus a high bit to keep. */
	add(0x80000008, 0, 0, 0x3030, 0x1234, 0x0001500f, 0);
}

static void teardown(void)
{
	free(sup);
	free(out);
	sup = out = NULL;
}

TestSuite(cpuid, .fini = teardown);

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c,
					    uint32_t fn, uint32_t index)
{
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

static unsigned int count(const struct kvm_cpuid2 *c, uint32_t fn)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->nent; i++)
		n += c->entries[i].function == fn;
	return n;
}

static void run(unsigned int id, unsigned int nr)
{
	memset(out->entries, 0x5a,
	       (NR_SUPPORTED + CPUID_EXTRA_ENTRIES) * sizeof(out->entries[0]));
	cr_assert_eq(cpuid_for_vcpu(sup, id, nr, out,
				    NR_SUPPORTED + CPUID_EXTRA_ENTRIES),
		     0);
}

Test(cpuid, leaf1_apic_id_logical_count_htt_hypervisor)
{
	const struct kvm_cpuid_entry2 *l1;

	build(EBX_GENU);
	for (unsigned int id = 0; id < 4; id++) {
		run(id, 4);
		l1 = find(out, 1, 0);
		cr_assert_not_null(l1);
		cr_expect_eq(l1->ebx >> 24, id, "APIC id");
		cr_expect_eq((l1->ebx >> 16) & 0xff, 4, "logical count");
		cr_expect_eq(l1->ebx & 0xffff, 0x0834, "low EBX kept");
		cr_expect(l1->edx & HTT, "HTT with 4 vCPUs");
		cr_expect(l1->ecx & HYPERVISOR);
		cr_expect_eq(l1->eax, 0x000906ea);
		cr_expect_eq(l1->ecx & ~HYPERVISOR, 0x7ed8320b);
		cr_expect_eq(l1->edx & ~HTT, 0x0f8bfbff & ~HTT);
	}

	/* One vCPU: no HTT, even if the host table had it set. */
	for (unsigned int i = 0; i < sup->nent; i++)
		if (sup->entries[i].function == 1)
			sup->entries[i].edx |= HTT;
	run(0, 1);
	l1 = find(out, 1, 0);
	cr_expect_eq((l1->ebx >> 16) & 0xff, 1);
	cr_expect_not(l1->edx & HTT, "HTT with one vCPU");
	cr_expect(l1->ecx & HYPERVISOR);
}

Test(cpuid, leaf1_counts_saturate_at_255)
{
	const struct kvm_cpuid_entry2 *l1;

	build(EBX_GENU);
	run(300, 300);
	l1 = find(out, 1, 0);
	cr_expect_eq((l1->ebx >> 16) & 0xff, 255);
	cr_expect_eq(l1->ebx >> 24, 300 & 0xff, "8-bit initial APIC id");
}

Test(cpuid, leaf4_core_counts_and_sharing)
{
	build(EBX_GENU);
	run(2, 6);
	for (uint32_t i = 0; i < 4; i++) {
		const struct kvm_cpuid_entry2 *l4 = find(out, 4, i);
		unsigned int level = (l4->eax >> 5) & 7;

		cr_assert_not_null(l4);
		cr_expect_eq(l4->eax >> 26, 5, "cores-1 at index %u", i);
		cr_expect_eq((l4->eax >> 14) & 0xfff, level >= 3 ? 5 : 0,
			     "sharing-1 at index %u (L%u)", i, level);
		cr_expect_eq(l4->eax & 0x3fff, sup->entries[2 + i].eax & 0x3fff);
		cr_expect_eq(l4->ebx, sup->entries[2 + i].ebx);
		cr_expect_eq(l4->ecx, sup->entries[2 + i].ecx);
		cr_expect_eq(l4->edx, sup->entries[2 + i].edx);
	}
	/* The null terminator sub-leaf stays all zero. */
	const struct kvm_cpuid_entry2 *term = find(out, 4, 4);

	cr_assert_not_null(term);
	cr_expect_eq(term->eax, 0);
}

Test(cpuid, leaf_80000008_rewritten_on_amd)
{
	const struct kvm_cpuid_entry2 *x;

	build(EBX_AUTH);
	run(1, 6);
	x = find(out, 0x80000008, 0);
	cr_assert_not_null(x);
	cr_expect_eq(x->ecx & 0xff, 5, "cores-1");
	cr_expect_eq((x->ecx >> 12) & 0xf, 3, "ApicIdSize = order(6)");
	cr_expect_eq(x->ecx & ~0xf0ffu, 0x00010000, "other bits kept");
	cr_expect_eq(x->eax, 0x3030);
	cr_expect_eq(x->ebx, 0x1234);

	run(0, 1);
	x = find(out, 0x80000008, 0);
	cr_expect_eq(x->ecx & 0xff, 0);
	cr_expect_eq((x->ecx >> 12) & 0xf, 0);
}

Test(cpuid, leaf_80000008_untouched_on_intel)
{
	const struct kvm_cpuid_entry2 *x;

	build(EBX_GENU);
	run(1, 6);
	x = find(out, 0x80000008, 0);
	cr_assert_not_null(x);
	cr_expect_eq(x->ecx, 0x0001500f);
}

Test(cpuid, leaf_80000008_rewritten_on_hygon)
{
	build(0x6f677948); /* "Hygo" of "HygonGenuine" */
	run(0, 2);
	cr_expect_eq(find(out, 0x80000008, 0)->ecx & 0xf0ff, 0x1001);
}

static void expect_topology(uint32_t fn, unsigned int id, unsigned int nr,
			    unsigned int shift)
{
	const struct kvm_cpuid_entry2 *t0 = find(out, fn, 0);
	const struct kvm_cpuid_entry2 *t1 = find(out, fn, 1);
	const struct kvm_cpuid_entry2 *t2 = find(out, fn, 2);

	cr_assert_eq(count(out, fn), 3, "leaf 0x%x: 3 sub-leaves", fn);
	cr_assert(t0 && t1 && t2);
	/* SMT level: one thread, shift 0. */
	cr_expect_eq(t0->eax, 0);
	cr_expect_eq(t0->ebx, 1);
	cr_expect_eq(t0->ecx, 0x100);
	/* Core level: nr logical processors, shift = bits for nr ids. */
	cr_expect_eq(t1->eax, shift, "leaf 0x%x core shift", fn);
	cr_expect_eq(t1->ebx, nr);
	cr_expect_eq(t1->ecx, 0x201);
	/* Terminator: type invalid, counts 0. */
	cr_expect_eq(t2->eax, 0);
	cr_expect_eq(t2->ebx, 0);
	cr_expect_eq(t2->ecx, 2);
	for (const struct kvm_cpuid_entry2 *t = t0; t <= t2; t++) {
		cr_expect_eq(t->edx, id, "x2APIC id at 0x%x.%u", fn,
			     t->index);
		cr_expect_eq(t->flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	}
}

Test(cpuid, topology_leaves_rebuilt_per_vcpu)
{
	const unsigned int nrs[] = { 1, 2, 3, 4, 5, 8, 9 };
	const unsigned int shifts[] = { 0, 1, 2, 2, 3, 3, 4 };

	build(EBX_GENU);
	for (unsigned int i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		unsigned int id = nrs[i] - 1;

		run(id, nrs[i]);
		expect_topology(0xb, id, nrs[i], shifts[i]);
		expect_topology(0x1f, id, nrs[i], shifts[i]);
	}
}

Test(cpuid, topology_leaves_only_if_supported)
{
	build(EBX_AUTH);
	/* Drop 0x1f from the supported table. */
	unsigned int n = 0;

	for (unsigned int i = 0; i < sup->nent; i++)
		if (sup->entries[i].function != 0x1f)
			sup->entries[n++] = sup->entries[i];
	sup->nent = n;
	run(3, 4);
	expect_topology(0xb, 3, 4, 2);
	cr_expect_eq(count(out, 0x1f), 0);
}

Test(cpuid, other_leaves_pass_through)
{
	build(EBX_GENU);
	run(1, 2);
	/* 4 host topology sub-leaves dropped, 2 x 3 rebuilt. */
	cr_expect_eq(sup->nent, 14);
	cr_expect_eq(out->nent, sup->nent - 4 + 6);
	cr_expect_eq(out->padding, 0);
	const uint32_t fns[] = { 0, 0x40000000, 0x80000000 };

	for (unsigned int i = 0; i < 3; i++) {
		const struct kvm_cpuid_entry2 *a = find(out, fns[i], 0);
		const struct kvm_cpuid_entry2 *b = find(sup, fns[i], 0);

		cr_assert_not_null(a);
		cr_expect_eq(memcmp(a, b, sizeof(*a)), 0, "leaf 0x%x", fns[i]);
	}
	/* The supported table is not modified. */
	cr_expect_eq(find(sup, 1, 0)->ebx, 0x22100834);
	cr_expect_eq(find(sup, 0xb, 0)->edx, 0x22);
}

Test(cpuid, enospc_when_output_too_small)
{
	build(EBX_GENU);
	cr_expect_eq(cpuid_for_vcpu(sup, 0, 2, out,
				    sup->nent + CPUID_EXTRA_ENTRIES - 1),
		     -ENOSPC);
	cr_expect_eq(cpuid_for_vcpu(sup, 0, 2, out, sup->nent), -ENOSPC);
	cr_expect_eq(cpuid_for_vcpu(sup, 0, 2, out, 0), -ENOSPC);
	cr_expect_eq(cpuid_for_vcpu(sup, 0, 2, out,
				    sup->nent + CPUID_EXTRA_ENTRIES),
		     0);
}
