/* serve.c - agent_serve() (serve.h): the agent's state, its run
 * directory, the signalfd (SIGCHLD reaps; SIGTERM, SIGINT and SIGPWR from
 * the kernel stop the group and power off), the epoll loop, and the end:
 * when to power off (POWEROFF; the group exited and the host closed or
 * stayed away for idle_poweroff_ms; a shutdown signal) and the last flush
 * of the send queue before the caller powers off. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve-internal.h"

/* The grace a shutdown signal gives containers. */
#define SHUTDOWN_GRACE_MS 10000
/* How long the host gets to take the last frames (POWEROFF's OK). */
#define FINAL_DRAIN_MS 5000
/* How long killed containers get to be reaped before returning. */
#define FINAL_REAP_MS 2000
#define EPOLL_BATCH 32

void agent_note(struct agent *a, const char *fmt, ...)
{
	char line[640];
	va_list ap;

	if (!a->cfg->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->cfg->log("%s", line);
}

void serve_quit(struct agent *a)
{
	a->quit = true;
}

void serve_group_exited(struct agent *a)
{
	if (a->shutdown) {
		serve_quit(a);
		return;
	}
	if (a->conn.fd < 0)
		ev_timer_arm(&a->idle_timer, a->cfg->idle_poweroff_ms
						 ? a->cfg->idle_poweroff_ms
						 : SERVE_IDLE_POWEROFF_MS);
}

static void on_idle_timer(struct agent *a, struct ev_source *s, uint32_t events)
{
	if (!ev_timer_fired(s) || !a->group_exited || a->conn.fd >= 0)
		return;
	agent_note(a, "the group has exited and no host is connected: "
		      "powering off");
	serve_quit(a);
}

static void shutdown_signal(struct agent *a, int sig)
{
	agent_note(a, "signal %d: stopping the group and powering off", sig);
	a->shutdown = true;
	if (a->started && !a->group_exited)
		supervise_stop(a, 0, SHUTDOWN_GRACE_MS);
	else
		serve_quit(a);
}

static void on_signalfd(struct agent *a, struct ev_source *s, uint32_t events)
{
	struct signalfd_siginfo si;
	bool reap = false;

	while (read(s->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap = true;
		else
			shutdown_signal(a, (int)si.ssi_signo);
	}
	if (reap)
		supervise_reap(a);
}

/* mkdir -p for an absolute path. */
static int make_dirs(const char *path, struct lerr *e)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (path[0] != '/' || n >= sizeof(buf))
		return lerr_fail(e, EINVAL,
				 "run directory \"%s\": not an absolute path "
				 "of at most %d bytes",
				 path, PATH_MAX - 1);
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return lerr_set(e, errno, "mkdir \"%s\"", buf);
		buf[i] = path[i];
	}
	return 0;
}

static int make_run_dir(const struct serve_config *cfg, struct lerr *e)
{
	static const char *const subdirs[] = {"blobs", "layers", "containers"};
	char path[PATH_MAX];
	size_t i;
	int r;

	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", cfg->run_dir,
			     subdirs[i]) >= (int)sizeof(path))
			return lerr_fail(e, ENAMETOOLONG,
					 "run directory \"%s\": too long",
					 cfg->run_dir);
		r = make_dirs(path, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static void init_sources(struct agent *a)
{
	size_t i;

	ev_init(&a->listen, session_on_listen);
	ev_init(&a->conn, session_on_conn);
	ev_init(&a->sigfd, on_signalfd);
	ev_init(&a->stop_timer, supervise_on_stop_timer);
	ev_init(&a->idle_timer, on_idle_timer);
	a->layer.blob_fd = -1;
	for (i = 0; i < PROTO_MAX_CONTAINERS; i++) {
		struct ctr *c = &a->ctrs[i];

		ev_init(&c->out[0].src, NULL);
		ev_init(&c->out[1].src, NULL);
		ev_init(&c->restart_timer, NULL);
		ev_init(&c->probes[0].timer, NULL);
		ev_init(&c->probes[0].sock, NULL);
		ev_init(&c->probes[1].timer, NULL);
		ev_init(&c->probes[1].sock, NULL);
		c->proc.pidfd = -1;
	}
}

static int setup(struct agent *a, const struct serve_config *cfg,
		 struct lerr *e)
{
	sigset_t mask;
	int fd, r;

	r = make_run_dir(cfg, e);
	if (r < 0)
		return r;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGPWR);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return lerr_set(e, errno, "sigprocmask");
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0)
		return lerr_set(e, errno, "epoll_create1");
	r = proto_reader_init(&a->reader, e);
	if (r < 0)
		return r;
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return lerr_set(e, errno, "signalfd");
	r = ev_open(a, &a->sigfd, fd, EPOLLIN, e);
	if (r == 0)
		r = ev_timer_open(a, &a->stop_timer, supervise_on_stop_timer,
				  e);
	if (r == 0)
		r = ev_timer_open(a, &a->idle_timer, on_idle_timer, e);
	return r;
}

static int adopt_fds(struct agent *a, const struct serve_config *cfg,
		     struct lerr *e)
{
	int r = 0, fd;

	if (cfg->listen_fd >= 0) {
		fd = cfg->listen_fd;
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			r = lerr_set(e, errno, "listening socket");
			close(fd);
		} else {
			r = ev_open(a, &a->listen, fd, EPOLLIN, e);
		}
	}
	if (cfg->exec_listen_fd >= 0) {
		fd = cfg->exec_listen_fd;
		if (r < 0 ||
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			if (r == 0)
				r = lerr_set(e, errno, "exec socket");
			close(fd);
		} else {
			r = ev_open(a, &a->exec_listen, fd, EPOLLIN, e);
		}
	}
	if (cfg->conn_fd >= 0) {
		fd = cfg->conn_fd;
		if (r < 0 ||
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			if (r == 0)
				r = lerr_set(e, errno, "host connection");
			close(fd);
		} else {
			r = session_adopt(a, fd, e);
		}
	}
	return r;
}

static void run_loop(struct agent *a)
{
	struct epoll_event evs[EPOLL_BATCH];
	int i, n;

	while (!a->quit) {
		sendq_flush(a);
		n = epoll_wait(a->epfd, evs, EPOLL_BATCH, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			agent_note(a, "error: epoll_wait: %s", strerror(errno));
			return;
		}
		for (i = 0; i < n && !a->quit; i++) {
			struct ev_source *s = evs[i].data.ptr;

			if (s->fd >= 0 && s->fn)
				s->fn(a, s, evs[i].events);
		}
	}
}

/* Kill what still runs and reap it (bounded), without events: the host
 * has had its last word. */
static void final_reap(struct agent *a)
{
	uint64_t end = now_monotonic_us() + FINAL_REAP_MS * 1000;
	size_t i, running;

	supervise_kill_all(a);
	do {
		running = 0;
		for (i = 0; i < a->n_ctrs; i++) {
			struct ctr *c = &a->ctrs[i];

			if (c->state != CTR_RUNNING)
				continue;
			if (waitpid(c->proc.pid, NULL, WNOHANG) == c->proc.pid)
				c->state = CTR_DONE;
			else
				running++;
		}
		if (running)
			usleep(10000);
	} while (running && now_monotonic_us() < end);
}

int agent_serve(const struct serve_config *cfg, struct lerr *e)
{
	struct agent *a = calloc(1, sizeof(*a));
	int r;

	if (!a) {
		if (cfg->listen_fd >= 0)
			close(cfg->listen_fd);
		if (cfg->conn_fd >= 0)
			close(cfg->conn_fd);
		if (cfg->exec_listen_fd >= 0)
			close(cfg->exec_listen_fd);
		return lerr_set(e, ENOMEM, "agent state");
	}
	a->cfg = cfg;
	a->epfd = -1;
	init_sources(a);
	exec_init(a);
	r = setup(a, cfg, e);
	if (r < 0) {
		if (cfg->listen_fd >= 0)
			close(cfg->listen_fd);
		if (cfg->conn_fd >= 0)
			close(cfg->conn_fd);
		if (cfg->exec_listen_fd >= 0)
			close(cfg->exec_listen_fd);
	} else {
		r = adopt_fds(a, cfg, e);
	}
	if (r == 0) {
		run_loop(a);
		sendq_flush(a);
		sendq_drain(a, FINAL_DRAIN_MS, false);
		final_reap(a);
		volumes_unmount(a);
		sync();
	}

	exec_free(a);
	ev_close(a, &a->conn);
	ev_close(a, &a->listen);
	ev_close(a, &a->sigfd);
	ev_close(a, &a->stop_timer);
	ev_close(a, &a->idle_timer);
	layers_abort(a);
	sendq_free(a);
	supervise_free(a);
	proto_group_free(&a->spec);
	proto_reader_free(&a->reader);
	if (a->epfd >= 0)
		close(a->epfd);
	free(a);
	return r;
}
