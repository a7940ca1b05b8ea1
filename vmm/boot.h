/* boot.h - putting a Linux kernel into guest memory and describing the
 * boot CPU's first state.
 *
 * boot_load() reads an ELF64 vmlinux, copies its PT_LOAD segments, places
 * the initramfs and command line, writes the machine description (e820
 * map, MP table for every vCPU) and fills the BSP's registers for the
 * chosen entry: PVH (32-bit flat protected mode, %ebx = hvm_start_info)
 * or the Linux 64-bit boot protocol (long mode, identity page tables,
 * %rsi = boot_params).  Nothing here touches /dev/kvm: the output is plain
 * guest memory plus struct kvm_regs/kvm_sregs for the VMM to install. */
#ifndef LIGHTER_VMM_BOOT_H
#define LIGHTER_VMM_BOOT_H

#include <linux/kvm.h>
#include <stdint.h>

#include "guest-mem.h"

enum boot_protocol {
	BOOT_AUTO = 0, /* PVH when the ELF has XEN_ELFNOTE_PHYS32_ENTRY, else LINUX64 */
	BOOT_PVH,
	BOOT_LINUX64,
};

struct boot_image {
	const char *kernel_path;  /* ELF64 vmlinux */
	const char *initrd_path;  /* NULL for none */
	const char *cmdline;      /* NUL-terminated, may be "" */
	unsigned int nr_vcpus;    /* MP table gets this many processors */
	enum boot_protocol protocol;
};

struct boot_cpu_state {
	enum boot_protocol protocol; /* the one actually used */
	struct kvm_regs regs;
	struct kvm_sregs sregs;      /* only segment/cr/efer/gdt/idt fields are meaningful */
};

int boot_load(struct guest_mem *m, const struct boot_image *img,
	      struct boot_cpu_state *bsp, struct lerr *e);

#endif
