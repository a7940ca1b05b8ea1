/* monitor.c - the group monitor's life: load the group, spawn lighter-vmm,
 * run the loop, turn the VMM's end into the group's final state, answer
 * `lighter start` and whoever waits on ctl.sock, clean up (see
 * monitor.h).  It prints only to its own log (stderr = monitor.log). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "monitor.h"
#include "proc-threads.h"
#include "secure-env.h"
#include "state.h"
#include "timefmt.h"
#include "vmm-launch.h"

void monitor_log(struct monitor *m, const char *fmt, ...)
{
	char ts[TIME_RFC3339_LEN];
	va_list ap;

	time_format_rfc3339(time_wall_ns(), ts);
	fprintf(stderr, "%s lighter-monitor[%d]: ", ts, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void monitor_mark(struct monitor *m, enum lighter_phase p)
{
	m->st.timings[p].mono_ns = time_mono_ns();
	m->st.timings[p].wall_ns = time_wall_ns();
}

void monitor_save(struct monitor *m)
{
	struct lerr e = { 0 };

	if (state_write(m->o->dir_fd, &m->st, m->o->dir_path, &e) < 0)
		monitor_log(m, "error: %s", e.msg);
}

void monitor_report(struct monitor *m, int code, const char *msg)
{
	if (m->status_fd < 0)
		return;
	dprintf(m->status_fd, "%d %s\n", code, msg ? msg : "");
	close(m->status_fd);
	m->status_fd = -1;
}

void monitor_kill_vmm(struct monitor *m, int sig)
{
	if (m->vmm_running && m->vmm_pid > 0)
		kill(m->vmm_pid, sig);
}

static void on_kill_timer(uv_timer_t *t);

/* End a VMM that should have ended: say what its threads were doing,
 * SIGTERM (a hung guest's VMM names each vCPU's rip on its stop line in
 * vmm.log), SIGKILL if it is still there MONITOR_TERM_WAIT_MS later. */
static void monitor_end_vmm(struct monitor *m, const char *why)
{
	char threads[1024];

	if (!m->vmm_running || m->vmm_pid <= 0)
		return;
	if (m->vmm_term_sent) {
		monitor_log(m, "lighter-vmm %s: SIGKILL", why);
		monitor_kill_vmm(m, SIGKILL);
		return;
	}
	if (proc_threads_describe(m->vmm_pid, threads, sizeof(threads)))
		monitor_log(m, "lighter-vmm threads: %s", threads);
	monitor_log(m, "lighter-vmm %s: SIGTERM, SIGKILL in %d ms", why,
		    MONITOR_TERM_WAIT_MS);
	m->vmm_term_sent = true;
	monitor_kill_vmm(m, SIGTERM);
	uv_timer_stop(&m->kill_timer);
	uv_timer_start(&m->kill_timer, on_kill_timer, MONITOR_TERM_WAIT_MS, 0);
}

void monitor_fail(struct monitor *m, const char *reason)
{
	monitor_log(m, "failing: %s", reason);
	if (!m->fail_reason[0])
		snprintf(m->fail_reason, sizeof(m->fail_reason), "%s", reason);
	monitor_end_vmm(m, "must go");
}

static void on_kill_timer(uv_timer_t *t)
{
	monitor_end_vmm(t->data, "still there");
}

void monitor_kill_after(struct monitor *m, uint64_t ms)
{
	uv_timer_stop(&m->kill_timer);
	uv_timer_start(&m->kill_timer, on_kill_timer, ms, 0);
}

void monitor_stop(struct monitor *m, unsigned int grace_ms)
{
	if (!m->vmm_running || m->stop_requested)
		return;
	monitor_log(m, "stop requested (grace %u ms)", grace_ms);
	m->stop_requested = true;
	m->stop_grace_ms = grace_ms;
	m->st.state = LIGHTER_GROUP_STOPPING;
	events_note(m, 0, NULL, "Stopping", "Stopping the group");
	for (size_t i = 0; i < m->st.nr_containers; i++)
		if (m->st.containers[i].state == LIGHTER_CONTAINER_RUNNING)
			events_note(m, 0, m->st.containers[i].name, "Killing",
				    "Stopping container");
	monitor_save(m);
	if (m->phase == SESSION_RUNNING)
		session_stop(m, grace_ms);
	else if (m->phase >= SESSION_SPEC && m->phase < SESSION_DONE)
		session_poweroff(m);
	else
		monitor_kill_vmm(m, SIGTERM);
	monitor_kill_after(m, (uint64_t)grace_ms + MONITOR_KILL_AFTER_MS);
}

static void on_boot_timer(uv_timer_t *t)
{
	struct monitor *m = t->data;
	char why[160];

	if (m->st.timings[LIGHTER_PHASE_AGENT_CONNECTED].mono_ns)
		return;
	snprintf(why, sizeof(why), "the guest agent did not answer within "
		 "%lld s (see %s)", (long long)(m->o->boot_timeout_ms / 1000),
		 GROUP_CONSOLE_LOG);
	monitor_fail(m, why);
}

static void on_sigterm(uv_signal_t *s, int sig)
{
	monitor_stop(s->data, MONITOR_STOP_DEFAULT_MS);
}

/* Handles never initialised (a zeroed loop pointer) are skipped. */
static void close_handle(uv_handle_t *h)
{
	if (h->loop && !uv_is_closing(h))
		uv_close(h, NULL);
}

/* Everything the loop holds, so that uv_run() returns. */
static void monitor_close_handles(struct monitor *m)
{
	session_close(m);
	ctl_close(m);
	close_handle((uv_handle_t *)&m->retry_timer);
	close_handle((uv_handle_t *)&m->boot_timer);
	close_handle((uv_handle_t *)&m->kill_timer);
	close_handle((uv_handle_t *)&m->sigterm);
	close_handle((uv_handle_t *)&m->vmm_poll);
}

/* The VMM is gone: the group's final state. */
static void vmm_ended(struct monitor *m, int wstatus)
{
	char reason[600], path[] = GROUP_VMM_LOG;
	bool clean = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
	bool started = m->session_started;
	const char *why = NULL;

	m->vmm_running = false;
	monitor_mark(m, LIGHTER_PHASE_VMM_EXITED);
	vmm_exit_reason(wstatus, path, reason, sizeof(reason));
	monitor_log(m, "lighter-vmm (pid %d) ended: %s", (int)m->vmm_pid,
		    reason);
	session_close(m);
	m->phase = SESSION_DONE;
	if (m->fail_reason[0]) {
		why = m->fail_reason;
	} else if (!clean && !(m->stop_requested && WIFSIGNALED(wstatus))) {
		why = reason;
	} else if (!started && !m->stop_requested) {
		snprintf(m->fail_reason, sizeof(m->fail_reason),
			 "lighter-vmm exited before the group started: %.400s",
			 reason);
		why = m->fail_reason;
	}
	free(m->st.reason);
	m->st.reason = NULL;
	if (why) {
		m->st.state = LIGHTER_GROUP_FAILED;
		m->st.reason = strdup(why);
	} else {
		m->st.state = LIGHTER_GROUP_EXITED;
		if (m->stop_requested)
			m->st.reason = strdup("stopped");
	}
	m->st.finished_at_ns = time_wall_ns();
	state_finish_containers(&m->st, m->st.finished_at_ns);
	m->st.monitor_pid = 0;
	m->st.vmm_pid = 0;
	m->st.vmm_start_ticks = 0;
	monitor_save(m);
	if (why)
		monitor_report(m, 125, why);
	else if (!started)
		monitor_report(m, 125, "the group was stopped while starting");
	ctl_finish(m);
	monitor_close_handles(m);
}

static void on_vmm_exit(uv_poll_t *p, int status, int events)
{
	struct monitor *m = p->data;
	int ws = 0;
	pid_t r;

	do {
		r = waitpid(m->vmm_pid, &ws, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return; /* not yet */
	uv_poll_stop(p);
	vmm_ended(m, r < 0 ? 0 : ws);
}

/* Secure-env values into the SPEC about to be sent, in memory only (the
 * decoded m->spec and every file keep them out). */
static int monitor_open_secure_env(struct monitor *m, struct lerr *e)
{
	const struct monitor_opts *o = m->o;
	json_t *sealed = NULL;
	int r;

	if (faccessat(o->dir_fd, SECURE_ENV_FILE, F_OK, AT_SYMLINK_NOFOLLOW) <
	    0)
		return 0;
	if (!o->data_dir)
		return lerr_fail(e, EINVAL, "%s: secure-env without a data dir",
				 o->dir_path);
	r = group_json_read(o->dir_fd, SECURE_ENV_FILE, &sealed, o->dir_path,
			    e);
	if (r == 0)
		r = secure_env_open_into(o->data_dir, sealed, m->spec_json, e);
	json_decref(sealed);
	return r;
}

/* Load spec.json (checked by the protocol's decoder), layers.json and
 * the state. */
static int monitor_load(struct monitor *m, struct lerr *e)
{
	const struct monitor_opts *o = m->o;
	json_t *layers = NULL;
	int r;

	r = state_read(o->dir_fd, &m->st, o->dir_path, e);
	if (r == 0)
		r = group_json_read(o->dir_fd, GROUP_SPEC_FILE, &m->spec_json,
				    o->dir_path, e);
	if (r == 0)
		r = proto_group_from_json(m->spec_json, &m->spec, e);
	if (r == 0)
		r = monitor_open_secure_env(m, e);
	if (r == 0)
		r = group_json_read(o->dir_fd, GROUP_LAYERS_FILE, &layers,
				    o->dir_path, e);
	if (r == 0)
		r = group_layers_from_json(layers, &m->layers, &m->nr_layers,
					   GROUP_LAYERS_FILE, e);
	json_decref(layers);
	if (r == 0 && m->spec.n_containers != m->st.nr_containers)
		r = lerr_fail(e, EINVAL, "%s: spec.json and state.json "
			      "disagree on the containers", o->dir_path);
	return r;
}

/* A fresh run: state "starting", containers "created", timings reset. */
static void monitor_reset_state(struct monitor *m)
{
	struct lighter_group_state *st = &m->st;

	st->state = LIGHTER_GROUP_STARTING;
	free(st->reason);
	st->reason = NULL;
	st->monitor_pid = getpid();
	st->vmm_pid = 0;
	st->vmm_start_ticks = 0;
	st->started_at_ns = time_wall_ns();
	st->finished_at_ns = 0;
	memset(st->timings, 0, sizeof(st->timings));
	st->unpack_us = 0;
	st->layer_bytes = 0;
	for (size_t i = 0; i < st->nr_containers; i++) {
		struct lighter_container_state *c = &st->containers[i];

		c->state = LIGHTER_CONTAINER_CREATED;
		c->has_exit_code = false;
		c->exit_code = 0;
		c->signal = 0;
		c->restart_count = 0;
		c->started_at_ns = c->finished_at_ns = 0;
		c->oom_killed = false;
		free(c->error);
		c->error = NULL;
		c->pid = 0;
	}
}

static int open_logs(struct monitor *m, struct lerr *e)
{
	m->log_fds = calloc(m->st.nr_containers, sizeof(int));
	if (!m->log_fds)
		return lerr_fail(e, ENOMEM, "out of memory");
	mkdir(GROUP_LOGS_DIR, 0755);
	for (size_t i = 0; i < m->st.nr_containers; i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/%s.log", GROUP_LOGS_DIR,
			 m->st.containers[i].name);
		m->log_fds[i] = open(path, O_WRONLY | O_CREAT | O_APPEND |
						   O_CLOEXEC | O_NOFOLLOW,
				     0644);
		if (m->log_fds[i] < 0)
			return lerr_set(e, errno, "\"%s/%s\"", m->o->dir_path,
					path);
	}
	return 0;
}

static int spawn_vmm(struct monitor *m, struct lerr *e)
{
	struct vmm_params vp = {
		.vmm = m->o->vmm,
		.kernel = m->o->kernel,
		.initrd = m->o->initrd,
		.cpus = m->st.cpus,
		.mem_bytes = m->st.memory,
		.vsock_uds = GROUP_VSOCK_SOCK,
		.console = GROUP_CONSOLE_LOG,
	};
	struct volume_disks *d = m->o->disks;
	int r;

	for (size_t i = 0; d && i < d->n && i < VMM_MAX_DRIVES; i++) {
		if (strchr(d->paths[i], ','))
			return lerr_fail(e, EINVAL, "\"%s\": lighter-vmm takes "
					 "no ',' in a drive's path",
					 d->paths[i]);
		vp.drive_paths[i] = d->paths[i];
		vp.drive_ids[i] = d->ids[i];
		vp.nr_drives = i + 1;
	}
	unlink(GROUP_VSOCK_SOCK);
	/* lighter-vmm locks its drives itself (and fails on a lock held) */
	if (d)
		volume_disks_unlock(d);
	r = vmm_spawn(&vp, GROUP_VMM_LOG, &m->vmm_pid, &m->vmm_pidfd, e);
	if (r < 0)
		return r;
	m->vmm_running = true;
	monitor_mark(m, LIGHTER_PHASE_VMM_SPAWNED);
	m->st.vmm_pid = m->vmm_pid;
	m->st.vmm_start_ticks = pid_start_ticks(m->vmm_pid);
	monitor_log(m, "lighter-vmm started (pid %d)", (int)m->vmm_pid);
	r = uv_poll_init(&m->loop, &m->vmm_poll, m->vmm_pidfd);
	if (r < 0)
		return lerr_fail(e, -r, "uv_poll_init: %s", uv_strerror(r));
	m->vmm_poll.data = m;
	uv_poll_start(&m->vmm_poll, UV_READABLE, on_vmm_exit);
	return 0;
}

static int monitor_setup(struct monitor *m, struct lerr *e)
{
	int r;

	r = uv_loop_init(&m->loop);
	if (r < 0)
		return lerr_fail(e, -r, "uv_loop_init: %s", uv_strerror(r));
	uv_timer_init(&m->loop, &m->retry_timer);
	uv_timer_init(&m->loop, &m->boot_timer);
	uv_timer_init(&m->loop, &m->kill_timer);
	uv_signal_init(&m->loop, &m->sigterm);
	m->retry_timer.data = m->boot_timer.data = m->kill_timer.data = m;
	m->sigterm.data = m;
	uv_signal_start(&m->sigterm, on_sigterm, SIGTERM);
	r = monitor_load(m, e);
	if (r == 0)
		r = secrets_load(m, e);
	if (r < 0)
		return r;
	monitor_reset_state(m);
	monitor_mark(m, LIGHTER_PHASE_MONITOR_START);
	r = open_logs(m, e);
	if (r == 0)
		r = ctl_open(m, e);
	if (r < 0)
		return r;
	monitor_save(m);
	r = spawn_vmm(m, e);
	if (r < 0)
		return r;
	monitor_save(m);
	uv_timer_start(&m->boot_timer, on_boot_timer,
		       (uint64_t)m->o->boot_timeout_ms, 0);
	return session_begin(m);
}

static void monitor_free(struct monitor *m)
{
	for (size_t i = 0; m->log_fds && i < m->st.nr_containers; i++) {
		if (m->log_fds[i] >= 0)
			close(m->log_fds[i]);
	}
	free(m->log_fds);
	if (m->vmm_pidfd >= 0)
		close(m->vmm_pidfd);
	if (m->layer_fd >= 0)
		close(m->layer_fd);
	secrets_free(m);
	agent_conn_close(&m->conn);
	if (m->conn.rd_ok)
		proto_reader_free(&m->conn.rd);
	json_decref(m->spec_json);
	proto_group_free(&m->spec);
	group_layers_free(m->layers, m->nr_layers);
	lighter_group_state_free(&m->st);
}

int monitor_main(const struct monitor_opts *o)
{
	struct monitor m;
	struct lerr e = { 0 };
	bool auto_remove;
	int r;

	memset(&m, 0, sizeof(m));
	m.o = o;
	m.status_fd = o->status_fd;
	m.layer_fd = -1;
	m.vmm_pidfd = -1;
	agent_conn_init(&m.conn);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "lighter-mon");
	if (fchdir(o->dir_fd) < 0) {
		lerr_set(&e, errno, "\"%s\"", o->dir_path);
		monitor_report(&m, 125, e.msg);
		return 1;
	}
	monitor_log(&m, "monitor of group \"%s\" starting", o->name);
	r = monitor_setup(&m, &e);
	if (r < 0 && !m.retry_timer.loop) {
		/* not even a loop */
		monitor_report(&m, 125, e.msg);
		monitor_free(&m);
		return 1;
	}
	if (r < 0) {
		monitor_log(&m, "error: %s", e.msg);
		if (m.vmm_running) {
			/* the loop reports once the VMM is gone */
			monitor_fail(&m, e.msg);
		} else {
			if (m.st.nr_containers) {
				m.st.state = LIGHTER_GROUP_FAILED;
				free(m.st.reason);
				m.st.reason = strdup(e.msg);
				m.st.monitor_pid = 0;
				m.st.finished_at_ns = time_wall_ns();
				monitor_save(&m);
			}
			monitor_report(&m, 125, e.msg);
			monitor_close_handles(&m);
		}
	}
	uv_run(&m.loop, UV_RUN_DEFAULT);
	uv_loop_close(&m.loop);
	auto_remove = m.st.auto_remove && m.st.state >= LIGHTER_GROUP_EXITED;
	monitor_log(&m, "monitor of group \"%s\" done (%s)", o->name,
		    lighter_group_status_name(m.st.state));
	monitor_free(&m);
	if (auto_remove) {
		_cleanup_close_ int parent = open("..", O_RDONLY | O_DIRECTORY |
							       O_CLOEXEC);

		if (parent >= 0 &&
		    group_remove_tree(parent, o->name, o->dir_path, &e) < 0)
			fprintf(stderr, "lighter-monitor: %s\n", e.msg);
	}
	return 0;
}
