/* test-elf-load.c - elf_load() against synthetic kernels: valid ones with
 * and without the PVH note, and hostile ones (every rejection names the
 * file and the fault). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "elf-load.h"
#include "fixture.h"

static struct guest_mem m;

static void setup(void)
{
	struct lerr e = { 0 };

	cr_assert_eq(guest_mem_init(&m, 64ULL << 20, &e), 0, "%s", e.msg);
}

static void teardown(void)
{
	guest_mem_free(&m);
	fix_cleanup();
}

TestSuite(elf_load, .init = setup, .fini = teardown);

static int load(struct fix_elf *f, struct elf_kernel *k, struct lerr *e)
{
	char *path = fix_write_file("vmlinux", f->bytes, f->len);
	int r = elf_load(&m, path, k, e);

	free(path);
	return r;
}

/* Load f, expect failure with a message naming the file and containing
 * want. */
static void expect_reject(struct fix_elf *f, const char *want)
{
	struct elf_kernel k;
	struct lerr e = { 0 };
	int r = load(f, &k, &e);

	cr_expect_lt(r, 0, "accepted; wanted \"%s\"", want);
	cr_expect(strstr(e.msg, "/vmlinux\"") != NULL,
		  "message does not name the file: %s", e.msg);
	cr_expect(strstr(e.msg, want) != NULL, "message \"%s\" lacks \"%s\"",
		  e.msg, want);
}

Test(elf_load, valid_with_pvh_note)
{
	struct fix_elf f;
	struct elf_kernel k;
	struct lerr e = { 0 };
	const uint8_t *p;
	uint64_t i;

	fix_elf_init(&f, true, 4);
	memset(guest_mem_ptr(&m, FIX_LOAD_PADDR, FIX_MEMSZ), 0xff, FIX_MEMSZ);
	cr_assert_eq(load(&f, &k, &e), 0, "%s", e.msg);
	cr_expect_eq(k.entry, FIX_ENTRY);
	cr_expect(k.has_pvh);
	cr_expect_eq(k.pvh_entry, FIX_PVH_ENTRY);
	cr_expect_eq(k.load_low, FIX_LOAD_PADDR);
	cr_expect_eq(k.load_end, FIX_LOAD_PADDR + FIX_MEMSZ);

	p = guest_mem_ptr(&m, FIX_LOAD_PADDR, FIX_MEMSZ);
	for (i = 0; i < FIX_FILESZ; i++)
		cr_assert_eq(p[i], (uint8_t)(i ^ 0x5a), "byte %llu",
			     (unsigned long long)i);
	for (; i < FIX_MEMSZ; i++)
		cr_assert_eq(p[i], 0, "bss byte %llu not zeroed",
			     (unsigned long long)i);
}

Test(elf_load, valid_with_8_byte_note)
{
	struct fix_elf f;
	struct elf_kernel k;
	struct lerr e = { 0 };

	fix_elf_init(&f, true, 8);
	cr_assert_eq(load(&f, &k, &e), 0, "%s", e.msg);
	cr_expect(k.has_pvh);
	cr_expect_eq(k.pvh_entry, FIX_PVH_ENTRY);
}

Test(elf_load, valid_without_note)
{
	struct fix_elf f;
	struct elf_kernel k;
	struct lerr e = { 0 };

	fix_elf_init(&f, false, 0);
	cr_assert_eq(load(&f, &k, &e), 0, "%s", e.msg);
	cr_expect_not(k.has_pvh);
	cr_expect_eq(k.entry, FIX_ENTRY);
}

Test(elf_load, other_notes_are_skipped)
{
	struct fix_elf f;
	struct elf_kernel k;
	struct lerr e = { 0 };
	uint8_t *n;

	fix_elf_init(&f, true, 4);
	n = f.bytes + FIX_NOTE_OFF;
	memcpy(n + 12, "GNU", 4); /* same type, other owner: not PVH */
	cr_assert_eq(load(&f, &k, &e), 0, "%s", e.msg);
	cr_expect_not(k.has_pvh);
}

Test(elf_load, missing_file)
{
	struct elf_kernel k;
	struct lerr e = { 0 };

	cr_expect_eq(elf_load(&m, "/nonexistent/vmlinux", &k, &e), -ENOENT);
	cr_expect(strstr(e.msg, "\"/nonexistent/vmlinux\"") != NULL, "%s",
		  e.msg);
}

Test(elf_load, truncated_header)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	f.len = 40;
	expect_reject(&f, "too short");
}

Test(elf_load, truncated_segment)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	f.len = FIX_DATA_OFF + 16;
	expect_reject(&f, "program header 0 extends past end of file");
}

Test(elf_load, bad_magic)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	f.bytes[1] = 'X';
	expect_reject(&f, "bad magic");
}

Test(elf_load, wrong_class_and_machine)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	f.bytes[EI_CLASS] = ELFCLASS32;
	expect_reject(&f, "not a 64-bit ELF");
	fix_elf_init(&f, true, 4);
	fix_ehdr(&f)->e_machine = EM_AARCH64;
	expect_reject(&f, "is not x86-64");
	fix_elf_init(&f, true, 4);
	fix_ehdr(&f)->e_type = ET_DYN;
	expect_reject(&f, "not an executable");
	fix_elf_init(&f, true, 4);
	f.bytes[EI_DATA] = ELFDATA2MSB;
	expect_reject(&f, "little-endian");
}

Test(elf_load, huge_phnum)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	fix_ehdr(&f)->e_phnum = 0xffff;
	expect_reject(&f, "65535 program headers");
	fix_elf_init(&f, true, 4);
	fix_ehdr(&f)->e_phnum = 0;
	expect_reject(&f, "no program headers");
}

Test(elf_load, phdr_table_outside_file)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	fix_ehdr(&f)->e_phoff = FIX_SIZE - 8;
	expect_reject(&f, "program header table extends past end of file");
	fix_elf_init(&f, true, 4);
	fix_ehdr(&f)->e_phoff = UINT64_MAX - 16;
	expect_reject(&f, "program header table extends past end of file");
	fix_elf_init(&f, true, 4);
	fix_ehdr(&f)->e_phentsize = 32;
	expect_reject(&f, "program header size 32");
}

Test(elf_load, segment_offset_overflow)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	fix_phdr(&f, 0)->p_offset = UINT64_MAX - 8;
	expect_reject(&f, "program header 0 extends past end of file");
}

Test(elf_load, segment_outside_ram)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	fix_phdr(&f, 0)->p_paddr = 0xc0000000ULL; /* MMIO hole */
	fix_ehdr(&f)->e_entry = 0xc0000000ULL;
	expect_reject(&f, "lies outside guest RAM");
	fix_elf_init(&f, true, 4);
	fix_phdr(&f, 0)->p_paddr = (64ULL << 20) - 0x1000; /* straddles the end */
	expect_reject(&f, "lies outside guest RAM");
	fix_elf_init(&f, true, 4);
	fix_phdr(&f, 0)->p_paddr = UINT64_MAX - 0x1000;
	expect_reject(&f, "wraps around");
	fix_elf_init(&f, true, 4);
	fix_phdr(&f, 0)->p_paddr = 0x9f000;
	expect_reject(&f, "below 1 MiB");
}

Test(elf_load, filesz_above_memsz)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	fix_phdr(&f, 0)->p_memsz = FIX_FILESZ - 1;
	expect_reject(&f, "program header 0 has p_filesz 0x100 > p_memsz 0xff");
}

Test(elf_load, no_loadable_segment)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	fix_phdr(&f, 0)->p_type = PT_NULL;
	expect_reject(&f, "no loadable segments");
}

Test(elf_load, entry_outside_segments)
{
	struct fix_elf f;

	fix_elf_init(&f, true, 4);
	fix_ehdr(&f)->e_entry = 0xffffffff81000000ULL;
	expect_reject(&f, "entry point 0xffffffff81000000");
	fix_elf_init(&f, true, 4);
	memcpy(f.bytes + FIX_NOTE_OFF + 16, &(uint32_t){ 0x2000000 }, 4);
	expect_reject(&f, "PVH entry 0x2000000 is not in a loaded segment");
}

Test(elf_load, bad_notes)
{
	struct fix_elf f;
	uint32_t *n;

	fix_elf_init(&f, true, 4);
	n = (uint32_t *)(f.bytes + FIX_NOTE_OFF);
	n[1] = 2; /* descsz */
	expect_reject(&f, "2-byte descriptor");

	fix_elf_init(&f, true, 4);
	n = (uint32_t *)(f.bytes + FIX_NOTE_OFF);
	n[1] = 0xfffffff0; /* descsz runs past the segment */
	expect_reject(&f, "note in program header 1 extends past its segment");

	fix_elf_init(&f, true, 4);
	n = (uint32_t *)(f.bytes + FIX_NOTE_OFF);
	n[0] = 0xffffffff; /* namesz */
	expect_reject(&f, "extends past its segment");

	fix_elf_init(&f, true, 4);
	fix_phdr(&f, 1)->p_filesz = 1 << 20;
	expect_reject(&f, "program header 1 extends past end of file");
}

/* Deterministic mutation run over the headers and the note: whatever the
 * bytes, elf_load either rejects the file with a message or loads it
 * wholly inside guest RAM. */
Test(elf_load, header_mutations_never_escape)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned int iter, j;

	for (iter = 0; iter < 3000; iter++) {
		struct fix_elf f;
		struct elf_kernel k;
		struct lerr e = { 0 };
		int r;

		fix_elf_init(&f, true, (iter & 1) ? 8 : 4);
		for (j = 0; j < 1 + iter % 4; j++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			/* Header, program headers and note: [0, 0x120). */
			f.bytes[(seed >> 8) % 0x120] = (uint8_t)seed;
		}
		r = load(&f, &k, &e);
		if (r < 0) {
			cr_assert_neq(e.msg[0], '\0', "iteration %u", iter);
			continue;
		}
		cr_assert_not_null(guest_mem_ptr(&m, k.load_low,
						  k.load_end - k.load_low),
				   "iteration %u loaded outside RAM", iter);
		cr_assert_geq(k.load_low, 1ULL << 20);
	}
}
