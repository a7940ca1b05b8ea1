/* protocol-msg.c - the protocol's small control messages as typed structs:
 * HELLO both ways, ERROR, the `{}` bodies, START's OK reply, EVENT, STOP
 * and SIGNAL, each a table of its fields for the codec (protocol-codec.c),
 * which decodes, encodes and frees it.  (SPEC, the big one, is
 * protocol-spec.c; the LAYER transfer protocol-layer.c; OUTPUT, a raw
 * frame, protocol-write.c.)
 *
 * Decoders are strict: unknown members are errors, integers must be JSON
 * integers within their range, strings bounded, names well formed.  HELLO
 * checks its version before anything else so a future peer is told
 * "version N not supported" rather than about a field.  Encoders decode
 * what they built, so a struct the peer would reject never leaves this
 * side. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol-internal.h"

/* ---- HELLO ---- */

static const struct pj_field hello_fields[] = {
	{ .key = "version", .type = PJ_VERSION },
	{ .key = "client", .type = PJ_STR, PJ_AT(struct proto_hello, client),
	  .min = 1, .max = PROTO_STRING_MAX },
	{ .key = "time_ns", .type = PJ_INT, PJ_AT(struct proto_hello, time_ns),
	  .max = INT64_MAX },
	{ .key = NULL },
};

static const struct pj_msg hello_msg = {
	.name = "HELLO",
	.size = sizeof(struct proto_hello),
	.fields = hello_fields,
};

int proto_hello_from_json(const json_t *body, struct proto_hello *out,
			  struct lerr *e)
{
	return pj_decode(&hello_msg, body, out, e);
}

int proto_hello_to_json(const struct proto_hello *h, json_t **out,
			struct lerr *e)
{
	return pj_encode(&hello_msg, h, out, e);
}

void proto_hello_free(struct proto_hello *h)
{
	pj_free(&hello_msg, h);
}

static const struct pj_field hello_reply_fields[] = {
	{ .key = "version", .type = PJ_VERSION },
	{ .key = "agent", .type = PJ_STR,
	  PJ_AT(struct proto_hello_reply, agent), .min = 1,
	  .max = PROTO_STRING_MAX },
	{ .key = "kernel", .type = PJ_STR,
	  PJ_AT(struct proto_hello_reply, kernel), .min = 1,
	  .max = PROTO_STRING_MAX },
	{ .key = NULL },
};

static const struct pj_msg hello_reply_msg = {
	.name = "HELLO",
	.size = sizeof(struct proto_hello_reply),
	.fields = hello_reply_fields,
};

int proto_hello_reply_from_json(const json_t *body,
				struct proto_hello_reply *out, struct lerr *e)
{
	return pj_decode(&hello_reply_msg, body, out, e);
}

int proto_hello_reply_to_json(const struct proto_hello_reply *h, json_t **out,
			      struct lerr *e)
{
	return pj_encode(&hello_reply_msg, h, out, e);
}

void proto_hello_reply_free(struct proto_hello_reply *h)
{
	pj_free(&hello_reply_msg, h);
}

/* ---- ERROR ---- */

static bool errname_valid(const char *s)
{
	size_t i;

	if (s[0] != 'E' || !s[1])
		return false;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static const struct pj_syntax errname_syntax = {
	.valid = errname_valid,
	.before = "",
	.after = " is not an errno name (E[A-Z0-9]+)",
	.quote = PROTO_ERRNAME_MAX + 1,
};

static const struct pj_field error_fields[] = {
	{ .key = "code", .type = PJ_CHARS, PJ_AT(struct proto_error, code),
	  .min = 1, .max = PROTO_ERRNAME_MAX, .syntax = &errname_syntax },
	{ .key = "message", .type = PJ_STR,
	  PJ_AT(struct proto_error, message), .max = PROTO_STRING_MAX },
	{ .key = NULL },
};

static const struct pj_msg error_msg = {
	.name = "ERROR",
	.size = sizeof(struct proto_error),
	.fields = error_fields,
};

int proto_error_from_json(const json_t *body, struct proto_error *out,
			  struct lerr *e)
{
	int rc = pj_decode(&error_msg, body, out, e);

	if (rc == 0)
		out->errnum = proto_errno_value(out->code);
	return rc;
}

int proto_error_to_json(const struct proto_error *pe, json_t **out,
			struct lerr *e)
{
	return pj_encode(&error_msg, pe, out, e);
}

void proto_error_free(struct proto_error *pe)
{
	pj_free(&error_msg, pe);
}

int proto_error_from_lerr(const struct lerr *err, json_t **out, struct lerr *e)
{
	struct proto_error pe = { 0 };
	char text[sizeof(err->msg)];
	json_t *probe;
	size_t i;

	strcpy(pe.code, proto_errno_name(err->code ? err->code : EIO));
	for (i = 0; i + 1 < sizeof(text) && err->msg[i]; i++)
		text[i] = err->msg[i] == '\n' || err->msg[i] == '\r'
			      ? ' '
			      : err->msg[i];
	text[i] = '\0';
	/* a message quoting a non-UTF-8 file name still has to be JSON */
	probe = json_string(text);
	if (!probe)
		pj_clean(text, sizeof(text), err->msg);
	json_decref(probe);
	pe.message = text;
	return proto_error_to_json(&pe, out, e);
}

/* ---- {} bodies ---- */

int proto_empty_from_json(uint16_t type, const json_t *body, struct lerr *e)
{
	static const struct pj_field no_fields[] = { { .key = NULL } };
	const char *name = proto_type_name(type);
	struct pj_msg empty = { .name = name ? name : "unknown",
				.fields = no_fields };

	return pj_decode(&empty, body, NULL, e);
}

/* ---- START's reply ---- */

typedef __typeof__(((struct proto_started *)0)->c[0]) started_entry;

static const struct pj_field started_entry_fields[] = {
	{ .key = "name", .type = PJ_CHARS, PJ_AT(started_entry, name),
	  .max = PROTO_STRING_MAX, .syntax = &pj_name_syntax },
	{ .key = "pid", .type = PJ_INT, PJ_AT(started_entry, pid), .min = 1,
	  .max = PROTO_PID_MAX },
	{ .key = NULL },
};

static const struct pj_msg started_entry_msg = {
	.size = sizeof(started_entry),
	.fields = started_entry_fields,
};

static const struct pj_field started_fields[] = {
	{ .key = "containers", .type = PJ_OBJECTS,
	  PJ_AT(struct proto_started, c), .min = 1,
	  .max = PROTO_MAX_CONTAINERS,
	  .count_off = offsetof(struct proto_started, n),
	  .elem = &started_entry_msg, .unique = "name" },
	{ .key = NULL },
};

static const struct pj_msg started_msg = {
	.name = "OK (START)",
	.size = sizeof(struct proto_started),
	.fields = started_fields,
};

int proto_started_from_json(const json_t *body, struct proto_started *out,
			    struct lerr *e)
{
	return pj_decode(&started_msg, body, out, e);
}

int proto_started_to_json(const struct proto_started *s, json_t **out,
			  struct lerr *e)
{
	return pj_encode(&started_msg, s, out, e);
}

/* ---- EVENT ---- */

static const char *const event_names[] = {
	[PROTO_EVENT_STARTED] = "started",
	[PROTO_EVENT_EXITED] = "exited",
	[PROTO_EVENT_RESTARTING] = "restarting",
	[PROTO_EVENT_GROUP_EXITED] = "group-exited",
	[PROTO_EVENT_KILLING] = "killing",
	[PROTO_EVENT_UNHEALTHY] = "unhealthy",
	[PROTO_EVENT_READINESS] = "readiness",
};

#define N_EVENT (sizeof(event_names) / sizeof(event_names[0]))

const char *proto_event_kind_name(enum proto_event_kind k)
{
	if ((unsigned int)k >= N_EVENT)
		return NULL;
	return event_names[k];
}

static const struct pj_syntax event_syntax = {
	.before = "unknown event ",
	.after = " (started, exited, restarting, group-exited, killing, "
		 "unhealthy, readiness)",
	.quote = 48,
};

/* A group-exited event names no container. */
static const char *container_forbidden(const void *msg)
{
	const struct proto_event *ev = msg;

	return ev->kind == PROTO_EVENT_GROUP_EXITED ? "on group-exited" : NULL;
}

static const struct pj_field event_fields[] = {
	{ .key = "event", .type = PJ_ENUM, PJ_AT(struct proto_event, kind),
	  .min = 1, .max = PROTO_STRING_MAX, .names = event_names,
	  .n_names = N_EVENT, .syntax = &event_syntax },
	{ .key = "container", .type = PJ_CHARS,
	  PJ_AT(struct proto_event, container), .max = PROTO_STRING_MAX,
	  .syntax = &pj_name_syntax, .forbidden = container_forbidden },
	{ .key = "time_ns", .type = PJ_INT, PJ_AT(struct proto_event, time_ns),
	  .max = INT64_MAX },
	{ .key = "pid", .type = PJ_INT, PJ_AT(struct proto_event, pid),
	  .min = 1, .max = PROTO_PID_MAX, .optional = true,
	  .has = PROTO_EV_PID },
	{ .key = "exit_code", .type = PJ_INT,
	  PJ_AT(struct proto_event, exit_code), .max = 255, .optional = true,
	  .has = PROTO_EV_EXIT_CODE },
	{ .key = "signal", .type = PJ_INT, PJ_AT(struct proto_event, signal),
	  .min = 1, .max = PROTO_SIGNAL_MAX, .optional = true,
	  .has = PROTO_EV_SIGNAL },
	{ .key = "oom_killed", .type = PJ_BOOL,
	  PJ_AT(struct proto_event, oom_killed), .optional = true,
	  .has = PROTO_EV_OOM_KILLED },
	{ .key = "restart_count", .type = PJ_INT,
	  PJ_AT(struct proto_event, restart_count), .max = INT64_MAX,
	  .optional = true, .has = PROTO_EV_RESTART_COUNT },
	{ .key = "error", .type = PJ_STR, PJ_AT(struct proto_event, error),
	  .min = 1, .max = PROTO_STRING_MAX, .optional = true },
	{ .key = "reason", .type = PJ_STR, PJ_AT(struct proto_event, reason),
	  .min = 1, .max = PROTO_STRING_MAX, .optional = true },
	{ .key = "ready", .type = PJ_BOOL, PJ_AT(struct proto_event, ready),
	  .optional = true, .has = PROTO_EV_READY },
	{ .key = NULL },
};

static const struct pj_msg event_msg = {
	.name = "EVENT",
	.size = sizeof(struct proto_event),
	.fields = event_fields,
	.has_off = offsetof(struct proto_event, has),
};

int proto_event_from_json(const json_t *body, struct proto_event *out,
			  struct lerr *e)
{
	return pj_decode(&event_msg, body, out, e);
}

int proto_event_to_json(const struct proto_event *ev, json_t **out,
			struct lerr *e)
{
	return pj_encode(&event_msg, ev, out, e);
}

void proto_event_free(struct proto_event *ev)
{
	pj_free(&event_msg, ev);
}

/* ---- STOP, SIGNAL ---- */

static const struct pj_field stop_fields[] = {
	{ .key = "grace_ms", .type = PJ_UINT,
	  PJ_AT(struct proto_stop, grace_ms), .max = PROTO_GRACE_MS_MAX },
	{ .key = NULL },
};

static const struct pj_msg stop_msg = {
	.name = "STOP",
	.size = sizeof(struct proto_stop),
	.fields = stop_fields,
};

int proto_stop_from_json(const json_t *body, struct proto_stop *out,
			 struct lerr *e)
{
	return pj_decode(&stop_msg, body, out, e);
}

int proto_stop_to_json(const struct proto_stop *s, json_t **out, struct lerr *e)
{
	return pj_encode(&stop_msg, s, out, e);
}

/* RESTART carries what STOP does, under its own name in messages. */
static const struct pj_msg restart_msg = {
	.name = "RESTART",
	.size = sizeof(struct proto_stop),
	.fields = stop_fields,
};

int proto_restart_from_json(const json_t *body, struct proto_stop *out,
			    struct lerr *e)
{
	return pj_decode(&restart_msg, body, out, e);
}

int proto_restart_to_json(const struct proto_stop *s, json_t **out,
			  struct lerr *e)
{
	return pj_encode(&restart_msg, s, out, e);
}

static const struct pj_field signal_fields[] = {
	{ .key = "container", .type = PJ_CHARS,
	  PJ_AT(struct proto_signal, container), .max = PROTO_STRING_MAX,
	  .syntax = &pj_name_syntax },
	{ .key = "signal", .type = PJ_INT, PJ_AT(struct proto_signal, signal),
	  .min = 1, .max = PROTO_SIGNAL_MAX },
	{ .key = NULL },
};

static const struct pj_msg signal_msg = {
	.name = "SIGNAL",
	.size = sizeof(struct proto_signal),
	.fields = signal_fields,
};

int proto_signal_from_json(const json_t *body, struct proto_signal *out,
			   struct lerr *e)
{
	return pj_decode(&signal_msg, body, out, e);
}

int proto_signal_to_json(const struct proto_signal *s, json_t **out,
			 struct lerr *e)
{
	return pj_encode(&signal_msg, s, out, e);
}
