/* group-start.c - lighter_group_start(): take the group's monitor lock,
 * fork the monitor off (fork, setsid, fork again: no controlling
 * terminal, not our child, stdio on monitor.log) and wait on a pipe for
 * its one-line report "<code> <message>": 0 once the agent answered
 * START, else Docker's status and why. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "group-dir.h"
#include "group-volumes.h"
#include "monitor.h"
#include "state.h"

static int64_t boot_timeout_ms(void)
{
	const char *v = getenv("LIGHTER_BOOT_TIMEOUT");
	char *end;
	long s;

	if (!v || !v[0])
		return MONITOR_BOOT_TIMEOUT_S * 1000LL;
	s = strtol(v, &end, 10);
	if (*end || s <= 0 || s > 3600)
		return MONITOR_BOOT_TIMEOUT_S * 1000LL;
	return s * 1000LL;
}

/* In the grandchild: become the monitor; never returns. */
static void __attribute__((noreturn))
become_monitor(const struct monitor_opts *o, const char *log_path)
{
	sigset_t none;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_IGN); /* not ours: `run` forwards it as a stop */
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, STDIN_FILENO);
	fd = openat(o->dir_fd, log_path, O_WRONLY | O_CREAT | O_APPEND |
						 O_CLOEXEC | O_NOFOLLOW,
		    0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	_exit(monitor_main(o));
}

/* Read the monitor's report until it closes the pipe. */
static int read_report(int fd, int *code, char *msg, size_t n)
{
	char buf[1024];
	size_t got = 0;
	char *sp, *nl;

	for (;;) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == sizeof(buf) - 1)
			break;
	}
	buf[got] = '\0';
	if (!got)
		return -EPIPE;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	*code = (int)strtol(buf, &sp, 10);
	if (*sp == ' ')
		sp++;
	snprintf(msg, n, "%s", sp);
	return 0;
}

int lighter_group_start(const struct lighter_paths *p, const char *name,
			int *exit_status, struct lerr *e)
{
	struct monitor_opts o = { .name = name };
	struct lighter_group_state st;
	struct group_volumes vols;
	struct volume_disks disks;
	_cleanup_free_ char *dir_path = NULL;
	_cleanup_close_ int dir_fd = -1, lock_fd = -1;
	int pipefd[2], code = 125, r;
	char msg[900];
	pid_t child;

	*exit_status = 125;
	if (!p->vmm || !p->kernel || !p->initrd)
		return lerr_fail(e, EINVAL, "start \"%s\": lighter-vmm, kernel "
				 "and initramfs not looked up", name);
	dir_fd = group_dir_open(p, name, e);
	if (dir_fd < 0)
		return dir_fd;
	dir_path = group_dir_path(p, name);
	if (!dir_path)
		return lerr_fail(e, ENOMEM, "out of memory");
	lock_fd = group_monitor_lock(dir_fd, e);
	if (lock_fd < 0)
		return lerr_fail(e, EBUSY, "group \"%s\" is already running",
				 name);
	/* with the lock held, no monitor runs: a state that says otherwise
	 * is a dead monitor's and is simply started over */
	r = state_read(dir_fd, &st, dir_path, e);
	if (r < 0)
		return r;
	lighter_group_state_free(&st);
	/* the persistent volumes' locks, taken before the fork: the
	 * monitor inherits them */
	r = group_volumes_read(dir_fd, &vols, e);
	if (r < 0)
		return r;
	r = group_volumes_attach(p->data_dir, &vols, &disks, e);
	group_volumes_free(&vols);
	if (r < 0)
		return r;
	o.disks = &disks;

	o.dir_path = dir_path;
	o.dir_fd = dir_fd;
	o.lock_fd = lock_fd;
	o.data_dir = p->data_dir;
	o.vmm = p->vmm;
	o.kernel = p->kernel;
	o.initrd = p->initrd;
	o.boot_timeout_ms = boot_timeout_ms();
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		volume_disks_close(&disks);
		return lerr_set(e, errno, "pipe");
	}
	child = fork();
	if (child < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		volume_disks_close(&disks);
		return lerr_set(e, errno, "fork");
	}
	if (child == 0) {
		close(pipefd[0]);
		o.status_fd = pipefd[1];
		if (setsid() < 0)
			_exit(1);
		child = fork();
		if (child != 0)
			_exit(child < 0 ? 1 : 0);
		become_monitor(&o, GROUP_MONITOR_LOG);
	}
	close(pipefd[1]);
	/* ours are copies: the monitor holds the locks now */
	volume_disks_close(&disks);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	r = read_report(pipefd[0], &code, msg, sizeof(msg));
	close(pipefd[0]);
	if (r < 0)
		return lerr_fail(e, EIO, "the monitor of \"%s\" ended without "
				 "a word (see %s/%s)", name, dir_path,
				 GROUP_MONITOR_LOG);
	*exit_status = code;
	if (code != 0)
		return lerr_fail(e, code == 127 ? ENOENT
				    : code == 126 ? EACCES
						  : EIO,
				 "%s", msg);
	return 0;
}
