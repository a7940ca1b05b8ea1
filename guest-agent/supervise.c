/* supervise.c - the lifecycle of the group's containers: START (root,
 * cgroup, pipes, container_spawn), reaping, the exited event (sent once
 * the init is reaped AND both its pipes reached EOF, so the container's
 * last output comes before it), the restart policy with backoff, STOP
 * (SIGTERM, then cgroup.kill and SIGKILL after the grace period), SIGNAL,
 * and the group's end.
 *
 * States of a container: IDLE -> RUNNING -> EXITING -> DONE, or from
 * EXITING to BACKOFF and RUNNING again.  A spawn that fails goes straight
 * to EXITING with the launcher's exit code (125 setup, 126 cannot run,
 * 127 not found) and is never restarted: the same spec would fail again.
 *
 * Restarts: "on-failure" restarts after a non-zero exit code or a signal,
 * "always" after any exit; the delay starts at RESTART_BACKOFF_MIN_MS and
 * doubles up to RESTART_BACKOFF_MAX_MS, back to the start after a run of
 * RESTART_RESET_MS or more.  Nothing restarts once a STOP (or the agent's
 * own shutdown) began.  The container keeps its overlay upper directory
 * and cgroup across restarts.
 *
 * Init containers (SPEC "init": true) run one at a time, in SPEC order,
 * before the others start; each must exit 0.  A failing init restarts as
 * ACI maps the group's policy onto inits (always and on-failure:
 * on-failure; never: never); an init that fails for good leaves the other
 * containers IDLE, then DONE without ever running ("skipped"), and the
 * group ends with the init's status (the order: inits.c).  RESTART
 * (restart.c) restarts the other containers in place. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "cgroup2.h"
#include "container-root.h"
#include "serve-internal.h"

#define RESTART_BACKOFF_MIN_MS 100
#define RESTART_BACKOFF_MAX_MS 10000
#define RESTART_RESET_MS 10000

static int ctr_index(struct agent *a, const struct ctr *c)
{
	return (int)(c - a->ctrs);
}

static char **null_terminated(char **list, size_t n)
{
	char **v = calloc(n + 1, sizeof(*v));
	size_t i;

	for (i = 0; v && i < n; i++)
		v[i] = list[i];
	return v;
}

/* Overlay root (once), cgroup (once), argv and envp (once). */
static int ctr_prepare(struct agent *a, struct ctr *c, struct lerr *e)
{
	const struct proto_container *s = c->spec;
	const struct serve_config *cfg = a->cfg;
	int r;

	if (!c->argv)
		c->argv = null_terminated(s->args, s->n_args);
	if (!c->envp)
		c->envp = null_terminated(s->env, s->n_env);
	if (!c->argv || !c->envp)
		return lerr_set(e, ENOMEM, "container \"%s\": argv", s->name);
	if (!c->root_ready) {
		_cleanup_free_ char *dirs = NULL;
		const char *lowers[PROTO_MAX_LAYERS];
		size_t k, n = s->n_layers;

		dirs = malloc(n * PATH_MAX);
		if (!dirs)
			return lerr_set(e, ENOMEM, "container \"%s\": layers",
					s->name);
		/* overlayfs wants the top layer first; SPEC lists bottom
		 * first. */
		for (k = 0; k < n; k++) {
			char *d = dirs + k * PATH_MAX;

			r = layer_dir(a, s->layers[n - 1 - k], d, PATH_MAX);
			if (r < 0)
				return lerr_fail(e, r,
						 "container \"%s\": layer "
						 "path too long",
						 s->name);
			lowers[k] = d;
		}
		if (snprintf(c->state_dir, sizeof(c->state_dir),
			     "%s/containers/%s", cfg->run_dir,
			     s->name) >= (int)sizeof(c->state_dir))
			return lerr_fail(e, ENAMETOOLONG,
					 "container \"%s\": state directory "
					 "path too long",
					 s->name);
		r = container_root_prepare(lowers, n, c->state_dir, c->rootfs,
					   sizeof(c->rootfs), e);
		if (r < 0)
			return r;
		c->root_ready = true;
	}
	if (cfg->cgroup_parent && !c->cgroup_ready) {
		struct cgroup2_limits lim = {
		    .cpu_millis = s->cpu_millis,
		    .memory_bytes = s->memory_bytes,
		    .pids_max = s->pids_max,
		};

		r = cgroup2_create(cfg->cgroup_parent, s->name, &lim, c->cgroup,
				   sizeof(c->cgroup), e);
		if (r < 0)
			return r;
		c->cgroup_ready = true;
	}
	return 0;
}

void supervise_event(struct agent *a, struct ctr *c, enum proto_event_kind kind)
{
	struct proto_event ev = {
	    .kind = kind,
	    .time_ns = (int64_t)now_realtime_ns(),
	};

	snprintf(ev.container, sizeof(ev.container), "%s", c->spec->name);
	if (kind == PROTO_EVENT_STARTED || kind == PROTO_EVENT_KILLING ||
	    (kind == PROTO_EVENT_EXITED && !c->spawn_failed)) {
		ev.has |= PROTO_EV_PID;
		ev.pid = c->proc.pid;
	}
	if (kind == PROTO_EVENT_EXITED) {
		if (c->spawn_failed) {
			ev.has |= PROTO_EV_EXIT_CODE;
			ev.exit_code = c->spawn_exit_code;
			ev.error = c->error;
		} else if (WIFSIGNALED(c->wstatus)) {
			ev.has |= PROTO_EV_SIGNAL;
			ev.signal = WTERMSIG(c->wstatus);
		} else {
			ev.has |= PROTO_EV_EXIT_CODE;
			ev.exit_code = WEXITSTATUS(c->wstatus);
		}
		ev.has |= PROTO_EV_OOM_KILLED;
		ev.oom_killed = c->oom_killed;
	}
	if (c->restart_count > 0 || kind == PROTO_EVENT_RESTARTING) {
		ev.has |= PROTO_EV_RESTART_COUNT;
		ev.restart_count = c->restart_count;
	}
	if (kind == PROTO_EVENT_KILLING && c->kill_reason[0])
		ev.reason = c->kill_reason;
	send_event(a, &ev);
}

int supervise_spawn(struct agent *a, struct ctr *c, struct lerr *e)
{
	const struct serve_config *cfg = a->cfg;
	enum container_stage stage = CONTAINER_STAGE_SETUP;
	int wfd[2] = {-1, -1};
	char resolv[128];
	struct container_mount mounts[CONTAINER_MAX_MOUNTS];
	char sources[CONTAINER_MAX_MOUNTS][PATH_MAX];
	size_t n_mounts = 0;
	int r;

	free(c->error);
	c->error = NULL;
	c->spawn_failed = false;
	c->restart_now = false;
	c->kill_reason[0] = '\0';
	c->oom_killed = false;
	c->wstatus = 0;
	memset(&c->proc, 0, sizeof(c->proc));
	c->proc.pidfd = -1;
	r = ctr_prepare(a, c, e);
	for (size_t k = 0; r == 0 && k < c->spec->n_mounts &&
			   k < CONTAINER_MAX_MOUNTS;
	     k++) {
		const struct proto_mount *m = &c->spec->mounts[k];

		r = volume_dir(a, m->volume, sources[k], sizeof(sources[k]));
		if (r < 0)
			r = lerr_fail(e, -r, "container \"%s\": volume \"%s\": "
				      "path too long", c->spec->name,
				      m->volume);
		mounts[k] = (struct container_mount){
		    .source = sources[k],
		    .target = m->path,
		    .readonly = m->readonly,
		};
		n_mounts = k + 1;
	}
	if (r == 0)
		r = output_open(a, ctr_index(a, c), wfd, e);
	if (r == 0) {
		struct container_spec cs = {
		    .name = c->spec->name,
		    .hostname = a->spec.hostname,
		    .rootfs = c->rootfs,
		    .argv = c->argv,
		    .envp = c->envp,
		    .workdir = c->spec->workdir,
		    .user = c->spec->user,
		    .cgroup_dir = c->cgroup_ready ? c->cgroup : NULL,
		    .stdout_fd = wfd[0],
		    .stderr_fd = wfd[1],
		    .resolv_conf = resolv,
		    .mounts = mounts,
		    .n_mounts = n_mounts,
		};

		snprintf(resolv, sizeof(resolv), "nameserver %s\n", cfg->dns);
		c->oom_kills = 0;
		if (c->cgroup_ready &&
		    cgroup2_oom_kills(c->cgroup, &c->oom_kills, NULL) < 0)
			c->oom_kills = 0;
		r = container_spawn(&cs, &c->proc, e);
		stage = c->proc.failed_stage;
		close(wfd[0]);
		close(wfd[1]);
	}
	if (r < 0) {
		c->spawn_failed = true;
		c->spawn_exit_code = container_spawn_exit_code(stage, r);
		c->error = strdup(e->msg[0] ? e->msg : "start failed");
		c->state = CTR_EXITING;
		agent_note(a, "%s", e->msg);
		return r;
	}
	c->state = CTR_RUNNING;
	c->started_us = now_monotonic_us();
	supervise_event(a, c, PROTO_EVENT_STARTED);
	probes_start(a, c);
	return 0;
}

bool supervise_failed(const struct ctr *c)
{
	if (c->spawn_failed)
		return true;
	return !WIFEXITED(c->wstatus) || WEXITSTATUS(c->wstatus) != 0;
}

static bool restarts(const struct agent *a, const struct ctr *c)
{
	if (a->stopping || c->spawn_failed)
		return false;
	/* ACI: an init container restarts on failure under "always" and
	 * "on-failure", never under "never" */
	if (c->spec->init)
		return a->spec.restart != PROTO_RESTART_NEVER &&
		       supervise_failed(c);
	switch (a->spec.restart) {
	case PROTO_RESTART_ALWAYS:
		return true;
	case PROTO_RESTART_ON_FAILURE:
		return supervise_failed(c);
	case PROTO_RESTART_NEVER:
	default:
		return false;
	}
}

/* The group's status: the first container (in SPEC order) that failed,
 * else exit code 0. */
static void group_event(struct agent *a)
{
	struct proto_event ev = {
	    .kind = PROTO_EVENT_GROUP_EXITED,
	    .time_ns = (int64_t)now_realtime_ns(),
	    .has = PROTO_EV_EXIT_CODE,
	};
	size_t i;

	for (i = 0; i < a->n_ctrs; i++) {
		const struct ctr *c = &a->ctrs[i];

		if (!supervise_failed(c))
			continue;
		if (!c->spawn_failed && WIFSIGNALED(c->wstatus)) {
			ev.has = PROTO_EV_SIGNAL;
			ev.signal = WTERMSIG(c->wstatus);
		} else {
			ev.exit_code = c->spawn_failed
					   ? c->spawn_exit_code
					   : WEXITSTATUS(c->wstatus);
		}
		break;
	}
	send_event(a, &ev);
}

static void check_group(struct agent *a)
{
	size_t i;

	if (!a->started || a->group_exited)
		return;
	for (i = 0; i < a->n_ctrs; i++)
		if (a->ctrs[i].state != CTR_DONE)
			return;
	a->group_exited = true;
	ev_timer_disarm(&a->stop_timer);
	a->stop_deadline_us = 0;
	agent_note(a, "group \"%s\" exited", a->spec.name);
	group_event(a);
	for (i = 0; i < a->n_stop_ids; i++)
		send_ok(a, a->stop_ids[i], NULL);
	a->n_stop_ids = 0;
	serve_group_exited(a);
}

void supervise_maybe_exited(struct agent *a, struct ctr *c)
{
	uint64_t ran_ms;

	if (c->state != CTR_EXITING || c->out[0].open || c->out[1].open)
		return;
	supervise_event(a, c, PROTO_EVENT_EXITED);
	if (c->restart_now && !a->stopping && !c->spawn_failed) {
		/* RESTART: again at once, whatever the policy */
		c->restart_count++;
		c->state = CTR_BACKOFF;
		supervise_event(a, c, PROTO_EVENT_RESTARTING);
		ev_timer_arm(&c->restart_timer, 0);
		return;
	}
	if (!restarts(a, c)) {
		c->state = CTR_DONE;
		if (c->spec->init)
			supervise_start_next(a);
		check_group(a);
		return;
	}
	ran_ms = (now_monotonic_us() - c->started_us) / 1000;
	if (!c->backoff_ms || ran_ms >= RESTART_RESET_MS)
		c->backoff_ms = RESTART_BACKOFF_MIN_MS;
	else if (c->backoff_ms < RESTART_BACKOFF_MAX_MS / 2)
		c->backoff_ms *= 2;
	else
		c->backoff_ms = RESTART_BACKOFF_MAX_MS;
	c->restart_count++;
	c->state = CTR_BACKOFF;
	supervise_event(a, c, PROTO_EVENT_RESTARTING);
	ev_timer_arm(&c->restart_timer, c->backoff_ms);
}

static void on_restart_timer(struct agent *a, struct ev_source *s,
			     uint32_t events)
{
	struct ctr *c = container_of(s, struct ctr, restart_timer);
	struct lerr e = {0};

	if (!ev_timer_fired(s))
		return;
	if (c->state == CTR_RUNNING && c->restart_now) {
		/* a RESTART's grace period ended */
		agent_note(a,
			   "container \"%s\": still running after the "
			   "grace period, killing it",
			   c->spec->name);
		supervise_kill(a, c);
		return;
	}
	if (c->state != CTR_BACKOFF)
		return;
	agent_note(a, "container \"%s\": restart %lld", c->spec->name,
		   (long long)c->restart_count);
	if (supervise_spawn(a, c, &e) < 0)
		supervise_maybe_exited(a, c);
}

void supervise_stream_eof(struct agent *a, int c)
{
	supervise_maybe_exited(a, &a->ctrs[c]);
}

static void ctr_reaped(struct agent *a, struct ctr *c, int status)
{
	uint64_t kills = 0;

	c->wstatus = status;
	c->state = CTR_EXITING;
	probes_stop(a, c);
	container_proc_release(&c->proc);
	if (c->cgroup_ready &&
	    cgroup2_oom_kills(c->cgroup, &kills, NULL) == 0 &&
	    kills > c->oom_kills)
		c->oom_killed = true;
	if (WIFSIGNALED(status))
		agent_note(a, "container \"%s\" (pid %d) killed by signal %d",
			   c->spec->name, (int)c->proc.pid, WTERMSIG(status));
	else
		agent_note(a, "container \"%s\" (pid %d) exited with %d",
			   c->spec->name, (int)c->proc.pid,
			   WEXITSTATUS(status));
	supervise_maybe_exited(a, c);
}

void supervise_reap(struct agent *a)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		size_t i;

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		for (i = 0; i < a->n_ctrs; i++) {
			struct ctr *c = &a->ctrs[i];

			if (c->state == CTR_RUNNING && c->proc.pid == pid) {
				ctr_reaped(a, c, status);
				break;
			}
		}
		if (i == a->n_ctrs && !exec_reaped(a, pid, status))
			probes_reaped(a, pid, status);
	}
}

void supervise_start(struct agent *a, uint32_t id)
{
	struct proto_started st = {0};
	struct lerr e = {0}, first = {0};
	json_t *j = NULL;
	size_t i, k;
	bool init;
	int r;

	if (!a->have_spec) {
		lerr_fail(&e, EPROTO, "START: no SPEC yet");
		goto fail;
	}
	if (a->started || a->stopping) {
		lerr_fail(&e, EALREADY, "START: the group was %s already",
			  a->started ? "started" : "stopped");
		goto fail;
	}
	for (i = 0; i < a->spec.n_containers; i++) {
		const struct proto_container *s = &a->spec.containers[i];

		for (k = 0; k < s->n_layers; k++) {
			if (layer_present(a, s->layers[k]))
				continue;
			lerr_fail(&e, ENOENT,
				  "START: container \"%s\": layer %s has not "
				  "been sent",
				  s->name, s->layers[k]);
			goto fail;
		}
	}
	if (a->cfg->cgroup_parent && !a->cgroup_parent_ready) {
		r = cgroup2_prepare_parent(a->cfg->cgroup_root,
					   a->cfg->cgroup_parent,
					   CGROUP2_CONTROLLERS, &e);
		if (r < 0)
			goto fail;
		a->cgroup_parent_ready = true;
	}
	r = volumes_prepare(a, &e);
	if (r < 0)
		goto fail;
	for (i = 0; i < a->spec.n_containers; i++) {
		struct ctr *c = &a->ctrs[i];

		r = probes_open(a, c, &e);
		if (r < 0)
			goto fail;
		if (c->restart_timer.fd >= 0)
			continue;
		r = ev_timer_open(a, &c->restart_timer, on_restart_timer, &e);
		if (r < 0)
			goto fail;
	}

	a->started = true;
	a->n_ctrs = a->spec.n_containers;
	init = supervise_has_init(a);
	for (i = 0; i < a->n_ctrs; i++) {
		struct ctr *c = &a->ctrs[i];

		/* with inits, only the first starts now (inits.c) */
		if (init && (!c->spec->init || st.n || first.code))
			continue;
		memset(&e, 0, sizeof(e));
		if (supervise_spawn(a, c, &e) < 0) {
			if (!first.code)
				first = e;
			continue;
		}
		snprintf(st.c[st.n].name, sizeof(st.c[st.n].name), "%s",
			 c->spec->name);
		st.c[st.n++].pid = c->proc.pid;
	}
	if (st.n == 0) {
		send_error(a, id, &first);
	} else if (proto_started_to_json(&st, &j, &e) < 0) {
		send_error(a, id, &e);
	} else {
		send_ok(a, id, j);
	}
	for (i = 0; i < a->n_ctrs; i++)
		supervise_maybe_exited(a, &a->ctrs[i]);
	return;
fail:
	send_error(a, id, &e);
}

void supervise_kill(struct agent *a, struct ctr *c)
{
	struct lerr e = {0};

	if (c->cgroup_ready && cgroup2_kill(c->cgroup, &e) < 0)
		agent_note(a, "%s", e.msg);
	if (container_signal(&c->proc, SIGKILL, &e) < 0 && e.code != ESRCH)
		agent_note(a, "container \"%s\": %s", c->spec->name, e.msg);
}

void supervise_on_stop_timer(struct agent *a, struct ev_source *s,
			     uint32_t events)
{
	size_t i;

	if (!ev_timer_fired(s))
		return;
	a->stop_deadline_us = 0;
	for (i = 0; i < a->n_ctrs; i++) {
		struct ctr *c = &a->ctrs[i];

		if (c->state != CTR_RUNNING)
			continue;
		agent_note(a,
			   "container \"%s\": still running after the "
			   "grace period, killing it",
			   c->spec->name);
		supervise_kill(a, c);
	}
}

void supervise_stop(struct agent *a, uint32_t id, uint32_t grace_ms)
{
	uint64_t deadline;
	struct lerr e = {0};
	size_t i;

	if (!a->started || a->group_exited) {
		a->stopping = true;
		if (id)
			send_ok(a, id, NULL);
		return;
	}
	if (id && a->n_stop_ids == MAX_PENDING_STOPS) {
		lerr_fail(&e, EBUSY,
			  "STOP: %d STOP requests are pending already",
			  MAX_PENDING_STOPS);
		send_error(a, id, &e);
		return;
	}
	if (id)
		a->stop_ids[a->n_stop_ids++] = id;
	a->stopping = true;
	for (i = 0; i < a->n_ctrs; i++) {
		struct ctr *c = &a->ctrs[i];

		if (c->state == CTR_BACKOFF) {
			ev_timer_disarm(&c->restart_timer);
			c->state = CTR_DONE;
		} else if (c->state == CTR_IDLE) {
			c->skipped = true; /* behind an init: never runs */
			c->state = CTR_DONE;
		} else if (c->state == CTR_RUNNING &&
			   container_signal(&c->proc, SIGTERM, &e) < 0 &&
			   e.code != ESRCH) {
			agent_note(a, "container \"%s\": %s", c->spec->name,
				   e.msg);
		}
	}
	deadline = now_monotonic_us() + (uint64_t)grace_ms * 1000;
	if (!a->stop_deadline_us || deadline < a->stop_deadline_us) {
		a->stop_deadline_us = deadline;
		ev_timer_arm(&a->stop_timer, grace_ms);
	}
	check_group(a);
}

void supervise_signal(struct agent *a, uint32_t id,
		      const struct proto_signal *s)
{
	struct lerr e = {0};
	size_t i;

	for (i = 0; a->have_spec && i < a->spec.n_containers; i++)
		if (strcmp(a->spec.containers[i].name, s->container) == 0)
			break;
	if (!a->have_spec || i == a->spec.n_containers) {
		lerr_fail(&e, ENOENT,
			  "SIGNAL: no container \"%s\" in the group",
			  s->container);
	} else if (i >= a->n_ctrs || a->ctrs[i].state != CTR_RUNNING) {
		lerr_fail(&e, ESRCH, "SIGNAL: container \"%s\" is not running",
			  s->container);
	} else if (container_signal(&a->ctrs[i].proc, s->signal, &e) < 0) {
		char msg[sizeof(e.msg)];

		snprintf(msg, sizeof(msg), "%s", e.msg);
		lerr_fail(&e, e.code, "SIGNAL: container \"%s\": %s",
			  s->container, msg);
	} else {
		send_ok(a, id, NULL);
		return;
	}
	send_error(a, id, &e);
}

void supervise_kill_all(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->n_ctrs; i++)
		if (a->ctrs[i].state == CTR_RUNNING)
			supervise_kill(a, &a->ctrs[i]);
}

void supervise_free(struct agent *a)
{
	size_t i;

	for (i = 0; i < PROTO_MAX_CONTAINERS; i++) {
		struct ctr *c = &a->ctrs[i];

		output_close(a, (int)i);
		probes_free(a, c);
		ev_close(a, &c->restart_timer);
		container_proc_release(&c->proc);
		free(c->argv);
		free(c->envp);
		free(c->error);
		c->argv = c->envp = NULL;
		c->error = NULL;
	}
}
