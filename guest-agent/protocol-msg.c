/* protocol-msg.c - the protocol's small control messages as typed structs:
 * HELLO both ways, ERROR, the `{}` bodies, START's OK reply, EVENT, STOP
 * and SIGNAL.  (SPEC, the big one, is protocol-spec.c; the LAYER transfer
 * protocol-layer.c; OUTPUT, a raw frame, protocol-write.c.)
 *
 * Decoders are strict: unknown members are errors, integers must be JSON
 * integers within their range, strings bounded, names and digests well
 * formed.  HELLO checks its version before anything else so a future
 * peer is told "version N not supported" rather than about a field.
 * Encoders build the JSON, then decode it once (into a scratch struct) so
 * a struct the peer would reject never leaves this side. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol-internal.h"

/* ---- HELLO ---- */

static int hello_version(const struct pj *c, const json_t *body)
{
	int64_t v;
	int rc;

	if (!json_is_object(body))
		return pj_fail(c, EINVAL, "", NULL, "not a JSON object");
	rc = pj_int(c, body, "", "version", INT64_MIN, INT64_MAX, &v);
	if (rc < 0)
		return rc;
	if (v != PROTO_VERSION)
		return pj_fail(c, EPROTONOSUPPORT, "", "version",
			       "%lld not supported (this side speaks %d)",
			       (long long)v, PROTO_VERSION);
	return 0;
}

int proto_hello_from_json(const json_t *body, struct proto_hello *out,
			  struct lerr *e)
{
	static const char *const keys[] = { "version", "client", "time_ns",
					    NULL };
	struct pj c = { "HELLO", e };
	const char *client;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = hello_version(&c, body);
	if (rc == 0)
		rc = pj_keys(&c, body, "", keys);
	if (rc == 0)
		rc = pj_str(&c, body, "", "client", 1, PROTO_STRING_MAX,
			    &client);
	if (rc == 0)
		rc = pj_int(&c, body, "", "time_ns", 0, INT64_MAX,
			    &out->time_ns);
	if (rc == 0)
		rc = pj_dup(&c, "client", client, &out->client);
	if (rc < 0)
		proto_hello_free(out);
	return rc;
}

int proto_hello_to_json(const struct proto_hello *h, json_t **out,
			struct lerr *e)
{
	json_t *j = json_object();
	struct proto_hello check;
	int rc = 0;

	*out = NULL;
	/* pj_put() returns 0 or -ENOMEM, so the ORed result is one of those */
	if (j) {
		rc |= pj_put(j, "version", json_integer(PROTO_VERSION));
		rc |= pj_put(j, "client", pj_new_str(h->client));
		rc |= pj_put(j, "time_ns", json_integer(h->time_ns));
	}
	rc = pj_built("HELLO", j, rc, e);
	if (rc < 0)
		return rc;
	rc = proto_hello_from_json(j, &check, e);
	proto_hello_free(&check);
	return pj_checked(j, rc, out);
}

void proto_hello_free(struct proto_hello *h)
{
	free(h->client);
	memset(h, 0, sizeof(*h));
}

int proto_hello_reply_from_json(const json_t *body,
				struct proto_hello_reply *out, struct lerr *e)
{
	static const char *const keys[] = { "version", "agent", "kernel",
					    NULL };
	struct pj c = { "HELLO", e };
	const char *agent, *kernel;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = hello_version(&c, body);
	if (rc == 0)
		rc = pj_keys(&c, body, "", keys);
	if (rc == 0)
		rc = pj_str(&c, body, "", "agent", 1, PROTO_STRING_MAX, &agent);
	if (rc == 0)
		rc = pj_str(&c, body, "", "kernel", 1, PROTO_STRING_MAX,
			    &kernel);
	if (rc == 0)
		rc = pj_dup(&c, "agent", agent, &out->agent);
	if (rc == 0)
		rc = pj_dup(&c, "kernel", kernel, &out->kernel);
	if (rc < 0)
		proto_hello_reply_free(out);
	return rc;
}

int proto_hello_reply_to_json(const struct proto_hello_reply *h, json_t **out,
			      struct lerr *e)
{
	json_t *j = json_object();
	struct proto_hello_reply check;
	int rc = 0;

	*out = NULL;
	if (j) {
		rc |= pj_put(j, "version", json_integer(PROTO_VERSION));
		rc |= pj_put(j, "agent", pj_new_str(h->agent));
		rc |= pj_put(j, "kernel", pj_new_str(h->kernel));
	}
	rc = pj_built("HELLO", j, rc, e);
	if (rc < 0)
		return rc;
	rc = proto_hello_reply_from_json(j, &check, e);
	proto_hello_reply_free(&check);
	return pj_checked(j, rc, out);
}

void proto_hello_reply_free(struct proto_hello_reply *h)
{
	free(h->agent);
	free(h->kernel);
	memset(h, 0, sizeof(*h));
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

int proto_error_from_json(const json_t *body, struct proto_error *out,
			  struct lerr *e)
{
	static const char *const keys[] = { "code", "message", NULL };
	struct pj c = { "ERROR", e };
	const char *code, *message;
	char clean[PROTO_ERRNAME_MAX + 1];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pj_keys(&c, body, "", keys);
	if (rc == 0)
		rc = pj_str(&c, body, "", "code", 1, PROTO_ERRNAME_MAX, &code);
	if (rc == 0 && !errname_valid(code))
		rc = pj_fail(&c, EINVAL, "", "code",
			     "\"%s\" is not an errno name (E[A-Z0-9]+)",
			     pj_clean(clean, sizeof(clean), code));
	if (rc == 0)
		rc = pj_str(&c, body, "", "message", 0, PROTO_STRING_MAX,
			    &message);
	if (rc == 0)
		rc = pj_dup(&c, "message", message, &out->message);
	if (rc < 0) {
		proto_error_free(out);
		return rc;
	}
	strcpy(out->code, code);
	out->errnum = proto_errno_value(code);
	return 0;
}

int proto_error_to_json(const struct proto_error *pe, json_t **out,
			struct lerr *e)
{
	json_t *j = json_object();
	struct proto_error check;
	int rc = 0;

	*out = NULL;
	if (j) {
		rc |= pj_put(j, "code", pj_new_str(pe->code));
		rc |= pj_put(j, "message", pj_new_str(pe->message));
	}
	rc = pj_built("ERROR", j, rc, e);
	if (rc < 0)
		return rc;
	rc = proto_error_from_json(j, &check, e);
	proto_error_free(&check);
	return pj_checked(j, rc, out);
}

void proto_error_free(struct proto_error *pe)
{
	free(pe->message);
	memset(pe, 0, sizeof(*pe));
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
	static const char *const keys[] = { NULL };
	const char *name = proto_type_name(type);
	struct pj c = { name ? name : "unknown", e };

	return pj_keys(&c, body, "", keys);
}

/* ---- START's reply ---- */

int proto_started_from_json(const json_t *body, struct proto_started *out,
			    struct lerr *e)
{
	static const char *const keys[] = { "containers", NULL };
	static const char *const ckeys[] = { "name", "pid", NULL };
	struct pj c = { "OK (START)", e };
	const json_t *arr;
	size_t i, k;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pj_keys(&c, body, "", keys);
	if (rc == 0)
		rc = pj_array(&c, body, "", "containers", 1,
			      PROTO_MAX_CONTAINERS, &arr);
	for (i = 0; rc == 0 && i < json_array_size(arr); i++) {
		const json_t *v = json_array_get(arr, i);
		char at[40];

		snprintf(at, sizeof(at), "containers[%zu]", i);
		rc = pj_keys(&c, v, at, ckeys);
		if (rc == 0)
			rc = pj_name(&c, v, at, "name", out->c[i].name);
		if (rc == 0)
			rc = pj_int(&c, v, at, "pid", 1, PROTO_PID_MAX,
				    &out->c[i].pid);
		for (k = 0; rc == 0 && k < i; k++)
			if (strcmp(out->c[k].name, out->c[i].name) == 0)
				rc = pj_fail(&c, EINVAL, at, "name",
					     "\"%s\" already used by "
					     "containers[%zu]",
					     out->c[i].name, k);
	}
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->n = json_array_size(arr);
	return 0;
}

int proto_started_to_json(const struct proto_started *s, json_t **out,
			  struct lerr *e)
{
	json_t *j, *arr;
	struct proto_started check;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (s->n > PROTO_MAX_CONTAINERS)
		return lerr_fail(
		    e, E2BIG,
		    "OK (START): containers: %zu entries, over the "
		    "limit of %d",
		    s->n, PROTO_MAX_CONTAINERS);
	j = json_object();
	arr = json_array();
	for (i = 0; arr && i < s->n; i++) {
		json_t *c = json_object();

		if (c) {
			rc |= pj_put(c, "name", pj_new_str(s->c[i].name));
			rc |= pj_put(c, "pid", json_integer(s->c[i].pid));
		}
		rc |= pj_append(arr, c);
	}
	if (j)
		rc |= pj_put(j, "containers", arr);
	else
		json_decref(arr);
	rc = pj_built("OK (START)", j, rc, e);
	if (rc < 0)
		return rc;
	rc = proto_started_from_json(j, &check, e);
	return pj_checked(j, rc, out);
}

/* ---- EVENT ---- */

static const char *const event_names[] = {
	[PROTO_EVENT_STARTED] = "started",
	[PROTO_EVENT_EXITED] = "exited",
	[PROTO_EVENT_RESTARTING] = "restarting",
	[PROTO_EVENT_GROUP_EXITED] = "group-exited",
};

const char *proto_event_kind_name(enum proto_event_kind k)
{
	if ((unsigned int)k >= sizeof(event_names) / sizeof(event_names[0]))
		return NULL;
	return event_names[k];
}

static int event_kind(const struct pj *c, const json_t *body,
		      enum proto_event_kind *out)
{
	char clean[48];
	const char *s;
	unsigned int k;
	int rc = pj_str(c, body, "", "event", 1, PROTO_STRING_MAX, &s);

	if (rc < 0)
		return rc;
	for (k = 0; k < sizeof(event_names) / sizeof(event_names[0]); k++)
		if (strcmp(s, event_names[k]) == 0) {
			*out = (enum proto_event_kind)k;
			return 0;
		}
	return pj_fail(c, EINVAL, "", "event",
		       "unknown event \"%s\" (started, exited, restarting, "
		       "group-exited)",
		       pj_clean(clean, sizeof(clean), s));
}

int proto_event_from_json(const json_t *body, struct proto_event *out,
			  struct lerr *e)
{
	static const char *const keys[] = {
		"event",  "container",	"time_ns",	 "pid",	  "exit_code",
		"signal", "oom_killed", "restart_count", "error", NULL
	};
	struct pj c = { "EVENT", e };
	int64_t v;
	bool present;
	const char *error;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pj_keys(&c, body, "", keys);
	if (rc == 0)
		rc = event_kind(&c, body, &out->kind);
	if (rc == 0 && out->kind == PROTO_EVENT_GROUP_EXITED &&
	    json_object_get(body, "container"))
		rc = pj_fail(&c, EINVAL, "", "container",
			     "not allowed on group-exited");
	else if (rc == 0 && out->kind != PROTO_EVENT_GROUP_EXITED)
		rc = pj_name(&c, body, "", "container", out->container);
	if (rc == 0)
		rc = pj_int(&c, body, "", "time_ns", 0, INT64_MAX,
			    &out->time_ns);
	if (rc == 0)
		rc = pj_opt_int(&c, body, "", "pid", 1, PROTO_PID_MAX,
				&out->pid, &present);
	if (rc == 0 && present)
		out->has |= PROTO_EV_PID;
	if (rc == 0)
		rc =
		    pj_opt_int(&c, body, "", "exit_code", 0, 255, &v, &present);
	if (rc == 0 && present) {
		out->has |= PROTO_EV_EXIT_CODE;
		out->exit_code = (int)v;
	}
	if (rc == 0)
		rc = pj_opt_int(&c, body, "", "signal", 1, PROTO_SIGNAL_MAX, &v,
				&present);
	if (rc == 0 && present) {
		out->has |= PROTO_EV_SIGNAL;
		out->signal = (int)v;
	}
	if (rc == 0)
		rc = pj_opt_bool(&c, body, "", "oom_killed", &out->oom_killed,
				 &present);
	if (rc == 0 && present)
		out->has |= PROTO_EV_OOM_KILLED;
	if (rc == 0)
		rc = pj_opt_int(&c, body, "", "restart_count", 0, INT64_MAX,
				&out->restart_count, &present);
	if (rc == 0 && present)
		out->has |= PROTO_EV_RESTART_COUNT;
	if (rc == 0 && json_object_get(body, "error")) {
		rc = pj_str(&c, body, "", "error", 1, PROTO_STRING_MAX, &error);
		if (rc == 0)
			rc = pj_dup(&c, "error", error, &out->error);
	}
	if (rc < 0)
		proto_event_free(out);
	return rc;
}

int proto_event_to_json(const struct proto_event *ev, json_t **out,
			struct lerr *e)
{
	const char *kind = proto_event_kind_name(ev->kind);
	json_t *j = json_object();
	struct proto_event check;
	int rc = 0;

	*out = NULL;
	if (j) {
		rc |= pj_put(j, "event", pj_new_str(kind));
		if (ev->kind != PROTO_EVENT_GROUP_EXITED || ev->container[0])
			rc |= pj_put(j, "container", pj_new_str(ev->container));
		rc |= pj_put(j, "time_ns", json_integer(ev->time_ns));
		if (ev->has & PROTO_EV_PID)
			rc |= pj_put(j, "pid", json_integer(ev->pid));
		if (ev->has & PROTO_EV_EXIT_CODE)
			rc |=
			    pj_put(j, "exit_code", json_integer(ev->exit_code));
		if (ev->has & PROTO_EV_SIGNAL)
			rc |= pj_put(j, "signal", json_integer(ev->signal));
		if (ev->has & PROTO_EV_OOM_KILLED)
			rc |= pj_put(j, "oom_killed",
				     json_boolean(ev->oom_killed));
		if (ev->has & PROTO_EV_RESTART_COUNT)
			rc |= pj_put(j, "restart_count",
				     json_integer(ev->restart_count));
		if (ev->error)
			rc |= pj_put(j, "error", pj_new_str(ev->error));
	}
	rc = pj_built("EVENT", j, rc, e);
	if (rc < 0)
		return rc;
	rc = proto_event_from_json(j, &check, e);
	proto_event_free(&check);
	return pj_checked(j, rc, out);
}

void proto_event_free(struct proto_event *ev)
{
	free(ev->error);
	memset(ev, 0, sizeof(*ev));
}

/* ---- STOP, SIGNAL ---- */

int proto_stop_from_json(const json_t *body, struct proto_stop *out,
			 struct lerr *e)
{
	static const char *const keys[] = { "grace_ms", NULL };
	struct pj c = { "STOP", e };
	int64_t v = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pj_keys(&c, body, "", keys);
	if (rc == 0)
		rc =
		    pj_int(&c, body, "", "grace_ms", 0, PROTO_GRACE_MS_MAX, &v);
	if (rc < 0)
		return rc;
	out->grace_ms = (uint32_t)v;
	return 0;
}

int proto_stop_to_json(const struct proto_stop *s, json_t **out, struct lerr *e)
{
	json_t *j = json_object();
	struct proto_stop check;
	int rc = 0;

	*out = NULL;
	if (j)
		rc |= pj_put(j, "grace_ms", json_integer(s->grace_ms));
	rc = pj_built("STOP", j, rc, e);
	if (rc < 0)
		return rc;
	rc = proto_stop_from_json(j, &check, e);
	return pj_checked(j, rc, out);
}

int proto_signal_from_json(const json_t *body, struct proto_signal *out,
			   struct lerr *e)
{
	static const char *const keys[] = { "container", "signal", NULL };
	struct pj c = { "SIGNAL", e };
	int64_t v = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pj_keys(&c, body, "", keys);
	if (rc == 0)
		rc = pj_name(&c, body, "", "container", out->container);
	if (rc == 0)
		rc = pj_int(&c, body, "", "signal", 1, PROTO_SIGNAL_MAX, &v);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->signal = (int)v;
	return 0;
}

int proto_signal_to_json(const struct proto_signal *s, json_t **out,
			 struct lerr *e)
{
	json_t *j = json_object();
	struct proto_signal check;
	int rc = 0;

	*out = NULL;
	if (j) {
		rc |= pj_put(j, "container", pj_new_str(s->container));
		rc |= pj_put(j, "signal", json_integer(s->signal));
	}
	rc = pj_built("SIGNAL", j, rc, e);
	if (rc < 0)
		return rc;
	rc = proto_signal_from_json(j, &check, e);
	return pj_checked(j, rc, out);
}
