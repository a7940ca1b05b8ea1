/* probe.c - liveness and readiness probes (SPEC "probes", protocol.h):
 * per container and kind a timer that runs one attempt at a time, from
 * delay_ms after the container started, every period_ms, each given
 * timeout_ms:
 *
 *   exec  a child that joins the container's cgroup and namespaces (its
 *         init's pidfd: mount, UTS, IPC, PID), forks into them and execs
 *         the command in the container's environment and working
 *         directory (as root, output to /dev/null); exit 0 passes;
 *   http  a non-blocking TCP connect to 127.0.0.1:port (the group shares
 *         the agent's network), `GET path HTTP/1.0`; a status of 200-399
 *         passes.
 *
 * Every failed attempt is an "unhealthy" event.  `failures` in a row:
 * a readiness probe says not ready (a "readiness" event), a liveness
 * probe has the container killed ("killing", then SIGKILL through
 * cgroup.kill) and the restart policy decides, as Kubernetes does.
 * `successes` in a row make a readiness probe say ready.  Probes stop
 * when the container stops running and start afresh with each run. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve-internal.h"

#define HTTP_REQUEST_MAX 4200

static const char *kind_name(const struct probe *p)
{
	return p->spec->kind[0] == 'l' ? "Liveness" : "Readiness";
}

static bool is_liveness(const struct probe *p)
{
	return p->spec->kind[0] == 'l';
}

static void probe_event(struct agent *a, struct probe *p,
			enum proto_event_kind kind, const char *reason)
{
	struct proto_event ev = {
	    .kind = kind,
	    .time_ns = (int64_t)now_realtime_ns(),
	};

	snprintf(ev.container, sizeof(ev.container), "%s", p->ctr->spec->name);
	if (kind == PROTO_EVENT_READINESS) {
		ev.has |= PROTO_EV_READY;
		ev.ready = p->ready;
	}
	if (p->ctr->restart_count > 0) {
		ev.has |= PROTO_EV_RESTART_COUNT;
		ev.restart_count = p->ctr->restart_count;
	}
	ev.reason = (char *)reason;
	send_event(a, &ev);
}

/* Forget an attempt in flight: its child killed (reaped by
 * supervise_reap(), which no longer finds it), its socket closed. */
static void abort_attempt(struct agent *a, struct probe *p)
{
	if (p->pid > 0)
		kill(-p->pid, SIGKILL);
	p->pid = 0;
	ev_close(a, &p->sock);
	p->inflight = false;
}

static void next_attempt_in(struct probe *p)
{
	uint64_t took = (now_monotonic_us() - p->started_us) / 1000;

	ev_timer_arm(&p->timer, took >= p->spec->period_ms
				    ? 0
				    : p->spec->period_ms - took);
}

static void passed(struct agent *a, struct probe *p)
{
	p->fails = 0;
	if (p->passes < UINT32_MAX)
		p->passes++;
	if (!is_liveness(p) && !p->ready && p->passes >= p->spec->successes) {
		p->ready = true;
		probe_event(a, p, PROTO_EVENT_READINESS, NULL);
	}
}

static void failed(struct agent *a, struct probe *p, const char *why)
{
	struct ctr *c = p->ctr;
	char reason[256];

	p->passes = 0;
	if (p->fails < UINT32_MAX)
		p->fails++;
	snprintf(reason, sizeof(reason), "%s probe failed: %s", kind_name(p),
		 why);
	probe_event(a, p, PROTO_EVENT_UNHEALTHY, reason);
	if (p->fails < p->spec->failures)
		return;
	if (!is_liveness(p)) {
		if (p->ready) {
			p->ready = false;
			probe_event(a, p, PROTO_EVENT_READINESS, NULL);
		}
		return;
	}
	agent_note(a, "container \"%s\": %s, killing it", c->spec->name,
		   reason);
	snprintf(c->kill_reason, sizeof(c->kill_reason),
		 "liveness probe failed");
	supervise_event(a, c, PROTO_EVENT_KILLING);
	probes_stop(a, c);
	supervise_kill(a, c);
}

/* An attempt ended: its verdict, then the next one a period after this
 * one began. */
static void finish(struct agent *a, struct probe *p, bool ok, const char *why)
{
	p->inflight = false;
	p->pid = 0;
	ev_close(a, &p->sock);
	if (a->stopping || p->ctr->state != CTR_RUNNING)
		return;
	next_attempt_in(p);
	if (ok)
		passed(a, p);
	else
		failed(a, p, why);
}

/* ---- exec ---- */

static int join_cgroup(const char *dir)
{
	char path[PATH_MAX + 16];
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, "0", 1) != 1)
		r = -1;
	close(fd);
	return r;
}

/* The first child: in the cgroup and namespaces, a grandchild runs the
 * command; its status becomes ours.  Never returns. */
static void exec_child(const struct ctr *c, const struct proto_probe *pr)
{
	extern char **environ;
	const char *dir = c->spec->workdir ? c->spec->workdir : "/";
	sigset_t none;
	char **argv;
	pid_t gc;
	int status, fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (c->cgroup_ready)
		join_cgroup(c->cgroup);
	if (setns(c->proc.pidfd,
		  CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID) < 0)
		_exit(125);
	gc = fork();
	if (gc < 0)
		_exit(125);
	if (gc == 0) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (chdir(dir) < 0 && chdir("/") < 0)
			_exit(125);
		/* decoded lists are counted, not NULL-terminated */
		argv = calloc(pr->n_exec + 1, sizeof(*argv));
		if (!argv)
			_exit(125);
		memcpy(argv, pr->exec, pr->n_exec * sizeof(*argv));
		environ = c->envp;
		execvp(argv[0], argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(gc, &status, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void start_exec(struct agent *a, struct probe *p)
{
	char why[64];
	pid_t pid;

	if (p->ctr->proc.pidfd < 0) {
		finish(a, p, false, "the container has no pidfd");
		return;
	}
	pid = fork();
	if (pid == 0)
		exec_child(p->ctr, p->spec);
	if (pid < 0) {
		snprintf(why, sizeof(why), "fork: %s", strerror(errno));
		finish(a, p, false, why);
		return;
	}
	p->pid = pid;
}

bool probes_reaped(struct agent *a, pid_t pid, int status)
{
	char why[64];
	size_t i, k;

	for (i = 0; i < a->n_ctrs; i++) {
		for (k = 0; k < 2; k++) {
			struct probe *p = &a->ctrs[i].probes[k];
			int code;

			if (!p->spec || !p->inflight || p->pid != pid)
				continue;
			code = WIFEXITED(status) ? WEXITSTATUS(status)
						 : 128 + WTERMSIG(status);
			snprintf(why, sizeof(why), "exit code %d", code);
			finish(a, p, code == 0, why);
			return true;
		}
	}
	return false;
}

/* ---- http ---- */

static void on_sock(struct agent *a, struct ev_source *s, uint32_t events)
{
	struct probe *p = container_of(s, struct probe, sock);
	char req[HTTP_REQUEST_MAX], why[96];
	int err = 0, status = 0, n;
	socklen_t len = sizeof(err);
	ssize_t got;

	if (!p->sent) {
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			snprintf(why, sizeof(why), "connect to port %u: %s",
				 (unsigned int)p->spec->http_port,
				 strerror(err));
			finish(a, p, false, why);
			return;
		}
		n = snprintf(req, sizeof(req),
			     "GET %s HTTP/1.0\r\nHost: localhost\r\n"
			     "User-Agent: lighter-probe\r\n\r\n",
			     p->spec->http_path ? p->spec->http_path : "/");
		if (send(s->fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
			snprintf(why, sizeof(why), "send: %s", strerror(errno));
			finish(a, p, false, why);
			return;
		}
		p->sent = true;
		ev_watch(a, s, EPOLLIN);
		return;
	}
	got = recv(s->fd, p->head + p->head_len,
		   sizeof(p->head) - 1 - p->head_len, 0);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got > 0) {
		p->head_len += (size_t)got;
		p->head[p->head_len] = '\0';
		if (!strstr(p->head, "\r\n") &&
		    p->head_len < sizeof(p->head) - 1)
			return;
	}
	if (sscanf(p->head, "HTTP/1.%*d %d", &status) != 1) {
		finish(a, p, false, "no HTTP status line");
		return;
	}
	snprintf(why, sizeof(why), "HTTP status %d", status);
	finish(a, p, status >= 200 && status < 400, why);
}

static void start_http(struct agent *a, struct probe *p)
{
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)p->spec->http_port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct lerr e = {0};
	char why[96];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	p->sent = false;
	p->head_len = 0;
	p->head[0] = '\0';
	if (fd < 0 || (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
		       errno != EINPROGRESS)) {
		snprintf(why, sizeof(why), "connect to port %u: %s",
			 (unsigned int)p->spec->http_port, strerror(errno));
		if (fd >= 0)
			close(fd);
		finish(a, p, false, why);
		return;
	}
	if (ev_open(a, &p->sock, fd, EPOLLOUT, &e) < 0)
		finish(a, p, false, e.msg);
}

/* ---- the schedule ---- */

static void on_timer(struct agent *a, struct ev_source *s, uint32_t events)
{
	struct probe *p = container_of(s, struct probe, timer);
	char why[64];

	if (!ev_timer_fired(s) || !p->spec)
		return;
	if (a->stopping || p->ctr->state != CTR_RUNNING)
		return;
	if (p->inflight) {
		abort_attempt(a, p);
		snprintf(why, sizeof(why), "timed out after %u ms",
			 (unsigned int)p->spec->timeout_ms);
		finish(a, p, false, why);
		return;
	}
	p->inflight = true;
	p->started_us = now_monotonic_us();
	ev_timer_arm(&p->timer, p->spec->timeout_ms);
	if (p->spec->exec)
		start_exec(a, p);
	else
		start_http(a, p);
}

int probes_open(struct agent *a, struct ctr *c, struct lerr *e)
{
	size_t k;
	int r;

	for (k = 0; k < c->spec->n_probes && k < 2; k++) {
		const struct proto_probe *pr = &c->spec->probes[k];
		struct probe *p = &c->probes[pr->kind[0] == 'l' ? 0 : 1];

		if (p->timer.fd >= 0)
			continue;
		p->spec = pr;
		p->ctr = c;
		r = ev_timer_open(a, &p->timer, on_timer, e);
		if (r < 0)
			return r;
		ev_init(&p->sock, on_sock);
	}
	return 0;
}

void probes_start(struct agent *a, struct ctr *c)
{
	size_t k;

	for (k = 0; k < 2; k++) {
		struct probe *p = &c->probes[k];

		if (!p->spec)
			continue;
		abort_attempt(a, p);
		p->passes = p->fails = 0;
		p->ready = false;
		ev_timer_arm(&p->timer, p->spec->delay_ms);
	}
}

void probes_stop(struct agent *a, struct ctr *c)
{
	size_t k;

	for (k = 0; k < 2; k++) {
		struct probe *p = &c->probes[k];

		if (!p->spec)
			continue;
		abort_attempt(a, p);
		ev_timer_disarm(&p->timer);
	}
}

void probes_free(struct agent *a, struct ctr *c)
{
	size_t k;

	for (k = 0; k < 2; k++) {
		abort_attempt(a, &c->probes[k]);
		ev_close(a, &c->probes[k].timer);
		c->probes[k].spec = NULL;
	}
}
