/* oci-image.h - OCI images on the host: the JSON documents (image index
 * or Docker manifest list, manifest, config; OCI and Docker v2 schema 2
 * media types) parsed from buffers, and the resolution of a reference
 * (oci-ref.h) into verified blobs in the content store (store.h) plus
 * what the guest needs to run it: the ordered layers and the config's
 * Entrypoint, Cmd, Env, WorkingDir and User.
 *
 * Every error names the file or blob and the field at fault, e.g.
 * 'images/bb/index.json: manifests[0].digest: "sha256:../../etc": not a
 * sha256 digest' or 'images/bb: manifest sha256:...: layers[1].mediaType:
 * "application/x-foo": not a layer media type'. */
#ifndef LIGHTER_TOOLS_OCI_IMAGE_H
#define LIGHTER_TOOLS_OCI_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lighter/digest.h>
#include <lighter/error.h>

#include "oci-ref.h"
#include "store.h"

#define OCI_MEDIA_TYPE_MAX 128
#define OCI_JSON_MAX (4U << 20)  /* index, manifest and config documents */
#define OCI_INDEX_MAX_ENTRIES 4096
#define OCI_MAX_LAYERS 128
#define OCI_MAX_NESTING 4        /* index -> index -> ... -> manifest */

enum oci_media {
	OCI_MEDIA_UNKNOWN = 0,
	OCI_MEDIA_INDEX,           /* application/vnd.oci.image.index.v1+json */
	OCI_MEDIA_MANIFEST,        /* ...manifest.v1+json */
	OCI_MEDIA_CONFIG,          /* ...config.v1+json */
	OCI_MEDIA_LAYER,           /* ...layer.v1.tar */
	OCI_MEDIA_LAYER_GZIP,      /* ...layer.v1.tar+gzip */
	OCI_MEDIA_LAYER_ZSTD,      /* ...layer.v1.tar+zstd */
	DOCKER_MEDIA_MANIFEST_LIST, /* ...distribution.manifest.list.v2+json */
	DOCKER_MEDIA_MANIFEST,     /* ...distribution.manifest.v2+json */
	DOCKER_MEDIA_CONFIG,       /* ...container.image.v1+json */
	DOCKER_MEDIA_LAYER_GZIP,   /* ...image.rootfs.diff.tar.gzip */
};

enum oci_compression {
	OCI_COMPRESSION_NONE = 0,
	OCI_COMPRESSION_GZIP,
	OCI_COMPRESSION_ZSTD,
};

enum oci_media oci_media_lookup(const char *media_type);
bool oci_media_is_index(enum oci_media m);
bool oci_media_is_manifest(enum oci_media m);
bool oci_media_is_config(enum oci_media m);
bool oci_media_is_layer(enum oci_media m);
enum oci_compression oci_media_compression(enum oci_media m);

/* A content descriptor with a checked digest (ldigest_valid) and size. */
struct oci_desc {
	char media_type[OCI_MEDIA_TYPE_MAX];
	enum oci_media media; /* OCI_MEDIA_UNKNOWN for any other type */
	char digest[LDIGEST_STR_LEN];
	uint64_t size;
};

struct oci_index_entry {
	struct oci_desc desc;
	char *ref_name; /* org.opencontainers.image.ref.name, or NULL */
	char *os, *arch, *variant; /* platform, each NULL when absent */
};

/* An image index (index.json, a nested index) or a Docker manifest list. */
struct oci_index {
	struct oci_index_entry *entries;
	size_t nr_entries;
};

struct oci_manifest {
	enum oci_media media; /* OCI_MEDIA_MANIFEST or DOCKER_MEDIA_MANIFEST */
	struct oci_desc config;
	struct oci_desc *layers;
	size_t nr_layers;
};

struct oci_config {
	char *os, *arch;
	char **entrypoint, **cmd, **env; /* NULL when absent or null */
	char *workdir, *user;            /* NULL when absent or empty */
	char (*diff_ids)[LDIGEST_STR_LEN];
	size_t nr_diff_ids;
};

/* Parse a document of len bytes.  `what` names it in messages.  expect
 * is the media type the referring descriptor gave (OCI_MEDIA_UNKNOWN for
 * index.json); a mediaType field in the document must agree with it.
 * Entries of an index with media types lighter cannot use are kept (as
 * OCI_MEDIA_UNKNOWN) and refused only if chosen; everything else that
 * is malformed is an error.  Each returns 0 or -errno with e filled, and
 * leaves the struct safe to free. */
int oci_index_parse(struct oci_index *ix, const void *buf, size_t len,
		    enum oci_media expect, const char *what, struct lerr *e);
void oci_index_free(struct oci_index *ix);

int oci_manifest_parse(struct oci_manifest *m, const void *buf, size_t len,
		       enum oci_media expect, const char *what,
		       struct lerr *e);
void oci_manifest_free(struct oci_manifest *m);

/* The config must be for linux/amd64 with rootfs.type "layers". */
int oci_config_parse(struct oci_config *c, const void *buf, size_t len,
		     const char *what, struct lerr *e);
void oci_config_free(struct oci_config *c);

/* Choosing in an index: the top level by tag (ref.name; without a tag
 * "latest", or the only entry when there is exactly one and it has no
 * name), a nested index by platform (linux/amd64).  Return the entry's
 * position or -errno with e. */
int oci_index_pick_tag(const struct oci_index *ix, const char *tag,
		       const char *what, struct lerr *e);
int oci_index_pick_platform(const struct oci_index *ix, const char *what,
			    struct lerr *e);

struct oci_layer {
	char digest[LDIGEST_STR_LEN];  /* of the blob as stored */
	char diff_id[LDIGEST_STR_LEN]; /* of the uncompressed tar */
	char media_type[OCI_MEDIA_TYPE_MAX];
	enum oci_compression compression;
	uint64_t size;
	char *path; /* the blob in the content store */
};

struct oci_image {
	char manifest_digest[LDIGEST_STR_LEN];
	char config_digest[LDIGEST_STR_LEN];
	struct oci_layer *layers; /* base first */
	size_t nr_layers;
	char **entrypoint, **cmd, **env; /* the config's; NULL when unset */
	char *workdir, *user;            /* NULL when unset */
};

/* Resolve ref: read its index, follow it to one linux/amd64 manifest,
 * bring the manifest, config and every layer into the store (each blob
 * verified against its digest and size as it is copied; blobs already
 * there are not copied again) and fill img.  -errno with e; img is
 * zeroed first and safe to free in every case. */
int oci_image_resolve(struct oci_image *img, const struct oci_ref *ref,
		      struct store *st, struct lerr *e);

void oci_image_free(struct oci_image *img);

#endif
