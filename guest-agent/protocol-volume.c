/* protocol-volume.c - volumes in the protocol: the SPEC's `volumes` (one
 * object per volume of the group) and each container's `mounts`, their
 * cross checks (a mount names a volume of the group, a container mounts
 * a path once, a persistent volume has its device and a gitrepo its
 * layer), and the SECRET message that carries one file of a secret
 * volume (base64 in JSON, bytes in the struct; never quoted in an
 * error). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lighter/base64.h>

#include "protocol-internal.h"

static const char *const volume_type_names[] = {
	[PROTO_VOLUME_EMPTYDIR] = "emptydir",
	[PROTO_VOLUME_SECRET] = "secret",
	[PROTO_VOLUME_PERSISTENT] = "persistent",
	[PROTO_VOLUME_GITREPO] = "gitrepo",
};

#define N_VOLUME_TYPES                                                         \
	(sizeof(volume_type_names) / sizeof(volume_type_names[0]))

const char *proto_volume_type_name(enum proto_volume_type t)
{
	return (unsigned int)t < N_VOLUME_TYPES ? volume_type_names[t] : NULL;
}

bool proto_mount_path_valid(const char *s)
{
	const char *c;

	if (s[0] != '/' || s[1] == '\0')
		return false;
	for (c = s; *c; c++) {
		if (iscntrl((unsigned char)*c))
			return false;
	}
	for (c = s; *c;) {
		const char *next = strchr(c + 1, '/');
		size_t n = next ? (size_t)(next - c - 1) : strlen(c + 1);

		if (n == 0 || (n == 1 && c[1] == '.') ||
		    (n == 2 && c[1] == '.' && c[2] == '.'))
			return false;
		if (!next)
			break;
		c = next;
	}
	return true;
}

bool proto_file_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PROTO_FILE_NAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	}
	return true;
}

static bool device_id_valid(const char *s)
{
	return proto_file_name_valid(s) && strlen(s) <= PROTO_DEVICE_ID_MAX;
}

static const struct pj_syntax volume_type_syntax = {
	.before = "",
	.after = " is not emptydir, secret, persistent or gitrepo",
	.quote = 48,
};

static const struct pj_syntax device_syntax = {
	.valid = device_id_valid,
	.before = "",
	.after = " is not a device id (1-" PJ_STRINGIFY(PROTO_DEVICE_ID_MAX)
		 " of [A-Za-z0-9._-])",
	.quote = 48,
};

static const struct pj_syntax mount_path_syntax = {
	.valid = proto_mount_path_valid,
	.before = "",
	.after = " is not a clean absolute path other than /",
	.quote = 80,
};

static const struct pj_syntax file_name_syntax = {
	.valid = proto_file_name_valid,
	.before = "",
	.after = " is not a file name (1-255 of [A-Za-z0-9._-], not . or ..)",
	.quote = 80,
};

#define VOL struct proto_volume

static const char *not_persistent(const void *msg)
{
	return ((const VOL *)msg)->type != PROTO_VOLUME_PERSISTENT
		       ? "for a volume that is not persistent"
		       : NULL;
}

static const char *not_gitrepo(const void *msg)
{
	return ((const VOL *)msg)->type != PROTO_VOLUME_GITREPO
		       ? "for a volume that is not a gitrepo"
		       : NULL;
}

static const struct pj_field volume_fields[] = {
	{ .key = "name", .type = PJ_CHARS, PJ_AT(VOL, name),
	  .max = PROTO_STRING_MAX, .syntax = &pj_name_syntax },
	{ .key = "type", .type = PJ_ENUM, PJ_AT(VOL, type), .min = 1,
	  .max = PROTO_STRING_MAX, .names = volume_type_names,
	  .n_names = N_VOLUME_TYPES, .syntax = &volume_type_syntax },
	{ .key = "size_bytes", .type = PJ_UINT, PJ_AT(VOL, size_bytes),
	  .max = INT64_MAX },
	{ .key = "device", .type = PJ_CHARS, PJ_AT(VOL, device), .min = 1,
	  .max = PROTO_DEVICE_ID_MAX, .syntax = &device_syntax,
	  .forbidden = not_persistent },
	{ .key = "layer", .type = PJ_CHARS, PJ_AT(VOL, layer), .min = 1,
	  .max = LDIGEST_STR_LEN - 1, .syntax = &pj_digest_syntax,
	  .forbidden = not_gitrepo },
	{ .key = NULL },
};

#undef VOL

const struct pj_msg proto_volume_msg = {
	.size = sizeof(struct proto_volume),
	.fields = volume_fields,
};

static const struct pj_field mount_fields[] = {
	{ .key = "volume", .type = PJ_CHARS,
	  PJ_AT(struct proto_mount, volume), .max = PROTO_STRING_MAX,
	  .syntax = &pj_name_syntax },
	{ .key = "path", .type = PJ_STR, PJ_AT(struct proto_mount, path),
	  .min = 1, .max = PROTO_STRING_MAX, .syntax = &mount_path_syntax },
	{ .key = "readonly", .type = PJ_BOOL,
	  PJ_AT(struct proto_mount, readonly) },
	{ .key = NULL },
};

const struct pj_msg proto_mount_msg = {
	.size = sizeof(struct proto_mount),
	.fields = mount_fields,
};

static const struct proto_volume *find_volume(const struct proto_group *g,
					      const char *name)
{
	for (size_t i = 0; i < g->n_volumes; i++) {
		if (strcmp(g->volumes[i].name, name) == 0)
			return &g->volumes[i];
	}
	return NULL;
}

int proto_group_check_volumes(const struct proto_group *g, struct lerr *e)
{
	const struct pj c = { .msg = "SPEC", .e = e };
	char at[64];

	for (size_t i = 0; i < g->n_volumes; i++) {
		const struct proto_volume *v = &g->volumes[i];

		snprintf(at, sizeof(at), "volumes[%zu]", i);
		if (v->type == PROTO_VOLUME_PERSISTENT && !v->device[0])
			return pj_fail(&c, EINVAL, at, "device", "missing");
		if (v->type == PROTO_VOLUME_GITREPO && !v->layer[0])
			return pj_fail(&c, EINVAL, at, "layer", "missing");
	}
	for (size_t i = 0; i < g->n_containers; i++) {
		const struct proto_container *ct = &g->containers[i];

		for (size_t k = 0; k < ct->n_mounts; k++) {
			const struct proto_mount *m = &ct->mounts[k];
			char name[PROTO_NAME_MAX + 1];

			snprintf(at, sizeof(at), "containers[%zu].mounts[%zu]",
				 i, k);
			if (!find_volume(g, m->volume))
				return pj_fail(&c, EINVAL, at, "volume",
					       "no volume \"%s\" in the group",
					       pj_clean(name, sizeof(name),
							m->volume));
			for (size_t j = 0; j < k; j++) {
				if (strcmp(ct->mounts[j].path, m->path) == 0)
					return pj_fail(&c, EINVAL, at, "path",
						       "mounted twice in the "
						       "container");
			}
		}
	}
	return 0;
}

/* ---- SECRET ---- */

struct secret_wire {
	char volume[PROTO_NAME_MAX + 1];
	char name[PROTO_FILE_NAME_MAX + 1];
	uint32_t mode;
	char *data;
};

#define SW struct secret_wire

static const struct pj_field secret_fields[] = {
	{ .key = "volume", .type = PJ_CHARS, PJ_AT(SW, volume),
	  .max = PROTO_STRING_MAX, .syntax = &pj_name_syntax },
	{ .key = "name", .type = PJ_CHARS, PJ_AT(SW, name), .min = 1,
	  .max = PROTO_FILE_NAME_MAX, .syntax = &file_name_syntax },
	{ .key = "mode", .type = PJ_UINT, PJ_AT(SW, mode), .max = 0777 },
	/* no syntax: a bad value must not be quoted back */
	{ .key = "data", .type = PJ_STR, PJ_AT(SW, data),
	  .max = (PROTO_SECRET_MAX + 2) / 3 * 4 },
	{ .key = NULL },
};

#undef SW

static const struct pj_msg secret_msg = {
	.name = "SECRET",
	.size = sizeof(struct secret_wire),
	.fields = secret_fields,
};

int proto_secret_from_json(const json_t *body, struct proto_secret *out,
			   struct lerr *e)
{
	const struct pj c = { .msg = "SECRET", .e = e };
	struct secret_wire w;
	int r;

	memset(out, 0, sizeof(*out));
	r = pj_decode(&secret_msg, body, &w, e);
	if (r < 0)
		return r;
	r = base64_decode(w.data, strlen(w.data), &out->data, &out->len);
	explicit_bzero(w.data, strlen(w.data));
	if (r == -ENOMEM)
		r = pj_fail(&c, ENOMEM, "", "data", "out of memory");
	else if (r < 0)
		r = pj_fail(&c, EINVAL, "", "data", "not base64");
	else if (out->len > PROTO_SECRET_MAX)
		r = pj_fail(&c, EMSGSIZE, "", "data",
			    "more than %u bytes once decoded",
			    PROTO_SECRET_MAX);
	if (r == 0) {
		memcpy(out->volume, w.volume, sizeof(out->volume));
		memcpy(out->name, w.name, sizeof(out->name));
		out->mode = w.mode;
	}
	pj_free(&secret_msg, &w);
	if (r < 0)
		proto_secret_free(out);
	return r;
}

int proto_secret_to_json(const struct proto_secret *s, json_t **out,
			 struct lerr *e)
{
	const struct pj c = { .msg = "SECRET", .e = e };
	struct secret_wire w = { .mode = s->mode };
	int r;

	*out = NULL;
	if (s->len > PROTO_SECRET_MAX)
		return pj_fail(&c, EMSGSIZE, "", "data",
			       "more than %u bytes", PROTO_SECRET_MAX);
	memcpy(w.volume, s->volume, sizeof(w.volume));
	memcpy(w.name, s->name, sizeof(w.name));
	w.data = base64_encode(s->data, s->len);
	if (!w.data)
		return pj_fail(&c, ENOMEM, "", "data", "out of memory");
	r = pj_encode(&secret_msg, &w, out, e);
	explicit_bzero(w.data, strlen(w.data));
	free(w.data);
	return r;
}

void proto_secret_free(struct proto_secret *s)
{
	if (s->data)
		explicit_bzero(s->data, s->len);
	free(s->data);
	memset(s, 0, sizeof(*s));
}
