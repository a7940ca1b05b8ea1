/* boot.c - boot_load(): from a vmlinux path to guest memory plus the BSP's
 * first register state.
 *
 * Order: load the ELF (kernel at its p_paddr, >= 1 MiB), pick the entry
 * protocol, copy the command line to LAYOUT_CMDLINE, put the initramfs
 * page-aligned at the top of low RAM (above the kernel, below the MMIO
 * hole), build the e820 map and the MP table, then let pvh.c or
 * linux-boot.c write their structures and registers.  The boot GDT both
 * protocols share is written here too. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "boot-plan.h"
#include "elf-load.h"
#include "layout.h"
#include "linux-boot.h"
#include "mptable.h"
#include "pvh.h"
#include "x86-desc.h"

_Static_assert(LAYOUT_GDT + GDT_ENTRIES * 8 <= LAYOUT_GDT + LAYOUT_GDT_SIZE &&
		       LAYOUT_GDT + LAYOUT_GDT_SIZE <= LAYOUT_IDT,
	       "GDT overlaps the IDT");

#define ALIGN_DOWN(x, a) ((x) & ~((a)-1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (a)-1, (a))

int boot_setup_gdt(struct guest_mem *m, uint16_t code_flags,
		   struct kvm_sregs *s, struct lerr *e)
{
	uint64_t *gdt = guest_mem_ptr(m, LAYOUT_GDT, GDT_ENTRIES * 8);
	uint64_t *idt = guest_mem_ptr(m, LAYOUT_IDT, LAYOUT_IDT_SIZE);
	struct kvm_segment data;

	if (!gdt || !idt)
		return lerr_fail(e, EFAULT, "boot GDT outside guest RAM");
	memset(gdt, 0, GDT_ENTRIES * 8);
	gdt[GDT_SLOT_CODE] = gdt_entry(code_flags, 0, 0xfffff);
	gdt[GDT_SLOT_DATA] = gdt_entry(DESC_DATA, 0, 0xfffff);
	/* A long-mode TSS descriptor takes two slots; the upper one holds
	 * base bits 32..63, zero here. */
	gdt[GDT_SLOT_TSS] = gdt_entry(DESC_TSS_BUSY, 0, TSS_LIMIT);
	gdt[GDT_SLOT_TSS + 1] = 0;
	memset(idt, 0, LAYOUT_IDT_SIZE);

	s->cs = kvm_seg_from_desc(GDT_SLOT_CODE, code_flags, 0, 0xfffff);
	data = kvm_seg_from_desc(GDT_SLOT_DATA, DESC_DATA, 0, 0xfffff);
	s->ds = data;
	s->es = data;
	s->fs = data;
	s->gs = data;
	s->ss = data;
	s->tr = kvm_seg_from_desc(GDT_SLOT_TSS, DESC_TSS_BUSY, 0, TSS_LIMIT);
	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.type = 2; /* LDT, present, empty: the architectural reset state */
	s->ldt.present = 1;
	s->ldt.limit = 0xffff;
	s->gdt.base = LAYOUT_GDT;
	s->gdt.limit = GDT_ENTRIES * 8 - 1;
	s->idt.base = LAYOUT_IDT;
	s->idt.limit = LAYOUT_IDT_SIZE - 1;
	return 0;
}

static int boot_place_cmdline(struct guest_mem *m, const char *cmdline,
			      struct boot_plan *p, struct lerr *e)
{
	size_t len = strnlen(cmdline, LAYOUT_CMDLINE_MAX);
	char *dst;

	if (len >= LAYOUT_CMDLINE_MAX)
		return lerr_fail(e, E2BIG,
				"kernel command line is longer than %llu bytes",
				LAYOUT_CMDLINE_MAX - 1);
	dst = guest_mem_ptr(m, LAYOUT_CMDLINE, LAYOUT_CMDLINE_MAX);
	if (!dst)
		return lerr_fail(e, EFAULT, "command line outside guest RAM");
	memset(dst, 0, LAYOUT_CMDLINE_MAX);
	memcpy(dst, cmdline, len);
	p->cmdline_gpa = LAYOUT_CMDLINE;
	p->cmdline_size = len + 1;
	return 0;
}

static int boot_place_initrd(struct guest_mem *m, const char *path,
			     uint64_t kernel_end, struct boot_plan *p,
			     struct lerr *e)
{
	uint64_t low_end = m->region[0].gpa + m->region[0].size;
	_cleanup_close_ int fd = -1;
	uint64_t size, gpa, lowest;
	struct stat st;
	uint8_t *dst;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lerr_set(e, errno, "initramfs \"%s\"", path);
	if (fstat(fd, &st) < 0)
		return lerr_set(e, errno, "initramfs \"%s\"", path);
	if (!S_ISREG(st.st_mode))
		return lerr_fail(e, EINVAL, "\"%s\": not a regular file", path);
	size = (uint64_t)st.st_size;
	if (size == 0)
		return lerr_fail(e, EINVAL, "\"%s\": empty initramfs", path);

	lowest = ALIGN_UP(kernel_end, LAYOUT_PAGE_SIZE);
	if (lowest < LAYOUT_KERNEL_MIN)
		lowest = LAYOUT_KERNEL_MIN;
	if (lowest >= low_end || size > low_end - lowest ||
	    ALIGN_DOWN(low_end - size, LAYOUT_PAGE_SIZE) < lowest)
		return lerr_fail(e, ENOSPC,
				"\"%s\": initramfs of %llu bytes does not fit in low RAM above the kernel (0x%llx..0x%llx)",
				path, (unsigned long long)size,
				(unsigned long long)lowest,
				(unsigned long long)low_end);
	gpa = ALIGN_DOWN(low_end - size, LAYOUT_PAGE_SIZE);
	dst = guest_mem_ptr(m, gpa, size);
	if (!dst)
		return lerr_fail(e, EFAULT, "\"%s\": initramfs outside guest RAM",
				path);
	for (uint64_t done = 0; done < size;) {
		ssize_t n = pread(fd, dst + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lerr_set(e, errno, "\"%s\": read", path);
		if (n == 0)
			return lerr_fail(e, EIO, "\"%s\": file shrank while reading",
					path);
		done += (uint64_t)n;
	}
	p->initrd_gpa = gpa;
	p->initrd_size = size;
	return 0;
}

static int boot_choose_protocol(const struct boot_image *img,
				const struct elf_kernel *k,
				enum boot_protocol *out, struct lerr *e)
{
	switch (img->protocol) {
	case BOOT_AUTO:
		*out = k->has_pvh ? BOOT_PVH : BOOT_LINUX64;
		return 0;
	case BOOT_PVH:
		if (!k->has_pvh)
			return lerr_fail(e, ENOEXEC,
					"\"%s\": PVH boot asked for but the kernel has no XEN_ELFNOTE_PHYS32_ENTRY note",
					img->kernel_path);
		*out = BOOT_PVH;
		return 0;
	case BOOT_LINUX64:
		*out = BOOT_LINUX64;
		return 0;
	default:
		break;
	}
	return lerr_fail(e, EINVAL, "unknown boot protocol %d",
			(int)img->protocol);
}

int boot_load(struct guest_mem *m, const struct boot_image *img,
	      struct boot_cpu_state *bsp, struct lerr *e)
{
	struct boot_plan plan;
	struct elf_kernel k;
	enum boot_protocol proto;
	int r;

	memset(&plan, 0, sizeof(plan));
	if (!img->kernel_path)
		return lerr_fail(e, EINVAL, "no kernel given");
	if (img->nr_vcpus < 1 || img->nr_vcpus > MPTABLE_MAX_CPUS)
		return lerr_fail(e, EINVAL, "%u vCPUs: must be 1..%d",
				img->nr_vcpus, MPTABLE_MAX_CPUS);

	r = elf_load(m, img->kernel_path, &k, e);
	if (r < 0)
		return r;
	r = boot_choose_protocol(img, &k, &proto, e);
	if (r < 0)
		return r;
	plan.entry = proto == BOOT_PVH ? k.pvh_entry : k.entry;

	r = boot_place_cmdline(m, img->cmdline ? img->cmdline : "", &plan, e);
	if (r < 0)
		return r;
	if (img->initrd_path) {
		r = boot_place_initrd(m, img->initrd_path, k.load_end, &plan, e);
		if (r < 0)
			return r;
	}
	r = e820_build(m, plan.e820, E820_MAX_ENTRIES);
	if (r < 0)
		return lerr_fail(e, -r, "e820 map does not fit");
	plan.nr_e820 = (unsigned int)r;
	r = mptable_write(m, img->nr_vcpus, e);
	if (r < 0)
		return r;

	if (proto == BOOT_PVH)
		return pvh_setup(m, &plan, bsp, e);
	return linux64_setup(m, &plan, bsp, e);
}
