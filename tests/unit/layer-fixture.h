/* layer-fixture.h - OCI layer blobs for the unpacker's tests, written
 * with libarchive's own writer (pax) into unlinked temp files and
 * compressed (gzip, zstd) with its raw-format writer; their diff_ids from
 * the sha256sum program; and a sentinel directory per test that holds the
 * layer root, so a test can prove nothing was written beside it. */
#ifndef LIGHTER_TESTS_UNIT_LAYER_FIXTURE_H
#define LIGHTER_TESTS_UNIT_LAYER_FIXTURE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lighter/digest.h>

struct archive;

enum lfix_comp { LFIX_NONE, LFIX_GZIP, LFIX_ZSTD };

/* One tar entry.  type is an AE_IF* value; a hardlink or symlink target
 * makes it that kind of entry whatever type says.  uid/gid/mtime 0 and
 * perm 0 (0644 files, 0755 dirs) are defaults. */
struct lfix_entry {
	const char *path;
	unsigned int type;
	unsigned int perm;
	const char *data; /* regular file contents (NUL-terminated) */
	const char *symlink;
	const char *hardlink;
	int64_t uid, gid;
	int64_t mtime;
	unsigned int rdev_major, rdev_minor;
	const char *xattr_name, *xattr_value;
};

struct lfix {
	struct archive *a;
	int tar_fd; /* the uncompressed tar (unlinked temp file) */
};

void lfix_begin(struct lfix *l);
void lfix_add(struct lfix *l, const struct lfix_entry *en);
/* Write the end marker (and close the writer). */
void lfix_end(struct lfix *l);
/* After lfix_end(): append raw bytes to the uncompressed tar. */
void lfix_append(struct lfix *l, const void *buf, size_t len);
/* The blob: a new fd at offset 0 (the tar itself, or a compressed copy). */
int lfix_blob(struct lfix *l, enum lfix_comp comp);
/* "sha256:<hex>" of the uncompressed tar, computed by sha256sum(1). */
void lfix_diff_id(struct lfix *l, char out[LDIGEST_STR_LEN]);
void lfix_free(struct lfix *l);

#define LFIX(l, ...) lfix_add(l, &(struct lfix_entry){ __VA_ARGS__ })
#define LFIX_DIR(l, p, ...) LFIX(l, .path = (p), .type = AE_IFDIR, __VA_ARGS__)
#define LFIX_FILE(l, p, d, ...)                                                \
	LFIX(l, .path = (p), .type = AE_IFREG, .data = (d), __VA_ARGS__)

/* A sentinel directory with the (empty) layer root "root" in it. */
struct lsent {
	char dir[64];	/* /tmp/lighter-unpack.XXXXXX */
	char root[128]; /* dir/root */
};

void lsent_make(struct lsent *s);
/* The sorted, comma-separated names in the sentinel dir ("root" alone
 * when nothing escaped), into out. */
void lsent_names(const struct lsent *s, char *out, size_t len);
/* Remove the sentinel and everything in it (never following symlinks). */
void lsent_remove(struct lsent *s);
/* path under the layer root, into out. */
const char *lsent_path(const struct lsent *s, const char *rel, char *out,
		       size_t len);

#endif
