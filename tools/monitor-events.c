/* monitor-events.c - what the agent reports on its own: EVENTs (a
 * container started, exited, is restarting, is being killed; the whole
 * group exited) into state.json, with the group's event list (Created,
 * Started, Exited, BackOff, Killing; Pulled and Stopping come from the
 * monitor itself), and OUTPUT frames into the containers' CRI log files
 * (see logfile.h).  Times are the agent's, whose clock HELLO set from
 * ours. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logfile.h"
#include "monitor.h"
#include "state.h"
#include "timefmt.h"

static void clear_exit(struct lighter_container_state *c)
{
	c->has_exit_code = false;
	c->exit_code = 0;
	c->signal = 0;
	c->oom_killed = false;
	c->finished_at_ns = 0;
	free(c->error);
	c->error = NULL;
}

void events_note(struct monitor *m, int64_t t, const char *container,
		 const char *type, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (state_event_add(&m->st, t ? t : time_wall_ns(), container, type,
			    msg) < 0)
		monitor_log(m, "event %s: out of memory", type);
}

void events_note_pulled(struct monitor *m)
{
	for (size_t i = 0; i < m->st.nr_containers; i++) {
		const struct lighter_container_state *c = &m->st.containers[i];

		events_note(m, 0, c->name, "Pulled",
			    "Image \"%s\" delivered to the group",
			    c->image ? c->image : "?");
	}
}

static void note_exit(struct monitor *m, int64_t t,
		      const struct lighter_container_state *c)
{
	const char *reason = lighter_container_reason(c);

	if (c->error)
		events_note(m, t, c->name, "Exited",
			    "Could not start (exit code %d): %s",
			    c->has_exit_code ? c->exit_code : -1, c->error);
	else if (c->signal)
		events_note(m, t, c->name, "Exited",
			    "Killed by signal %d (%s)", c->signal,
			    reason ? reason : "Error");
	else
		events_note(m, t, c->name, "Exited", "Exit code %d (%s)",
			    c->has_exit_code ? c->exit_code : -1,
			    reason ? reason : "Error");
}

static void container_event(struct monitor *m, const struct proto_event *ev,
			    struct lighter_container_state *c)
{
	int64_t t = ev->time_ns ? ev->time_ns : time_wall_ns();

	if (ev->has & PROTO_EV_RESTART_COUNT)
		c->restart_count = ev->restart_count;
	switch (ev->kind) {
	case PROTO_EVENT_STARTED:
		if (c->state == LIGHTER_CONTAINER_CREATED)
			events_note(m, t, c->name, "Created",
				    "Created container%s",
				    c->init ? " (init)" : "");
		events_note(m, t, c->name, "Started", "Started container");
		clear_exit(c);
		c->ready = false;
		c->state = LIGHTER_CONTAINER_RUNNING;
		c->started_at_ns = t;
		if (ev->has & PROTO_EV_PID)
			c->pid = ev->pid;
		break;
	case PROTO_EVENT_EXITED:
		clear_exit(c);
		c->ready = false;
		c->state = LIGHTER_CONTAINER_EXITED;
		c->finished_at_ns = t;
		if (ev->has & PROTO_EV_EXIT_CODE) {
			c->has_exit_code = true;
			c->exit_code = ev->exit_code;
		}
		if (ev->has & PROTO_EV_SIGNAL) {
			c->signal = ev->signal;
			if (!c->has_exit_code) {
				c->has_exit_code = true;
				c->exit_code = 128 + ev->signal;
			}
		}
		c->oom_killed = (ev->has & PROTO_EV_OOM_KILLED) &&
				ev->oom_killed;
		if (ev->error)
			c->error = strdup(ev->error);
		monitor_log(m, "container \"%s\" exited (%d)%s%s", c->name,
			    c->has_exit_code ? c->exit_code : -1,
			    ev->error ? ": " : "", ev->error ? ev->error : "");
		note_exit(m, t, c);
		break;
	case PROTO_EVENT_RESTARTING:
		c->state = LIGHTER_CONTAINER_RESTARTING;
		events_note(m, t, c->name, "BackOff",
			    "Back-off restarting container");
		break;
	case PROTO_EVENT_UNHEALTHY:
		events_note(m, t, c->name, "Unhealthy", "%s",
			    ev->reason ? ev->reason : "a probe failed");
		break;
	case PROTO_EVENT_READINESS:
		c->ready = (ev->has & PROTO_EV_READY) && ev->ready;
		events_note(m, t, c->name, c->ready ? "Ready" : "NotReady",
			    "Readiness probe: %s",
			    c->ready ? "ready" : "not ready");
		monitor_log(m, "container \"%s\": %s", c->name,
			    c->ready ? "ready" : "not ready");
		break;
	case PROTO_EVENT_KILLING:
		events_note(m, t, c->name, "Killing", "Killing container: %s",
			    ev->reason ? ev->reason : "by the agent");
		monitor_log(m, "container \"%s\": killing: %s", c->name,
			    ev->reason ? ev->reason : "by the agent");
		break;
	case PROTO_EVENT_GROUP_EXITED:
	default:
		break;
	}
}

void events_handle(struct monitor *m, const json_t *body)
{
	struct proto_event ev = { 0 };
	struct lerr e = { 0 };
	int k;

	if (proto_event_from_json(body, &ev, &e) < 0) {
		monitor_log(m, "agent: %s", e.msg);
		return;
	}
	if (ev.kind == PROTO_EVENT_GROUP_EXITED) {
		monitor_log(m, "every container has exited");
		monitor_mark(m, LIGHTER_PHASE_GROUP_EXITED);
		m->group_exited = true;
		monitor_save(m);
		/* before START's answer, on_started() powers off */
		if (m->session_started)
			session_poweroff(m);
		proto_event_free(&ev);
		return;
	}
	k = state_container_index(&m->st, ev.container);
	if (k < 0) {
		monitor_log(m, "agent: event for an unknown container \"%s\"",
			    ev.container);
	} else {
		container_event(m, &ev, &m->st.containers[k]);
		monitor_save(m);
		if (ev.kind == PROTO_EVENT_EXITED &&
		    (m->start_missing & (1u << k))) {
			m->start_missing &= ~(1u << k);
			if (!m->start_missing)
				session_report_start(m);
		}
	}
	proto_event_free(&ev);
}

void events_output(struct monitor *m, const struct proto_frame *f)
{
	struct proto_output o;
	struct lerr e = { 0 };
	int64_t t;

	if (proto_output_decode(f, &o, &e) < 0) {
		monitor_log(m, "agent: %s", e.msg);
		return;
	}
	if (o.container >= m->st.nr_containers) {
		monitor_log(m, "agent: OUTPUT for container %u of %zu",
			    o.container, m->st.nr_containers);
		return;
	}
	if (!o.len)
		return;
	if (!m->first_output) {
		m->first_output = true;
		monitor_mark(m, LIGHTER_PHASE_FIRST_OUTPUT);
		monitor_save(m);
	}
	t = o.time_ns ? (int64_t)o.time_ns : time_wall_ns();
	if (log_write(m->log_fds[o.container], t,
		      (o.flags & PROTO_OUT_STDERR) ? LOG_STDERR : LOG_STDOUT,
		      o.data, o.len, &e) < 0)
		monitor_log(m, "container \"%s\": %s",
			    m->st.containers[o.container].name, e.msg);
}
