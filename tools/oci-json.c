/* oci-json.c - the OCI image documents (image index / Docker manifest
 * list, manifest, config) parsed from buffers with jansson, every field
 * checked, and the choice of a manifest in an index by tag or platform.
 * Pure functions of their input: the fuzz harness feeds them directly. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <lighter/cleanup.h>

#include "oci-image.h"
#include "strv.h"

#define REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"
#define CONFIG_LIST_MAX 4096 /* Entrypoint, Cmd and Env entries */

static const struct {
	const char *name;
	enum oci_media media;
} media_types[] = {
	{ "application/vnd.oci.image.index.v1+json", OCI_MEDIA_INDEX },
	{ "application/vnd.oci.image.manifest.v1+json", OCI_MEDIA_MANIFEST },
	{ "application/vnd.oci.image.config.v1+json", OCI_MEDIA_CONFIG },
	{ "application/vnd.oci.image.layer.v1.tar", OCI_MEDIA_LAYER },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", OCI_MEDIA_LAYER_GZIP },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", OCI_MEDIA_LAYER_ZSTD },
	{ "application/vnd.docker.distribution.manifest.list.v2+json",
	  DOCKER_MEDIA_MANIFEST_LIST },
	{ "application/vnd.docker.distribution.manifest.v2+json",
	  DOCKER_MEDIA_MANIFEST },
	{ "application/vnd.docker.container.image.v1+json",
	  DOCKER_MEDIA_CONFIG },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip",
	  DOCKER_MEDIA_LAYER_GZIP },
};

enum oci_media oci_media_lookup(const char *media_type)
{
	size_t i;

	for (i = 0; i < sizeof(media_types) / sizeof(media_types[0]); i++) {
		if (strcmp(media_type, media_types[i].name) == 0)
			return media_types[i].media;
	}
	return OCI_MEDIA_UNKNOWN;
}

bool oci_media_is_index(enum oci_media m)
{
	return m == OCI_MEDIA_INDEX || m == DOCKER_MEDIA_MANIFEST_LIST;
}

bool oci_media_is_manifest(enum oci_media m)
{
	return m == OCI_MEDIA_MANIFEST || m == DOCKER_MEDIA_MANIFEST;
}

bool oci_media_is_config(enum oci_media m)
{
	return m == OCI_MEDIA_CONFIG || m == DOCKER_MEDIA_CONFIG;
}

bool oci_media_is_layer(enum oci_media m)
{
	return m == OCI_MEDIA_LAYER || m == OCI_MEDIA_LAYER_GZIP ||
	       m == OCI_MEDIA_LAYER_ZSTD || m == DOCKER_MEDIA_LAYER_GZIP;
}

enum oci_compression oci_media_compression(enum oci_media m)
{
	switch (m) {
	case OCI_MEDIA_LAYER_GZIP:
	case DOCKER_MEDIA_LAYER_GZIP:
		return OCI_COMPRESSION_GZIP;
	case OCI_MEDIA_LAYER_ZSTD:
		return OCI_COMPRESSION_ZSTD;
	default:
		return OCI_COMPRESSION_NONE;
	}
}

/* "<what>: <field>: <detail>" (field may be empty). */
__attribute__((format(printf, 4, 5))) static int
field_fail(struct lerr *e, const char *what, const char *field,
	   const char *fmt, ...)
{
	char detail[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!field[0])
		return lerr_fail(e, EINVAL, "%s: %s", what, detail);
	return lerr_fail(e, EINVAL, "%s: %s: %s", what, field, detail);
}

static int load_object(json_t **out, const void *buf, size_t len,
		       const char *what, struct lerr *e)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (len > OCI_JSON_MAX)
		return lerr_fail(e, EFBIG, "%s: larger than %u bytes", what,
				 OCI_JSON_MAX);
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return lerr_fail(e, EINVAL,
				 "%s: not JSON: line %d column %d: %s", what,
				 jerr.line, jerr.column, jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return lerr_fail(e, EINVAL, "%s: not a JSON object", what);
	}
	*out = j;
	return 0;
}

static int check_schema_version(json_t *root, const char *what,
				struct lerr *e)
{
	json_t *v = json_object_get(root, "schemaVersion");

	if (!v)
		return field_fail(e, what, "schemaVersion", "missing");
	if (!json_is_integer(v) || json_integer_value(v) != 2)
		return field_fail(e, what, "schemaVersion", "not 2");
	return 0;
}

/* An optional string member: NULL when absent; an error when present
 * but not a string. */
static int opt_string(json_t *obj, const char *key, const char **out,
		      const char *what, const char *field, struct lerr *e)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return field_fail(e, what, field, "not a string");
	*out = json_string_value(v);
	return 0;
}

static int parse_desc(json_t *o, struct oci_desc *d, const char *what,
		      const char *field, struct lerr *e)
{
	char f[96];
	json_t *v;
	const char *s;
	int r;

	if (!json_is_object(o))
		return field_fail(e, what, field, "not a JSON object");
	snprintf(f, sizeof(f), "%s.mediaType", field);
	r = opt_string(o, "mediaType", &s, what, f, e);
	if (r < 0)
		return r;
	if (!s)
		return field_fail(e, what, f, "missing");
	if (strlen(s) >= OCI_MEDIA_TYPE_MAX)
		return field_fail(e, what, f, "longer than %d bytes",
				  OCI_MEDIA_TYPE_MAX - 1);
	strcpy(d->media_type, s);
	d->media = oci_media_lookup(s);

	snprintf(f, sizeof(f), "%s.digest", field);
	r = opt_string(o, "digest", &s, what, f, e);
	if (r < 0)
		return r;
	if (!s)
		return field_fail(e, what, f, "missing");
	if (!ldigest_valid(s))
		return field_fail(e, what, f,
				  "\"%.80s\": not a sha256 digest "
				  "(sha256:<64 lowercase hex>)",
				  s);
	memcpy(d->digest, s, LDIGEST_STR_LEN);

	snprintf(f, sizeof(f), "%s.size", field);
	v = json_object_get(o, "size");
	if (!v)
		return field_fail(e, what, f, "missing");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return field_fail(e, what, f, "not a byte count");
	d->size = (uint64_t)json_integer_value(v);
	return 0;
}

/* mediaType in a document: when present it must be of the right kind and
 * agree with the descriptor that led here (expect, if known). */
static int check_doc_media(json_t *root, bool (*kind)(enum oci_media),
			   const char *kind_name, enum oci_media expect,
			   enum oci_media *out, const char *what,
			   struct lerr *e)
{
	const char *s;
	enum oci_media m;
	int r = opt_string(root, "mediaType", &s, what, "mediaType", e);

	if (r < 0)
		return r;
	if (!s) {
		/* no mediaType of its own: the descriptor's must be of this
		 * kind (a descriptor naming a config or a layer cannot lead
		 * to a manifest) */
		if (expect != OCI_MEDIA_UNKNOWN && !kind(expect))
			return field_fail(e, what, "mediaType",
					  "missing, and the descriptor's is not %s",
					  kind_name);
		*out = expect;
		return 0;
	}
	m = oci_media_lookup(s);
	if (!kind(m))
		return field_fail(e, what, "mediaType",
				  "\"%.100s\": not %s media type", s,
				  kind_name);
	if (expect != OCI_MEDIA_UNKNOWN && m != expect)
		return field_fail(e, what, "mediaType",
				  "\"%s\": its descriptor says otherwise", s);
	*out = m;
	return 0;
}

/* A document's start: a JSON object with schemaVersion 2 and, when it
 * has a mediaType, one of kind that agrees with expect (*media). */
static int load_document(json_t **root, const void *buf, size_t len,
			 bool (*kind)(enum oci_media), const char *kind_name,
			 enum oci_media expect, enum oci_media *media,
			 const char *what, struct lerr *e)
{
	int r = load_object(root, buf, len, what, e);

	if (r == 0)
		r = check_schema_version(*root, what, e);
	if (r == 0)
		r = check_doc_media(*root, kind, kind_name, expect, media, what,
				    e);
	return r;
}

/* A required array member of at most max entries ("more than MAX
 * noun"): its size, or -EINVAL. */
static int array_field(json_t *obj, const char *key, int max,
		       const char *noun, json_t **out, const char *what,
		       struct lerr *e)
{
	json_t *v = json_object_get(obj, key);

	*out = v;
	if (!v)
		return field_fail(e, what, key, "missing");
	if (!json_is_array(v))
		return field_fail(e, what, key, "not an array");
	if (json_array_size(v) > (size_t)max)
		return field_fail(e, what, key, "more than %d %s", max, noun);
	return (int)json_array_size(v);
}

static int dup_opt(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return s && !*dst ? -ENOMEM : 0;
}

static int parse_index_entry(json_t *o, struct oci_index_entry *ent,
			     const char *what, const char *field,
			     struct lerr *e)
{
	const char *ref = NULL, *os = NULL, *arch = NULL, *variant = NULL;
	char f[96];
	json_t *ann, *plat;
	int r = parse_desc(o, &ent->desc, what, field, e);

	if (r < 0)
		return r;
	ann = json_object_get(o, "annotations");
	if (ann) {
		snprintf(f, sizeof(f), "%s.annotations", field);
		if (!json_is_object(ann))
			return field_fail(e, what, f, "not a JSON object");
		snprintf(f, sizeof(f), "%s.annotations[\"%s\"]", field,
			 REF_NAME_ANNOTATION);
		r = opt_string(ann, REF_NAME_ANNOTATION, &ref, what, f, e);
		if (r < 0)
			return r;
	}
	plat = json_object_get(o, "platform");
	if (plat) {
		snprintf(f, sizeof(f), "%s.platform", field);
		if (!json_is_object(plat))
			return field_fail(e, what, f, "not a JSON object");
		if (opt_string(plat, "os", &os, what, f, e) < 0 ||
		    opt_string(plat, "architecture", &arch, what, f, e) < 0 ||
		    opt_string(plat, "variant", &variant, what, f, e) < 0)
			return -EINVAL;
	}
	if (dup_opt(&ent->ref_name, ref) < 0 || dup_opt(&ent->os, os) < 0 ||
	    dup_opt(&ent->arch, arch) < 0 ||
	    dup_opt(&ent->variant, variant) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	return 0;
}

int oci_index_parse(struct oci_index *ix, const void *buf, size_t len,
		    enum oci_media expect, const char *what, struct lerr *e)
{
	json_auto_t *root = NULL;
	enum oci_media m;
	json_t *list;
	size_t i, n;
	int r;

	memset(ix, 0, sizeof(*ix));
	r = load_document(&root, buf, len, oci_media_is_index, "an index",
			  expect, &m, what, e);
	if (r < 0)
		return r;
	r = array_field(root, "manifests", OCI_INDEX_MAX_ENTRIES, "entries",
			&list, what, e);
	if (r < 0)
		return r;
	n = (size_t)r;
	ix->entries = calloc(n ? n : 1, sizeof(*ix->entries));
	if (!ix->entries)
		return lerr_fail(e, ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		char field[32];

		snprintf(field, sizeof(field), "manifests[%zu]", i);
		ix->nr_entries = i + 1;
		r = parse_index_entry(json_array_get(list, i), &ix->entries[i],
				      what, field, e);
		if (r < 0) {
			oci_index_free(ix);
			return r;
		}
	}
	return 0;
}

void oci_index_free(struct oci_index *ix)
{
	size_t i;

	for (i = 0; i < ix->nr_entries; i++) {
		free(ix->entries[i].ref_name);
		free(ix->entries[i].os);
		free(ix->entries[i].arch);
		free(ix->entries[i].variant);
	}
	free(ix->entries);
	memset(ix, 0, sizeof(*ix));
}

int oci_manifest_parse(struct oci_manifest *m, const void *buf, size_t len,
		       enum oci_media expect, const char *what,
		       struct lerr *e)
{
	json_auto_t *root = NULL;
	json_t *layers;
	size_t i, n;
	int r;

	memset(m, 0, sizeof(*m));
	r = load_document(&root, buf, len, oci_media_is_manifest, "a manifest",
			  expect, &m->media, what, e);
	if (r < 0)
		return r;
	if (m->media == OCI_MEDIA_UNKNOWN)
		m->media = OCI_MEDIA_MANIFEST; /* optional in OCI manifests */
	else if (m->media == DOCKER_MEDIA_MANIFEST &&
		 !json_object_get(root, "mediaType"))
		return field_fail(e, what, "mediaType",
				  "missing (a Docker manifest must have one)");

	r = parse_desc(json_object_get(root, "config"), &m->config, what,
		       "config", e);
	if (r < 0)
		return r;
	if (!oci_media_is_config(m->config.media))
		return field_fail(e, what, "config.mediaType",
				  "\"%s\": not an image config media type",
				  m->config.media_type);

	r = array_field(root, "layers", OCI_MAX_LAYERS, "layers", &layers,
			what, e);
	if (r < 0)
		return r;
	n = (size_t)r;
	m->layers = calloc(n ? n : 1, sizeof(*m->layers));
	if (!m->layers)
		return lerr_fail(e, ENOMEM, "out of memory");
	m->nr_layers = n;
	for (i = 0; i < n; i++) {
		char field[32];

		snprintf(field, sizeof(field), "layers[%zu]", i);
		r = parse_desc(json_array_get(layers, i), &m->layers[i], what,
			       field, e);
		if (r == 0 && !oci_media_is_layer(m->layers[i].media))
			r = field_fail(e, what, field,
				       "mediaType \"%s\": not a layer media "
				       "type (tar, tar+gzip, tar+zstd)",
				       m->layers[i].media_type);
		if (r < 0) {
			oci_manifest_free(m);
			return r;
		}
	}
	return 0;
}

void oci_manifest_free(struct oci_manifest *m)
{
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

/* An array of strings (or null / absent: *out stays NULL). */
static int string_list(json_t *obj, const char *key, char ***out,
		       bool env, const char *what, struct lerr *e)
{
	json_t *v = json_object_get(obj, key);
	char field[48];
	size_t i, n;

	*out = NULL;
	snprintf(field, sizeof(field), "config.%s", key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return field_fail(e, what, field, "not an array of strings");
	n = json_array_size(v);
	if (n > CONFIG_LIST_MAX)
		return field_fail(e, what, field, "more than %d entries",
				  CONFIG_LIST_MAX);
	*out = strv_new();
	if (!*out)
		return lerr_fail(e, ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		json_t *s = json_array_get(v, i);
		const char *str, *eq;

		if (!json_is_string(s))
			return field_fail(e, what, field,
					  "entry %zu is not a string", i);
		str = json_string_value(s);
		eq = strchr(str, '=');
		if (env && (!eq || eq == str))
			return field_fail(e, what, field,
					  "entry %zu \"%.80s\" is not "
					  "NAME=VALUE",
					  i, str);
		if (strv_push(out, str) < 0)
			return lerr_fail(e, ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_exec_config(struct oci_config *c, json_t *cfg,
			     const char *what, struct lerr *e)
{
	const char *wd = NULL, *user = NULL;
	int r;

	if (!cfg || json_is_null(cfg))
		return 0;
	if (!json_is_object(cfg))
		return field_fail(e, what, "config", "not a JSON object");
	r = string_list(cfg, "Entrypoint", &c->entrypoint, false, what, e);
	if (r == 0)
		r = string_list(cfg, "Cmd", &c->cmd, false, what, e);
	if (r == 0)
		r = string_list(cfg, "Env", &c->env, true, what, e);
	if (r == 0)
		r = opt_string(cfg, "WorkingDir", &wd, what,
			       "config.WorkingDir", e);
	if (r == 0)
		r = opt_string(cfg, "User", &user, what, "config.User", e);
	if (r < 0)
		return r;
	if (dup_opt(&c->workdir, wd && wd[0] ? wd : NULL) < 0 ||
	    dup_opt(&c->user, user && user[0] ? user : NULL) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	return 0;
}

static int parse_rootfs(struct oci_config *c, json_t *rootfs,
			const char *what, struct lerr *e)
{
	const char *type;
	json_t *ids;
	size_t i, n;
	int r;

	if (!rootfs)
		return field_fail(e, what, "rootfs", "missing");
	if (!json_is_object(rootfs))
		return field_fail(e, what, "rootfs", "not a JSON object");
	r = opt_string(rootfs, "type", &type, what, "rootfs.type", e);
	if (r < 0)
		return r;
	if (!type || strcmp(type, "layers") != 0)
		return field_fail(e, what, "rootfs.type",
				  "\"%.40s\": not \"layers\"",
				  type ? type : "");
	ids = json_object_get(rootfs, "diff_ids");
	if (!ids || !json_is_array(ids))
		return field_fail(e, what, "rootfs.diff_ids",
				  "missing or not an array");
	n = json_array_size(ids);
	if (n > OCI_MAX_LAYERS)
		return field_fail(e, what, "rootfs.diff_ids",
				  "more than %d entries", OCI_MAX_LAYERS);
	c->diff_ids = calloc(n ? n : 1, sizeof(*c->diff_ids));
	if (!c->diff_ids)
		return lerr_fail(e, ENOMEM, "out of memory");
	c->nr_diff_ids = n;
	for (i = 0; i < n; i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		char field[32];

		snprintf(field, sizeof(field), "rootfs.diff_ids[%zu]", i);
		if (!id || !ldigest_valid(id))
			return field_fail(e, what, field,
					  "\"%.80s\": not a sha256 digest",
					  id ? id : "(not a string)");
		memcpy(c->diff_ids[i], id, LDIGEST_STR_LEN);
	}
	return 0;
}

static int parse_config(struct oci_config *c, json_t *root, const char *what,
			struct lerr *e)
{
	const char *os = NULL, *arch = NULL;
	int r;

	r = opt_string(root, "os", &os, what, "os", e);
	if (r == 0)
		r = opt_string(root, "architecture", &arch, what,
			       "architecture", e);
	if (r < 0)
		return r;
	if (!os || strcmp(os, "linux") != 0)
		return field_fail(e, what, "os", "\"%.40s\": not linux",
				  os ? os : "");
	if (!arch || strcmp(arch, "amd64") != 0)
		return field_fail(e, what, "architecture",
				  "\"%.40s\": not amd64", arch ? arch : "");
	if (dup_opt(&c->os, os) < 0 || dup_opt(&c->arch, arch) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	r = parse_exec_config(c, json_object_get(root, "config"), what, e);
	if (r < 0)
		return r;
	return parse_rootfs(c, json_object_get(root, "rootfs"), what, e);
}

int oci_config_parse(struct oci_config *c, const void *buf, size_t len,
		     const char *what, struct lerr *e)
{
	json_auto_t *root = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	r = load_object(&root, buf, len, what, e);
	if (r < 0)
		return r;
	r = parse_config(c, root, what, e);
	if (r < 0)
		oci_config_free(c);
	return r;
}

void oci_config_free(struct oci_config *c)
{
	free(c->os);
	free(c->arch);
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	free(c->workdir);
	free(c->user);
	free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}
