/* oci-fixture.h - OCI image layouts built by the tests: blobs written
 * under their real sha256 digests, layers that are real tars (made with
 * libarchive), configs, manifests and indexes made with jansson, and a
 * tar of a whole layout for oci-archive:.  Failures abort the test
 * (criterion asserts). */
#ifndef LIGHTER_TESTS_UNIT_OCI_FIXTURE_H
#define LIGHTER_TESTS_UNIT_OCI_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <lighter/digest.h>

#define FX_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define FX_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define FX_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define FX_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define FX_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define FX_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define FX_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define FX_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define FX_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define FX_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct fx_blob {
	char digest[LDIGEST_STR_LEN];
	uint64_t size;
};

struct fx_layer {
	struct fx_blob blob;
	char diff_id[LDIGEST_STR_LEN];
};

/* dir/oci-layout and dir/blobs/sha256/ (every path here is absolute). */
void fx_layout_init(const char *dir);

/* Write bytes as a blob of the layout at path dir (absolute). */
struct fx_blob fx_put(const char *dir, const void *buf, size_t len);

/* Serialize j (taking the reference) and write it as a blob. */
struct fx_blob fx_put_json(const char *dir, json_t *j);

/* A layer: a tar holding one file `name` with `content`, gzip'd when
 * gzip is set; written as a blob, with its diff_id. */
struct fx_layer fx_put_layer(const char *dir, const char *name,
			     const char *content, bool gzip);

/* A descriptor object {mediaType, digest, size}. */
json_t *fx_desc(const char *media_type, const struct fx_blob *b);

/* An image config for linux/amd64 with the given diff_ids and an exec
 * "config" object (or NULL). */
json_t *fx_config(const struct fx_layer *layers, size_t n, json_t *exec);

/* A manifest; manifest_media NULL leaves mediaType out. */
json_t *fx_manifest(const char *manifest_media, const char *config_media,
		    const struct fx_blob *config, const char *layer_media,
		    const struct fx_layer *layers, size_t n);

/* An index entry with an optional ref.name and platform (os NULL: none). */
json_t *fx_index_entry(const char *media_type, const struct fx_blob *b,
		       const char *ref_name, const char *os, const char *arch);

/* {schemaVersion 2, manifests: entries} (taking the reference). */
json_t *fx_index(json_t *entries);

/* Write dir/index.json. */
void fx_write_index(const char *dir, json_t *index);

/* dir/index.json listing the one blob b (of media_type), named tag
 * (NULL: no ref.name). */
void fx_index_one(const char *dir, const char *media_type,
		  const struct fx_blob *b, const char *tag);

/* An OCI image in dir: config (taking the reference) as its config blob,
 * a manifest of the n layers (gzip media type), index.json naming it tag.
 * Returns the manifest blob; the config blob in *config_blob unless that
 * is NULL.  The config's diff_ids need not match the layers (tests of bad
 * images pass others). */
struct fx_blob fx_oci_image(const char *dir, const char *tag, json_t *config,
			    const struct fx_layer *layers, size_t n,
			    struct fx_blob *config_blob);

/* A whole single-layer image in dir with tag `tag`, its Cmd one word
 * `cmd`; returns the manifest blob. */
struct fx_blob fx_simple_image(const char *dir, const char *tag,
			       const char *cmd, struct fx_layer *layer);

/* Tar up the layout at dir into file (absolute paths); extra entries
 * (name, content) pairs, NULL-terminated, are added first. */
void fx_archive_layout(const char *dir, const char *file,
		       const char *const *extra);

/* dir/blobs/sha256/<hex of digest>, malloc'd. */
char *fx_blob_path(const char *dir, const char *digest);

/* sha256 of a file's content ("sha256:<hex>"). */
void fx_digest_file(const char *path, char out[LDIGEST_STR_LEN]);

#endif
