/* x86-desc.h - x86 segment descriptors and control-register bits used to
 * describe the boot CPU: one GDT encoder and the matching kvm_segment, so
 * the GDT written into guest memory and the hidden segment state handed to
 * KVM cannot disagree. */
#ifndef LIGHTER_VMM_X86_DESC_H
#define LIGHTER_VMM_X86_DESC_H

#include <linux/kvm.h>
#include <stdint.h>

#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_ET (1ULL << 4)
#define X86_CR0_PG (1ULL << 31)
#define X86_CR4_PAE (1ULL << 5)
#define X86_EFER_LME (1ULL << 8)
#define X86_EFER_LMA (1ULL << 10)
#define X86_RFLAGS_FIXED 0x2ULL /* bit 1 always reads as 1 */

/* GDT slots shared by the PVH and Linux 64-bit entries (see layout.h). */
#define GDT_SLOT_CODE 2
#define GDT_SLOT_DATA 3
#define GDT_SLOT_TSS 4 /* 16 bytes: slots 4 and 5 */
#define GDT_ENTRIES 6
#define GDT_SEL(slot) ((uint16_t)((slot) * 8))

/* Access byte (bits 40..47) and flags nibble (bits 52..55) of a descriptor,
 * written as one 16-bit value: flags << 12 | access. */
#define DESC_CODE32 0xc09b /* G, D/B, present, code, exec/read, accessed */
#define DESC_CODE64 0xa09b /* G, L, present, code, exec/read, accessed */
#define DESC_DATA 0xc093   /* G, D/B, present, data, read/write, accessed */
#define DESC_TSS_BUSY 0x008b /* present, system, 32/64-bit busy TSS */

#define TSS_LIMIT 0x67

static inline uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000u) << 32) |
	       ((uint64_t)(flags & 0xf0ffu) << 40) |
	       ((uint64_t)(limit & 0x000f0000u) << 32) |
	       ((uint64_t)(base & 0x00ffffffu) << 16) |
	       (uint64_t)(limit & 0x0000ffffu);
}

/* The segment register state a CPU caches after loading selector
 * slot * 8 from a GDT entry built by gdt_entry(flags, base, limit). */
static inline struct kvm_segment kvm_seg_from_desc(unsigned int slot,
						   uint16_t flags,
						   uint32_t base,
						   uint32_t limit)
{
	struct kvm_segment s = {
		.base = base,
		.selector = GDT_SEL(slot),
		.type = flags & 0xf,
		.s = (flags >> 4) & 1,
		.dpl = (flags >> 5) & 3,
		.present = (flags >> 7) & 1,
		.avl = (flags >> 12) & 1,
		.l = (flags >> 13) & 1,
		.db = (flags >> 14) & 1,
		.g = (flags >> 15) & 1,
	};

	/* The cached limit is in bytes: 4 KiB granular limits scale up. */
	s.limit = s.g ? (limit << 12) | 0xfff : limit;
	return s;
}

#endif
