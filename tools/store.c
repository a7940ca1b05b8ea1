/* store.c - the content store: verified blobs by digest under
 * DATA/blobs/sha256 (see store.h for the write protocol). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>
#include <lighter/fd-io.h>

#include "store.h"

#define COPY_CHUNK (128 * 1024)

static int mkdir_one(const char *path, struct lerr *e)
{
	struct stat st;

	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return lerr_set(e, errno, "store: mkdir \"%s\"", path);
	if (stat(path, &st) < 0)
		return lerr_set(e, errno, "store: \"%s\"", path);
	if (!S_ISDIR(st.st_mode))
		return lerr_fail(e, ENOTDIR, "store: \"%s\" is not a directory",
				 path);
	return 0;
}

/* mkdir -p, the parents of data_dir included. */
static int mkdirs(const char *path, struct lerr *e)
{
	_cleanup_free_ char *p = strdup(path);
	char *s;
	int r;

	if (!p)
		return lerr_fail(e, ENOMEM, "out of memory");
	for (s = p + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		r = mkdir_one(p, e);
		if (r < 0)
			return r;
		*s = '/';
	}
	return mkdir_one(p, e);
}

int store_open(struct store *st, const char *data_dir, struct lerr *e)
{
	int r;

	memset(st, 0, sizeof(*st));
	st->blob_dir_fd = -1;
	st->data_dir = strdup(data_dir ? data_dir : STORE_DEFAULT_DIR);
	if (!st->data_dir ||
	    asprintf(&st->blob_dir, "%s/blobs/sha256", st->data_dir) < 0) {
		st->blob_dir = NULL;
		store_close(st);
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	r = mkdirs(st->blob_dir, e);
	if (r < 0) {
		store_close(st);
		return r;
	}
	st->blob_dir_fd = open(st->blob_dir,
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->blob_dir_fd < 0) {
		r = lerr_set(e, errno, "store: \"%s\"", st->blob_dir);
		store_close(st);
		return r;
	}
	return 0;
}

void store_close(struct store *st)
{
	if (st->blob_dir_fd >= 0)
		close(st->blob_dir_fd);
	free(st->data_dir);
	free(st->blob_dir);
	memset(st, 0, sizeof(*st));
	st->blob_dir_fd = -1;
}

char *store_blob_path(const struct store *st, const char *digest)
{
	char *p;

	if (!ldigest_valid(digest) ||
	    asprintf(&p, "%s/%s", st->blob_dir, ldigest_hex(digest)) < 0)
		return NULL;
	return p;
}

int store_stat(const struct store *st, const char *digest, uint64_t *size,
	       struct lerr *e)
{
	struct stat sb;

	if (!ldigest_valid(digest))
		return lerr_fail(e, EINVAL,
				 "store: \"%s\": not a sha256 digest", digest);
	if (fstatat(st->blob_dir_fd, ldigest_hex(digest), &sb,
		    AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return lerr_set(e, errno, "store: \"%s/%s\"", st->blob_dir,
				ldigest_hex(digest));
	}
	if (!S_ISREG(sb.st_mode))
		return lerr_fail(e, EIO, "store: \"%s/%s\": not a regular file",
				 st->blob_dir, ldigest_hex(digest));
	*size = (uint64_t)sb.st_size;
	return 1;
}

int store_read(const struct store *st, const char *digest, size_t max,
	       char **buf, size_t *len, struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	int r;

	*buf = NULL;
	*len = 0;
	if (!ldigest_valid(digest))
		return lerr_fail(e, EINVAL,
				 "store: \"%s\": not a sha256 digest", digest);
	fd = openat(st->blob_dir_fd, ldigest_hex(digest),
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return lerr_set(e, errno, "store: \"%s/%s\"", st->blob_dir,
				ldigest_hex(digest));
	r = lfd_read_regular(fd, max, buf, len);
	if (r == -EINVAL || r == -EFBIG)
		return lerr_fail(e, EFBIG,
				 "store: blob %s: larger than %zu bytes",
				 digest, max);
	if (r == -ENOMEM)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (r < 0)
		return lerr_set(e, r, "store: read %s", digest);
	return 0;
}

int store_writer_begin(struct store *st, struct store_writer *w,
		       const char *digest, uint64_t size, struct lerr *e)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (!ldigest_valid(digest))
		return lerr_fail(e, EINVAL, "\"%s\": not a sha256 digest",
				 digest);
	w->st = st;
	w->size = size;
	memcpy(w->digest, digest, LDIGEST_STR_LEN);
	if (asprintf(&w->tmp_path, "%s/.tmp-%.16s-XXXXXX", st->blob_dir,
		     ldigest_hex(digest)) < 0) {
		w->tmp_path = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
	if (w->fd < 0) {
		int r = lerr_set(e, errno, "store: create \"%s\"", w->tmp_path);

		free(w->tmp_path);
		w->tmp_path = NULL;
		return r;
	}
	ldigest_init(&w->hash);
	return 0;
}

int store_writer_write(struct store_writer *w, const void *buf, size_t len,
		       struct lerr *e)
{
	int r;

	if (len > w->size - w->written)
		return lerr_fail(e, EFBIG,
				 "size mismatch: more than the %llu bytes its "
				 "descriptor says",
				 (unsigned long long)w->size);
	ldigest_update(&w->hash, buf, len);
	w->written += len;
	r = lfd_write_all(w->fd, buf, len);
	if (r < 0)
		return lerr_set(e, r, "store: write \"%s\"", w->tmp_path);
	return 0;
}

int store_writer_commit(struct store_writer *w, struct lerr *e)
{
	char got[LDIGEST_STR_LEN];
	int r = 0;

	if (w->written != w->size) {
		r = lerr_fail(e, EIO,
			      "size mismatch: %llu bytes, its descriptor says "
			      "%llu",
			      (unsigned long long)w->written,
			      (unsigned long long)w->size);
		goto out;
	}
	ldigest_final(&w->hash, got);
	if (strcmp(got, w->digest) != 0) {
		r = lerr_fail(e, EIO, "digest mismatch: content is %s", got);
		goto out;
	}
	if (fchmod(w->fd, 0444) < 0 || fsync(w->fd) < 0) {
		r = lerr_set(e, errno, "store: \"%s\"", w->tmp_path);
		goto out;
	}
	if (close(w->fd) < 0) {
		w->fd = -1;
		r = lerr_set(e, errno, "store: close \"%s\"", w->tmp_path);
		goto out;
	}
	w->fd = -1;
	if (renameat(AT_FDCWD, w->tmp_path, w->st->blob_dir_fd,
		     ldigest_hex(w->digest)) < 0) {
		r = lerr_set(e, errno, "store: rename \"%s\"", w->tmp_path);
		goto out;
	}
	free(w->tmp_path);
	w->tmp_path = NULL; /* renamed: nothing left to remove */
	if (fsync(w->st->blob_dir_fd) < 0)
		r = lerr_set(e, errno, "store: fsync \"%s\"", w->st->blob_dir);
out:
	store_writer_abort(w);
	return r;
}

void store_writer_abort(struct store_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp_path) {
		unlink(w->tmp_path);
		free(w->tmp_path);
		w->tmp_path = NULL;
	}
}

int store_put_fd(struct store *st, const char *digest, uint64_t size, int fd,
		 struct lerr *e)
{
	_cleanup_free_ char *buf = malloc(COPY_CHUNK);
	struct store_writer w;
	int r;

	if (!buf)
		return lerr_fail(e, ENOMEM, "out of memory");
	r = store_writer_begin(st, &w, digest, size, e);
	if (r < 0)
		return r;
	for (;;) {
		ssize_t n = lfd_read_full(fd, buf, COPY_CHUNK);

		if (n < 0) {
			r = lerr_set(e, (int)n, "read");
			break;
		}
		if (n == 0)
			return store_writer_commit(&w, e);
		r = store_writer_write(&w, buf, (size_t)n, e);
		if (r < 0)
			break;
	}
	store_writer_abort(&w);
	return r;
}
