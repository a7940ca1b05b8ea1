/* state-life.c - the group's life as Azure Container Instances shows it:
 * group and container phases derived from lighter's own states (see
 * lighter.h), and the group's event list (state.json "events"), counted
 * as events repeat, bounded, and in the order they last happened. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "timefmt.h"

/* ---- phases ---- */

/* Did not run to exit code 0 (an exec failure or a turn that never
 * came included). */
static bool container_failed(const struct lighter_container_state *c)
{
	return !c->started_at_ns || c->oom_killed || !c->has_exit_code ||
	       c->exit_code != 0;
}

const char *lighter_group_phase(const struct lighter_group_state *st)
{
	switch (st->state) {
	case LIGHTER_GROUP_CREATED:
	case LIGHTER_GROUP_STARTING:
		return "Pending";
	case LIGHTER_GROUP_RUNNING:
	case LIGHTER_GROUP_STOPPING:
		return "Running";
	case LIGHTER_GROUP_FAILED:
		return "Failed";
	case LIGHTER_GROUP_EXITED:
		if (st->reason && strcmp(st->reason, "stopped") == 0)
			return "Stopped";
		for (size_t i = 0; i < st->nr_containers; i++) {
			if (container_failed(&st->containers[i]))
				return "Failed";
		}
		return "Succeeded";
	default:
		return "Unknown";
	}
}

const char *lighter_container_phase(const struct lighter_container_state *c)
{
	switch (c->state) {
	case LIGHTER_CONTAINER_RUNNING:
		return "Running";
	case LIGHTER_CONTAINER_EXITED:
		return "Terminated";
	case LIGHTER_CONTAINER_CREATED:
	case LIGHTER_CONTAINER_RESTARTING:
	default:
		return "Waiting";
	}
}

const char *lighter_container_reason(const struct lighter_container_state *c)
{
	if (c->state == LIGHTER_CONTAINER_RESTARTING)
		return "BackOff";
	if (c->state != LIGHTER_CONTAINER_EXITED)
		return NULL;
	if (!c->started_at_ns && !c->has_exit_code)
		return "NotStarted";
	if (c->oom_killed)
		return "OOMKilled";
	if (c->has_exit_code && c->exit_code == 0)
		return "Completed";
	return "Error";
}

/* ---- events ---- */

static void event_free(struct lighter_event *ev)
{
	free(ev->message);
	memset(ev, 0, sizeof(*ev));
}

void state_events_free(struct lighter_group_state *st)
{
	for (size_t i = 0; i < st->nr_events; i++)
		event_free(&st->events[i]);
	free(st->events);
	st->events = NULL;
	st->nr_events = 0;
}

static bool same(const struct lighter_event *ev, const char *container,
		 const char *type, const char *message)
{
	return strcmp(ev->container, container) == 0 &&
	       strcmp(ev->type, type) == 0 &&
	       strcmp(ev->message, message) == 0;
}

int state_event_add(struct lighter_group_state *st, int64_t now,
		    const char *container, const char *type,
		    const char *message)
{
	struct lighter_event ev = { 0 }, *grown;
	size_t i;

	if (!container)
		container = "";
	for (i = 0; i < st->nr_events; i++) {
		if (same(&st->events[i], container, type, message))
			break;
	}
	if (i < st->nr_events) {
		ev = st->events[i];
		memmove(&st->events[i], &st->events[i + 1],
			(st->nr_events - i - 1) * sizeof(ev));
		st->nr_events--;
		ev.count++;
	} else {
		ev.message = strdup(message);
		if (!ev.message)
			return -ENOMEM;
		snprintf(ev.container, sizeof(ev.container), "%s", container);
		snprintf(ev.type, sizeof(ev.type), "%s", type);
		ev.count = 1;
		ev.first_ns = now;
		if (st->nr_events == LIGHTER_EVENTS_MAX) {
			event_free(&st->events[0]);
			memmove(&st->events[0], &st->events[1],
				(st->nr_events - 1) * sizeof(ev));
			st->nr_events--;
		}
		grown = realloc(st->events,
				(st->nr_events + 1) * sizeof(*grown));
		if (!grown) {
			free(ev.message);
			return -ENOMEM;
		}
		st->events = grown;
	}
	ev.last_ns = now;
	ev.seq = ++st->event_seq;
	st->events[st->nr_events++] = ev;
	return 0;
}

static json_t *time_json(int64_t ns)
{
	char buf[TIME_RFC3339_LEN];

	time_format_rfc3339(ns, buf);
	return buf[0] ? json_string(buf) : json_null();
}

json_t *state_events_to_json(const struct lighter_group_state *st)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < st->nr_events; i++) {
		const struct lighter_event *ev = &st->events[i];
		json_t *o = json_pack("{s:I, s:s}", "seq", (json_int_t)ev->seq,
				      "type", ev->type);

		/* a group's own event has no container member */
		if (o && ev->container[0] &&
		    json_object_set_new(o, "container",
					json_string(ev->container)) < 0) {
			json_decref(o);
			o = NULL;
		}
		if (o && json_object_update_new(
			     o, json_pack("{s:s, s:I, s:o, s:o}", "message",
					  ev->message, "count",
					  (json_int_t)ev->count,
					  "first_timestamp",
					  time_json(ev->first_ns),
					  "last_timestamp",
					  time_json(ev->last_ns))) < 0) {
			json_decref(o);
			o = NULL;
		}
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int event_from_json(const json_t *o, struct lighter_event *ev,
			   const char *what, size_t i, struct lerr *e)
{
	const char *type = NULL, *container = NULL, *message = NULL;
	const char *first = NULL, *last = NULL;
	json_int_t seq = 0, count = 0;
	json_error_t err;

	if (json_unpack_ex((json_t *)o, &err, JSON_STRICT,
			   "{s:I, s:s, s?s, s:s, s:I, s:s, s:s}", "seq", &seq,
			   "type", &type, "container", &container, "message",
			   &message, "count", &count, "first_timestamp",
			   &first, "last_timestamp", &last) < 0)
		return lerr_fail(e, EINVAL, "%s: events[%zu]: %s", what, i,
				 err.text);
	if (seq < 1 || count < 1 || !type[0] ||
	    strlen(type) > LIGHTER_EVENT_TYPE_MAX ||
	    (container && strlen(container) > LIGHTER_NAME_MAX))
		return lerr_fail(e, EINVAL,
				 "%s: events[%zu]: seq, count, type or "
				 "container out of range",
				 what, i);
	if (time_parse_rfc3339(first, strlen(first), &ev->first_ns) < 0 ||
	    time_parse_rfc3339(last, strlen(last), &ev->last_ns) < 0)
		return lerr_fail(e, EINVAL,
				 "%s: events[%zu]: not an RFC 3339 time", what,
				 i);
	ev->seq = seq;
	ev->count = count;
	snprintf(ev->type, sizeof(ev->type), "%s", type);
	snprintf(ev->container, sizeof(ev->container), "%s",
		 container ? container : "");
	ev->message = strdup(message);
	return ev->message ? 0 : lerr_fail(e, ENOMEM, "out of memory");
}

int state_events_from_json(const json_t *arr, struct lighter_group_state *st,
			   const char *what, struct lerr *e)
{
	size_t i, n;
	int r = 0;

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return lerr_fail(e, EINVAL, "%s: events: not an array", what);
	n = json_array_size(arr);
	if (n > LIGHTER_EVENTS_MAX)
		return lerr_fail(e, EINVAL, "%s: events: more than %d", what,
				 LIGHTER_EVENTS_MAX);
	if (!n)
		return 0;
	st->events = calloc(n, sizeof(*st->events));
	if (!st->events)
		return lerr_fail(e, ENOMEM, "out of memory");
	for (i = 0; r == 0 && i < n; i++) {
		r = event_from_json(json_array_get(arr, i), &st->events[i],
				    what, i, e);
		st->nr_events = i + 1;
		if (r == 0 && st->events[i].seq > st->event_seq)
			st->event_seq = st->events[i].seq;
	}
	if (r < 0)
		state_events_free(st);
	return r;
}
