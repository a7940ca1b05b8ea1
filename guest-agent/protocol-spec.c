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

static bool probe_kind_valid(const char *s)
{
	return strcmp(s, "liveness") == 0 || strcmp(s, "readiness") == 0;
}

static const struct pj_syntax probe_kind_syntax = {
	.valid = probe_kind_valid,
	.before = "",
	.after = " is not liveness or readiness",
	.quote = 48,
};

static const char *http_forbidden(const void *msg)
{
	const struct proto_probe *p = msg;

	return p->exec ? "with exec" : NULL;
}

static const char *path_forbidden(const void *msg)
{
	const struct proto_probe *p = msg;

	return p->http_port ? NULL : "without http_port";
}

#define PR struct proto_probe

static const struct pj_field probe_fields[] = {
	{ .key = "kind", .type = PJ_CHARS, PJ_AT(PR, kind),
	  .max = PROTO_STRING_MAX, .syntax = &probe_kind_syntax },
	{ .key = "exec", .type = PJ_STRV, PJ_AT(PR, exec),
	  .count_off = offsetof(PR, n_exec), .min = 1, .max = PROTO_MAX_ARGS,
	  .optional = true, .first_empty = "empty (the program to run)" },
	{ .key = "http_port", .type = PJ_UINT, PJ_AT(PR, http_port), .min = 1,
	  .max = 65535, .forbidden = http_forbidden },
	{ .key = "http_path", .type = PJ_STR, PJ_AT(PR, http_path), .min = 1,
	  .max = PROTO_STRING_MAX, .optional = true, .syntax = &workdir_syntax,
	  .forbidden = path_forbidden },
	{ .key = "delay_ms", .type = PJ_UINT, PJ_AT(PR, delay_ms),
	  .max = PROTO_PROBE_MS_MAX },
	{ .key = "period_ms", .type = PJ_UINT, PJ_AT(PR, period_ms), .min = 1,
	  .max = PROTO_PROBE_MS_MAX },
	{ .key = "timeout_ms", .type = PJ_UINT, PJ_AT(PR, timeout_ms),
	  .min = 1, .max = PROTO_PROBE_MS_MAX },
	{ .key = "failures", .type = PJ_UINT, PJ_AT(PR, failures), .min = 1,
	  .max = PROTO_PROBE_COUNT_MAX },
	{ .key = "successes", .type = PJ_UINT, PJ_AT(PR, successes), .min = 1,
	  .max = PROTO_PROBE_COUNT_MAX },
	{ .key = NULL },
};

#undef PR

static const struct pj_msg probe_msg = {
	.size = sizeof(struct proto_probe),
	.fields = probe_fields,
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
	{ .key = "init", .type = PJ_BOOL, PJ_AT(CT, init), .optional = true },
	{ .key = "probes", .type = PJ_OBJECTS, PJ_AT(CT, probes),
	  .count_off = offsetof(CT, n_probes), .max = 2, .elem = &probe_msg,
	  .optional = true, .unique = "kind" },
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

/* What the tables cannot say: a probe runs exec or GETs a port, a
 * liveness probe passes on one success, an init has no probes.  -EINVAL
 * naming the probe, or 0. */
static int check_probes(const struct proto_group *g, struct lerr *e)
{
	for (size_t i = 0; i < g->n_containers; i++) {
		const struct proto_container *c = &g->containers[i];

		for (size_t k = 0; k < c->n_probes; k++) {
			const struct proto_probe *p = &c->probes[k];
			const char *why = NULL;

			if (c->init)
				why = "an init container has no probes";
			else if (strcmp(p->kind, "liveness") == 0 &&
				 p->successes != 1)
				why = "successes must be 1 for liveness";
			if (why)
				return lerr_fail(e, EINVAL,
						 "SPEC: containers[%zu].probes"
						 "[%zu]: %s",
						 i, k, why);
		}
	}
	return 0;
}

int proto_group_from_json(const json_t *body, struct proto_group *out,
			  struct lerr *e)
{
	int r = pj_decode(&group_msg, body, out, e);

	if (r == 0)
		r = proto_group_check_volumes(out, e);
	if (r == 0)
		r = check_probes(out, e);
	if (r < 0)
		pj_free(&group_msg, out);
	return r;
}

int proto_group_to_json(const struct proto_group *g, json_t **out,
			struct lerr *e)
{
	/* after the encoder's checks of the counts */
	int r = pj_encode(&group_msg, g, out, e);

	if (r == 0)
		r = proto_group_check_volumes(g, e);
	if (r == 0)
		r = check_probes(g, e);
	if (r < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

void proto_group_free(struct proto_group *g)
{
	pj_free(&group_msg, g);
}
