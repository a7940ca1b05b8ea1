/* monitor-events.c - what the agent reports on its own: EVENTs (a
 * container started, exited, is restarting; the whole group exited) into
 * state.json, and OUTPUT frames into the containers' CRI log files (see
 * logfile.h).  Times are the agent's, whose clock HELLO set from ours. */
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

static void container_event(struct monitor *m, const struct proto_event *ev,
			    struct lighter_container_state *c)
{
	int64_t t = ev->time_ns ? ev->time_ns : time_wall_ns();

	if (ev->has & PROTO_EV_RESTART_COUNT)
		c->restart_count = ev->restart_count;
	switch (ev->kind) {
	case PROTO_EVENT_STARTED:
		clear_exit(c);
		c->state = LIGHTER_CONTAINER_RUNNING;
		c->started_at_ns = t;
		if (ev->has & PROTO_EV_PID)
			c->pid = ev->pid;
		break;
	case PROTO_EVENT_EXITED:
		clear_exit(c);
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
		break;
	case PROTO_EVENT_RESTARTING:
		c->state = LIGHTER_CONTAINER_RESTARTING;
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
