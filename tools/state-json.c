/* state-json.c - struct lighter_group_state to and from its JSON form
 * (state.json, `lighter inspect`), and the names of states and phases.
 * Decoding is strict about types and values (a hand-edited or corrupted
 * file is refused with the field named) and tolerant of missing optional
 * fields. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "timefmt.h"

static const char *const group_status_names[] = {
	[LIGHTER_GROUP_CREATED] = "created",
	[LIGHTER_GROUP_STARTING] = "starting",
	[LIGHTER_GROUP_RUNNING] = "running",
	[LIGHTER_GROUP_STOPPING] = "stopping",
	[LIGHTER_GROUP_EXITED] = "exited",
	[LIGHTER_GROUP_FAILED] = "failed",
};

static const char *const container_status_names[] = {
	[LIGHTER_CONTAINER_CREATED] = "created",
	[LIGHTER_CONTAINER_RUNNING] = "running",
	[LIGHTER_CONTAINER_EXITED] = "exited",
	[LIGHTER_CONTAINER_RESTARTING] = "restarting",
};

static const char *const phase_names[] = {
	[LIGHTER_PHASE_MONITOR_START] = "monitor_start",
	[LIGHTER_PHASE_VMM_SPAWNED] = "vmm_spawned",
	[LIGHTER_PHASE_AGENT_CONNECTED] = "agent_connected",
	[LIGHTER_PHASE_SPEC_SENT] = "spec_sent",
	[LIGHTER_PHASE_LAYERS_DELIVERED] = "layers_delivered",
	[LIGHTER_PHASE_CONTAINERS_STARTED] = "containers_started",
	[LIGHTER_PHASE_FIRST_OUTPUT] = "first_output",
	[LIGHTER_PHASE_GROUP_EXITED] = "group_exited",
	[LIGHTER_PHASE_VMM_EXITED] = "vmm_exited",
};

#define NR_GROUP_STATUS (LIGHTER_GROUP_FAILED + 1)
#define NR_CONTAINER_STATUS (LIGHTER_CONTAINER_RESTARTING + 1)

static const char *name_of(const char *const *names, size_t n, size_t i)
{
	return i < n ? names[i] : "unknown";
}

static int index_of(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	}
	return -EINVAL;
}

const char *lighter_group_status_name(enum lighter_group_status s)
{
	return name_of(group_status_names, NR_GROUP_STATUS, (size_t)s);
}

bool lighter_group_is_active(enum lighter_group_status s)
{
	return s == LIGHTER_GROUP_STARTING || s == LIGHTER_GROUP_RUNNING ||
	       s == LIGHTER_GROUP_STOPPING;
}

const char *lighter_container_status_name(enum lighter_container_status s)
{
	return name_of(container_status_names, NR_CONTAINER_STATUS, (size_t)s);
}

const char *lighter_phase_name(enum lighter_phase p)
{
	return name_of(phase_names, LIGHTER_PHASE_COUNT, (size_t)p);
}

int lighter_group_status_parse(const char *s, enum lighter_group_status *out)
{
	int i = index_of(group_status_names, NR_GROUP_STATUS, s);

	if (i < 0)
		return i;
	*out = (enum lighter_group_status)i;
	return 0;
}

int lighter_container_status_parse(const char *s,
				   enum lighter_container_status *out)
{
	int i = index_of(container_status_names, NR_CONTAINER_STATUS, s);

	if (i < 0)
		return i;
	*out = (enum lighter_container_status)i;
	return 0;
}

/* ---- encoding ---- */

/* Builders collect failures (out of memory) in *ok. */
static void put(json_t *o, const char *key, json_t *v, int *ok)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		*ok = 0;
}

static json_t *json_time(int64_t ns)
{
	char buf[TIME_RFC3339_LEN];

	if (ns <= 0)
		return json_null();
	time_format_rfc3339(ns, buf);
	return buf[0] ? json_string(buf) : json_null();
}

static json_t *json_opt_string(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *container_to_json(const struct lighter_container_state *c)
{
	json_t *o = json_object();
	int ok = 1;

	if (!o)
		return NULL;
	put(o, "name", json_string(c->name), &ok);
	put(o, "image", json_opt_string(c->image), &ok);
	put(o, "state", json_string(lighter_container_status_name(c->state)),
	    &ok);
	put(o, "exit_code",
	    c->has_exit_code ? json_integer(c->exit_code) : json_null(), &ok);
	put(o, "signal", c->signal ? json_integer(c->signal) : json_null(),
	    &ok);
	put(o, "restart_count", json_integer(c->restart_count), &ok);
	put(o, "started_at", json_time(c->started_at_ns), &ok);
	put(o, "finished_at", json_time(c->finished_at_ns), &ok);
	put(o, "oom_killed", json_boolean(c->oom_killed), &ok);
	put(o, "error", json_opt_string(c->error), &ok);
	put(o, "pid", c->pid ? json_integer(c->pid) : json_null(), &ok);
	put(o, "init", json_boolean(c->init), &ok);
	put(o, "phase", json_string(lighter_container_phase(c)), &ok);
	put(o, "reason", json_opt_string(lighter_container_reason(c)), &ok);
	put(o, "has_readiness", json_boolean(c->has_readiness), &ok);
	put(o, "ready",
	    c->has_readiness ? json_boolean(c->ready)
			     : json_boolean(c->state ==
					    LIGHTER_CONTAINER_RUNNING),
	    &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *timings_to_json(const struct lighter_group_state *st)
{
	json_t *o = json_object();
	int ok = 1;

	if (!o)
		return NULL;
	for (int i = 0; i < LIGHTER_PHASE_COUNT; i++) {
		const struct lighter_timing *t = &st->timings[i];
		json_t *p;

		if (!t->mono_ns)
			continue;
		p = json_object();
		if (!p) {
			ok = 0;
			break;
		}
		put(p, "mono_ns", json_integer(t->mono_ns), &ok);
		put(p, "wall", json_time(t->wall_ns), &ok);
		put(o, phase_names[i], p, &ok);
	}
	put(o, "unpack_us", json_integer((json_int_t)st->unpack_us), &ok);
	put(o, "layer_bytes", json_integer((json_int_t)st->layer_bytes), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *state_to_json(const struct lighter_group_state *st)
{
	json_t *o = json_object(), *arr = json_array();
	int ok = o && arr;

	for (size_t i = 0; ok && i < st->nr_containers; i++) {
		json_t *c = container_to_json(&st->containers[i]);

		if (!c || json_array_append_new(arr, c) < 0)
			ok = 0;
	}
	if (!ok) {
		json_decref(o);
		json_decref(arr);
		return NULL;
	}
	put(o, "name", json_string(st->name), &ok);
	put(o, "state", json_string(lighter_group_status_name(st->state)),
	    &ok);
	put(o, "phase", json_string(lighter_group_phase(st)), &ok);
	put(o, "reason", json_opt_string(st->reason), &ok);
	put(o, "created_at", json_time(st->created_at_ns), &ok);
	put(o, "started_at", json_time(st->started_at_ns), &ok);
	put(o, "finished_at", json_time(st->finished_at_ns), &ok);
	put(o, "cpus", json_integer(st->cpus), &ok);
	put(o, "memory", json_integer((json_int_t)st->memory), &ok);
	put(o, "run_dir", json_opt_string(st->run_dir), &ok);
	put(o, "monitor_pid", json_integer(st->monitor_pid), &ok);
	put(o, "vmm_pid", json_integer(st->vmm_pid), &ok);
	put(o, "vmm_start_ticks", json_integer((json_int_t)st->vmm_start_ticks),
	    &ok);
	put(o, "auto_remove", json_boolean(st->auto_remove), &ok);
	put(o, "timings", timings_to_json(st), &ok);
	put(o, "containers", arr, &ok);
	put(o, "events", state_events_to_json(st), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *lighter_group_state_json(const struct lighter_group_state *st)
{
	json_t *j = state_to_json(st);
	char *s;

	if (!j)
		return NULL;
	s = json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	json_decref(j);
	return s;
}

/* ---- decoding ---- */

struct dec {
	const char *what; /* the document */
	char at[48];	  /* "containers[3]." or "" */
	struct lerr *e;
};

__attribute__((format(printf, 3, 4))) static int
dec_fail(const struct dec *d, const char *key, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return lerr_fail(d->e, EINVAL, "%s: %s%s: %s", d->what, d->at, key,
			 text);
}

/* A member that may be absent or null: *v NULL then. */
static json_t *member(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_null(v) ? NULL : v;
}

static int get_int(const struct dec *d, const json_t *o, const char *key,
		   int64_t min, int64_t max, int64_t *out, bool *present)
{
	json_t *v = member(o, key);

	if (present)
		*present = v != NULL;
	if (!v)
		return 0;
	if (!json_is_integer(v))
		return dec_fail(d, key, "not an integer");
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return dec_fail(d, key, "%lld out of range",
				(long long)json_integer_value(v));
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(const struct dec *d, const json_t *o, const char *key,
		    bool *out)
{
	json_t *v = member(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return dec_fail(d, key, "not a boolean");
	*out = json_is_true(v);
	return 0;
}

/* A malloc'd copy, or NULL when absent. */
static int get_string(const struct dec *d, const json_t *o, const char *key,
		      char **out)
{
	json_t *v = member(o, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return dec_fail(d, key, "not a string");
	*out = strdup(json_string_value(v));
	return *out ? 0 : lerr_fail(d->e, ENOMEM, "out of memory");
}

static int get_name(const struct dec *d, const json_t *o, const char *key,
		    char out[LIGHTER_NAME_MAX + 1])
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return dec_fail(d, key, "missing or not a string");
	if (!json_string_length(v) ||
	    json_string_length(v) > LIGHTER_NAME_MAX)
		return dec_fail(d, key, "not a name");
	strcpy(out, json_string_value(v));
	return 0;
}

static int get_time(const struct dec *d, const json_t *o, const char *key,
		    int64_t *out)
{
	json_t *v = member(o, key);

	if (!v)
		return 0;
	if (!json_is_string(v) ||
	    time_parse_rfc3339(json_string_value(v), json_string_length(v),
			       out) < 0)
		return dec_fail(d, key, "not an RFC 3339 time");
	return 0;
}

static int container_from_json(struct dec *d, const json_t *o,
			       struct lighter_container_state *c)
{
	json_t *state = json_object_get(o, "state");
	int64_t v = 0;
	bool present;
	int r;

	if (!json_is_object(o))
		return dec_fail(d, "", "not an object");
	r = get_name(d, o, "name", c->name);
	if (r == 0 && (!json_is_string(state) ||
		       lighter_container_status_parse(json_string_value(state),
						      &c->state) < 0))
		r = dec_fail(d, "state", "not a container state");
	if (r == 0)
		r = get_string(d, o, "image", &c->image);
	if (r == 0)
		r = get_int(d, o, "exit_code", 0, 255, &v, &present);
	if (r == 0 && present) {
		c->has_exit_code = true;
		c->exit_code = (int)v;
	}
	if (r == 0)
		r = get_int(d, o, "signal", 1, 64, &v, &present);
	if (r == 0 && present)
		c->signal = (int)v;
	if (r == 0)
		r = get_int(d, o, "restart_count", 0, INT64_MAX,
			    &c->restart_count, NULL);
	if (r == 0)
		r = get_time(d, o, "started_at", &c->started_at_ns);
	if (r == 0)
		r = get_time(d, o, "finished_at", &c->finished_at_ns);
	if (r == 0)
		r = get_bool(d, o, "oom_killed", &c->oom_killed);
	if (r == 0)
		r = get_string(d, o, "error", &c->error);
	if (r == 0)
		r = get_int(d, o, "pid", 1, INT32_MAX, &c->pid, NULL);
	if (r == 0)
		r = get_bool(d, o, "init", &c->init);
	if (r == 0)
		r = get_bool(d, o, "has_readiness", &c->has_readiness);
	if (r == 0 && c->has_readiness)
		r = get_bool(d, o, "ready", &c->ready);
	return r;
}

static int timings_from_json(struct dec *d, const json_t *o,
			     struct lighter_group_state *st)
{
	int64_t v;
	int r = 0;

	if (!o)
		return 0;
	if (!json_is_object(o))
		return dec_fail(d, "timings", "not an object");
	snprintf(d->at, sizeof(d->at), "timings.");
	for (int i = 0; r == 0 && i < LIGHTER_PHASE_COUNT; i++) {
		json_t *p = member(o, phase_names[i]);

		if (!p)
			continue;
		if (!json_is_object(p))
			return dec_fail(d, phase_names[i], "not an object");
		snprintf(d->at, sizeof(d->at), "timings.%s.", phase_names[i]);
		r = get_int(d, p, "mono_ns", 1, INT64_MAX,
			    &st->timings[i].mono_ns, NULL);
		if (r == 0)
			r = get_time(d, p, "wall", &st->timings[i].wall_ns);
	}
	snprintf(d->at, sizeof(d->at), "timings.");
	v = 0;
	if (r == 0)
		r = get_int(d, o, "unpack_us", 0, INT64_MAX, &v, NULL);
	st->unpack_us = (uint64_t)v;
	v = 0;
	if (r == 0)
		r = get_int(d, o, "layer_bytes", 0, INT64_MAX, &v, NULL);
	st->layer_bytes = (uint64_t)v;
	d->at[0] = '\0';
	return r;
}

static int group_fields(struct dec *d, const json_t *j,
			struct lighter_group_state *st)
{
	json_t *state = json_object_get(j, "state");
	int64_t v;
	int r;

	r = get_name(d, j, "name", st->name);
	if (r == 0 && (!json_is_string(state) ||
		       lighter_group_status_parse(json_string_value(state),
						  &st->state) < 0))
		r = dec_fail(d, "state", "not a group state");
	if (r == 0)
		r = get_string(d, j, "reason", &st->reason);
	if (r == 0)
		r = get_time(d, j, "created_at", &st->created_at_ns);
	if (r == 0)
		r = get_time(d, j, "started_at", &st->started_at_ns);
	if (r == 0)
		r = get_time(d, j, "finished_at", &st->finished_at_ns);
	v = 0;
	if (r == 0)
		r = get_int(d, j, "cpus", 0, 1024, &v, NULL);
	st->cpus = (unsigned int)v;
	v = 0;
	if (r == 0)
		r = get_int(d, j, "memory", 0, INT64_MAX, &v, NULL);
	st->memory = (uint64_t)v;
	if (r == 0)
		r = get_string(d, j, "run_dir", &st->run_dir);
	v = 0;
	if (r == 0)
		r = get_int(d, j, "monitor_pid", 0, INT32_MAX, &v, NULL);
	st->monitor_pid = (pid_t)v;
	v = 0;
	if (r == 0)
		r = get_int(d, j, "vmm_pid", 0, INT32_MAX, &v, NULL);
	st->vmm_pid = (pid_t)v;
	v = 0;
	if (r == 0)
		r = get_int(d, j, "vmm_start_ticks", 0, INT64_MAX, &v, NULL);
	st->vmm_start_ticks = (uint64_t)v;
	if (r == 0)
		r = get_bool(d, j, "auto_remove", &st->auto_remove);
	if (r == 0)
		r = timings_from_json(d, member(j, "timings"), st);
	return r;
}

int state_from_json(const json_t *j, struct lighter_group_state *st,
		    const char *what, struct lerr *e)
{
	struct dec d = { .what = what, .e = e };
	json_t *arr;
	int r;

	memset(st, 0, sizeof(*st));
	if (!json_is_object(j))
		return lerr_fail(e, EINVAL, "%s: not a JSON object", what);
	r = group_fields(&d, j, st);
	arr = json_object_get(j, "containers");
	if (r == 0 && !json_is_array(arr))
		r = dec_fail(&d, "containers", "missing or not an array");
	if (r == 0 && json_array_size(arr) > 64)
		r = dec_fail(&d, "containers", "too many");
	if (r == 0 && json_array_size(arr)) {
		st->containers =
			calloc(json_array_size(arr), sizeof(*st->containers));
		if (!st->containers)
			r = lerr_fail(e, ENOMEM, "out of memory");
	}
	for (size_t i = 0; r == 0 && i < json_array_size(arr); i++) {
		snprintf(d.at, sizeof(d.at), "containers[%zu].", i);
		st->nr_containers = i + 1;
		r = container_from_json(&d, json_array_get(arr, i),
					&st->containers[i]);
	}
	if (r == 0)
		r = state_events_from_json(json_object_get(j, "events"), st,
					   what, e);
	if (r < 0)
		lighter_group_state_free(st);
	return r;
}

void lighter_group_state_free(struct lighter_group_state *st)
{
	for (size_t i = 0; i < st->nr_containers; i++) {
		free(st->containers[i].image);
		free(st->containers[i].error);
	}
	free(st->containers);
	free(st->reason);
	free(st->run_dir);
	state_events_free(st);
	memset(st, 0, sizeof(*st));
}

void state_finish_containers(struct lighter_group_state *st, int64_t now)
{
	for (size_t i = 0; i < st->nr_containers; i++) {
		struct lighter_container_state *c = &st->containers[i];

		if (c->state == LIGHTER_CONTAINER_EXITED)
			continue;
		if (c->state != LIGHTER_CONTAINER_CREATED)
			c->finished_at_ns = now;
		c->state = LIGHTER_CONTAINER_EXITED;
	}
}

int state_container_index(const struct lighter_group_state *st,
			  const char *name)
{
	for (size_t i = 0; i < st->nr_containers; i++) {
		if (strcmp(st->containers[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

int lighter_group_exit_status(const struct lighter_group_state *st)
{
	const struct lighter_container_state *c;

	if (st->state == LIGHTER_GROUP_FAILED || !st->nr_containers)
		return 125;
	c = &st->containers[0];
	return c->has_exit_code ? c->exit_code : 125;
}
