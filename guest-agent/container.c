/* container.c - the agent's side of starting a container (clone3 into new
 * namespaces and the container's cgroup, then waiting on the report pipe
 * for exec or a failed step) and the helpers that signal a container's
 * init and turn wait statuses and spawn failures into exit codes.  The
 * child's side is container-child.c. */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lighter/cleanup.h>
#include <lighter/fd-io.h>

#include "container-child.h"
#include "container.h"

/* The kernel's __NEW_UTS_LEN. */
#define HOSTNAME_MAX 64

static int check_spec(const struct container_spec *s, struct lerr *e)
{
	const char *name = s->name && s->name[0] ? s->name : "?";

	if (!s->name || !s->name[0])
		return lerr_fail(e, EINVAL, "container without a name");
	if (s->join && s->join->pidfd < 0)
		return lerr_fail(e, ESRCH, "container \"%s\" is not running",
				 name);
	if (!s->join && (!s->rootfs || s->rootfs[0] != '/'))
		return lerr_fail(e, EINVAL,
				 "container \"%s\": rootfs \"%s\" is "
				 "not an absolute path",
				 name, s->rootfs ? s->rootfs : "");
	if (!s->argv || !s->argv[0] || !s->argv[0][0])
		return lerr_fail(e, EINVAL, "container \"%s\": no command",
				 name);
	if (s->workdir && s->workdir[0] != '/')
		return lerr_fail(e, EINVAL,
				 "container \"%s\": workdir \"%s\" is "
				 "not an absolute path",
				 name, s->workdir);
	if (s->workdir && strlen(s->workdir) >= PATH_MAX)
		return lerr_fail(e, ENAMETOOLONG,
				 "container \"%s\": workdir too "
				 "long",
				 name);
	if (s->n_mounts > CONTAINER_MAX_MOUNTS || (s->n_mounts && !s->mounts))
		return lerr_fail(e, E2BIG, "container \"%s\": more than %d "
				 "mounts", name, CONTAINER_MAX_MOUNTS);
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct container_mount *m = &s->mounts[i];

		if (!m->source || m->source[0] != '/' || !m->target ||
		    m->target[0] != '/' || strlen(m->target) >= PATH_MAX)
			return lerr_fail(e, EINVAL, "container \"%s\": mount "
					 "%zu is not absolute from absolute",
					 name, i);
	}
	if (s->hostname &&
	    (!s->hostname[0] || strlen(s->hostname) > HOSTNAME_MAX))
		return lerr_fail(e, EINVAL,
				 "container \"%s\": hostname \"%s\" "
				 "must be 1 to %d bytes",
				 name, s->hostname, HOSTNAME_MAX);
	return 0;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int container_spawn(const struct container_spec *s, struct container_proc *out,
		    struct lerr *e)
{
	struct container_child child = {.spec = s};
	struct container_report rep;
	struct clone_args args;
	_cleanup_close_ int devnull = -1, cgroup_fd = -1, rd = -1, wr = -1;
	_cleanup_close_ int own_pidns = -1;
	int clone_errno;
	char hosts[256];
	int pipefd[2], pidfd = -1, r;
	ssize_t got;
	long pid;

	out->pid = 0;
	out->pidfd = -1;
	out->failed_stage = CONTAINER_STAGE_SETUP;
	r = check_spec(s, e);
	if (r < 0)
		return r;

	child.hosts = s->hosts;
	if (!child.hosts) {
		snprintf(hosts, sizeof(hosts),
			 "127.0.0.1\tlocalhost%s%s\n"
			 "::1\tlocalhost ip6-localhost ip6-loopback\n",
			 s->hostname ? " " : "",
			 s->hostname ? s->hostname : "");
		child.hosts = hosts;
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return lerr_set(
		    e, errno, "container \"%s\": open \"/dev/null\"", s->name);
	child.devnull_fd = devnull;
	if (s->cgroup_dir) {
		cgroup_fd =
		    open(s->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cgroup_fd < 0)
			return lerr_set(e, errno,
					"container \"%s\": cgroup "
					"\"%s\"",
					s->name, s->cgroup_dir);
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return lerr_set(e, errno, "container \"%s\": pipe", s->name);
	rd = pipefd[0];
	wr = pipefd[1];

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
		     CLONE_PIDFD;
	if (s->join) {
		/* born in the container's PID namespace; the others are
		 * entered by the child (a mount namespace wants a
		 * single-threaded caller, and this one stays the agent's) */
		args.flags = CLONE_PIDFD;
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0)
			return lerr_set(e, errno,
					"container \"%s\": open "
					"\"/proc/self/ns/pid\"",
					s->name);
		if (setns(s->join->pidfd, CLONE_NEWPID) < 0)
			return lerr_set(e, errno,
					"container \"%s\": enter its "
					"PID namespace",
					s->name);
	}
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	pid = syscall(SYS_clone3, &args, sizeof(args));
	clone_errno = errno;
	if (pid != 0 && own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0)
		abort(); /* every later child would land in the container */
	errno = clone_errno;
	if (pid < 0)
		return lerr_set(e, errno, "container \"%s\": clone3%s", s->name,
				cgroup_fd >= 0 ? " into its cgroup" : "");
	if (pid == 0) {
		child.report_fd = wr;
		container_child_main(&child);
	}

	close(TAKE_FD(wr));
	memset(&rep, 0, sizeof(rep));
	/* 0 bytes (exec happened) or one whole report */
	got = lfd_read_full(rd, &rep, sizeof(rep));
	if (got == 0) {
		out->pid = (pid_t)pid;
		out->pidfd = pidfd;
		out->failed_stage = CONTAINER_STAGE_NONE;
		return 0;
	}
	reap((pid_t)pid);
	close(pidfd);
	if (got < 0)
		return lerr_set(e, (int)-got,
				"container \"%s\": read the start "
				"report",
				s->name);
	if ((size_t)got != sizeof(rep) || rep.err <= 0)
		return lerr_fail(e, EIO,
				 "container \"%s\": malformed start "
				 "report (%zd bytes)",
				 s->name, got);
	rep.what[sizeof(rep.what) - 1] = '\0';
	out->failed_stage = rep.stage == CONTAINER_STAGE_EXEC
				? CONTAINER_STAGE_EXEC
				: CONTAINER_STAGE_SETUP;
	return lerr_set(e, rep.err, "container \"%s\": %s", s->name, rep.what);
}

void container_proc_release(struct container_proc *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
}

int container_signal(const struct container_proc *p, int sig, struct lerr *e)
{
	int r;

	if (p->pidfd >= 0)
		r = (int)syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0);
	else if (p->pid > 0)
		r = kill(p->pid, sig);
	else
		return lerr_fail(e, ESRCH, "container init was never started");
	if (r < 0 && errno == ESRCH)
		return lerr_fail(e, ESRCH, "container init (pid %d) has exited",
				 (int)p->pid);
	if (r < 0)
		return lerr_set(e, errno,
				"signal %d to container init (pid %d)", sig,
				(int)p->pid);
	return 0;
}

int container_signal_from_name(const char *name)
{
	char *end;
	long n;
	int sig;

	if (!name || !name[0])
		return -EINVAL;
	if (name[0] >= '0' && name[0] <= '9') {
		n = strtol(name, &end, 10);
		return *end || n < 1 || n >= NSIG ? -EINVAL : (int)n;
	}
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev && !strcasecmp(abbrev, name))
			return sig;
	}
	return -EINVAL;
}

int container_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -EINVAL;
}

int container_spawn_exit_code(enum container_stage stage, int err)
{
	if (err < 0)
		err = -err;
	switch (stage) {
	case CONTAINER_STAGE_EXEC:
		return err == ENOENT || err == ENOTDIR ? 127 : 126;
	case CONTAINER_STAGE_NONE:
		return 0;
	case CONTAINER_STAGE_SETUP:
	default:
		return 125;
	}
}
