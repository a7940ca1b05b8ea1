/* layer-stream.c - decompression, hashing and the byte limit of a layer
 * blob, in front of libarchive's tar reader.  See layer-stream.h.
 *
 * Only the gzip and zstd filters and the tar format are compiled in here:
 * what an OCI layer may be, and nothing more for hostile input to reach
 * (it also keeps libxml2, which libarchive's xar reader needs, out of the
 * static agent).  The filters must be libarchive's built-in ones: the
 * guest has no external gzip or zstd program to fall back on. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>

#include "layer-stream.h"

/* Block size for read(2) on blob_fd. */
#define BLOB_READ_SIZE (64 * 1024)

/* libarchive's errno for a failure: a real one, EBADMSG for its "file
 * format" code (EILSEQ on Linux), EIO for "misc" (-1) or none. */
static int ar_errno(struct archive *a)
{
	int en = archive_errno(a);

	if (en == EILSEQ)
		return EBADMSG;
	return en > 0 ? en : EIO;
}

static const char *ar_error(struct archive *a)
{
	const char *msg = archive_error_string(a);

	return msg ? msg : "unknown libarchive error";
}

/* Record the first failure of the outer side (decompression, read(2),
 * limit); the tar reader only sees "the callback failed". */
static void outer_fail(struct layer_stream *s, int errnum, const char *msg)
{
	if (s->err)
		return;
	s->err = -errnum;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", msg);
}

/* Count, bound and hash one block of the uncompressed stream. */
static int account(struct layer_stream *s, const void *buf, size_t size)
{
	if (size > s->max_bytes - s->bytes) {
		char msg[80];

		snprintf(msg, sizeof(msg),
			 "uncompressed stream longer than the %llu-byte limit",
			 (unsigned long long)s->max_bytes);
		outer_fail(s, EFBIG, msg);
		return s->err;
	}
	s->bytes += size;
	ldigest_update(&s->digest, buf, size);
	return 0;
}

/* The next non-empty block of uncompressed bytes: 1, 0 at the end, or
 * -errno (recorded in s). */
static int outer_block(struct layer_stream *s, const void **buf, size_t *size)
{
	la_int64_t off;
	int r;

	if (s->err)
		return s->err;
	do {
		r = archive_read_data_block(s->outer, buf, size, &off);
	} while (r == ARCHIVE_OK && *size == 0);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK) {
		outer_fail(s, ar_errno(s->outer), ar_error(s->outer));
		return s->err;
	}
	if (off < 0 || (uint64_t)off != s->bytes) {
		outer_fail(s, EIO, "decompressor skipped bytes");
		return s->err;
	}
	r = account(s, *buf, *size);
	return r < 0 ? r : 1;
}

static la_ssize_t tar_read_cb(struct archive *tar, void *data, const void **buf)
{
	struct layer_stream *s = data;
	size_t size = 0;
	int r = outer_block(s, buf, &size);

	if (r < 0) {
		archive_set_error(tar, -r, "%s", s->errmsg);
		return -1;
	}
	return r ? (la_ssize_t)size : 0;
}

/* A failure of the tar reader, reported as the outer side's when that is
 * where it came from. */
static int tar_fail(struct layer_stream *s, struct lerr *e)
{
	const char *what = layer_stream_compression(s);

	if (s->err)
		return lerr_fail(e, -s->err, "%s: %s",
				 strcmp(what, "none") ? what : "blob",
				 s->errmsg);
	return lerr_fail(e, ar_errno(s->tar), "tar: %s", ar_error(s->tar));
}

int layer_stream_open(struct layer_stream *s, int blob_fd, uint64_t max_bytes,
		      struct lerr *e)
{
	struct archive_entry *raw;
	int r;

	memset(s, 0, sizeof(*s));
	s->max_bytes = max_bytes;
	ldigest_init(&s->digest);
	s->outer = archive_read_new();
	s->tar = archive_read_new();
	if (!s->outer || !s->tar) {
		layer_stream_close(s);
		return lerr_fail(e, ENOMEM, "libarchive: out of memory");
	}
	if (archive_read_support_filter_gzip(s->outer) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(s->outer) != ARCHIVE_OK ||
	    archive_read_support_format_raw(s->outer) != ARCHIVE_OK ||
	    archive_read_support_format_tar(s->tar) != ARCHIVE_OK) {
		r = lerr_fail(e, ENOTSUP,
			      "libarchive without built-in gzip/zstd/tar: %s",
			      ar_error(s->outer));
		layer_stream_close(s);
		return r;
	}
	if (archive_read_open_fd(s->outer, blob_fd, BLOB_READ_SIZE) !=
	    ARCHIVE_OK) {
		r = lerr_fail(e, ar_errno(s->outer), "blob: %s",
			      ar_error(s->outer));
		layer_stream_close(s);
		return r;
	}
	r = archive_read_next_header(s->outer, &raw);
	if (r != ARCHIVE_OK) {
		if (r == ARCHIVE_EOF)
			r = lerr_fail(e, EINVAL, "blob: empty");
		else
			r = lerr_fail(e, ar_errno(s->outer), "blob: %s",
				      ar_error(s->outer));
		layer_stream_close(s);
		return r;
	}
	if (archive_read_open2(s->tar, s, NULL, tar_read_cb, NULL, NULL) !=
	    ARCHIVE_OK) {
		r = tar_fail(s, e);
		layer_stream_close(s);
		return r;
	}
	return 0;
}

int layer_stream_next(struct layer_stream *s, struct archive_entry **entry,
		      struct lerr *e)
{
	int r = archive_read_next_header(s->tar, entry);

	if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
		return 1;
	if (r == ARCHIVE_EOF)
		return 0;
	return tar_fail(s, e);
}

int layer_stream_data(struct layer_stream *s, const void **buf, size_t *size,
		      int64_t *offset, struct lerr *e)
{
	la_int64_t off;
	int r = archive_read_data_block(s->tar, buf, size, &off);

	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK)
		return tar_fail(s, e);
	*offset = off;
	return 1;
}

int layer_stream_finish(struct layer_stream *s, char *diff_id, struct lerr *e)
{
	const void *buf;
	size_t size;
	int r;

	while ((r = outer_block(s, &buf, &size)) > 0)
		;
	if (r < 0)
		return tar_fail(s, e);
	ldigest_final(&s->digest, diff_id);
	return 0;
}

const char *layer_stream_compression(const struct layer_stream *s)
{
	if (!s->outer)
		return "none";
	/* archive_filter_code() takes a non-const archive. */
	switch (archive_filter_code((struct archive *)s->outer, 0)) {
	case ARCHIVE_FILTER_GZIP:
		return "gzip";
	case ARCHIVE_FILTER_ZSTD:
		return "zstd";
	default:
		return "none";
	}
}

uint64_t layer_stream_blob_bytes(const struct layer_stream *s)
{
	la_int64_t n;

	if (!s->outer)
		return 0;
	n = archive_filter_bytes((struct archive *)s->outer, -1);
	return n > 0 ? (uint64_t)n : 0;
}

void layer_stream_close(struct layer_stream *s)
{
	if (s->tar)
		archive_read_free(s->tar);
	if (s->outer)
		archive_read_free(s->outer);
	s->tar = NULL;
	s->outer = NULL;
}
