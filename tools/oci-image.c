/* oci-image.c - resolving an image reference: index.json -> (nested
 * indexes, by platform) -> manifest -> config and layers, each document
 * and blob brought into the content store and verified before it is
 * read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lighter/cleanup.h>

#include "oci-source.h"
#include "strv.h"

int oci_source_open(struct oci_source *src, const struct oci_ref *ref,
		    struct lerr *e)
{
	memset(src, 0, sizeof(*src));
	src->ref = ref;
	if (ref->transport == OCI_TRANSPORT_ARCHIVE)
		return oci_archive_open(src, e);
	return oci_layout_open(src, e);
}

int oci_source_fetch(struct oci_source *src, struct store *st,
		     struct oci_want *wants, size_t n, struct lerr *e)
{
	if (src->ref->transport == OCI_TRANSPORT_ARCHIVE)
		return oci_archive_fetch(src, st, wants, n, e);
	return oci_layout_fetch(src, st, wants, n, e);
}

void oci_source_close(struct oci_source *src)
{
	free(src->index_json);
	free(src->index_what);
	memset(src, 0, sizeof(*src));
}

struct resolver {
	const struct oci_ref *ref;
	struct store *st;
	struct oci_source src;
};

/* Bring wants into the store: blobs already there are only checked
 * against their descriptor's size (their content was verified when they
 * came in), a digest wanted twice is fetched once. */
static int fetch(struct resolver *rs, struct oci_want *wants, size_t n,
		 struct lerr *e)
{
	size_t i, j;
	uint64_t have;
	int r;

	for (i = 0; i < n; i++) {
		const struct oci_desc *d = wants[i].desc;

		for (j = 0; j < i; j++) {
			if (strcmp(wants[j].desc->digest, d->digest) != 0)
				continue;
			if (wants[j].desc->size != d->size)
				return lerr_fail(e, EIO,
						 "%s: size %llu, but %s gives "
						 "the same blob size %llu",
						 wants[i].what,
						 (unsigned long long)d->size,
						 wants[j].what,
						 (unsigned long long)
							 wants[j].desc->size);
			wants[i].done = true;
		}
		if (wants[i].done)
			continue;
		r = store_stat(rs->st, d->digest, &have, e);
		if (r < 0)
			return r;
		if (r == 1 && have != d->size)
			return lerr_fail(e, EIO,
					 "%s: size mismatch: its descriptor "
					 "says %llu, blob %s has %llu bytes",
					 wants[i].what,
					 (unsigned long long)d->size, d->digest,
					 (unsigned long long)have);
		wants[i].done = r == 1;
	}
	return oci_source_fetch(&rs->src, rs->st, wants, n, e);
}

/* A JSON document by descriptor: fetched, verified, read from the store. */
static int fetch_json(struct resolver *rs, const struct oci_desc *d,
		      const char *what, char **buf, size_t *len,
		      struct lerr *e)
{
	struct oci_want w = { .desc = d, .what = what };
	int r;

	if (d->size > OCI_JSON_MAX)
		return lerr_fail(e, EFBIG, "%s: size %llu: more than %u bytes "
					   "for a JSON document",
				 what, (unsigned long long)d->size,
				 OCI_JSON_MAX);
	r = fetch(rs, &w, 1, e);
	if (r < 0)
		return r;
	return store_read(rs->st, d->digest, OCI_JSON_MAX, buf, len, e);
}

/* From index.json to the descriptor of one manifest (copied to *out):
 * by tag at the top, by platform in nested indexes. */
static int find_manifest(struct resolver *rs, struct oci_desc *out,
			 struct lerr *e)
{
	_cleanup_free_ char *ix_what = strdup(rs->src.index_what);
	struct oci_index ix;
	int depth, i, r;

	if (!ix_what)
		return lerr_fail(e, ENOMEM, "out of memory");
	r = oci_index_parse(&ix, rs->src.index_json, rs->src.index_len,
			    OCI_MEDIA_UNKNOWN, ix_what, e);
	if (r < 0)
		return r;
	i = oci_index_pick_tag(&ix, rs->ref->tag, ix_what, e);
	for (depth = 0;; depth++) {
		_cleanup_free_ char *buf = NULL, *entry_what = NULL;
		size_t len;

		if (i < 0) {
			oci_index_free(&ix);
			return i;
		}
		*out = ix.entries[i].desc;
		oci_index_free(&ix);
		if (asprintf(&entry_what, "%s: manifests[%d]", ix_what, i) <
		    0) {
			entry_what = NULL;
			return lerr_fail(e, ENOMEM, "out of memory");
		}
		if (oci_media_is_manifest(out->media))
			return 0;
		if (!oci_media_is_index(out->media))
			return lerr_fail(e, EINVAL,
					 "%s.mediaType: \"%s\": not a manifest "
					 "or index media type",
					 entry_what, out->media_type);
		if (depth == OCI_MAX_NESTING)
			return lerr_fail(e, ELOOP,
					 "%s: indexes nested more than %d deep",
					 entry_what, OCI_MAX_NESTING);
		r = fetch_json(rs, out, entry_what, &buf, &len, e);
		if (r < 0)
			return r;
		free(ix_what);
		if (asprintf(&ix_what, "%s: index %s", rs->ref->path,
			     out->digest) < 0) {
			ix_what = NULL;
			return lerr_fail(e, ENOMEM, "out of memory");
		}
		r = oci_index_parse(&ix, buf, len, out->media, ix_what, e);
		if (r < 0)
			return r;
		i = oci_index_pick_platform(&ix, ix_what, e);
	}
}

static int fill_layers(struct oci_image *img, const struct oci_manifest *m,
		       const struct oci_config *c, struct store *st,
		       struct lerr *e)
{
	size_t i;

	img->layers = calloc(m->nr_layers ? m->nr_layers : 1,
			     sizeof(*img->layers));
	if (!img->layers)
		return lerr_fail(e, ENOMEM, "out of memory");
	img->nr_layers = m->nr_layers;
	for (i = 0; i < m->nr_layers; i++) {
		struct oci_layer *l = &img->layers[i];
		const struct oci_desc *d = &m->layers[i];

		memcpy(l->digest, d->digest, LDIGEST_STR_LEN);
		memcpy(l->diff_id, c->diff_ids[i], LDIGEST_STR_LEN);
		memcpy(l->media_type, d->media_type, OCI_MEDIA_TYPE_MAX);
		l->compression = oci_media_compression(d->media);
		l->size = d->size;
		l->path = store_blob_path(st, d->digest);
		if (!l->path)
			return lerr_fail(e, ENOMEM, "out of memory");
	}
	return 0;
}

static int resolve(struct oci_image *img, struct resolver *rs,
		   struct oci_manifest *m, struct oci_config *c,
		   struct lerr *e)
{
	_cleanup_free_ char *buf = NULL, *what = NULL, *cfg_what = NULL;
	_cleanup_free_ struct oci_want *wants = NULL;
	_cleanup_free_ char *layer_what = NULL;
	struct oci_desc md;
	size_t len, i, wlen;
	int r;

	r = oci_source_open(&rs->src, rs->ref, e);
	if (r < 0)
		return r;
	r = find_manifest(rs, &md, e);
	if (r < 0)
		return r;
	if (asprintf(&what, "%s: manifest %s", rs->ref->path, md.digest) < 0) {
		what = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	r = fetch_json(rs, &md, what, &buf, &len, e);
	if (r < 0)
		return r;
	r = oci_manifest_parse(m, buf, len, md.media, what, e);
	if (r < 0)
		return r;
	memcpy(img->manifest_digest, md.digest, LDIGEST_STR_LEN);

	free(TAKE_PTR(buf));
	if (asprintf(&cfg_what, "%s: config", what) < 0) {
		cfg_what = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	r = fetch_json(rs, &m->config, cfg_what, &buf, &len, e);
	if (r < 0)
		return r;
	free(cfg_what);
	if (asprintf(&cfg_what, "%s: config %s", rs->ref->path,
		     m->config.digest) < 0) {
		cfg_what = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	r = oci_config_parse(c, buf, len, cfg_what, e);
	if (r < 0)
		return r;
	memcpy(img->config_digest, m->config.digest, LDIGEST_STR_LEN);
	if (c->nr_diff_ids != m->nr_layers)
		return lerr_fail(e, EINVAL,
				 "%s: rootfs.diff_ids: %zu entries for the %zu "
				 "layers of manifest %s",
				 cfg_what, c->nr_diff_ids, m->nr_layers,
				 md.digest);

	/* Every layer's want names its place: "<what>: layers[i]". */
	wlen = strlen(what) + 32;
	wants = calloc(m->nr_layers ? m->nr_layers : 1, sizeof(*wants));
	layer_what = malloc(wlen * (m->nr_layers ? m->nr_layers : 1));
	if (!wants || !layer_what)
		return lerr_fail(e, ENOMEM, "out of memory");
	for (i = 0; i < m->nr_layers; i++) {
		snprintf(layer_what + i * wlen, wlen, "%s: layers[%zu]", what,
			 i);
		wants[i].desc = &m->layers[i];
		wants[i].what = layer_what + i * wlen;
	}
	r = fetch(rs, wants, m->nr_layers, e);
	if (r < 0)
		return r;
	return fill_layers(img, m, c, rs->st, e);
}

int oci_image_resolve(struct oci_image *img, const struct oci_ref *ref,
		      struct store *st, struct lerr *e)
{
	struct resolver rs = { .ref = ref, .st = st };
	struct oci_manifest m = { 0 };
	struct oci_config c = { 0 };
	int r;

	memset(img, 0, sizeof(*img));
	r = resolve(img, &rs, &m, &c, e);
	if (r == 0) {
		/* The config's process fields move to the image. */
		img->entrypoint = TAKE_PTR(c.entrypoint);
		img->cmd = TAKE_PTR(c.cmd);
		img->env = TAKE_PTR(c.env);
		img->workdir = TAKE_PTR(c.workdir);
		img->user = TAKE_PTR(c.user);
	}
	oci_config_free(&c);
	oci_manifest_free(&m);
	oci_source_close(&rs.src);
	if (r < 0)
		oci_image_free(img);
	return r;
}

void oci_image_free(struct oci_image *img)
{
	size_t i;

	for (i = 0; i < img->nr_layers; i++)
		free(img->layers[i].path);
	free(img->layers);
	strv_free(img->entrypoint);
	strv_free(img->cmd);
	strv_free(img->env);
	free(img->workdir);
	free(img->user);
	memset(img, 0, sizeof(*img));
}
