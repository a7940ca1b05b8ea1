/* e820.h - the guest's physical memory map as the BIOS e820 call would
 * report it; shared by the Linux zero page and PVH's memmap table. */
#ifndef LIGHTER_VMM_E820_H
#define LIGHTER_VMM_E820_H

#include <stdint.h>

#include "guest-mem.h"

#define E820_RAM 1
#define E820_RESERVED 2

/* More than the map ever holds; bounds PVH's memmap table too. */
#define E820_MAX_ENTRIES 8

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Fill map (room for max entries, in ascending address order) from the
 * guest's RAM layout; returns the number of entries or -ENOSPC. */
int e820_build(const struct guest_mem *m, struct e820_entry *map,
	       unsigned int max);

#endif
