/* elf-load.h - loading an ELF64 x86-64 vmlinux into guest memory. */
#ifndef LIGHTER_VMM_ELF_LOAD_H
#define LIGHTER_VMM_ELF_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <lighter/error.h>

#include "guest-mem.h"

/* Xen's ELF note carrying the 32-bit PVH entry point. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* Bounds applied to hostile files. */
#define ELF_MAX_PHNUM 128
#define ELF_MAX_NOTE_BYTES (64 * 1024)

struct elf_kernel {
	uint64_t entry;     /* e_entry: physical address of startup_64 */
	uint64_t pvh_entry; /* valid when has_pvh */
	bool has_pvh;
	uint64_t load_low;  /* lowest guest address a PT_LOAD occupies */
	uint64_t load_end;  /* one past the highest (p_paddr + p_memsz) */
};

/* Copy path's PT_LOAD segments to their p_paddr (zeroing the bss), find the
 * PVH note.  Every PT_LOAD must lie in guest RAM at or above 1 MiB. */
int elf_load(struct guest_mem *m, const char *path, struct elf_kernel *out,
	     struct lerr *e);

#endif
