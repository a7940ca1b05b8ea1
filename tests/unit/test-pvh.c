/* test-pvh.c - PVH entry: hvm_start_info, its module list and memory map,
 * and the BSP's 32-bit flat protected-mode state, through boot_load(). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "e820.h"
#include "fixture.h"
#include "layout.h"
#include "pvh.h"
#include "x86-desc.h"

#define MiB (1ULL << 20)
#define INITRD_SIZE 10000

static struct guest_mem m;
static char *kernel, *initrd;

static void setup(void)
{
	struct lerr e = { 0 };
	struct fix_elf f;

	cr_assert_eq(guest_mem_init(&m, 128 * MiB, &e), 0, "%s", e.msg);
	fix_elf_init(&f, true, 4);
	kernel = fix_write_file("vmlinux", f.bytes, f.len);
	initrd = fix_write_pattern("initrd", INITRD_SIZE, 3);
}

static void teardown(void)
{
	free(kernel);
	free(initrd);
	guest_mem_free(&m);
	fix_cleanup();
}

TestSuite(pvh, .init = setup, .fini = teardown);

static void boot(struct boot_cpu_state *bsp, const char *rd,
		 enum boot_protocol proto)
{
	struct boot_image img = {
		.kernel_path = kernel,
		.initrd_path = rd,
		.cmdline = "console=ttyS0 quiet",
		.nr_vcpus = 2,
		.protocol = proto,
	};
	struct lerr e = { 0 };

	cr_assert_eq(boot_load(&m, &img, bsp, &e), 0, "%s", e.msg);
}

Test(pvh, auto_picks_pvh_when_note_present)
{
	struct boot_cpu_state bsp;

	boot(&bsp, NULL, BOOT_AUTO);
	cr_expect_eq(bsp.protocol, BOOT_PVH);
	cr_expect_eq(bsp.regs.rip, FIX_PVH_ENTRY);
}

Test(pvh, start_info)
{
	struct boot_cpu_state bsp;
	const struct hvm_start_info *si;
	const struct hvm_modlist_entry *mod;
	const char *cmdline;
	const uint8_t *rd;

	boot(&bsp, initrd, BOOT_PVH);
	si = guest_mem_ptr(&m, bsp.regs.rbx, sizeof(*si));
	cr_assert_not_null(si);
	cr_expect_eq(si->magic, 0x336ec578);
	cr_expect_eq(si->version, 1);
	cr_expect_eq(si->flags, 0);
	cr_expect_eq(si->rsdp_paddr, 0);

	cmdline = guest_mem_ptr(&m, si->cmdline_paddr, 64);
	cr_assert_not_null(cmdline);
	cr_expect_str_eq(cmdline, "console=ttyS0 quiet");

	cr_assert_eq(si->nr_modules, 1);
	mod = guest_mem_ptr(&m, si->modlist_paddr, sizeof(*mod));
	cr_assert_not_null(mod);
	cr_expect_eq(mod->size, INITRD_SIZE);
	cr_expect_eq(mod->paddr % 4096, 0);
	cr_expect_geq(mod->paddr, FIX_LOAD_PADDR + FIX_MEMSZ);
	rd = guest_mem_ptr(&m, mod->paddr, mod->size);
	cr_assert_not_null(rd);
	cr_expect_eq(rd[0], 3);
	cr_expect_eq(rd[INITRD_SIZE - 1], (uint8_t)(3 + (INITRD_SIZE - 1) * 7));
}

Test(pvh, no_initrd_no_modules)
{
	struct boot_cpu_state bsp;
	const struct hvm_start_info *si;

	boot(&bsp, NULL, BOOT_PVH);
	si = guest_mem_ptr(&m, LAYOUT_PVH_START_INFO, sizeof(*si));
	cr_expect_eq(si->nr_modules, 0);
	cr_expect_eq(si->modlist_paddr, 0);
}

Test(pvh, memmap_matches_e820)
{
	struct boot_cpu_state bsp;
	struct e820_entry map[E820_MAX_ENTRIES];
	const struct hvm_start_info *si;
	const struct hvm_memmap_table_entry *mm;
	int n, i;

	boot(&bsp, NULL, BOOT_PVH);
	n = e820_build(&m, map, E820_MAX_ENTRIES);
	si = guest_mem_ptr(&m, LAYOUT_PVH_START_INFO, sizeof(*si));
	cr_assert_eq(si->memmap_entries, (uint32_t)n);
	mm = guest_mem_ptr(&m, si->memmap_paddr, (uint64_t)n * sizeof(*mm));
	cr_assert_not_null(mm);
	for (i = 0; i < n; i++) {
		cr_expect_eq(mm[i].addr, map[i].addr);
		cr_expect_eq(mm[i].size, map[i].size);
		cr_expect_eq(mm[i].type, map[i].type);
		cr_expect_eq(mm[i].reserved, 0);
	}
	cr_expect_eq(mm[n - 1].addr + mm[n - 1].size, 128 * MiB);
}

Test(pvh, registers)
{
	struct boot_cpu_state bsp;

	boot(&bsp, NULL, BOOT_PVH);
	cr_expect_eq(bsp.regs.rip, FIX_PVH_ENTRY);
	cr_expect_eq(bsp.regs.rbx, LAYOUT_PVH_START_INFO);
	cr_expect_eq(bsp.regs.rflags, 2);
	cr_expect_eq(bsp.sregs.cr0, X86_CR0_PE | X86_CR0_ET);
	cr_expect_eq(bsp.sregs.cr0 & X86_CR0_PG, 0, "paging must be off");
	cr_expect_eq(bsp.sregs.cr4, 0);
	cr_expect_eq(bsp.sregs.efer, 0);
}

Test(pvh, flat_segments_match_gdt)
{
	struct boot_cpu_state bsp;
	const struct kvm_segment *segs[6];
	char why[256];
	unsigned int i;

	boot(&bsp, NULL, BOOT_PVH);
	segs[0] = &bsp.sregs.cs;
	segs[1] = &bsp.sregs.ds;
	segs[2] = &bsp.sregs.es;
	segs[3] = &bsp.sregs.fs;
	segs[4] = &bsp.sregs.gs;
	segs[5] = &bsp.sregs.ss;
	for (i = 0; i < 6; i++) {
		const struct kvm_segment *s = segs[i];

		cr_expect_eq(s->base, 0);
		cr_expect_eq(s->limit, 0xffffffff);
		cr_expect_eq(s->present, 1);
		cr_expect_eq(s->s, 1);
		cr_expect_eq(s->db, 1, "32-bit segment");
		cr_expect_eq(s->l, 0);
		cr_expect(fix_seg_matches_gdt(&m, &bsp.sregs, s, why,
					      sizeof(why)),
			  "%s", why);
	}
	cr_expect(bsp.sregs.cs.type & 0x8, "CS is a code segment");
	cr_expect(bsp.sregs.cs.type & 0x2, "CS is readable");
	cr_expect_eq(bsp.sregs.ds.type & 0xa, 0x2, "DS is writable data");
	cr_expect_eq(bsp.sregs.cs.selector, 0x10);
	cr_expect_eq(bsp.sregs.ds.selector, 0x18);
}

Test(pvh, tss_and_tables)
{
	struct boot_cpu_state bsp;
	char why[256];

	boot(&bsp, NULL, BOOT_PVH);
	cr_expect_eq(bsp.sregs.tr.type, 11, "busy 32-bit TSS");
	cr_expect_eq(bsp.sregs.tr.base, 0);
	cr_expect_eq(bsp.sregs.tr.limit, 0x67);
	cr_expect_eq(bsp.sregs.tr.s, 0);
	cr_expect_eq(bsp.sregs.tr.present, 1);
	cr_expect(fix_seg_matches_gdt(&m, &bsp.sregs, &bsp.sregs.tr, why,
				      sizeof(why)),
		  "%s", why);
	cr_expect_eq(bsp.sregs.gdt.base, LAYOUT_GDT);
	cr_expect_eq(bsp.sregs.idt.base, LAYOUT_IDT);
	cr_expect_eq(*(uint64_t *)guest_mem_ptr(&m, LAYOUT_GDT, 8), 0,
		     "GDT slot 0 is null");
}

Test(pvh, pvh_requested_without_note)
{
	struct boot_image img = { .nr_vcpus = 1, .protocol = BOOT_PVH };
	struct boot_cpu_state bsp;
	struct lerr e = { 0 };
	struct fix_elf f;
	char *path;

	fix_elf_init(&f, false, 0);
	path = fix_write_file("plain", f.bytes, f.len);
	img.kernel_path = path;
	cr_expect_eq(boot_load(&m, &img, &bsp, &e), -ENOEXEC);
	cr_expect(strstr(e.msg, "/plain\": PVH boot asked for") != NULL, "%s",
		  e.msg);
	free(path);
}

Test(pvh, linux64_forced_despite_note)
{
	struct boot_cpu_state bsp;

	boot(&bsp, NULL, BOOT_LINUX64);
	cr_expect_eq(bsp.protocol, BOOT_LINUX64);
	cr_expect_eq(bsp.regs.rip, FIX_ENTRY);
}

Test(pvh, setup_rejects_entry_above_4g)
{
	struct boot_plan plan = { .entry = 1ULL << 32 };
	struct boot_cpu_state bsp;
	struct lerr e = { 0 };

	cr_expect_eq(pvh_setup(&m, &plan, &bsp, &e), -EINVAL);
	cr_expect(strstr(e.msg, "above 4 GiB") != NULL, "%s", e.msg);
}

Test(pvh, big_guest_memmap_has_high_ram)
{
	struct boot_image img = { .nr_vcpus = 64, .cmdline = "" };
	const struct hvm_memmap_table_entry *mm;
	const struct hvm_modlist_entry *mod;
	const struct hvm_start_info *si;
	struct boot_cpu_state bsp;
	struct lerr e = { 0 };
	uint32_t i;
	uint64_t ram = 0;

	guest_mem_free(&m);
	cr_assert_eq(guest_mem_init(&m, 8ULL << 30, &e), 0, "%s", e.msg);
	img.kernel_path = kernel;
	img.initrd_path = initrd;
	cr_assert_eq(boot_load(&m, &img, &bsp, &e), 0, "%s", e.msg);
	si = guest_mem_ptr(&m, LAYOUT_PVH_START_INFO, sizeof(*si));
	mm = guest_mem_ptr(&m, si->memmap_paddr,
			   si->memmap_entries * sizeof(*mm));
	cr_assert_not_null(mm);
	for (i = 0; i < si->memmap_entries; i++) {
		if (mm[i].type == E820_RAM)
			ram += mm[i].size;
		cr_expect(mm[i].addr >= (4ULL << 30) ||
				  mm[i].addr + mm[i].size <= (3ULL << 30),
			  "entry %u overlaps the MMIO hole", i);
	}
	cr_expect_eq(mm[si->memmap_entries - 1].addr, 4ULL << 30);
	cr_expect_eq(ram, (8ULL << 30) - (1ULL << 20) + 0x9fc00,
		     "all RAM but the first MiB's holes");
	mod = guest_mem_ptr(&m, si->modlist_paddr, sizeof(*mod));
	cr_assert_not_null(mod);
	cr_expect_leq(mod->paddr + mod->size, 3ULL << 30,
		      "initramfs below the hole");
}
