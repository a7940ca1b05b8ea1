/* mkinitramfs.c - writes the guest initramfs: an uncompressed "newc" cpio
 * archive described line by line by a list file (rootfs/initramfs.list).
 *
 * A tiny writer instead of cpio(1): device nodes (/dev/console) need no
 * root and no staging tree, every entry is owned by root with mtime 0 and
 * sequential inode numbers, and the order is the list's, so two builds of
 * the same agent give byte-identical archives.
 *
 * usage: mkinitramfs OUTPUT LIST [FILE...]   ($N in LIST names FILE N) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>
#include <lighter/error.h>

struct cpio_entry {
	const char *name; /* absolute in the list; stored without the '/' */
	unsigned int mode;
	unsigned int rdev_major, rdev_minor;
	const char *data;
	size_t size;
};

struct cpio_writer {
	FILE *out;
	unsigned int next_ino;
	unsigned long long offset;
};

static int write_pad(struct cpio_writer *w, struct lerr *e)
{
	static const char zeros[4];
	size_t pad = (4 - (w->offset & 3)) & 3;

	if (pad && fwrite(zeros, 1, pad, w->out) != pad)
		return lerr_set(e, errno, "write archive");
	w->offset += pad;
	return 0;
}

static int write_bytes(struct cpio_writer *w, const void *p, size_t n,
		       struct lerr *e)
{
	if (n && fwrite(p, 1, n, w->out) != n)
		return lerr_set(e, errno, "write archive");
	w->offset += n;
	return 0;
}

static int write_entry(struct cpio_writer *w, const struct cpio_entry *ent,
		       struct lerr *e)
{
	char hdr[111];
	size_t namesize = strlen(ent->name) + 1;
	int r;

	if (ent->size > 0xffffffffu)
		return lerr_set(e, EFBIG, "\"%s\" is too large for newc",
				ent->name);
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 w->next_ino++, ent->mode, 0u, 0u,
		 S_ISDIR(ent->mode) ? 2u : 1u, 0u, (unsigned int)ent->size,
		 0u, 0u, ent->rdev_major, ent->rdev_minor,
		 (unsigned int)namesize, 0u);
	r = write_bytes(w, hdr, 110, e);
	if (r == 0)
		r = write_bytes(w, ent->name, namesize, e);
	if (r == 0)
		r = write_pad(w, e);
	if (r == 0)
		r = write_bytes(w, ent->data, ent->size, e);
	if (r == 0)
		r = write_pad(w, e);
	return r;
}

static int read_file(const char *path, char **data, size_t *size,
		     struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return lerr_set(e, errno, "open \"%s\"", path);
	if (!S_ISREG(st.st_mode))
		return lerr_set(e, EINVAL, "\"%s\" is not a regular file", path);
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		return lerr_set(e, ENOMEM, "read \"%s\"", path);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			free(buf);
			return lerr_set(e, n < 0 ? errno : EIO, "read \"%s\"",
					path);
		}
		got += (size_t)n;
	}
	*data = buf;
	*size = got;
	return 0;
}

/* Parses one list line into ent (file contents loaded); 1 for an entry,
 * 0 for a blank or comment line. */
static int parse_line(char *line, char **files, int nfiles,
		      struct cpio_entry *ent, char **owned, struct lerr *e)
{
	char *argv[8], *save, *tok;
	unsigned int perm;
	int argc = 0, idx;

	for (tok = strtok_r(line, " \t\n", &save); tok && argc < 8;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;
	if (argc == 0 || argv[0][0] == '#')
		return 0;
	if (argc < 3 || argv[1][0] != '/' || argv[1][1] == '\0')
		return lerr_set(e, EINVAL, "expected KIND /PATH MODE ...");
	memset(ent, 0, sizeof(*ent));
	ent->name = argv[1] + 1;
	perm = (unsigned int)strtoul(argv[2], NULL, 8) & 07777;
	if (strcmp(argv[0], "dir") == 0 && argc == 3) {
		ent->mode = S_IFDIR | perm;
	} else if (strcmp(argv[0], "nod") == 0 && argc == 6 &&
		   (argv[3][0] == 'c' || argv[3][0] == 'b')) {
		ent->mode = (argv[3][0] == 'c' ? S_IFCHR : S_IFBLK) | perm;
		ent->rdev_major = (unsigned int)strtoul(argv[4], NULL, 10);
		ent->rdev_minor = (unsigned int)strtoul(argv[5], NULL, 10);
	} else if (strcmp(argv[0], "file") == 0 && argc == 4) {
		ent->mode = S_IFREG | (unsigned int)strtoul(argv[3], NULL, 8);
		if (argv[2][0] != '$')
			return read_file(argv[2], owned, &ent->size, e) ?: 1;
		idx = atoi(argv[2] + 1);
		if (idx < 1 || idx > nfiles)
			return lerr_set(e, EINVAL, "no file argument %s",
					argv[2]);
		return read_file(files[idx - 1], owned, &ent->size, e) ?: 1;
	} else {
		return lerr_set(e, EINVAL, "bad entry \"%s\"", argv[0]);
	}
	return 1;
}

/* On error, *lineno is the list line at fault (0: the trailer). */
static int write_archive(FILE *list, struct cpio_writer *w, char **files,
			 int nfiles, int *lineno, struct lerr *e)
{
	static const struct cpio_entry trailer = { .name = "TRAILER!!!" };
	char line[1024];
	int r;

	*lineno = 0;
	while (fgets(line, sizeof(line), list)) {
		struct cpio_entry ent;
		char *data = NULL;

		(*lineno)++;
		r = parse_line(line, files, nfiles, &ent, &data, e);
		if (r > 0) {
			/* parse_line tokenised line; ent.name points into it. */
			ent.data = data;
			r = write_entry(w, &ent, e);
		}
		free(data);
		if (r < 0)
			return r;
	}
	*lineno = 0;
	return write_entry(w, &trailer, e);
}

int main(int argc, char **argv)
{
	_cleanup_fclose_ FILE *list = NULL;
	struct cpio_writer w = { .next_ino = 300000 };
	struct lerr e = { 0 };
	int lineno, r;

	if (argc < 3) {
		fprintf(stderr, "usage: %s OUTPUT LIST [FILE...]\n", argv[0]);
		return 2;
	}
	list = fopen(argv[2], "re");
	if (!list) {
		fprintf(stderr, "mkinitramfs: open \"%s\": %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	w.out = fopen(argv[1], "we");
	if (!w.out) {
		fprintf(stderr, "mkinitramfs: create \"%s\": %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	r = write_archive(list, &w, argv + 3, argc - 3, &lineno, &e);
	if (fclose(w.out) != 0 && r == 0)
		r = lerr_set(&e, errno, "close \"%s\"", argv[1]);
	if (r < 0) {
		fprintf(stderr, "mkinitramfs: \"%s\" line %d: %s\n", argv[2],
			lineno, e.msg);
		unlink(argv[1]);
		return 1;
	}
	return 0;
}
