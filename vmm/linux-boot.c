/* linux-boot.c - entering a vmlinux through the Linux 64-bit boot protocol.
 *
 * The kernel expects: long mode with paging on, an identity mapping of
 * the zero page, the command line and itself; a GDT with __BOOT_CS (0x10)
 * and __BOOT_DS (0x18) flat 4 GiB segments; interrupts off; %rsi the
 * physical address of struct boot_params, whose setup header says a boot
 * loader filled it in.  lighter identity-maps the whole first 4 GiB with
 * 2 MiB pages (PML4 -> one PDPT -> four PDs), so every byte of low RAM,
 * the initramfs included, is reachable before the kernel builds its own
 * tables. */
#include <stddef.h>
#include <string.h>

#include "layout.h"
#include "linux-boot.h"
#include "x86-desc.h"

#define PTE_PRESENT 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL /* 2 MiB page in a PD entry */

#define BP_OFF(f) offsetof(struct linux_boot_params, f)
_Static_assert(sizeof(struct linux_setup_header) == 0x26c - 0x1f1,
	       "setup_header size");
_Static_assert(sizeof(struct linux_boot_params) == 0x1000, "zero page size");
_Static_assert(BP_OFF(ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(BP_OFF(ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
_Static_assert(BP_OFF(e820_entries) == 0x1e8, "e820_entries");
_Static_assert(BP_OFF(hdr) == 0x1f1, "setup header");
_Static_assert(BP_OFF(hdr.boot_flag) == 0x1fe, "boot_flag");
_Static_assert(BP_OFF(hdr.header) == 0x202, "header");
_Static_assert(BP_OFF(hdr.version) == 0x206, "version");
_Static_assert(BP_OFF(hdr.type_of_loader) == 0x210, "type_of_loader");
_Static_assert(BP_OFF(hdr.loadflags) == 0x211, "loadflags");
_Static_assert(BP_OFF(hdr.ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(BP_OFF(hdr.ramdisk_size) == 0x21c, "ramdisk_size");
_Static_assert(BP_OFF(hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(BP_OFF(hdr.kernel_alignment) == 0x230, "kernel_alignment");
_Static_assert(BP_OFF(hdr.cmdline_size) == 0x238, "cmdline_size");
_Static_assert(BP_OFF(hdr.kernel_info_offset) == 0x268, "kernel_info_offset");
_Static_assert(BP_OFF(e820_table) == 0x2d0, "e820_table");
_Static_assert(sizeof(struct linux_e820_entry) == 20, "boot_e820_entry");

_Static_assert(LAYOUT_PD + LAYOUT_PD_COUNT * LAYOUT_PAGE_SIZE <= LAYOUT_CMDLINE,
	       "page tables overlap the command line");
_Static_assert(LAYOUT_BOOT_STACK < LAYOUT_PML4 &&
		       LAYOUT_BOOT_STACK > LAYOUT_ZERO_PAGE + LAYOUT_PAGE_SIZE,
	       "boot stack must sit between the zero page and the PML4");

static int linux64_write_zero_page(struct guest_mem *m,
				   const struct boot_plan *p, struct lerr *e)
{
	struct linux_boot_params *bp;
	unsigned int i;

	if (p->nr_e820 > LINUX_E820_MAX)
		return lerr_fail(e, EINVAL, "linux64: %u e820 entries", p->nr_e820);
	if (p->cmdline_gpa > UINT32_MAX || p->initrd_gpa > UINT32_MAX ||
	    p->initrd_size > UINT32_MAX)
		return lerr_fail(e, EINVAL,
				"linux64: command line or initramfs above 4 GiB");
	bp = guest_mem_ptr(m, LAYOUT_ZERO_PAGE, sizeof(*bp));
	if (!bp)
		return lerr_fail(e, EFAULT, "linux64: zero page outside guest RAM");

	memset(bp, 0, sizeof(*bp));
	bp->hdr.boot_flag = LINUX_BOOT_FLAG;
	bp->hdr.header = LINUX_HDRS_MAGIC;
	bp->hdr.version = LINUX_BOOT_VERSION;
	bp->hdr.type_of_loader = LINUX_LOADER_UNDEFINED;
	bp->hdr.loadflags = LINUX_LOADED_HIGH;
	bp->hdr.kernel_alignment = LINUX_KERNEL_ALIGN;
	bp->hdr.cmd_line_ptr = (uint32_t)p->cmdline_gpa;
	/* cmdline_size excludes the terminating NUL. */
	bp->hdr.cmdline_size =
		(uint32_t)(p->cmdline_size ? p->cmdline_size - 1 : 0);
	if (p->initrd_size) {
		bp->hdr.ramdisk_image = (uint32_t)p->initrd_gpa;
		bp->hdr.ramdisk_size = (uint32_t)p->initrd_size;
	}
	for (i = 0; i < p->nr_e820; i++) {
		bp->e820_table[i].addr = p->e820[i].addr;
		bp->e820_table[i].size = p->e820[i].size;
		bp->e820_table[i].type = p->e820[i].type;
	}
	bp->e820_entries = (uint8_t)p->nr_e820;
	return 0;
}

/* PML4[0] -> PDPT; PDPT[i] -> PD i; PD entries map 2 MiB pages so that
 * [0, LAYOUT_PD_COUNT GiB) is identity mapped. */
static int linux64_write_page_tables(struct guest_mem *m, struct lerr *e)
{
	uint64_t *pml4 = guest_mem_ptr(m, LAYOUT_PML4, LAYOUT_PAGE_SIZE);
	uint64_t *pdpt = guest_mem_ptr(m, LAYOUT_PDPT, LAYOUT_PAGE_SIZE);
	uint64_t *pd = guest_mem_ptr(m, LAYOUT_PD,
				     LAYOUT_PD_COUNT * LAYOUT_PAGE_SIZE);
	uint64_t i;

	if (!pml4 || !pdpt || !pd)
		return lerr_fail(e, EFAULT,
				"linux64: page tables outside guest RAM");
	memset(pml4, 0, LAYOUT_PAGE_SIZE);
	memset(pdpt, 0, LAYOUT_PAGE_SIZE);
	pml4[0] = LAYOUT_PDPT | PTE_PRESENT | PTE_RW;
	for (i = 0; i < LAYOUT_PD_COUNT; i++)
		pdpt[i] = (LAYOUT_PD + i * LAYOUT_PAGE_SIZE) | PTE_PRESENT |
			  PTE_RW;
	for (i = 0; i < LAYOUT_PD_COUNT * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_RW | PTE_PS;
	return 0;
}

int linux64_setup(struct guest_mem *m, const struct boot_plan *p,
		  struct boot_cpu_state *bsp, struct lerr *e)
{
	int r;

	r = linux64_write_zero_page(m, p, e);
	if (r < 0)
		return r;
	r = linux64_write_page_tables(m, e);
	if (r < 0)
		return r;

	memset(bsp, 0, sizeof(*bsp));
	bsp->protocol = BOOT_LINUX64;
	r = boot_setup_gdt(m, DESC_CODE64, &bsp->sregs, e);
	if (r < 0)
		return r;
	bsp->sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	bsp->sregs.cr3 = LAYOUT_PML4;
	bsp->sregs.cr4 = X86_CR4_PAE;
	bsp->sregs.efer = X86_EFER_LME | X86_EFER_LMA;

	bsp->regs.rip = p->entry;
	bsp->regs.rsi = LAYOUT_ZERO_PAGE;
	bsp->regs.rsp = LAYOUT_BOOT_STACK;
	bsp->regs.rbp = LAYOUT_BOOT_STACK;
	bsp->regs.rflags = X86_RFLAGS_FIXED;
	return 0;
}
