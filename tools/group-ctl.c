/* group-ctl.c - what other processes ask of a running group, through its
 * monitor's ctl.sock (stop, signal), and removing a group (killing a
 * running one first when forced). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "group-dir.h"
#include "state.h"
#include "timefmt.h"

/* Send one request line; with wait_ms >= 0 read the answer line (at most
 * wait_ms).  -ENOTCONN when no monitor listens or it went away without an
 * answer. */
static int ctl_request(int dir_fd, const char *name, const char *line,
		       int64_t wait_ms, char *answer, size_t n, struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	int64_t deadline = time_mono_ns() + wait_ms * 1000000LL;
	size_t got = 0, len = strlen(line);
	struct lerr ignored;

	fd = group_unix_connect(dir_fd, GROUP_CTL_SOCK, name, &ignored);
	if (fd < 0)
		return -ENOTCONN;
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -ENOTCONN;
	if (wait_ms < 0)
		return 0;
	while (got + 1 < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = (deadline - time_mono_ns()) / 1000000LL;
		ssize_t r;

		if (left <= 0)
			return lerr_fail(e, ETIMEDOUT,
					 "group \"%s\": no answer from its "
					 "monitor", name);
		if (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) < 0 &&
		    errno != EINTR)
			return lerr_set(e, errno, "poll");
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = read(fd, answer + got, n - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(answer, '\n', got))
			break;
	}
	answer[got] = '\0';
	if (!strchr(answer, '\n'))
		return -ENOTCONN;
	*strchr(answer, '\n') = '\0';
	return 0;
}

static int answer_result(const char *name, const char *answer,
			 struct lerr *e)
{
	if (strcmp(answer, "ok") == 0)
		return 0;
	if (strncmp(answer, "error ", 6) == 0)
		return lerr_fail(e, EIO, "group \"%s\": %s", name, answer + 6);
	return lerr_fail(e, EPROTO, "group \"%s\": monitor answered \"%s\"",
			 name, answer);
}

static int stop(const struct lighter_paths *p, const char *name,
		unsigned int grace_ms, bool wait, struct lerr *e)
{
	struct lighter_group_state st;
	_cleanup_close_ int dir_fd = -1;
	char line[64], answer[512];
	int r;

	r = lighter_group_load(p, name, &st, e);
	if (r < 0)
		return r;
	r = lighter_group_is_active(st.state);
	lighter_group_state_free(&st);
	if (!r)
		return 0; /* Docker: stopping a stopped container is fine */
	dir_fd = group_dir_open(p, name, e);
	if (dir_fd < 0)
		return dir_fd;
	snprintf(line, sizeof(line), "stop %u\n", grace_ms);
	r = ctl_request(dir_fd, name, line,
			wait ? (int64_t)grace_ms + 120000 : -1, answer,
			sizeof(answer), e);
	if (r == -ENOTCONN) {
		/* the monitor ended meanwhile; load() settles its state */
		r = lighter_group_load(p, name, &st, e);
		lighter_group_state_free(&st);
		return r;
	}
	if (r < 0 || !wait)
		return r;
	return answer_result(name, answer, e);
}

int lighter_group_stop(const struct lighter_paths *p, const char *name,
		       unsigned int grace_ms, struct lerr *e)
{
	return stop(p, name, grace_ms, true, e);
}

int lighter_group_stop_async(const struct lighter_paths *p, const char *name,
			     unsigned int grace_ms, struct lerr *e)
{
	return stop(p, name, grace_ms, false, e);
}

int lighter_group_signal(const struct lighter_paths *p, const char *name,
			 const char *container, int sig, struct lerr *e)
{
	_cleanup_close_ int dir_fd = -1;
	char line[128], answer[700];
	int r;

	if (sig < 1 || sig > 64)
		return lerr_fail(e, EINVAL, "signal %d out of range (1..64)",
				 sig);
	dir_fd = group_dir_open(p, name, e);
	if (dir_fd < 0)
		return dir_fd;
	snprintf(line, sizeof(line), "signal %s %d\n", container, sig);
	r = ctl_request(dir_fd, name, line, 30000, answer, sizeof(answer), e);
	if (r == -ENOTCONN)
		return lerr_fail(e, ENOTCONN, "group \"%s\" is not running",
				 name);
	if (r < 0)
		return r;
	return answer_result(name, answer, e);
}

int lighter_group_restart(const struct lighter_paths *p, const char *name,
			  unsigned int grace_ms, struct lerr *e)
{
	_cleanup_close_ int dir_fd = -1;
	char line[64], answer[700];
	int r;

	dir_fd = group_dir_open(p, name, e);
	if (dir_fd < 0)
		return dir_fd;
	snprintf(line, sizeof(line), "restart %u\n", grace_ms);
	r = ctl_request(dir_fd, name, line, 30000, answer, sizeof(answer), e);
	if (r == -ENOTCONN)
		return lerr_fail(e, ENOTCONN, "group \"%s\" is not running",
				 name);
	if (r < 0)
		return r;
	return answer_result(name, answer, e);
}

/* Kill a live group's VMM and monitor and wait (5 s at most) until the
 * monitor's lock is free. */
static int kill_group(int dir_fd, const char *name, const char *dir_path,
		      struct lerr *e)
{
	struct lighter_group_state st;
	int r = state_read(dir_fd, &st, dir_path, e);

	if (r < 0)
		return r;
	kill_verified(st.vmm_pid, st.vmm_start_ticks);
	if (st.monitor_pid > 0 && group_monitor_alive(dir_fd))
		kill(st.monitor_pid, SIGKILL);
	lighter_group_state_free(&st);
	for (int i = 0; i < 500 && group_monitor_alive(dir_fd); i++) {
		struct timespec ts = { 0, 10000000 };

		nanosleep(&ts, NULL);
	}
	if (group_monitor_alive(dir_fd))
		return lerr_fail(e, EBUSY, "group \"%s\": its monitor does not "
				 "go away", name);
	return 0;
}

int lighter_group_remove(const struct lighter_paths *p, const char *name,
			 bool force, struct lerr *e)
{
	struct lighter_group_state st;
	_cleanup_free_ char *dir_path = group_dir_path(p, name);
	_cleanup_close_ int dir_fd = -1, run_fd = -1;
	int r;

	if (!dir_path)
		return lerr_fail(e, ENOMEM, "out of memory");
	r = lighter_group_load(p, name, &st, e);
	if (r < 0)
		return r;
	r = lighter_group_is_active(st.state);
	lighter_group_state_free(&st);
	dir_fd = group_dir_open(p, name, e);
	if (dir_fd < 0)
		return dir_fd;
	if (r || group_monitor_alive(dir_fd)) {
		if (!force)
			return lerr_fail(e, EBUSY, "group \"%s\" is running: "
					 "stop it first, or rm -f", name);
		r = kill_group(dir_fd, name, dir_path, e);
		if (r < 0)
			return r;
	}
	run_fd = group_run_dir_open(p->run_dir, false, e);
	if (run_fd < 0)
		return run_fd;
	return group_remove_tree(run_fd, name, dir_path, e);
}
