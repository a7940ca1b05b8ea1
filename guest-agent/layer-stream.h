/* layer-stream.h - a layer blob as a stream of tar entries, hashed on the
 * way: an outer libarchive reader (raw format; gzip and zstd filters,
 * detected by content) decompresses the blob, and the bytes it yields are
 * counted against a limit, fed to the SHA-256 of the diff_id and handed,
 * through archive_read_open2() callbacks, to an inner tar-only reader.
 * After the tar's end marker the rest of the uncompressed stream is
 * drained into the hash too, so the digest covers exactly the bytes the
 * image's rootfs.diff_ids names.
 *
 * Functions return 0/1 or a negative errno and fill a struct lerr with a
 * message that does not name the layer (the caller adds it). */
#ifndef LIGHTER_AGENT_LAYER_STREAM_H
#define LIGHTER_AGENT_LAYER_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lighter/digest.h>
#include <lighter/error.h>

struct archive;
struct archive_entry;

struct layer_stream {
	struct archive *outer; /* blob_fd -> uncompressed bytes */
	struct archive *tar;   /* uncompressed bytes -> entries */
	struct ldigest digest; /* over every uncompressed byte */
	uint64_t bytes;	       /* uncompressed bytes so far */
	uint64_t max_bytes;
	int err;	  /* first failure of the outer side, -errno */
	char errmsg[256]; /* ... and its message */
};

/* Start reading blob_fd (not closed, read from its current offset).  On
 * failure everything is released.  s needs no prior initialisation. */
int layer_stream_open(struct layer_stream *s, int blob_fd, uint64_t max_bytes,
		      struct lerr *e);

/* The next tar entry: 1 with *entry (owned by the stream, valid until the
 * next call), 0 at the tar's end marker, -errno on a damaged, truncated,
 * oversized or non-tar stream.  A libarchive warning about a header (e.g.
 * a name it could not convert to the locale: the raw bytes are kept)
 * still yields the entry. */
int layer_stream_next(struct layer_stream *s, struct archive_entry **entry,
		      struct lerr *e);

/* The next block of the current entry's data: 1 with buf/size/offset
 * (offset is where the block goes in the file; sparse entries skip), 0 at
 * the entry's end, -errno on failure. */
int layer_stream_data(struct layer_stream *s, const void **buf, size_t *size,
		      int64_t *offset, struct lerr *e);

/* After layer_stream_next() returned 0: hash whatever follows the end
 * marker, then write "sha256:<hex>" of the whole uncompressed stream into
 * diff_id (LDIGEST_STR_LEN bytes). */
int layer_stream_finish(struct layer_stream *s, char *diff_id, struct lerr *e);

/* "none", "gzip" or "zstd" once opened. */
const char *layer_stream_compression(const struct layer_stream *s);

/* Bytes read from blob_fd so far. */
uint64_t layer_stream_blob_bytes(const struct layer_stream *s);

/* Release both readers; safe after a failed open and twice. */
void layer_stream_close(struct layer_stream *s);

#endif
