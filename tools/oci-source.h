/* oci-source.h - where an image's documents and blobs come from: an OCI
 * image layout directory (oci-layout.c) or a tar of one (oci-archive.c).
 * Internal to the image resolver (oci-image.c).
 *
 * Opening reads and checks `oci-layout` and reads `index.json`; fetching
 * copies wanted blobs into the content store, each verified against its
 * descriptor on the way in.  Nothing is ever written under a name the
 * source chose: blobs land in the store under the digest the descriptor
 * gave, and only once their content hashes to it. */
#ifndef LIGHTER_TOOLS_OCI_SOURCE_H
#define LIGHTER_TOOLS_OCI_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "oci-image.h"

#define OCI_LAYOUT_FILE_MAX 4096 /* the oci-layout marker */

/* A blob the resolver needs, and where its descriptor was found (for
 * messages: "images/bb: manifest sha256:...: layers[2]"). */
struct oci_want {
	const struct oci_desc *desc;
	const char *what;
	bool done; /* in the store (set by the resolver for blobs already
		    * there, by the source for those it copied) */
};

struct oci_source {
	const struct oci_ref *ref;
	char *index_json; /* NUL-terminated */
	size_t index_len;
	char *index_what; /* "DIR/index.json" or "FILE: index.json" */
};

int oci_source_open(struct oci_source *src, const struct oci_ref *ref,
		    struct lerr *e);

/* Bring every want not yet done into the store.  -errno with e naming
 * the want and the blob (missing, not a regular file, size or digest
 * mismatch). */
int oci_source_fetch(struct oci_source *src, struct store *st,
		     struct oci_want *wants, size_t n, struct lerr *e);

void oci_source_close(struct oci_source *src);

/* The transports. */
int oci_layout_open(struct oci_source *src, struct lerr *e);
int oci_layout_fetch(struct oci_source *src, struct store *st,
		     struct oci_want *wants, size_t n, struct lerr *e);
int oci_archive_open(struct oci_source *src, struct lerr *e);
int oci_archive_fetch(struct oci_source *src, struct store *st,
		      struct oci_want *wants, size_t n, struct lerr *e);

/* The `oci-layout` marker: {"imageLayoutVersion": "1.x.y"}. */
int oci_layout_marker_check(const char *buf, size_t len, const char *what,
			    struct lerr *e);

#endif
