/* fixture.h - synthetic inputs for the boot-layout unit tests: a minimal
 * ELF64 x86-64 "vmlinux" built in memory (tests mutate it to make it
 * hostile), temporary files to hand paths to the code under test, and
 * lighter-vmm command lines for the config tests (test-config.c,
 * test-jail-config.c). */
#ifndef LIGHTER_TESTS_UNIT_FIXTURE_H
#define LIGHTER_TESTS_UNIT_FIXTURE_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "config.h"
#include "guest-mem.h"

#define FIX_LOAD_PADDR 0x1000000ULL /* 16 MiB, like a real vmlinux */
#define FIX_ENTRY FIX_LOAD_PADDR
#define FIX_PVH_ENTRY (FIX_LOAD_PADDR + 0x40)
#define FIX_FILESZ 0x100ULL
#define FIX_MEMSZ 0x3000ULL /* the rest is bss */
#define FIX_NOTE_OFF 0x100
#define FIX_DATA_OFF 0x200
#define FIX_SIZE (FIX_DATA_OFF + FIX_FILESZ)

/* phdr[0] is the PT_LOAD; phdr[1] the PT_NOTE (or PT_NULL without note). */
struct fix_elf {
	uint8_t bytes[FIX_SIZE];
	size_t len;
};

static inline Elf64_Ehdr *fix_ehdr(struct fix_elf *f)
{
	return (Elf64_Ehdr *)f->bytes;
}

static inline Elf64_Phdr *fix_phdr(struct fix_elf *f, unsigned int i)
{
	return (Elf64_Phdr *)(f->bytes + sizeof(Elf64_Ehdr)) + i;
}

/* A valid kernel image; with_pvh adds the Xen PHYS32_ENTRY note whose
 * descriptor is desc_size (4 or 8) bytes. */
void fix_elf_init(struct fix_elf *f, bool with_pvh, unsigned int desc_size);

/* Write len bytes to a fresh file under a private temp dir; returns its
 * malloc'd path (the test frees it; fix_cleanup removes the file). */
char *fix_write_file(const char *name, const void *buf, size_t len);

/* Write a file of len bytes filled with a byte pattern. */
char *fix_write_pattern(const char *name, size_t len, uint8_t seed);

/* Does seg match the descriptor its selector picks from the GDT that
 * sregs->gdt points at in guest memory?  On mismatch, why is filled. */
bool fix_seg_matches_gdt(const struct guest_mem *m, const struct kvm_sregs *s,
			 const struct kvm_segment *seg, char *why, size_t len);

/* The private temp dir (created on first use). */
const char *fix_dir_path(void);

/* vmm_config_parse(c) of "lighter-vmm" followed by args (NULL-terminated,
 * at most FIX_MAX_ARGS of them); e is zeroed first. */
#define FIX_MAX_ARGS 32
int fix_config_parse(struct vmm_config *c, struct lerr *e,
		     const char *const *args);

/* Remove the temp dir and everything in it; use as a suite's .fini. */
void fix_cleanup(void);

#endif
