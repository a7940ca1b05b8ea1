/* layer-fixture.c - layer blobs and sentinel directories for the
 * unpacker's tests (see layer-fixture.h).  Test code: failures abort the
 * test through criterion's asserts. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer-fixture.h"
#include "remove-tree.h"

static int temp_fd(void)
{
	char path[] = "/tmp/lighter-layer.XXXXXX";
	int fd = mkstemp(path);

	cr_assert(fd >= 0, "mkstemp: %m");
	unlink(path);
	return fd;
}

void lfix_begin(struct lfix *l)
{
	l->tar_fd = temp_fd();
	l->a = archive_write_new();
	cr_assert(l->a);
	cr_assert_eq(archive_write_set_format_pax_restricted(l->a), ARCHIVE_OK);
	/* No padding to 10 KiB records: the tar ends after its end marker. */
	archive_write_set_bytes_in_last_block(l->a, 1);
	cr_assert_eq(archive_write_open_fd(l->a, l->tar_fd), ARCHIVE_OK, "%s",
		     archive_error_string(l->a));
}

void lfix_add(struct lfix *l, const struct lfix_entry *en)
{
	struct archive_entry *e = archive_entry_new();
	size_t size = en->data ? strlen(en->data) : 0;
	unsigned int perm = en->perm;

	if (!perm)
		perm = en->type == AE_IFDIR ? 0755 : 0644;
	archive_entry_copy_pathname(e, en->path);
	archive_entry_set_filetype(e, en->type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, en->uid);
	archive_entry_set_gid(e, en->gid);
	archive_entry_set_mtime(e, en->mtime ? en->mtime : 1700000000, 0);
	if (en->symlink) {
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_copy_symlink(e, en->symlink);
		size = 0;
	}
	if (en->hardlink) {
		archive_entry_copy_hardlink(e, en->hardlink);
		size = 0;
	}
	if (en->type == AE_IFCHR || en->type == AE_IFBLK) {
		archive_entry_set_rdevmajor(e, en->rdev_major);
		archive_entry_set_rdevminor(e, en->rdev_minor);
	}
	if (en->xattr_name)
		archive_entry_xattr_add_entry(e, en->xattr_name,
					      en->xattr_value,
					      strlen(en->xattr_value));
	archive_entry_set_size(e, (la_int64_t)size);
	cr_assert_geq(archive_write_header(l->a, e), ARCHIVE_WARN, "%s: %s",
		      en->path, archive_error_string(l->a));
	if (size)
		cr_assert_eq(archive_write_data(l->a, en->data, size),
			     (la_ssize_t)size);
	archive_entry_free(e);
}

void lfix_end(struct lfix *l)
{
	cr_assert_eq(archive_write_close(l->a), ARCHIVE_OK);
	archive_write_free(l->a);
	l->a = NULL;
}

void lfix_append(struct lfix *l, const void *buf, size_t len)
{
	cr_assert_eq(pwrite(l->tar_fd, buf, len, lseek(l->tar_fd, 0, SEEK_END)),
		     (ssize_t)len);
}

int lfix_blob(struct lfix *l, enum lfix_comp comp)
{
	struct archive *w;
	struct archive_entry *e;
	char buf[8192];
	off_t size = lseek(l->tar_fd, 0, SEEK_END);
	ssize_t n;
	off_t off = 0;
	int fd = temp_fd();

	if (comp == LFIX_NONE) {
		while ((n = pread(l->tar_fd, buf, sizeof(buf), off)) > 0) {
			cr_assert_eq(write(fd, buf, (size_t)n), n);
			off += n;
		}
		lseek(fd, 0, SEEK_SET);
		return fd;
	}
	w = archive_write_new();
	cr_assert_eq(archive_write_set_format_raw(w), ARCHIVE_OK);
	cr_assert_eq(comp == LFIX_GZIP ? archive_write_add_filter_gzip(w)
				       : archive_write_add_filter_zstd(w),
		     ARCHIVE_OK, "%s", archive_error_string(w));
	archive_write_set_bytes_in_last_block(w, 1);
	cr_assert_eq(archive_write_open_fd(w, fd), ARCHIVE_OK);
	e = archive_entry_new();
	archive_entry_copy_pathname(e, "layer.tar");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, size);
	cr_assert_eq(archive_write_header(w, e), ARCHIVE_OK, "%s",
		     archive_error_string(w));
	while ((n = pread(l->tar_fd, buf, sizeof(buf), off)) > 0) {
		cr_assert_eq(archive_write_data(w, buf, (size_t)n), n);
		off += n;
	}
	archive_entry_free(e);
	cr_assert_eq(archive_write_close(w), ARCHIVE_OK);
	archive_write_free(w);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

void lfix_diff_id(struct lfix *l, char out[LDIGEST_STR_LEN])
{
	char cmd[64], hex[LDIGEST_HEX_LEN + 1];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sha256sum /proc/%d/fd/%d", (int)getpid(),
		 l->tar_fd);
	p = popen(cmd, "r");
	cr_assert(p, "popen sha256sum: %m");
	cr_assert_eq(fscanf(p, "%64s", hex), 1, "sha256sum gave no digest");
	cr_assert_eq(pclose(p), 0, "sha256sum failed");
	snprintf(out, LDIGEST_STR_LEN, "sha256:%s", hex);
	cr_assert(ldigest_valid(out), "sha256sum printed \"%s\"", hex);
}

void lfix_free(struct lfix *l)
{
	if (l->a)
		archive_write_free(l->a);
	if (l->tar_fd >= 0)
		close(l->tar_fd);
	l->a = NULL;
	l->tar_fd = -1;
}

void lsent_make(struct lsent *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/lighter-unpack.XXXXXX");
	cr_assert(mkdtemp(s->dir), "mkdtemp: %m");
	snprintf(s->root, sizeof(s->root), "%s/root", s->dir);
	cr_assert_eq(mkdir(s->root, 0755), 0, "mkdir %s: %m", s->root);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void lsent_names(const struct lsent *s, char *out, size_t len)
{
	char *names[64];
	size_t n = 0, i, o = 0;
	struct dirent *d;
	DIR *dir = opendir(s->dir);

	cr_assert(dir, "opendir %s: %m", s->dir);
	while ((d = readdir(dir)) && n < 64)
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			names[n++] = strdup(d->d_name);
	closedir(dir);
	qsort(names, n, sizeof(names[0]), name_cmp);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		o += (size_t)snprintf(out + o, o < len ? len - o : 0, "%s%s",
				      i ? "," : "", names[i]);
		free(names[i]);
	}
}

void lsent_remove(struct lsent *s)
{
	if (s->dir[0])
		remove_tree_at(AT_FDCWD, s->dir, NULL);
	s->dir[0] = '\0';
}

const char *lsent_path(const struct lsent *s, const char *rel, char *out,
		       size_t len)
{
	snprintf(out, len, "%s/%s", s->root, rel);
	return out;
}
