/* unpack.h - the guest agent's OCI layer unpacker: one layer blob (tar,
 * tar+gzip or tar+zstd) into a directory of its own, in the form
 * overlayfs stacks (lowerdir=top:...:bottom), with the layer's diff_id
 * checked in the same pass.  The agent is the only place where untrusted
 * tar is parsed; this is the code that parses it.
 *
 * Follows the project's error contract (include/lighter/error.h): 0 or a
 * negative errno with a one-line message in struct lerr; never prints. */
#ifndef LIGHTER_AGENT_UNPACK_H
#define LIGHTER_AGENT_UNPACK_H

#include <stdint.h>

#include <lighter/digest.h>
#include <lighter/error.h>

/* Defaults for a NULL limits argument (and for fields left at 0). */
#define UNPACK_DEFAULT_MAX_ENTRIES 1000000ULL
#define UNPACK_DEFAULT_MAX_BYTES (64ULL << 30) /* uncompressed tar */
#define UNPACK_DEFAULT_MAX_PATH 4095	       /* also the ceiling */
#define UNPACK_DEFAULT_MAX_NAME 255	       /* also the ceiling */
#define UNPACK_DEFAULT_MAX_XATTRS 64	       /* per entry */

struct unpack_limits {
	uint64_t max_entries; /* tar entries (whiteouts included) */
	uint64_t max_bytes;   /* bytes of the uncompressed tar stream */
	uint32_t max_path;    /* bytes of a path, hardlink or symlink target */
	uint32_t max_name;    /* bytes of one path component */
	uint32_t max_xattrs;  /* extended attributes on one entry */
};

struct unpack_stats {
	uint64_t entries; /* tar entries read */
	uint64_t files;	  /* regular files */
	uint64_t dirs;	  /* directories (the root entry included) */
	uint64_t symlinks;
	uint64_t hardlinks;
	uint64_t fifos;
	uint64_t whiteouts;  /* .wh.NAME entries (devices made or not needed) */
	uint64_t opaques;    /* dirs marked opaque (.wh..wh..opq and others) */
	uint64_t tar_bytes;  /* uncompressed stream, what diff_id covers */
	uint64_t blob_bytes; /* read from blob_fd */
	uint64_t warnings;   /* metadata libarchive could not restore */
	char warning[256];   /* the first such warning, "" if none */
	char compression[8]; /* "none", "gzip" or "zstd" */
	char diff_id[LDIGEST_STR_LEN]; /* "sha256:<hex>" of tar_bytes */
};

/* Unpack the layer blob read from blob_fd (from its current offset; not
 * closed) into root_dir, an existing empty directory that becomes the
 * layer's own directory.  layer_name names the layer in messages (e.g.
 * its blob digest).  expect_diff_id ("sha256:<64 hex>") is compared with
 * the SHA-256 of the uncompressed tar stream, hashed in the same pass and
 * including any bytes after the tar's end marker; NULL skips the check.
 * limits NULL (or a 0 field) takes the UNPACK_DEFAULT_* values.  st may
 * be NULL; it is filled as far as the unpack got, also on failure.
 *
 * The compression is detected from the content: tar, tar+gzip, tar+zstd.
 * Entries keep their mode (setuid, setgid and sticky bits included),
 * numeric uid/gid (no name lookup), mtime and extended attributes;
 * regular files, directories, symlinks (any target: they are resolved
 * inside the container, later), hardlinks and fifos are created.  A
 * leading "./", "//" and "/./" are normal and dropped; an entry "./" sets
 * the metadata of root_dir itself.  OCI whiteouts become overlayfs ones:
 * DIR/.wh.NAME -> a character device 0:0 DIR/NAME (nothing is made when
 * this layer already has NAME, which hides the lower one by itself; an
 * existing directory NAME is marked opaque instead, as is a directory of
 * this layer that later replaces the device); DIR/.wh..wh..opq -> xattr
 * trusted.overlay.opaque="y" on DIR, which keeps the layer's own entries.
 *
 * Refused, with a message naming the layer and the entry: an absolute
 * path, a ".." component, a path that meets a symlink or a non-directory
 * of this layer on the way (wherever the symlink points), any other
 * ".wh."-prefixed name, a hardlink whose target is absolute, has "..",
 * passes a symlink, is a directory or device, or does not exist earlier
 * in this layer, character and block devices, sockets and unknown types,
 * trusted.overlay.* xattrs, paths/names/targets over the limits, more
 * entries or uncompressed bytes than the limits, a stream that is not a
 * tar (or is damaged or truncated), and a diff_id mismatch (the message
 * names the layer, the expected and the actual digest).
 *
 * Nothing is ever written outside root_dir, whatever the input: the
 * unpacker's own checks come first, libarchive's ARCHIVE_EXTRACT_SECURE_*
 * checks are a second wall.  On failure root_dir is left partially filled
 * (a diff_id mismatch is found only at the end, with every entry written)
 * and the caller deletes it.
 *
 * Needs root (mknod for whiteouts, chown, trusted.* xattrs).  The calling
 * process's working directory is root_dir during the call (libarchive
 * writes relative to it) and is restored before returning: the agent
 * calls this from its single thread. */
int unpack_layer(int blob_fd, const char *root_dir, const char *layer_name,
		 const char *expect_diff_id, const struct unpack_limits *limits,
		 struct unpack_stats *st, struct lerr *e);

#endif
