/* monitor-requests.c - requests that come from ctl.sock and whose
 * answer goes back to the client that asked (SIGNAL, RESTART): one slot
 * each in the monitor's pending table until the agent's OK or ERROR
 * (matched in monitor-session.c). */
#include <errno.h>
#include <stdio.h>

#include "monitor.h"

/* A request whose OK or ERROR goes to a ctl client (SIGNAL, RESTART);
 * body is consumed. */
static int queue_for_client(struct monitor *m, struct ctl_client *cl,
			    uint16_t type, json_t *body, struct lerr *e)
{
	int slot = -1, r;

	for (int i = 0; i < MONITOR_MAX_PENDING_SIGNALS; i++) {
		if (!m->signals[i].id) {
			slot = i;
			break;
		}
	}
	if (slot < 0) {
		json_decref(body);
		return lerr_fail(e, EBUSY, "too many requests in flight");
	}
	m->signals[slot].id = agent_conn_next_id(&m->conn);
	m->signals[slot].client = cl;
	r = agent_conn_queue_json(&m->conn, type, m->signals[slot].id, body,
				  e);
	json_decref(body);
	if (r < 0) {
		m->signals[slot].id = 0;
		return r;
	}
	session_pump(m);
	return 0;
}

int session_signal(struct monitor *m, struct ctl_client *cl,
		   const char *container, int sig, struct lerr *e)
{
	struct proto_signal s = { .signal = sig };
	json_t *body;
	int r;

	if (m->phase != SESSION_RUNNING || m->poweroff_sent)
		return lerr_fail(e, ENOTCONN, "the group is not running");
	snprintf(s.container, sizeof(s.container), "%s", container);
	r = proto_signal_to_json(&s, &body, e);
	if (r < 0)
		return r;
	return queue_for_client(m, cl, PROTO_SIGNAL, body, e);
}

int session_restart(struct monitor *m, struct ctl_client *cl,
		    unsigned int grace_ms, struct lerr *e)
{
	struct proto_stop s = { .grace_ms = grace_ms };
	json_t *body;
	int r;

	if (m->phase != SESSION_RUNNING || m->poweroff_sent ||
	    m->stop_requested || m->group_exited)
		return lerr_fail(e, ENOTCONN, "the group is not running");
	if (s.grace_ms > PROTO_GRACE_MS_MAX)
		s.grace_ms = PROTO_GRACE_MS_MAX;
	r = proto_restart_to_json(&s, &body, e);
	if (r < 0)
		return r;
	monitor_log(m, "restart requested (grace %u ms)", s.grace_ms);
	events_note(m, 0, NULL, "Restarting",
		    "Restarting every container in place");
	monitor_save(m);
	return queue_for_client(m, cl, PROTO_RESTART, body, e);
}
