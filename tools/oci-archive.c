/* oci-archive.c - a tar of an OCI image layout (skopeo's oci-archive:) as
 * an image source, read with libarchive.
 *
 * Only three kinds of entries are looked at, by name: `index.json` and
 * `oci-layout` (read into memory, bounded) and `blobs/sha256/<64 hex>`
 * (streamed into the content store, verified against the descriptor
 * that wants them); each must be a regular file, and a leading "./" is
 * allowed.  Every other entry is skipped unread.  Nothing is written
 * under a name from the archive: the guest is the only place that
 * unpacks layer content.  A tar is read front to back, so each fetch is
 * one pass over the archive (uncompressed tars skip data by seeking). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include <lighter/cleanup.h>

#include "oci-source.h"

#define BLOB_PREFIX "blobs/sha256/"
#define READ_BLOCK (64 * 1024)

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

#define _cleanup_archive_ __attribute__((cleanup(archive_freep)))

static int archive_begin(struct archive **out, const char *path,
			 struct lerr *e)
{
	struct archive *a = archive_read_new();

	*out = a;
	if (!a)
		return lerr_fail(e, ENOMEM, "out of memory");
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	if (archive_read_open_filename(a, path, READ_BLOCK) != ARCHIVE_OK) {
		int err = archive_errno(a);

		return lerr_fail(e, err > 0 ? err : EIO, "%s: %s", path,
				 archive_error_string(a));
	}
	return 0;
}

/* The next entry; false at the end or on an error (*r says which:
 * ARCHIVE_EOF or a failure).  Warnings (odd but readable headers) are
 * not failures. */
static bool next_header(struct archive *a, struct archive_entry **ent, int *r)
{
	*r = archive_read_next_header(a, ent);
	return *r == ARCHIVE_OK || *r == ARCHIVE_WARN;
}

/* The entry's name without a leading "./". */
static const char *entry_name(struct archive_entry *ent)
{
	const char *n = archive_entry_pathname(ent);

	if (!n)
		return "";
	while (n[0] == '.' && n[1] == '/')
		n += 2;
	return n;
}

static bool is_plain_file(struct archive_entry *ent)
{
	return archive_entry_filetype(ent) == AE_IFREG &&
	       !archive_entry_hardlink(ent) && !archive_entry_symlink(ent);
}

/* The whole entry, at most max bytes, NUL-terminated. */
static int read_entry(struct archive *a, struct archive_entry *ent,
		      size_t max, char **buf, size_t *len, const char *what,
		      struct lerr *e)
{
	_cleanup_free_ char *b = NULL;
	size_t n = 0;
	la_ssize_t got;

	if (!is_plain_file(ent))
		return lerr_fail(e, EINVAL, "%s: not a regular file", what);
	if (archive_entry_size_is_set(ent) &&
	    (uint64_t)archive_entry_size(ent) > max)
		return lerr_fail(e, EFBIG, "%s: larger than %zu bytes", what,
				 max);
	b = malloc(max + 1);
	if (!b)
		return lerr_fail(e, ENOMEM, "out of memory");
	while ((got = archive_read_data(a, b + n, max + 1 - n)) > 0) {
		n += (size_t)got;
		if (n > max)
			return lerr_fail(e, EFBIG, "%s: larger than %zu bytes",
					 what, max);
	}
	if (got < 0)
		return lerr_fail(e, EIO, "%s: %s", what,
				 archive_error_string(a));
	b[n] = '\0';
	*buf = TAKE_PTR(b);
	*len = n;
	return 0;
}

int oci_archive_open(struct oci_source *src, struct lerr *e)
{
	_cleanup_archive_ struct archive *a = NULL;
	_cleanup_free_ char *marker = NULL, *marker_what = NULL;
	const char *file = src->ref->path;
	struct archive_entry *ent;
	size_t marker_len = 0;
	int r;

	if (asprintf(&src->index_what, "%s: index.json", file) < 0 ||
	    asprintf(&marker_what, "%s: oci-layout", file) < 0) {
		src->index_what = NULL;
		marker_what = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	r = archive_begin(&a, file, e);
	if (r < 0)
		return r;
	while (next_header(a, &ent, &r)) {
		const char *name = entry_name(ent);

		if (strcmp(name, "index.json") == 0) {
			if (src->index_json)
				return lerr_fail(e, EINVAL, "%s: appears twice",
						 src->index_what);
			r = read_entry(a, ent, OCI_JSON_MAX, &src->index_json,
				       &src->index_len, src->index_what, e);
		} else if (strcmp(name, "oci-layout") == 0) {
			if (marker)
				return lerr_fail(e, EINVAL, "%s: appears twice",
						 marker_what);
			r = read_entry(a, ent, OCI_LAYOUT_FILE_MAX, &marker,
				       &marker_len, marker_what, e);
		} else {
			r = 0;
		}
		if (r < 0)
			return r;
	}
	if (r != ARCHIVE_EOF)
		return lerr_fail(e, EIO, "%s: %s", file,
				 archive_error_string(a));
	if (!marker)
		return lerr_fail(e, ENOENT, "%s: no oci-layout file", file);
	if (!src->index_json)
		return lerr_fail(e, ENOENT, "%s: no index.json", file);
	return oci_layout_marker_check(marker, marker_len, marker_what, e);
}

/* The want whose digest is blobs/sha256/<hex> named by the entry. */
static struct oci_want *wanted(const char *name, struct oci_want *wants,
			       size_t n)
{
	size_t i, plen = sizeof(BLOB_PREFIX) - 1;

	if (strncmp(name, BLOB_PREFIX, plen) != 0 ||
	    strlen(name + plen) != LDIGEST_HEX_LEN)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!wants[i].done && strcmp(ldigest_hex(wants[i].desc->digest),
					     name + plen) == 0)
			return &wants[i];
	}
	return NULL;
}

static int import_entry(struct archive *a, struct archive_entry *ent,
			const char *name, struct store *st,
			struct oci_want *w, const char *file, struct lerr *e)
{
	_cleanup_free_ char *buf = NULL;
	struct store_writer sw;
	struct lerr why = { 0 };
	la_ssize_t got;
	int r;

	if (!is_plain_file(ent))
		return lerr_fail(e, EINVAL, "%s: %s: %s: not a regular file",
				 w->what, file, name);
	if (archive_entry_size_is_set(ent) &&
	    (uint64_t)archive_entry_size(ent) != w->desc->size)
		return lerr_fail(e, EIO,
				 "%s: %s: %s: size mismatch: %lld bytes, its "
				 "descriptor says %llu",
				 w->what, file, name,
				 (long long)archive_entry_size(ent),
				 (unsigned long long)w->desc->size);
	buf = malloc(READ_BLOCK);
	if (!buf)
		return lerr_fail(e, ENOMEM, "out of memory");
	r = store_writer_begin(st, &sw, w->desc->digest, w->desc->size, &why);
	while (r == 0 && (got = archive_read_data(a, buf, READ_BLOCK)) != 0) {
		if (got < 0) {
			r = lerr_fail(&why, EIO, "%s",
				      archive_error_string(a));
			break;
		}
		r = store_writer_write(&sw, buf, (size_t)got, &why);
	}
	if (r == 0)
		r = store_writer_commit(&sw, &why);
	store_writer_abort(&sw);
	if (r < 0)
		return lerr_fail(e, -r, "%s: %s: %s: %s", w->what, file, name,
				 why.msg);
	w->done = true;
	return 0;
}

int oci_archive_fetch(struct oci_source *src, struct store *st,
		      struct oci_want *wants, size_t n, struct lerr *e)
{
	_cleanup_archive_ struct archive *a = NULL;
	const char *file = src->ref->path;
	struct archive_entry *ent;
	size_t i;
	int r;

	r = archive_begin(&a, file, e);
	if (r < 0)
		return r;
	while (next_header(a, &ent, &r)) {
		const char *name = entry_name(ent);
		struct oci_want *w = wanted(name, wants, n);

		if (!w)
			continue; /* skipped unread */
		r = import_entry(a, ent, name, st, w, file, e);
		if (r < 0)
			return r;
	}
	if (r != ARCHIVE_EOF)
		return lerr_fail(e, EIO, "%s: %s", file,
				 archive_error_string(a));
	for (i = 0; i < n; i++) {
		if (!wants[i].done)
			return lerr_fail(e, ENOENT,
					 "%s: %s: blobs/sha256/%s: not in the "
					 "archive",
					 wants[i].what, file,
					 ldigest_hex(wants[i].desc->digest));
	}
	return 0;
}
