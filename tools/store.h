/* store.h - the host's content store: blobs by digest under the data dir
 * (default /var/lib/lighter), `DATA/blobs/sha256/<hex>`, read-only once
 * written.
 *
 * A blob enters the store through a writer that hashes the bytes while
 * it copies them into a temporary file in the same directory; only when
 * the size and the digest match the descriptor is the file fsync'd and
 * renamed to its name (and the directory fsync'd), so a name in the store
 * always holds exactly its content.  A blob already present is neither
 * copied nor verified again: it was verified when it came in. */
#ifndef LIGHTER_TOOLS_STORE_H
#define LIGHTER_TOOLS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <lighter/digest.h>
#include <lighter/error.h>

#define STORE_DEFAULT_DIR "/var/lib/lighter"

struct store {
	char *data_dir;
	char *blob_dir; /* DATA/blobs/sha256 */
	int blob_dir_fd;
};

/* Open (creating directories as needed) the store under data_dir, or
 * STORE_DEFAULT_DIR when it is NULL.  -errno with e naming the directory;
 * store_close() is safe after a failure. */
int store_open(struct store *st, const char *data_dir, struct lerr *e);

void store_close(struct store *st);

/* DATA/blobs/sha256/<hex> for a valid digest, malloc'd; NULL when the
 * digest is not valid (ldigest_valid) or out of memory. */
char *store_blob_path(const struct store *st, const char *digest);

/* 1 and *size when the blob is in the store, 0 when it is not, -errno
 * (with e) when that cannot be told or the digest is not valid. */
int store_stat(const struct store *st, const char *digest, uint64_t *size,
	       struct lerr *e);

/* Read a whole blob of at most max bytes into a malloc'd buffer (NUL
 * terminated, not counted in *len).  -EFBIG past max. */
int store_read(const struct store *st, const char *digest, size_t max,
	       char **buf, size_t *len, struct lerr *e);

/* Writing one blob.  Messages from the writer say what is wrong with the
 * content (size, digest) without naming its source: the caller adds
 * where the bytes came from. */
struct store_writer {
	struct store *st;
	int fd;
	char *tmp_path;
	char digest[LDIGEST_STR_LEN];
	uint64_t size;    /* what the descriptor promises */
	uint64_t written;
	struct ldigest hash;
};

/* Start a blob of `size` bytes that must hash to `digest`. */
int store_writer_begin(struct store *st, struct store_writer *w,
		       const char *digest, uint64_t size, struct lerr *e);

/* -EFBIG once more than `size` bytes are written. */
int store_writer_write(struct store_writer *w, const void *buf, size_t len,
		       struct lerr *e);

/* Check size and digest, fsync, rename into place, fsync the directory.
 * -EIO on a mismatch (the temporary file is removed); w is finished
 * either way. */
int store_writer_commit(struct store_writer *w, struct lerr *e);

/* Drop the temporary file; safe after commit or on a zeroed writer. */
void store_writer_abort(struct store_writer *w);

/* Copy `size` bytes from fd (read to EOF) as blob `digest`. */
int store_put_fd(struct store *st, const char *digest, uint64_t size, int fd,
		 struct lerr *e);

#endif
