/* pvh.c - entering the kernel through PVH (XEN_ELFNOTE_PHYS32_ENTRY).
 *
 * The kernel starts in 32-bit protected mode with paging off, flat 4 GiB
 * code and data segments, TR a busy 32-bit TSS with base 0 and limit 0x67,
 * %ebx holding the physical address of struct hvm_start_info.  The start
 * info points at the command line, the initramfs (one module) and a
 * memory map built from the e820 map; there is no ACPI (rsdp 0), so Linux
 * finds the CPUs through the MP table. */
#include <string.h>

#include "layout.h"
#include "pvh.h"
#include "x86-desc.h"

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info v1 size");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "modlist entry size");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry size");
_Static_assert(LAYOUT_PVH_START_INFO + sizeof(struct hvm_start_info) <=
		       LAYOUT_PVH_MODLIST,
	       "start info overlaps the module list");
_Static_assert(LAYOUT_PVH_MODLIST + sizeof(struct hvm_modlist_entry) <=
		       LAYOUT_PVH_MEMMAP,
	       "module list overlaps the memory map");
_Static_assert(LAYOUT_PVH_MEMMAP + E820_MAX_ENTRIES *
				   sizeof(struct hvm_memmap_table_entry) <=
		       LAYOUT_ZERO_PAGE,
	       "PVH memory map overlaps the zero page");

static int pvh_write_start_info(struct guest_mem *m, const struct boot_plan *p,
				struct lerr *e)
{
	struct hvm_memmap_table_entry *map;
	struct hvm_modlist_entry *mod;
	struct hvm_start_info *si;
	unsigned int i;

	if (p->nr_e820 > E820_MAX_ENTRIES)
		return lerr_fail(e, EINVAL, "PVH: %u e820 entries (at most %d)",
				p->nr_e820, E820_MAX_ENTRIES);
	si = guest_mem_ptr(m, LAYOUT_PVH_START_INFO, sizeof(*si));
	mod = guest_mem_ptr(m, LAYOUT_PVH_MODLIST, sizeof(*mod));
	map = guest_mem_ptr(m, LAYOUT_PVH_MEMMAP,
			    E820_MAX_ENTRIES * sizeof(*map));
	if (!si || !mod || !map)
		return lerr_fail(e, EFAULT, "PVH: start info outside guest RAM");

	memset(si, 0, sizeof(*si));
	si->magic = HVM_START_MAGIC_VALUE;
	si->version = HVM_START_INFO_VERSION;
	si->cmdline_paddr = p->cmdline_gpa;
	si->rsdp_paddr = 0;

	memset(mod, 0, sizeof(*mod));
	if (p->initrd_size) {
		mod->paddr = p->initrd_gpa;
		mod->size = p->initrd_size;
		si->nr_modules = 1;
		si->modlist_paddr = LAYOUT_PVH_MODLIST;
	}

	memset(map, 0, E820_MAX_ENTRIES * sizeof(*map));
	for (i = 0; i < p->nr_e820; i++) {
		map[i].addr = p->e820[i].addr;
		map[i].size = p->e820[i].size;
		map[i].type = p->e820[i].type;
	}
	si->memmap_paddr = LAYOUT_PVH_MEMMAP;
	si->memmap_entries = p->nr_e820;
	return 0;
}

int pvh_setup(struct guest_mem *m, const struct boot_plan *p,
	      struct boot_cpu_state *bsp, struct lerr *e)
{
	int r;

	if (p->entry > UINT32_MAX)
		return lerr_fail(e, EINVAL, "PVH entry 0x%llx is above 4 GiB",
				(unsigned long long)p->entry);
	r = pvh_write_start_info(m, p, e);
	if (r < 0)
		return r;

	memset(bsp, 0, sizeof(*bsp));
	bsp->protocol = BOOT_PVH;
	r = boot_setup_gdt(m, DESC_CODE32, &bsp->sregs, e);
	if (r < 0)
		return r;
	bsp->sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
	bsp->sregs.cr4 = 0;
	bsp->sregs.efer = 0;

	bsp->regs.rip = p->entry;
	bsp->regs.rbx = LAYOUT_PVH_START_INFO;
	bsp->regs.rflags = X86_RFLAGS_FIXED;
	return 0;
}
