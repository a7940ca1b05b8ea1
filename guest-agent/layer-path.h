/* layer-path.h - the rules an OCI layer's entry paths must pass before the
 * unpacker (unpack.c) lets anything touch the disk: the lexical form of a
 * path (relative, no "..", bounded lengths, OCI whiteout names) and its
 * resolution inside the layer's own directory (never through a symlink,
 * never through a non-directory).
 *
 * Paths here are "clean": no leading "/" or "./", no empty, "." or ".."
 * component, no trailing "/"; the layer root itself is "".  Functions
 * return 0 (or a kind, or an fd) or a negative errno and fill a struct
 * lerr with a message that names the offending path or component but not
 * the layer or entry: the caller adds those. */
#ifndef LIGHTER_AGENT_LAYER_PATH_H
#define LIGHTER_AGENT_LAYER_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include <lighter/error.h>

/* Hard ceilings (the kernel's PATH_MAX - 1 and NAME_MAX); configured
 * limits are clamped to them. */
#define LAYER_PATH_MAX 4095
#define LAYER_NAME_MAX 255

/* OCI image-spec layer.md whiteout names. */
#define LAYER_WH_PREFIX ".wh."
#define LAYER_WH_OPAQUE_NAME ".wh..wh..opq"

/* Normalise the path of a tar entry (or a hardlink's target) into out
 * (at least max_path + 1 bytes): strip leading "./", collapse "//" and
 * "/./", drop trailing "/".  Refuses an empty path, an absolute path, any
 * ".." component, a path longer than max_path bytes or with a component
 * longer than max_name bytes (both measured on the raw path too, so a
 * hostile name cannot pad itself with "./"); out is "" for the layer root
 * ("./" or "."). */
int layer_path_clean(const char *raw, size_t max_path, size_t max_name,
		     char *out, size_t outlen, struct lerr *e);

enum layer_wh {
	LAYER_WH_NONE = 0, /* an ordinary entry */
	LAYER_WH_FILE,	   /* DIR/.wh.NAME: hide NAME of the layers below */
	LAYER_WH_OPAQUE,   /* DIR/.wh..wh..opq: hide DIR's lower contents */
};

/* Classify a clean path.  For LAYER_WH_FILE, target gets "DIR/NAME" (the
 * path the whiteout device takes); for LAYER_WH_OPAQUE, "DIR" ("" for the
 * root); for LAYER_WH_NONE, target is untouched.  target must hold
 * strlen(clean) + 1 bytes.  Refuses (-EINVAL) any other ".wh."-prefixed
 * component: one that is not the last, ".wh." alone, ".wh.." and ".wh...",
 * and ".wh..wh.*" names other than the opaque marker. */
int layer_path_whiteout(const char *clean, char *target, size_t targetlen,
			struct lerr *e);

/* True when some component of the clean path starts with ".wh.". */
bool layer_path_has_wh(const char *clean);

enum layer_walk {
	LAYER_WALK_CHECK,  /* missing components are fine; returns 0 */
	LAYER_WALK_OPEN,   /* every component must exist; returns an fd */
	LAYER_WALK_CREATE, /* missing components are made (0755); an fd */
};

/* Walk the directory path clean[0..len) beneath rootfd one component at a
 * time, never following a symlink.  With OPEN and CREATE, returns an
 * O_PATH|O_DIRECTORY fd on that directory (len 0: the root).  Fails with
 * -ELOOP when a component is a symlink (the message names it and its
 * target), -ENOTDIR when it is something else that is not a directory,
 * -ENOENT (OPEN only) when it is missing. */
int layer_walk(int rootfd, const char *clean, size_t len, enum layer_walk mode,
	       struct lerr *e);

/* Length of the directory part of a clean path: "a/b/c" -> 3, "c" -> 0. */
size_t layer_path_dirlen(const char *clean);

/* Copy s into out (outlen > 4) fit for a one-line message: control
 * characters become '?', and a string too long ends in "...". */
void layer_path_printable(const char *s, char *out, size_t outlen);

#endif
