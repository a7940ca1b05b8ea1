/* protocol-exec.c - the exec and stats messages (PROTOCOL.md, "Exec and
 * stats") as typed structs, each a table of its fields for the codec
 * (protocol-codec.c): EXEC, EXEC_RESIZE and EXEC_EXIT, and the OK reply
 * to STATS with its per-container and per-interface counters.
 * EXEC_INPUT is raw (stdin bytes; an empty body closes stdin) and STATS's
 * request body is {} (proto_empty_from_json()). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol-internal.h"

/* ---- EXEC ---- */

static const struct pj_field exec_fields[] = {
	{ .key = "container", .type = PJ_CHARS,
	  PJ_AT(struct proto_exec, container), .max = PROTO_STRING_MAX,
	  .syntax = &pj_name_syntax },
	{ .key = "args", .type = PJ_STRV, PJ_AT(struct proto_exec, args),
	  .count_off = offsetof(struct proto_exec, n_args), .min = 1,
	  .max = PROTO_MAX_ARGS,
	  .first_empty = "empty (the program to run)" },
	{ .key = "tty", .type = PJ_BOOL, PJ_AT(struct proto_exec, tty) },
	{ .key = "stdin", .type = PJ_BOOL, PJ_AT(struct proto_exec, stdin) },
	{ .key = "rows", .type = PJ_UINT, PJ_AT(struct proto_exec, rows),
	  .max = PROTO_WINSIZE_MAX },
	{ .key = "cols", .type = PJ_UINT, PJ_AT(struct proto_exec, cols),
	  .max = PROTO_WINSIZE_MAX },
	{ .key = NULL },
};

static const struct pj_msg exec_msg = {
	.name = "EXEC",
	.size = sizeof(struct proto_exec),
	.fields = exec_fields,
};

int proto_exec_from_json(const json_t *body, struct proto_exec *out,
			 struct lerr *e)
{
	return pj_decode(&exec_msg, body, out, e);
}

int proto_exec_to_json(const struct proto_exec *x, json_t **out,
		       struct lerr *e)
{
	return pj_encode(&exec_msg, x, out, e);
}

void proto_exec_free(struct proto_exec *x)
{
	pj_free(&exec_msg, x);
}

/* ---- EXEC_RESIZE ---- */

static const struct pj_field resize_fields[] = {
	{ .key = "rows", .type = PJ_UINT,
	  PJ_AT(struct proto_exec_resize, rows), .min = 1,
	  .max = PROTO_WINSIZE_MAX },
	{ .key = "cols", .type = PJ_UINT,
	  PJ_AT(struct proto_exec_resize, cols), .min = 1,
	  .max = PROTO_WINSIZE_MAX },
	{ .key = NULL },
};

static const struct pj_msg resize_msg = {
	.name = "EXEC_RESIZE",
	.size = sizeof(struct proto_exec_resize),
	.fields = resize_fields,
};

int proto_exec_resize_from_json(const json_t *body,
				struct proto_exec_resize *out, struct lerr *e)
{
	return pj_decode(&resize_msg, body, out, e);
}

int proto_exec_resize_to_json(const struct proto_exec_resize *r, json_t **out,
			      struct lerr *e)
{
	return pj_encode(&resize_msg, r, out, e);
}

/* ---- EXEC_EXIT ---- */

static const struct pj_field exit_fields[] = {
	{ .key = "exit_code", .type = PJ_INT,
	  PJ_AT(struct proto_exec_exit, exit_code), .max = 255 },
	{ .key = "signal", .type = PJ_INT,
	  PJ_AT(struct proto_exec_exit, signal), .min = 1,
	  .max = PROTO_SIGNAL_MAX, .optional = true,
	  .has = PROTO_EXIT_SIGNAL },
	{ .key = "error", .type = PJ_STR, PJ_AT(struct proto_exec_exit, error),
	  .min = 1, .max = PROTO_STRING_MAX, .optional = true },
	{ .key = NULL },
};

static const struct pj_msg exit_msg = {
	.name = "EXEC_EXIT",
	.size = sizeof(struct proto_exec_exit),
	.fields = exit_fields,
	.has_off = offsetof(struct proto_exec_exit, has),
};

int proto_exec_exit_from_json(const json_t *body, struct proto_exec_exit *out,
			      struct lerr *e)
{
	return pj_decode(&exit_msg, body, out, e);
}

int proto_exec_exit_to_json(const struct proto_exec_exit *x, json_t **out,
			    struct lerr *e)
{
	return pj_encode(&exit_msg, x, out, e);
}

void proto_exec_exit_free(struct proto_exec_exit *x)
{
	pj_free(&exit_msg, x);
}

/* ---- STATS's reply ---- */

static bool ifname_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '/' || s[i] == ':')
			return false;
	return i > 0;
}

static const struct pj_syntax ifname_syntax = {
	.valid = ifname_valid,
	.before = "",
	.after = " is not an interface name",
	.quote = PROTO_IFNAME_MAX + 1,
};

static const struct pj_field ctr_stats_fields[] = {
	{ .key = "name", .type = PJ_CHARS,
	  PJ_AT(struct proto_ctr_stats, name), .max = PROTO_STRING_MAX,
	  .syntax = &pj_name_syntax },
	{ .key = "running", .type = PJ_BOOL,
	  PJ_AT(struct proto_ctr_stats, running) },
	{ .key = "cpu_usec", .type = PJ_INT,
	  PJ_AT(struct proto_ctr_stats, cpu_usec), .max = INT64_MAX },
	{ .key = "memory_bytes", .type = PJ_INT,
	  PJ_AT(struct proto_ctr_stats, memory_bytes), .max = INT64_MAX },
	{ .key = "pids", .type = PJ_INT, PJ_AT(struct proto_ctr_stats, pids),
	  .max = PROTO_PID_MAX },
	{ .key = NULL },
};

static const struct pj_msg ctr_stats_msg = {
	.size = sizeof(struct proto_ctr_stats),
	.fields = ctr_stats_fields,
};

static const struct pj_field net_stats_fields[] = {
	{ .key = "name", .type = PJ_CHARS,
	  PJ_AT(struct proto_net_stats, name), .min = 1,
	  .max = PROTO_IFNAME_MAX, .syntax = &ifname_syntax },
	{ .key = "rx_bytes", .type = PJ_INT,
	  PJ_AT(struct proto_net_stats, rx_bytes), .max = INT64_MAX },
	{ .key = "tx_bytes", .type = PJ_INT,
	  PJ_AT(struct proto_net_stats, tx_bytes), .max = INT64_MAX },
	{ .key = NULL },
};

static const struct pj_msg net_stats_msg = {
	.size = sizeof(struct proto_net_stats),
	.fields = net_stats_fields,
};

static const struct pj_field stats_fields[] = {
	{ .key = "time_ns", .type = PJ_INT, PJ_AT(struct proto_stats, time_ns),
	  .max = INT64_MAX },
	{ .key = "containers", .type = PJ_OBJECTS,
	  PJ_AT(struct proto_stats, c), .max = PROTO_MAX_CONTAINERS,
	  .count_off = offsetof(struct proto_stats, n),
	  .elem = &ctr_stats_msg, .unique = "name" },
	{ .key = "net", .type = PJ_OBJECTS, PJ_AT(struct proto_stats, net),
	  .max = PROTO_MAX_NETIFS,
	  .count_off = offsetof(struct proto_stats, n_net),
	  .elem = &net_stats_msg, .unique = "name" },
	{ .key = NULL },
};

static const struct pj_msg stats_msg = {
	.name = "OK (STATS)",
	.size = sizeof(struct proto_stats),
	.fields = stats_fields,
};

int proto_stats_from_json(const json_t *body, struct proto_stats *out,
			  struct lerr *e)
{
	return pj_decode(&stats_msg, body, out, e);
}

int proto_stats_to_json(const struct proto_stats *s, json_t **out,
			struct lerr *e)
{
	return pj_encode(&stats_msg, s, out, e);
}
