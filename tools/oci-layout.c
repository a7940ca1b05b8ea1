/* oci-layout.c - an OCI image layout directory as an image source:
 * DIR/oci-layout, DIR/index.json and DIR/blobs/sha256/<hex>. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <lighter/cleanup.h>
#include <lighter/fd-io.h>

#include "oci-source.h"

int oci_layout_marker_check(const char *buf, size_t len, const char *what,
			    struct lerr *e)
{
	json_error_t jerr;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *v;
	int r = 0;

	if (!j)
		return lerr_fail(e, EINVAL,
				 "%s: not JSON: line %d column %d: %s", what,
				 jerr.line, jerr.column, jerr.text);
	v = json_string_value(json_object_get(j, "imageLayoutVersion"));
	if (!v)
		r = lerr_fail(e, EINVAL, "%s: imageLayoutVersion: missing",
			      what);
	else if (strncmp(v, "1.", 2) != 0)
		r = lerr_fail(e, EINVAL,
			      "%s: imageLayoutVersion: \"%.40s\": not 1.x",
			      what, v);
	json_decref(j);
	return r;
}

/* A whole regular file of at most max bytes, NUL-terminated. */
static int read_small(const char *path, size_t max, char **buf, size_t *len,
		      struct lerr *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return lerr_set(e, errno, "%s", path);
	r = lfd_read_regular(fd, max, buf, len);
	if (r == -EINVAL)
		return lerr_fail(e, EINVAL, "%s: not a regular file", path);
	if (r == -EFBIG)
		return lerr_fail(e, EFBIG, "%s: larger than %zu bytes", path,
				 max);
	if (r == -ENOMEM)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (r < 0)
		return lerr_set(e, r, "%s", path);
	return 0;
}

int oci_layout_open(struct oci_source *src, struct lerr *e)
{
	_cleanup_free_ char *marker = NULL, *marker_path = NULL;
	const char *dir = src->ref->path;
	struct stat sb;
	size_t len;
	int r;

	if (stat(dir, &sb) < 0)
		return lerr_set(e, errno, "%s", dir);
	if (!S_ISDIR(sb.st_mode))
		return lerr_fail(e, ENOTDIR,
				 "%s: not a directory (an oci: image is an OCI "
				 "image layout directory)",
				 dir);
	if (asprintf(&marker_path, "%s/oci-layout", dir) < 0 ||
	    asprintf(&src->index_what, "%s/index.json", dir) < 0) {
		marker_path = NULL;
		src->index_what = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	r = read_small(marker_path, OCI_LAYOUT_FILE_MAX, &marker, &len, e);
	if (r < 0)
		return r;
	r = oci_layout_marker_check(marker, len, marker_path, e);
	if (r < 0)
		return r;
	return read_small(src->index_what, OCI_JSON_MAX, &src->index_json,
			  &src->index_len, e);
}

static int fetch_one(const char *dir, struct store *st, struct oci_want *w,
		     struct lerr *e)
{
	const struct oci_desc *d = w->desc;
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	struct lerr why = { 0 };
	struct stat sb;
	int r;

	if (asprintf(&path, "%s/blobs/sha256/%s", dir, ldigest_hex(d->digest)) <
	    0) {
		path = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0)
		return lerr_set(e, errno, "%s: blob %s", w->what, path);
	if (!S_ISREG(sb.st_mode))
		return lerr_fail(e, EINVAL, "%s: blob %s: not a regular file",
				 w->what, path);
	if ((uint64_t)sb.st_size != d->size)
		return lerr_fail(e, EIO,
				 "%s: blob %s: size mismatch: %llu bytes, its "
				 "descriptor says %llu",
				 w->what, path, (unsigned long long)sb.st_size,
				 (unsigned long long)d->size);
	r = store_put_fd(st, d->digest, d->size, fd, &why);
	if (r < 0)
		return lerr_fail(e, -r, "%s: blob %s: %s", w->what, path,
				 why.msg);
	w->done = true;
	return 0;
}

int oci_layout_fetch(struct oci_source *src, struct store *st,
		     struct oci_want *wants, size_t n, struct lerr *e)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if (wants[i].done)
			continue;
		r = fetch_one(src->ref->path, st, &wants[i], e);
		if (r < 0)
			return r;
	}
	return 0;
}
