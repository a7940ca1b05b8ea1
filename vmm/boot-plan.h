/* boot-plan.h - what boot_load() decided (entry, where the command line
 * and initramfs went, the e820 map), handed to the protocol-specific
 * setup in pvh.c and linux-boot.c, plus the GDT both of them use. */
#ifndef LIGHTER_VMM_BOOT_PLAN_H
#define LIGHTER_VMM_BOOT_PLAN_H

#include <stdint.h>

#include <lighter/error.h>

#include "boot.h"
#include "e820.h"
#include "guest-mem.h"

struct boot_plan {
	uint64_t entry;        /* first instruction (physical) */
	uint64_t cmdline_gpa;  /* NUL-terminated command line */
	uint64_t cmdline_size; /* bytes including the NUL */
	uint64_t initrd_gpa;   /* page aligned */
	uint64_t initrd_size;  /* 0: no initramfs */
	struct e820_entry e820[E820_MAX_ENTRIES];
	unsigned int nr_e820;
};

/* Write the boot GDT at LAYOUT_GDT (null, null, code, data, busy TSS) with
 * the given code descriptor flags (DESC_CODE32 or DESC_CODE64), an empty
 * IDT at LAYOUT_IDT, and load the matching segment, GDTR, IDTR and TR
 * state into s.  Defined in boot.c. */
int boot_setup_gdt(struct guest_mem *m, uint16_t code_flags,
		   struct kvm_sregs *s, struct lerr *e);

#endif
