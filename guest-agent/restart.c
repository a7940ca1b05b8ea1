/* restart.c - RESTART: the group's containers restarted in place, in the
 * same VM, whatever the restart policy (`lighter restart GROUP`).  Init
 * containers ran to completion before and are not run again.
 *
 * Per container: a running one gets a "killing" event and SIGTERM, and
 * is killed (cgroup.kill, SIGKILL) if it still runs grace_ms later (its
 * restart timer is the deadline); once it has exited, supervise.c starts
 * it again at once with its restart count one higher.  One waiting in
 * back-off starts at once; one that had exited for good starts again.
 * The restart of each shows as its usual "exited", "restarting" and
 * "started" events. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "serve-internal.h"

static void restart_running(struct agent *a, struct ctr *c, uint32_t grace_ms)
{
	struct lerr e = {0};

	c->restart_now = true;
	snprintf(c->kill_reason, sizeof(c->kill_reason), "restart requested");
	supervise_event(a, c, PROTO_EVENT_KILLING);
	if (container_signal(&c->proc, SIGTERM, &e) < 0 && e.code != ESRCH)
		agent_note(a, "container \"%s\": %s", c->spec->name, e.msg);
	ev_timer_arm(&c->restart_timer, grace_ms);
}

void supervise_restart(struct agent *a, uint32_t id, uint32_t grace_ms)
{
	struct lerr e = {0};
	size_t i;

	if (!a->started) {
		lerr_fail(&e, EPROTO, "RESTART: the group has not started");
		send_error(a, id, &e);
		return;
	}
	if (a->stopping || a->group_exited) {
		lerr_fail(&e, EALREADY, "RESTART: the group is %s",
			  a->group_exited ? "over" : "stopping");
		send_error(a, id, &e);
		return;
	}
	agent_note(a, "RESTART (grace %u ms)", (unsigned int)grace_ms);
	for (i = 0; i < a->n_ctrs; i++) {
		struct ctr *c = &a->ctrs[i];

		if (c->spec->init)
			continue;
		switch (c->state) {
		case CTR_RUNNING:
			if (!c->restart_now)
				restart_running(a, c, grace_ms);
			break;
		case CTR_EXITING:
			c->restart_now = true;
			break;
		case CTR_BACKOFF:
			ev_timer_arm(&c->restart_timer, 0);
			break;
		case CTR_DONE:
			if (c->skipped)
				break;
			c->restart_count++;
			c->state = CTR_BACKOFF;
			supervise_event(a, c, PROTO_EVENT_RESTARTING);
			ev_timer_arm(&c->restart_timer, 0);
			break;
		case CTR_IDLE: /* behind an init: starts in its turn */
		default:
			break;
		}
	}
	send_ok(a, id, NULL);
}
