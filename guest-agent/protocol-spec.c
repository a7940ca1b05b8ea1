/* protocol-spec.c - the SPEC message: the whole container group the host
 * hands the agent (struct proto_group), after the host merged image
 * configs with the spec's overrides, so every value here is final.
 *
 * Its tables (for protocol-codec.c) hold every limit of the protocol
 * (counts of containers, args, env entries and layers; string sizes;
 * names, hostname, user, absolute workdir, diff_id digests; unique
 * container names; volumes and mounts in protocol-volume.c), so the
 * decoder names the entry at fault:
 * `SPEC: containers[1].env[3]: "PATH" is not KEY=VALUE`.  The encoder runs
 * that decoder over its output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol-internal.h"

static const char *const restart_names[] = {
	[PROTO_RESTART_NEVER] = "never",
	[PROTO_RESTART_ON_FAILURE] = "on-failure",
	[PROTO_RESTART_ALWAYS] = "always",
};

#define N_RESTART (sizeof(restart_names) / sizeof(restart_names[0]))

const char *proto_restart_name(enum proto_restart r)
{
	if ((unsigned int)r >= N_RESTART)
		return NULL;
	return restart_names[r];
}

static bool env_valid(const char *s)
{
	return s[0] != '=' && strchr(s, '=');
}

static bool absolute(const char *s)
{
	return s[0] == '/';
}

static const struct pj_syntax env_syntax = {
	.valid = env_valid,
	.before = "",
	.after = " is not KEY=VALUE",
	.quote = 48,
};

static const struct pj_syntax workdir_syntax = {
	.valid = absolute,
	.before = "",
	.after = " is not an absolute path",
	.quote = 80,
};

static const struct pj_syntax user_syntax = {
	.valid = proto_user_valid,
	.before = "",
	.after = " is not USER[:GROUP] (ids below 4294967295 or names of "
		 "1-" PJ_STRINGIFY(PROTO_USER_PART_MAX) " [a-zA-Z0-9_.-])",
	.quote = 80,
};

static const struct pj_syntax hostname_syntax = {
	.valid = proto_hostname_valid,
	.before = "",
	.after = " is not a host name (dot-separated labels of [a-zA-Z0-9-], "
		 "no '-' at either end)",
	.quote = 80,
};

static const struct pj_syntax restart_syntax = {
	.before = "",
	.after = " is not never, on-failure or always",
	.quote = 48,
};

#define CT struct proto_container

static const struct pj_field container_fields[] = {
	{ .key = "name", .type = PJ_CHARS, PJ_AT(CT, name),
	  .max = PROTO_STRING_MAX, .syntax = &pj_name_syntax },
	{ .key = "args", .type = PJ_STRV, PJ_AT(CT, args),
	  .count_off = offsetof(CT, n_args), .min = 1, .max = PROTO_MAX_ARGS,
	  .first_empty = "empty (the program to run)" },
	{ .key = "env", .type = PJ_STRV, PJ_AT(CT, env),
	  .count_off = offsetof(CT, n_env), .max = PROTO_MAX_ENV,
	  .syntax = &env_syntax },
	{ .key = "workdir", .type = PJ_STR, PJ_AT(CT, workdir), .min = 1,
	  .max = PROTO_STRING_MAX, .syntax = &workdir_syntax },
	{ .key = "user", .type = PJ_STR, PJ_AT(CT, user), .min = 1,
	  .max = 2 * PROTO_USER_PART_MAX + 1, .syntax = &user_syntax },
	{ .key = "cpu_millis", .type = PJ_UINT, PJ_AT(CT, cpu_millis),
	  .max = PROTO_CPU_MILLIS_MAX },
	{ .key = "memory_bytes", .type = PJ_UINT, PJ_AT(CT, memory_bytes),
	  .max = INT64_MAX },
	{ .key = "pids_max", .type = PJ_UINT, PJ_AT(CT, pids_max),
	  .max = PROTO_PID_MAX },
	{ .key = "layers", .type = PJ_STRV, PJ_AT(CT, layers),
	  .count_off = offsetof(CT, n_layers), .min = 1,
	  .max = PROTO_MAX_LAYERS, .syntax = &pj_digest_syntax },
	{ .key = "mounts", .type = PJ_OBJECTS, PJ_AT(CT, mounts),
	  .count_off = offsetof(CT, n_mounts), .min = 1,
	  .max = PROTO_MAX_MOUNTS, .elem = &proto_mount_msg, .alloc = true,
	  .optional = true },
	{ .key = NULL },
};

#undef CT

static const struct pj_msg container_msg = {
	.size = sizeof(struct proto_container),
	.fields = container_fields,
};

static const struct pj_field group_fields[] = {
	{ .key = "name", .type = PJ_CHARS, PJ_AT(struct proto_group, name),
	  .max = PROTO_STRING_MAX, .syntax = &pj_name_syntax },
	{ .key = "hostname", .type = PJ_CHARS,
	  PJ_AT(struct proto_group, hostname), .min = 1,
	  .max = PROTO_HOSTNAME_MAX, .syntax = &hostname_syntax },
	{ .key = "restart", .type = PJ_ENUM, PJ_AT(struct proto_group, restart),
	  .min = 1, .max = PROTO_STRING_MAX, .names = restart_names,
	  .n_names = N_RESTART, .syntax = &restart_syntax },
	{ .key = "containers", .type = PJ_OBJECTS,
	  PJ_AT(struct proto_group, containers),
	  .count_off = offsetof(struct proto_group, n_containers), .min = 1,
	  .max = PROTO_MAX_CONTAINERS, .elem = &container_msg, .alloc = true,
	  .unique = "name" },
	{ .key = "volumes", .type = PJ_OBJECTS,
	  PJ_AT(struct proto_group, volumes),
	  .count_off = offsetof(struct proto_group, n_volumes), .min = 1,
	  .max = PROTO_MAX_VOLUMES, .elem = &proto_volume_msg, .alloc = true,
	  .unique = "name", .optional = true },
	{ .key = NULL },
};

static const struct pj_msg group_msg = {
	.name = "SPEC",
	.size = sizeof(struct proto_group),
	.fields = group_fields,
};

int proto_group_from_json(const json_t *body, struct proto_group *out,
			  struct lerr *e)
{
	int r = pj_decode(&group_msg, body, out, e);

	if (r == 0) {
		r = proto_group_check_volumes(out, e);
		if (r < 0)
			pj_free(&group_msg, out);
	}
	return r;
}

int proto_group_to_json(const struct proto_group *g, json_t **out,
			struct lerr *e)
{
	/* after the encoder's checks of the counts */
	int r = pj_encode(&group_msg, g, out, e);

	if (r == 0) {
		r = proto_group_check_volumes(g, e);
		if (r < 0) {
			json_decref(*out);
			*out = NULL;
		}
	}
	return r;
}

void proto_group_free(struct proto_group *g)
{
	pj_free(&group_msg, g);
}
