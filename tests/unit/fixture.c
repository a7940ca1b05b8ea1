/* fixture.c - see fixture.h. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

void fix_elf_init(struct fix_elf *f, bool with_pvh, unsigned int desc_size)
{
	Elf64_Ehdr *eh = fix_ehdr(f);
	Elf64_Phdr *load = fix_phdr(f, 0), *note = fix_phdr(f, 1);
	uint8_t *n = f->bytes + FIX_NOTE_OFF;
	uint32_t hdr[3] = { 4, desc_size, 18 };
	uint64_t desc = FIX_PVH_ENTRY;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->len = FIX_SIZE;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = FIX_ENTRY;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;

	load->p_type = PT_LOAD;
	load->p_flags = PF_R | PF_X;
	load->p_offset = FIX_DATA_OFF;
	load->p_vaddr = 0xffffffff81000000ULL;
	load->p_paddr = FIX_LOAD_PADDR;
	load->p_filesz = FIX_FILESZ;
	load->p_memsz = FIX_MEMSZ;
	load->p_align = 0x200000;
	for (i = 0; i < FIX_FILESZ; i++)
		f->bytes[FIX_DATA_OFF + i] = (uint8_t)(i ^ 0x5a);

	if (!with_pvh) {
		note->p_type = PT_NULL;
		return;
	}
	memcpy(n, hdr, sizeof(hdr));
	memcpy(n + 12, "Xen", 4);
	memcpy(n + 16, &desc, desc_size);
	note->p_type = PT_NOTE;
	note->p_offset = FIX_NOTE_OFF;
	note->p_filesz = 16 + ((desc_size + 3) & ~3u);
	note->p_align = 4;
}

static char dir[64];

static const char *fix_dir(void)
{

	if (!dir[0]) {
		strcpy(dir, "/tmp/lighter-unit-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

char *fix_write_file(const char *name, const void *buf, size_t len)
{
	char *path;
	FILE *fp;

	if (asprintf(&path, "%s/%s", fix_dir(), name) < 0)
		abort();
	fp = fopen(path, "w");
	if (!fp || (len && fwrite(buf, 1, len, fp) != len) || fclose(fp))
		abort();
	return path;
}

char *fix_write_pattern(const char *name, size_t len, uint8_t seed)
{
	uint8_t *buf = malloc(len ? len : 1);
	char *path;
	size_t i;

	if (!buf)
		abort();
	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
	path = fix_write_file(name, buf, len);
	free(buf);
	return path;
}

void fix_cleanup(void)
{
	struct dirent *de;
	DIR *d;

	if (!dir[0])
		return;
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	rmdir(dir);
	dir[0] = '\0';
}

const char *fix_dir_path(void)
{
	return fix_dir();
}

int fix_config_parse(struct vmm_config *c, struct lerr *e,
		     const char *const *args)
{
	char *argv[FIX_MAX_ARGS + 2];
	int argc = 0;

	argv[argc++] = (char *)"lighter-vmm";
	while (*args) {
		if (argc > FIX_MAX_ARGS)
			abort();
		argv[argc++] = (char *)*args++;
	}
	argv[argc] = NULL;
	memset(e, 0, sizeof(*e));
	return vmm_config_parse(c, argc, argv, e);
}

bool fix_seg_matches_gdt(const struct guest_mem *m, const struct kvm_sregs *s,
			 const struct kvm_segment *seg, char *why, size_t len)
{
	const uint8_t *gdt;
	uint64_t d;
	uint32_t base, limit;
	unsigned int access, flags;

	if ((uint32_t)seg->selector + 7 > s->gdt.limit) {
		snprintf(why, len, "selector 0x%x beyond GDT limit 0x%x",
			 seg->selector, s->gdt.limit);
		return false;
	}
	gdt = guest_mem_ptr(m, s->gdt.base + seg->selector, 8);
	if (!gdt) {
		snprintf(why, len, "GDT at 0x%llx not in guest RAM",
			 (unsigned long long)s->gdt.base);
		return false;
	}
	memcpy(&d, gdt, 8);
	base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000));
	limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	access = (unsigned int)(d >> 40) & 0xff;
	flags = (unsigned int)(d >> 52) & 0xf;
	if (flags & 8)
		limit = (limit << 12) | 0xfff;
	if (base != seg->base || limit != seg->limit ||
	    (access & 0xf) != seg->type || ((access >> 4) & 1) != seg->s ||
	    ((access >> 5) & 3) != seg->dpl || (access >> 7) != seg->present ||
	    (flags & 1) != seg->avl || ((flags >> 1) & 1) != seg->l ||
	    ((flags >> 2) & 1) != seg->db || ((flags >> 3) & 1) != seg->g) {
		snprintf(why, len,
			 "selector 0x%x: GDT base 0x%x limit 0x%x access 0x%x flags 0x%x vs segment base 0x%llx limit 0x%x type %u",
			 seg->selector, base, limit, access, flags,
			 (unsigned long long)seg->base, seg->limit, seg->type);
		return false;
	}
	return true;
}
