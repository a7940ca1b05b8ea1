/* test-linux-boot.c - Linux 64-bit boot protocol: the zero page, identity
 * page tables, GDT and long-mode BSP state; boot_load()'s command line and
 * initramfs placement; and, when the project's guest kernel has been
 * built, loading the real vmlinux. */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "e820.h"
#include "elf-load.h"
#include "fixture.h"
#include "layout.h"
#include "linux-boot.h"
#include "x86-desc.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define INITRD_SIZE 123457
#define CMDLINE "console=ttyS0 reboot=t panic=-1"

static struct guest_mem m;
static char *kernel, *initrd;

static void setup(void)
{
	struct fix_elf f;

	fix_elf_init(&f, false, 0);
	kernel = fix_write_file("vmlinux", f.bytes, f.len);
	initrd = fix_write_pattern("initrd", INITRD_SIZE, 9);
}

static void teardown(void)
{
	free(kernel);
	free(initrd);
	guest_mem_free(&m);
	fix_cleanup();
}

TestSuite(linux_boot, .init = setup, .fini = teardown);

static int try_boot(uint64_t mem, const char *rd, const char *cmdline,
		    unsigned int cpus, struct boot_cpu_state *bsp,
		    struct lerr *e)
{
	struct boot_image img = {
		.kernel_path = kernel,
		.initrd_path = rd,
		.cmdline = cmdline,
		.nr_vcpus = cpus,
		.protocol = BOOT_AUTO,
	};

	if (!m.nr_regions)
		cr_assert_eq(guest_mem_init(&m, mem, e), 0, "%s", e->msg);
	return boot_load(&m, &img, bsp, e);
}

static void boot(uint64_t mem, const char *rd, struct boot_cpu_state *bsp)
{
	struct lerr e = { 0 };

	cr_assert_eq(try_boot(mem, rd, CMDLINE, 1, bsp, &e), 0, "%s", e.msg);
	cr_assert_eq(bsp->protocol, BOOT_LINUX64);
}

static uint16_t raw16(const void *base, size_t off)
{
	uint16_t v;

	memcpy(&v, (const uint8_t *)base + off, sizeof(v));
	return v;
}

static uint32_t raw32(const void *base, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)base + off, sizeof(v));
	return v;
}

Test(linux_boot, zero_page_header)
{
	struct boot_cpu_state bsp;
	const struct linux_boot_params *bp;
	const char *cmd;

	boot(256 * MiB, initrd, &bsp);
	bp = guest_mem_ptr(&m, bsp.regs.rsi, sizeof(*bp));
	cr_assert_not_null(bp);
	cr_expect_eq(bsp.regs.rsi, LAYOUT_ZERO_PAGE);
	cr_expect_eq(bp->hdr.boot_flag, 0xaa55);
	cr_expect_eq(bp->hdr.header, 0x53726448);
	cr_expect_geq(bp->hdr.version, 0x020c);
	cr_expect_eq(bp->hdr.type_of_loader, 0xff);
	cr_expect(bp->hdr.loadflags & 0x01, "LOADED_HIGH");
	cr_expect_eq(bp->hdr.kernel_alignment, 0x1000000);
	cmd = guest_mem_ptr(&m, bp->hdr.cmd_line_ptr, bp->hdr.cmdline_size + 1);
	cr_assert_not_null(cmd);
	cr_expect_str_eq(cmd, CMDLINE);
	cr_expect_eq(bp->hdr.cmdline_size, strlen(CMDLINE));
	cr_expect_eq(bp->ext_cmd_line_ptr, 0);
	/* The raw bytes, independent of the struct definition. */
	cr_expect_eq(raw16(bp, 0x1fe), 0xaa55);
	cr_expect_eq(raw32(bp, 0x202), 0x53726448);
	cr_expect_eq(raw32(bp, 0x228), LAYOUT_CMDLINE);
	cr_expect_eq(raw32(bp, 0x218), bp->hdr.ramdisk_image);
	cr_expect_eq(raw32(bp, 0x21c), INITRD_SIZE);
}

Test(linux_boot, zero_page_e820)
{
	struct boot_cpu_state bsp;
	struct e820_entry map[E820_MAX_ENTRIES];
	const struct linux_boot_params *bp;
	const uint8_t *raw;
	int n, i;

	boot(4 * GiB, NULL, &bsp);
	n = e820_build(&m, map, E820_MAX_ENTRIES);
	bp = guest_mem_ptr(&m, LAYOUT_ZERO_PAGE, sizeof(*bp));
	raw = (const uint8_t *)bp;
	cr_assert_eq(raw[0x1e8], n, "e820_entries at 0x1e8");
	cr_assert_eq(n, 5);
	for (i = 0; i < n; i++) {
		const uint8_t *ent = raw + 0x2d0 + 20 * i;
		uint64_t addr, size;
		uint32_t type;

		memcpy(&addr, ent, 8);
		memcpy(&size, ent + 8, 8);
		memcpy(&type, ent + 16, 4);
		cr_expect_eq(addr, map[i].addr);
		cr_expect_eq(size, map[i].size);
		cr_expect_eq(type, map[i].type);
	}
	cr_expect_eq(bp->e820_table[4].addr, 4 * GiB);
}

Test(linux_boot, initrd_at_top_of_low_ram)
{
	struct boot_cpu_state bsp;
	const struct linux_boot_params *bp;
	const uint8_t *rd;
	uint64_t start, end;

	boot(256 * MiB, initrd, &bsp);
	bp = guest_mem_ptr(&m, LAYOUT_ZERO_PAGE, sizeof(*bp));
	start = bp->hdr.ramdisk_image;
	end = start + bp->hdr.ramdisk_size;
	cr_expect_eq(bp->hdr.ramdisk_size, INITRD_SIZE);
	cr_expect_eq(start % 4096, 0, "page aligned");
	cr_expect_leq(end, 256 * MiB);
	cr_expect_lt(256 * MiB - end, 4096, "as high as possible");
	cr_expect_geq(start, FIX_LOAD_PADDR + FIX_MEMSZ, "above the kernel");
	rd = guest_mem_ptr(&m, start, INITRD_SIZE);
	cr_assert_not_null(rd);
	cr_expect_eq(rd[0], 9);
	cr_expect_eq(rd[INITRD_SIZE - 1], (uint8_t)(9 + (INITRD_SIZE - 1) * 7));
}

Test(linux_boot, initrd_stays_below_the_hole)
{
	struct boot_cpu_state bsp;
	const struct linux_boot_params *bp;

	boot(5 * GiB, initrd, &bsp);
	bp = guest_mem_ptr(&m, LAYOUT_ZERO_PAGE, sizeof(*bp));
	cr_expect_leq((uint64_t)bp->hdr.ramdisk_image + INITRD_SIZE, 3 * GiB);
	cr_expect_gt((uint64_t)bp->hdr.ramdisk_image, 3 * GiB - MiB);
}

Test(linux_boot, initrd_too_big)
{
	struct boot_cpu_state bsp;
	struct lerr e = { 0 };
	char *big = fix_write_pattern("big", 64 * MiB - 16 * MiB, 1);

	cr_expect_eq(try_boot(64 * MiB, big, CMDLINE, 1, &bsp, &e), -ENOSPC);
	cr_expect(strstr(e.msg, "/big\": initramfs of") != NULL, "%s", e.msg);
	cr_expect(strstr(e.msg, "does not fit") != NULL, "%s", e.msg);
	free(big);
}

Test(linux_boot, initrd_fills_ram_exactly)
{
	/* From the page after the kernel to the end of RAM: still fits. */
	uint64_t kend = FIX_LOAD_PADDR + FIX_MEMSZ;
	uint64_t size = 64 * MiB - ((kend + 4095) & ~4095ULL);
	char *rd = fix_write_pattern("exact", size, 2);
	struct boot_cpu_state bsp;
	struct lerr e = { 0 };

	cr_expect_eq(try_boot(64 * MiB, rd, CMDLINE, 1, &bsp, &e), 0, "%s",
		     e.msg);
	free(rd);
}

Test(linux_boot, initrd_errors)
{
	struct boot_cpu_state bsp;
	struct lerr e = { 0 };
	char *empty = fix_write_file("empty", "", 0);

	cr_expect_lt(try_boot(64 * MiB, empty, CMDLINE, 1, &bsp, &e), 0);
	cr_expect(strstr(e.msg, "empty initramfs") != NULL, "%s", e.msg);
	cr_expect_eq(try_boot(64 * MiB, "/nonexistent/rd", CMDLINE, 1, &bsp, &e),
		     -ENOENT);
	cr_expect(strstr(e.msg, "\"/nonexistent/rd\"") != NULL, "%s", e.msg);
	free(empty);
}

Test(linux_boot, cmdline_bounds)
{
	struct boot_cpu_state bsp;
	struct lerr e = { 0 };
	char *line = malloc(4096);

	memset(line, 'x', 4095);
	line[4095] = '\0';
	cr_expect_eq(try_boot(64 * MiB, NULL, line, 1, &bsp, &e), -E2BIG);
	cr_expect(strstr(e.msg, "command line") != NULL, "%s", e.msg);
	line[2048] = '\0';
	cr_expect_eq(try_boot(64 * MiB, NULL, line, 1, &bsp, &e), -E2BIG);
	line[2047] = '\0'; /* 2047 bytes + NUL = COMMAND_LINE_SIZE */
	cr_expect_eq(try_boot(64 * MiB, NULL, line, 1, &bsp, &e), 0, "%s",
		     e.msg);
	cr_expect_eq(try_boot(64 * MiB, NULL, "", 1, &bsp, &e), 0, "%s", e.msg);
	cr_expect_eq(*(char *)guest_mem_ptr(&m, LAYOUT_CMDLINE, 1), '\0');
	free(line);
}

Test(linux_boot, vcpu_bounds)
{
	struct boot_cpu_state bsp;
	struct lerr e = { 0 };

	cr_expect_eq(try_boot(64 * MiB, NULL, CMDLINE, 0, &bsp, &e), -EINVAL);
	cr_expect_eq(try_boot(64 * MiB, NULL, CMDLINE, 65, &bsp, &e), -EINVAL);
	cr_expect_eq(try_boot(64 * MiB, NULL, CMDLINE, 64, &bsp, &e), 0, "%s",
		     e.msg);
}

/* Walk the guest's page tables like the MMU does (4-level, 2 MiB pages). */
static bool translate(uint64_t cr3, uint64_t va, uint64_t *pa)
{
	const uint64_t *pml4 = guest_mem_ptr(&m, cr3 & ~0xfffULL, 4096);
	const uint64_t *pdpt, *pd;
	uint64_t e;

	if (!pml4)
		return false;
	e = pml4[(va >> 39) & 511];
	if (!(e & 1) || !(pdpt = guest_mem_ptr(&m, e & ~0xfffULL, 4096)))
		return false;
	e = pdpt[(va >> 30) & 511];
	if (!(e & 1) || (e & 0x80) ||
	    !(pd = guest_mem_ptr(&m, e & 0x000ffffffffff000ULL, 4096)))
		return false;
	e = pd[(va >> 21) & 511];
	if (!(e & 1) || !(e & 0x80) || !(e & 2))
		return false;
	*pa = (e & 0x000fffffffe00000ULL) | (va & 0x1fffff);
	return true;
}

Test(linux_boot, identity_page_tables)
{
	static const uint64_t probe[] = { 0,	      LAYOUT_ZERO_PAGE,
					  LAYOUT_CMDLINE, FIX_ENTRY,
					  GiB + 12345,   3 * GiB - 1,
					  4 * GiB - 1 };
	struct boot_cpu_state bsp;
	uint64_t pa;
	size_t i;

	boot(3 * GiB, NULL, &bsp);
	cr_expect_eq(bsp.sregs.cr3, LAYOUT_PML4);
	for (i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		cr_expect(translate(bsp.sregs.cr3, probe[i], &pa),
			  "0x%llx unmapped", (unsigned long long)probe[i]);
		cr_expect_eq(pa, probe[i]);
	}
	cr_expect_not(translate(bsp.sregs.cr3, 4 * GiB, &pa),
		      "nothing above 4 GiB is mapped");
}

Test(linux_boot, long_mode_state)
{
	struct boot_cpu_state bsp;
	const struct kvm_segment *data[] = { &bsp.sregs.ds, &bsp.sregs.es,
					     &bsp.sregs.ss };
	char why[256];
	size_t i;

	boot(64 * MiB, NULL, &bsp);
	cr_expect_eq(bsp.regs.rip, FIX_ENTRY);
	cr_expect_eq(bsp.regs.rflags, 2);
	cr_expect_eq(bsp.regs.rsp, LAYOUT_BOOT_STACK);
	cr_expect_lt(bsp.regs.rsp, LAYOUT_EBDA);
	cr_expect(bsp.sregs.cr0 & X86_CR0_PE);
	cr_expect(bsp.sregs.cr0 & X86_CR0_PG);
	cr_expect(bsp.sregs.cr4 & X86_CR4_PAE);
	cr_expect_eq(bsp.sregs.efer & (X86_EFER_LME | X86_EFER_LMA),
		     X86_EFER_LME | X86_EFER_LMA);

	cr_expect_eq(bsp.sregs.cs.selector, 0x10, "__BOOT_CS");
	cr_expect_eq(bsp.sregs.cs.l, 1);
	cr_expect_eq(bsp.sregs.cs.db, 0, "L=1 requires D=0");
	cr_expect(fix_seg_matches_gdt(&m, &bsp.sregs, &bsp.sregs.cs, why,
				      sizeof(why)),
		  "%s", why);
	for (i = 0; i < 3; i++) {
		cr_expect_eq(data[i]->selector, 0x18, "__BOOT_DS");
		cr_expect(fix_seg_matches_gdt(&m, &bsp.sregs, data[i], why,
					      sizeof(why)),
			  "%s", why);
	}
	cr_expect_eq(bsp.sregs.tr.type, 11);
	cr_expect(fix_seg_matches_gdt(&m, &bsp.sregs, &bsp.sregs.tr, why,
				      sizeof(why)),
		  "%s", why);
	cr_expect_eq(bsp.sregs.gdt.limit, 6 * 8 - 1, "TSS takes 16 bytes");
	cr_expect_eq(*(uint64_t *)guest_mem_ptr(&m, LAYOUT_IDT, 8), 0,
		     "IDT is empty");
}

/* The project's guest kernel, once kernel-config/build-kernel.sh has run. */
Test(linux_boot, real_vmlinux)
{
	struct boot_cpu_state bsp;
	struct elf_kernel k;
	struct lerr e = { 0 };
	glob_t g;

	if (glob("/var/cache/lighter/kernels/guest-*/vmlinux", 0, NULL, &g) != 0)
		cr_skip_test("no guest kernel built under /var/cache/lighter/kernels");
	free(kernel);
	kernel = strdup(g.gl_pathv[0]);
	globfree(&g);
	cr_assert_eq(guest_mem_init(&m, 256 * MiB, &e), 0, "%s", e.msg);
	cr_assert_eq(elf_load(&m, kernel, &k, &e), 0, "%s", e.msg);
	cr_expect_eq(k.entry, 0x1000000, "phys_startup_64");
	cr_expect_geq(k.load_low, 0x1000000);
	if (k.has_pvh)
		cr_expect(k.pvh_entry > k.load_low && k.pvh_entry < k.load_end);
	cr_expect_eq(try_boot(256 * MiB, initrd, CMDLINE, 2, &bsp, &e), 0,
		     "%s", e.msg);
	cr_expect_eq(bsp.protocol, k.has_pvh ? BOOT_PVH : BOOT_LINUX64);
}
