/* elf-load.c - reading an ELF64 x86-64 vmlinux as hostile input.
 *
 * The header, every program header and every note is checked against the
 * file size and guest memory before a byte is copied; segment data goes
 * straight from the file into guest memory through guest_mem_ptr().  The
 * PVH entry comes from a PT_NOTE with name "Xen" and type
 * XEN_ELFNOTE_PHYS32_ENTRY whose 4- or 8-byte descriptor holds a 32-bit
 * physical address.  Errors name the file and the fault. */
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "elf-load.h"
#include "layout.h"

/* pread exactly len bytes at off; a short file is -EIO. */
static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Is [off, off + len) inside a file of size fsize? */
static bool in_file(uint64_t off, uint64_t len, uint64_t fsize)
{
	uint64_t end;

	return !__builtin_add_overflow(off, len, &end) && end <= fsize;
}

static int check_ehdr(const Elf64_Ehdr *eh, uint64_t fsize, const char *path,
		      struct lerr *e)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return lerr_fail(e, ENOEXEC, "\"%s\": not an ELF file (bad magic)",
				path);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return lerr_fail(e, ENOEXEC, "\"%s\": not a 64-bit ELF file", path);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return lerr_fail(e, ENOEXEC, "\"%s\": not a little-endian ELF file",
				path);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT)
		return lerr_fail(e, ENOEXEC, "\"%s\": unknown ELF version %u",
				path, eh->e_ident[EI_VERSION]);
	if (eh->e_machine != EM_X86_64)
		return lerr_fail(e, ENOEXEC,
				"\"%s\": ELF machine %u is not x86-64", path,
				eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return lerr_fail(e, ENOEXEC,
				"\"%s\": ELF type %u is not an executable (ET_EXEC)",
				path, eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return lerr_fail(e, ENOEXEC,
				"\"%s\": program header size %u, expected %zu",
				path, eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0)
		return lerr_fail(e, ENOEXEC, "\"%s\": no program headers", path);
	if (eh->e_phnum > ELF_MAX_PHNUM)
		return lerr_fail(e, ENOEXEC,
				"\"%s\": %u program headers (at most %d)", path,
				eh->e_phnum, ELF_MAX_PHNUM);
	if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr),
		     fsize))
		return lerr_fail(e, ENOEXEC,
				"\"%s\": program header table extends past end of file",
				path);
	return 0;
}

/* Walk the notes in buf[0, len) looking for Xen's PHYS32_ENTRY. */
static int find_pvh_note(const uint8_t *buf, uint64_t len, unsigned int idx,
			 struct elf_kernel *out, const char *path,
			 struct lerr *e)
{
	uint64_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_sz, desc_sz, desc_off;

		memcpy(&nh, buf + off, sizeof(nh));
		/* 32-bit fields: rounding up cannot overflow 64 bits. */
		name_sz = ((uint64_t)nh.n_namesz + 3) & ~3ULL;
		desc_sz = ((uint64_t)nh.n_descsz + 3) & ~3ULL;
		desc_off = off + sizeof(nh) + name_sz;
		if (desc_off > len || desc_sz > len - desc_off)
			return lerr_fail(e, ENOEXEC,
					"\"%s\": note in program header %u extends past its segment",
					path, idx);
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    memcmp(buf + off + sizeof(nh), "Xen", 4) == 0) {
			uint32_t entry;

			if (nh.n_descsz != 4 && nh.n_descsz != 8)
				return lerr_fail(e, ENOEXEC,
						"\"%s\": PVH entry note has a %u-byte descriptor (want 4 or 8)",
						path, nh.n_descsz);
			/* Little-endian: the low 32 bits come first. */
			memcpy(&entry, buf + desc_off, sizeof(entry));
			out->pvh_entry = entry;
			out->has_pvh = true;
		}
		off = desc_off + desc_sz;
	}
	return 0;
}

static int load_note(int fd, const Elf64_Phdr *ph, unsigned int idx,
		     struct elf_kernel *out, const char *path, struct lerr *e)
{
	_cleanup_free_ uint8_t *buf = NULL;
	int r;

	if (ph->p_filesz == 0)
		return 0;
	if (ph->p_filesz > ELF_MAX_NOTE_BYTES)
		return lerr_fail(e, ENOEXEC,
				"\"%s\": note segment in program header %u is %llu bytes (at most %d)",
				path, idx, (unsigned long long)ph->p_filesz,
				ELF_MAX_NOTE_BYTES);
	buf = malloc(ph->p_filesz);
	if (!buf)
		return lerr_set(e, ENOMEM, "\"%s\"", path);
	r = read_full(fd, buf, ph->p_filesz, ph->p_offset);
	if (r < 0)
		return lerr_set(e, r, "\"%s\": reading program header %u", path,
				idx);
	return find_pvh_note(buf, ph->p_filesz, idx, out, path, e);
}

static int load_segment(struct guest_mem *m, int fd, const Elf64_Phdr *ph,
			unsigned int idx, struct elf_kernel *out,
			const char *path, struct lerr *e)
{
	uint64_t end;
	uint8_t *dst;
	int r;

	if (ph->p_memsz == 0)
		return 0;
	if (__builtin_add_overflow(ph->p_paddr, ph->p_memsz, &end))
		return lerr_fail(e, ENOEXEC,
				"\"%s\": program header %u wraps around the address space",
				path, idx);
	if (ph->p_paddr < LAYOUT_KERNEL_MIN)
		return lerr_fail(e, ENOEXEC,
				"\"%s\": program header %u loads at 0x%llx, below 1 MiB",
				path, idx, (unsigned long long)ph->p_paddr);
	dst = guest_mem_ptr(m, ph->p_paddr, ph->p_memsz);
	if (!dst)
		return lerr_fail(e, ENOEXEC,
				"\"%s\": program header %u [0x%llx, 0x%llx) lies outside guest RAM",
				path, idx, (unsigned long long)ph->p_paddr,
				(unsigned long long)end);
	r = read_full(fd, dst, ph->p_filesz, ph->p_offset);
	if (r < 0)
		return lerr_set(e, r, "\"%s\": reading program header %u", path,
				idx);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	if (ph->p_paddr < out->load_low)
		out->load_low = ph->p_paddr;
	if (end > out->load_end)
		out->load_end = end;
	return 0;
}

int elf_load(struct guest_mem *m, const char *path, struct elf_kernel *out,
	     struct lerr *e)
{
	_cleanup_free_ Elf64_Phdr *phdrs = NULL;
	_cleanup_close_ int fd = -1;
	unsigned int i, nr_load = 0;
	Elf64_Ehdr eh;
	struct stat st;
	uint64_t fsize;
	int r;

	memset(out, 0, sizeof(*out));
	out->load_low = UINT64_MAX;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lerr_set(e, errno, "kernel \"%s\"", path);
	if (fstat(fd, &st) < 0)
		return lerr_set(e, errno, "\"%s\"", path);
	if (!S_ISREG(st.st_mode))
		return lerr_fail(e, ENOEXEC, "\"%s\": not a regular file", path);
	fsize = (uint64_t)st.st_size;
	if (fsize < sizeof(eh))
		return lerr_fail(e, ENOEXEC,
				"\"%s\": %llu bytes is too short for an ELF header",
				path, (unsigned long long)fsize);
	r = read_full(fd, &eh, sizeof(eh), 0);
	if (r < 0)
		return lerr_set(e, r, "\"%s\": reading the ELF header", path);
	r = check_ehdr(&eh, fsize, path, e);
	if (r < 0)
		return r;

	phdrs = calloc(eh.e_phnum, sizeof(*phdrs));
	if (!phdrs)
		return lerr_set(e, ENOMEM, "\"%s\"", path);
	r = read_full(fd, phdrs, eh.e_phnum * sizeof(*phdrs), eh.e_phoff);
	if (r < 0)
		return lerr_set(e, r, "\"%s\": reading program headers", path);

	for (i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &phdrs[i];

		if (ph->p_type != PT_LOAD && ph->p_type != PT_NOTE)
			continue;
		if (!in_file(ph->p_offset, ph->p_filesz, fsize))
			return lerr_fail(e, ENOEXEC,
					"\"%s\": program header %u extends past end of file",
					path, i);
		if (ph->p_type == PT_NOTE) {
			r = load_note(fd, ph, i, out, path, e);
		} else {
			if (ph->p_filesz > ph->p_memsz)
				return lerr_fail(e, ENOEXEC,
						"\"%s\": program header %u has p_filesz 0x%llx > p_memsz 0x%llx",
						path, i,
						(unsigned long long)ph->p_filesz,
						(unsigned long long)ph->p_memsz);
			r = load_segment(m, fd, ph, i, out, path, e);
			nr_load += ph->p_memsz != 0;
		}
		if (r < 0)
			return r;
	}
	if (nr_load == 0)
		return lerr_fail(e, ENOEXEC, "\"%s\": no loadable segments", path);
	if (!guest_mem_ptr(m, eh.e_entry, 1) || eh.e_entry < out->load_low ||
	    eh.e_entry >= out->load_end)
		return lerr_fail(e, ENOEXEC,
				"\"%s\": entry point 0x%llx is not in a loaded segment",
				path, (unsigned long long)eh.e_entry);
	if (out->has_pvh &&
	    (out->pvh_entry < out->load_low || out->pvh_entry >= out->load_end))
		return lerr_fail(e, ENOEXEC,
				"\"%s\": PVH entry 0x%llx is not in a loaded segment",
				path, (unsigned long long)out->pvh_entry);
	out->entry = eh.e_entry;
	return 0;
}
