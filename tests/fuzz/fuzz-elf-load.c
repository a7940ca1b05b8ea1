/* fuzz-elf-load.c - libFuzzer harness for the vmlinux loader: elf_load()
 * (vmm/elf-load.c) and the whole boot_load() path behind it (vmm/boot.c,
 * pvh.c, linux-boot.c, e820.c, mptable.c) into a 64 MiB guest.
 *
 * The input is the kernel file itself, handed over as a memfd through
 * /proc/self/fd/N (the loaders take paths).  Two bytes of the ELF
 * header's padding (e_ident[14..15], which the loader ignores) choose the
 * vCPU count (1 + byte % 64), the boot protocol (bits 0-1: auto, pvh,
 * linux64) and whether an initramfs comes along (bit 2). */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot.h"
#include "elf-load.h"
#include "fuzz-input.h"
#include "guest-mem.h"
#include "layout.h"

#define RAM_BYTES (64ULL << 20)

static struct guest_mem mem;
static struct fuzz_file kernel, initrd;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void setup_once(void)
{
	static const uint8_t initrd_bytes[4096] = { 0x07, 0x07, 0x01 };
	struct lerr e = { 0 };

	if (guest_mem_init(&mem, RAM_BYTES, &e) < 0) {
		fprintf(stderr, "guest_mem_init: %s\n", e.msg);
		abort();
	}
	fuzz_file_put(&initrd, "fuzz-initrd", initrd_bytes,
		      sizeof(initrd_bytes));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_image img = { .cmdline = "console=ttyS0 panic=-1" };
	struct boot_cpu_state bsp;
	struct elf_kernel k;
	struct lerr e = { 0 };
	uint8_t vcpus = 0, opts = 0;

	if (!initrd.path[0])
		setup_once();
	fuzz_file_put(&kernel, "fuzz-vmlinux", data, size);
	if (size > EI_PAD + 6) {
		vcpus = data[EI_PAD + 5];
		opts = data[EI_PAD + 6];
	}

	if (elf_load(&mem, kernel.path, &k, &e) < 0) {
		FUZZ_CHECK(e.code > 0 && e.msg[0]);
		return 0;
	}
	FUZZ_CHECK(k.load_low >= LAYOUT_KERNEL_MIN && k.load_low < k.load_end);
	FUZZ_CHECK(k.load_end <= RAM_BYTES);
	FUZZ_CHECK(guest_mem_ptr(&mem, k.load_low, k.load_end - k.load_low));
	FUZZ_CHECK(k.entry >= k.load_low && k.entry < k.load_end);
	if (k.has_pvh)
		FUZZ_CHECK(k.pvh_entry >= k.load_low &&
			   k.pvh_entry < k.load_end);

	img.kernel_path = kernel.path;
	img.initrd_path = opts & 4 ? initrd.path : NULL;
	img.nr_vcpus = 1 + vcpus % 64;
	img.protocol = (enum boot_protocol)((opts & 3) % 3);
	memset(&e, 0, sizeof(e));
	if (boot_load(&mem, &img, &bsp, &e) < 0) {
		FUZZ_CHECK(e.code > 0 && e.msg[0]);
		return 0;
	}
	FUZZ_CHECK(bsp.protocol == BOOT_PVH || bsp.protocol == BOOT_LINUX64);
	if (img.protocol != BOOT_AUTO)
		FUZZ_CHECK(bsp.protocol == img.protocol);
	FUZZ_CHECK(bsp.regs.rip ==
		   (bsp.protocol == BOOT_PVH ? k.pvh_entry : k.entry));
	return 0;
}
