/* e820.c - the guest's e820 memory map, derived from its RAM layout.
 *
 *   [0, 0x9fc00)          RAM   (boot structures; reclaimed by the kernel)
 *   [0x9fc00, 0xa0000)    reserved: "EBDA", the MP floating pointer
 *   [0xf0000, 1 MiB)      reserved: "BIOS", the MP configuration table
 *   [1 MiB, low end)      RAM   (low end = min(RAM, 3 GiB))
 *   [4 GiB, 4 GiB + rest) RAM   (guests larger than 3 GiB)
 *
 * The VGA/option-ROM window [0xa0000, 0xf0000) is left out entirely, like
 * on real hardware. */
#include <errno.h>

#include "e820.h"
#include "layout.h"

static int e820_add(struct e820_entry *map, unsigned int max, unsigned int *n,
		    uint64_t addr, uint64_t size, uint32_t type)
{
	if (*n >= max)
		return -ENOSPC;
	map[*n].addr = addr;
	map[*n].size = size;
	map[*n].type = type;
	(*n)++;
	return 0;
}

int e820_build(const struct guest_mem *m, struct e820_entry *map,
	       unsigned int max)
{
	uint64_t low_end = m->region[0].size;
	unsigned int n = 0;
	int r = 0;

	r |= e820_add(map, max, &n, 0, LAYOUT_EBDA, E820_RAM);
	r |= e820_add(map, max, &n, LAYOUT_EBDA,
		      LAYOUT_LOW_RAM_END - LAYOUT_EBDA, E820_RESERVED);
	r |= e820_add(map, max, &n, LAYOUT_BIOS, LAYOUT_BIOS_END - LAYOUT_BIOS,
		      E820_RESERVED);
	if (low_end > LAYOUT_BIOS_END)
		r |= e820_add(map, max, &n, LAYOUT_BIOS_END,
			      low_end - LAYOUT_BIOS_END, E820_RAM);
	if (m->nr_regions > 1)
		r |= e820_add(map, max, &n, m->region[1].gpa,
			      m->region[1].size, E820_RAM);
	return r ? -ENOSPC : (int)n;
}
