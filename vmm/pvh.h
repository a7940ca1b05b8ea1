/* pvh.h - the PVH boot ABI (Xen's hvm_start_info) and its setup. */
#ifndef LIGHTER_VMM_PVH_H
#define LIGHTER_VMM_PVH_H

#include <stdint.h>

#include "boot-plan.h"

#define HVM_START_MAGIC_VALUE 0x336ec578
#define HVM_START_INFO_VERSION 1

/* xen/include/public/arch-x86/hvm/start_info.h, version 1. */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;   /* version >= 1 */
	uint32_t memmap_entries; /* version >= 1 */
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820 types */
	uint32_t reserved;
};

/* Write hvm_start_info (with module list and memory map) and the GDT, and
 * put the BSP in 32-bit flat protected mode at p->entry with %ebx pointing
 * at the start info. */
int pvh_setup(struct guest_mem *m, const struct boot_plan *p,
	      struct boot_cpu_state *bsp, struct lerr *e);

#endif
