/* jail.c - lighter-vmm --jail: entering the jail and supervising it.
 *
 * In-process, like Firecracker's jailer but without a second binary:
 * lighter-vmm parses its configuration, then calls jail_enter() before it
 * opens anything (not even /dev/kvm) or starts a thread.
 *
 *   supervisor (host namespaces, root)     VMM child
 *   ---------------------------------     ---------
 *   prepare: jail root dir, console
 *     file, vsock dir, cgroups + limits
 *   unshare(PID ns); fork ------------->  (PID 1 of its namespace)
 *   move the child into the cgroups        new mount, IPC, UTS namespaces;
 *                                          the group's net ns; host name
 *                                          tmpfs root, binds, nodes,
 *                                          pivot_root (jail-root.c)
 *                                          rlimits, clearenv
 *   "go" ------------------------------>  new cgroup namespace
 *                                          ids, no caps, no_new_privs
 *                                          (jail-lockdown.c)
 *                                          access check of every file
 *                              <--------  "ready"; close fds >= 3
 *   forward SIGINT/SIGTERM (SIGHUP as      return 0: the VMM sets up as
 *     SIGTERM); wait                         usual, unprivileged
 *   report a death by signal, remove
 *   cgroups, root dir, what it created
 *
 * Why this order: the VMM opens /dev/kvm, the kernel and the images only
 * after the lockdown, as the jail's user with no capabilities, so nothing
 * runs privileged while it parses guest-controlled input (the kernel ELF,
 * the initramfs), and every thread the VMM creates inherits the dropped
 * capabilities, bounding set and no_new_privs (those are per thread: a
 * drop after virtio-blk has started its I/O workers would miss them).  The
 * price is that the jail's uid must be able to use the files: the jail
 * makes its own /dev/kvm and /dev/net/tun nodes owned by that uid
 * (jail-root.c says why not a bind mount), creates the console file and
 * the vsock directory for it when they do not exist, and otherwise checks
 * access after the switch and names the file it cannot use.  Host paths
 * that exist are never chown'ed: a mistyped --vsock-uds would hand a
 * host directory to the jail's user.  A TAP device must exist already,
 * owned by the jail's uid (creating one takes CAP_NET_ADMIN).
 *
 * Cgroups are created before the child exists and the child is in them
 * before it allocates guest memory.  The child's mounts live in its own
 * mount namespace and die with it; what the supervisor made on the host
 * (the jail root directory if it did not exist, the cgroup directories,
 * a console file or vsock directory it created) it removes again,
 * whether the launch failed or the VMM ran and ended.  A VMM killed by
 * a signal exits 128 + signal with one line saying why (seccomp's SIGSYS,
 * the memory limit read from the cgroup's OOM counter); otherwise its
 * exit status passes through and its own line says why it ended.  Only a
 * SIGKILL of the supervisor itself leaves things behind (the VMM then
 * dies by its parent-death signal). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "jail-cgroup.h"
#include "jail-lockdown.h"
#include "jail-root.h"
#include "jail-status.h"
#include "jail.h"
#include "virtio-blk-io.h"

/* threads beyond the vCPUs: main, device loop, and headroom */
#define JAIL_PIDS_EXTRA 32

struct jail {
	struct vmm_config *cfg;
	const struct jail_config *jc;
	char id[JAIL_ID_MAX + 1];
	char *cgroup_name;
	bool root_created;
	int root_fd;  /* flock'ed while the jail lives */
	struct jail_files files;
	const char *console_created; /* host path, when the jail made it */
	const char *vsock_dir_created;
	char *vsock_socket;          /* host path of the VMM's socket */
	uint64_t fsize_max;
	struct jail_cgroups cg;
	int go[2];    /* supervisor -> child: in the cgroups, carry on */
	int ready[2]; /* child -> supervisor: jailed, the VMM starts */
	sigset_t old_mask;
};

/* The root must not exist, or be an empty directory (not a symlink).
 * Its contents live in the VMM's mount namespace, so a second jail on the
 * same directory would find it empty: the supervisor holds an exclusive
 * flock on it for the jail's life. */
static int prepare_root(struct jail *j, struct lerr *e)
{
	const char *root = j->jc->root;
	struct stat st;
	struct dirent *de;
	bool empty = true;
	int dfd, r;
	DIR *d;

	if (lstat(root, &st) < 0) {
		if (errno != ENOENT)
			return lerr_set(e, errno, "jail: jail root \"%s\"", root);
		if (mkdir(root, 0755) < 0)
			return lerr_set(e, errno, "jail: mkdir jail root \"%s\"",
					root);
		j->root_created = true;
	} else if (!S_ISDIR(st.st_mode)) {
		return lerr_fail(e, ENOTDIR,
				 "jail: jail root \"%s\" is not a directory", root);
	}
	j->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (j->root_fd < 0)
		return lerr_set(e, errno, "jail: jail root \"%s\"", root);
	if (flock(j->root_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK
			       ? lerr_fail(e, EBUSY,
					   "jail: jail root \"%s\" is in use by another jail",
					   root)
			       : lerr_set(e, errno, "jail: lock jail root \"%s\"",
					  root);
	dfd = dup(j->root_fd);
	d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		r = lerr_set(e, errno, "jail: jail root \"%s\"", root);
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	}
	closedir(d);
	if (!empty)
		return lerr_fail(e, ENOTEMPTY,
				 "jail: jail root \"%s\" is not empty", root);
	return 0;
}

/* The vsock socket's directory: made for the jail's user when missing;
 * an existing one must not be shared with others (the whole directory is
 * visible in the jail). */
static int prepare_vsock_dir(struct jail *j, const struct jail_file *f,
			     struct lerr *e)
{
	char real[PATH_MAX];
	struct stat st;

	j->vsock_socket = strdup(j->cfg->vsock_uds);
	if (!j->vsock_socket)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (stat(f->host, &st) < 0) {
		if (errno != ENOENT)
			return lerr_set(e, errno, "jail: vsock directory \"%s\"",
					f->host);
		if (mkdir(f->host, 0750) < 0)
			return lerr_set(e, errno,
					"jail: mkdir vsock directory \"%s\"",
					f->host);
		j->vsock_dir_created = f->host;
		if (chown(f->host, j->jc->uid, j->jc->gid) < 0)
			return lerr_set(e, errno,
					"jail: chown vsock directory \"%s\"",
					f->host);
		return 0;
	}
	if (!realpath(f->host, real))
		return lerr_set(e, errno, "jail: vsock directory \"%s\"", f->host);
	if (strcmp(real, "/") == 0 || (st.st_mode & (S_ISVTX | S_IWOTH)))
		return lerr_fail(e, EPERM,
				 "jail: vsock directory \"%s\" is shared (the root, world-writable or sticky): give the socket a directory of its own",
				 f->host);
	return 0;
}

/* The console file: created for the jail's user when missing. */
static int prepare_console(struct jail *j, const struct jail_file *f,
			   struct lerr *e)
{
	_cleanup_close_ int fd = open(f->host,
				      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					      O_CLOEXEC,
				      0640);

	if (fd < 0)
		return errno == EEXIST ? 0
				       : lerr_set(e, errno,
						  "jail: create console file \"%s\"",
						  f->host);
	j->console_created = f->host;
	if (fchown(fd, j->jc->uid, j->jc->gid) < 0)
		return lerr_set(e, errno, "jail: chown console file \"%s\"",
				f->host);
	return 0;
}

/* RLIMIT_FSIZE must not stop writes inside a drive (jail-lockdown.c). */
static int measure_drives(struct jail *j, struct lerr *e)
{
	for (unsigned int i = 0; i < j->cfg->nr_drives; i++) {
		const struct vmm_drive *d = &j->cfg->drives[i];
		struct stat st;

		if (d->ro)
			continue;
		if (stat(d->path, &st) < 0)
			return lerr_set(e, errno, "jail: drive %u \"%s\"", i,
					d->path);
		if ((uint64_t)st.st_size > j->fsize_max)
			j->fsize_max = (uint64_t)st.st_size;
	}
	return 0;
}

/* Undo what prepare() did on the host.  launched: the VMM ran (its
 * console output stays). */
static void cleanup(struct jail *j, bool launched, char *msg, size_t n)
{
	struct lerr e = { 0 };
	struct stat st;

	if (jail_cgroups_remove(&j->cg, &e) < 0 && msg && !msg[0])
		snprintf(msg, n, "%s", e.msg);
	if (j->root_created && rmdir(j->jc->root) < 0 && msg && !msg[0])
		snprintf(msg, n, "jail: rmdir jail root \"%s\": %s", j->jc->root,
			 strerror(errno));
	j->root_created = false;
	/* a VMM killed before its own cleanup leaves its socket */
	if (j->vsock_socket && lstat(j->vsock_socket, &st) == 0 &&
	    S_ISSOCK(st.st_mode))
		unlink(j->vsock_socket);
	/* only if empty: the host may keep its own sockets there */
	if (j->vsock_dir_created)
		rmdir(j->vsock_dir_created);
	if (j->console_created && !launched)
		unlink(j->console_created);
	j->vsock_dir_created = j->console_created = NULL;
}

static void jail_free(struct jail *j)
{
	if (j->root_fd >= 0)
		close(j->root_fd);
	for (int i = 0; i < 2; i++) {
		if (j->go[i] >= 0)
			close(j->go[i]);
		if (j->ready[i] >= 0)
			close(j->ready[i]);
	}
	jail_files_free(&j->files);
	free(j->cgroup_name);
	free(j->vsock_socket);
}

/* Everything on the host side, before the child exists. */
static int prepare(struct jail *j, struct lerr *e)
{
	const struct jail_file *f;
	struct jail_limits lim;
	int r;

	if (geteuid() != 0)
		return lerr_fail(e, EPERM,
				 "jail: needs root (it mounts, makes cgroups and changes ids)");
	r = jail_files_plan(&j->files, j->cfg, e);
	if (r == 0)
		r = measure_drives(j, e);
	if (r == 0)
		r = prepare_root(j, e);
	if (r == 0 && (f = jail_files_find(&j->files, "vsock directory")))
		r = prepare_vsock_dir(j, f, e);
	if (r == 0 && (f = jail_files_find(&j->files, "console file")))
		r = prepare_console(j, f, e);
	if (r < 0)
		return r;

	lim.memory_bytes = j->jc->memory_limit
				   ? j->jc->memory_limit
				   : j->cfg->mem_bytes + j->jc->mem_overhead;
	lim.cpu_quota_us = j->cfg->vcpus * JAIL_CPU_PERIOD_US;
	lim.pids_max = j->cfg->vcpus + JAIL_PIDS_EXTRA +
		       (uint64_t)j->cfg->nr_drives * BLK_IO_THREADS;
	r = jail_cgroups_create(&j->cg, j->cgroup_name, &lim, e);
	if (r < 0)
		return r;
	if (pipe2(j->go, O_CLOEXEC) < 0 || pipe2(j->ready, O_CLOEXEC) < 0)
		return lerr_set(e, errno, "jail: pipe");
	return 0;
}

/* The VMM child, from fork to "ready".  Returns 0 to run the VMM.  The
 * supervisor moves it into its cgroups meanwhile (on cgroup v1 that waits
 * for an RCU grace period, ~10 ms): the namespaces and the root are built
 * in parallel, and "go" is awaited only before the cgroup namespace and
 * the lockdown, long before the VMM allocates anything. */
static int child_enter(struct jail *j, struct lerr *e)
{
	const struct jail_config *jc = j->jc;
	struct pollfd pfd;
	char go;
	int r;

	close(j->go[1]);
	close(j->ready[0]);
	j->go[1] = j->ready[0] = -1;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(1);
	sigprocmask(SIG_SETMASK, &j->old_mask, NULL);

	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		return lerr_set(e, errno,
				"jail: unshare mount, IPC and UTS namespaces");
	if (jc->netns) {
		_cleanup_close_ int fd = open(jc->netns, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			return lerr_set(e, errno,
					"jail: join network namespace \"%s\"",
					jc->netns);
	}
	if (sethostname(j->id, strlen(j->id)) < 0)
		return lerr_set(e, errno, "jail: set the host name \"%s\"", j->id);
	r = jail_root_enter(jc->root, &j->files, j->cfg, jc->uid, jc->gid, e);
	if (r == 0)
		r = jail_limit_resources(j->fsize_max, e);
	if (r < 0)
		return r;
	if (read(j->go[0], &go, 1) != 1)
		_exit(1); /* the supervisor failed (it reports) or is gone */
	/* rooted at the jail's own cgroup: /proc/self/cgroup says "/" */
	if (unshare(CLONE_NEWCGROUP) < 0)
		return lerr_set(e, errno, "jail: unshare the cgroup namespace");
	r = jail_drop_privileges(jc->uid, jc->gid, e);
	if (r == 0)
		r = jail_files_check(&j->files, jc->uid, e);
	if (r < 0)
		return r;
	/* the parent-death signal was re-armed after the id change; the
	 * supervisor may have died just before */
	pfd = (struct pollfd){ .fd = j->go[0], .events = POLLIN };
	if (poll(&pfd, 1, 0) != 0)
		_exit(1);
	if (write(j->ready[1], "r", 1) != 1)
		return lerr_set(e, errno, "jail: tell the supervisor");
	jail_close_fds();
	j->go[0] = j->ready[1] = j->root_fd = -1;
	return 0;
}

/* What the supervisor waits for: its child's end (SIGCHLD) and the
 * signals it passes on to the VMM. */
static void supervised_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

/* Wait for the VMM, passing on the signals meant for it. */
static int supervise(struct jail *j, pid_t child)
{
	sigset_t set;
	int status;

	supervised_signals(&set);
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig == SIGHUP ? SIGTERM : sig);
			continue;
		}
		if (waitpid(child, &status, WNOHANG) == child)
			return status;
	}
}

/* The exit status and, for a death by signal, the reason. */
static void report(struct jail *j, int status, struct jail_exit *out)
{
	struct jail_death d = {
		.memory_limit = j->cg.memory_bytes,
		.memory_cgroup = jail_cgroups_memory_path(&j->cg),
	};

	d.oom_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
		       jail_cgroups_oom_killed(&j->cg);
	out->status =
		jail_exit_status(status, &d, out->line, sizeof(out->line));
}

int jail_enter(struct vmm_config *cfg, struct jail_exit *out, struct lerr *e)
{
	struct jail j = { .cfg = cfg, .jc = &cfg->jail, .root_fd = -1,
			  .go = { -1, -1 }, .ready = { -1, -1 } };
	sigset_t block;
	char ready;
	pid_t child;
	int r, status;

	memset(out, 0, sizeof(*out));
	if (j.jc->id)
		snprintf(j.id, sizeof(j.id), "%s", j.jc->id);
	else
		snprintf(j.id, sizeof(j.id), "vmm-%d", (int)getpid());
	if (j.jc->cgroup)
		j.cgroup_name = strdup(j.jc->cgroup);
	else if (asprintf(&j.cgroup_name, "lighter/%s", j.id) < 0)
		j.cgroup_name = NULL;
	if (!j.cgroup_name) {
		r = lerr_fail(e, ENOMEM, "out of memory");
		goto fail;
	}
	r = prepare(&j, e);
	if (r < 0)
		goto fail;

	/* SIGCHLD blocked before the fork, or an early exit is missed */
	supervised_signals(&block);
	sigprocmask(SIG_BLOCK, &block, &j.old_mask);
	/* the child is the first process of a new PID namespace: fork, not
	 * a raw clone, so that glibc's idea of its thread id stays true */
	if (unshare(CLONE_NEWPID) < 0) {
		r = lerr_set(e, errno, "jail: unshare the PID namespace");
		goto fail_unblock;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		r = lerr_set(e, errno, "jail: fork");
		goto fail_unblock;
	}
	if (child == 0) {
		r = child_enter(&j, e);
		/* the supervisor owns the host side: forget, never remove */
		jail_cgroups_release(&j.cg);
		jail_free(&j);
		return r;
	}

	close(j.go[0]);
	close(j.ready[1]);
	j.go[0] = j.ready[1] = -1;
	/* The child builds its root meanwhile and may fail and exit first
	 * (after saying why): then the attach or the "go" fails for want of
	 * a child, and its exit is what counts. */
	r = jail_cgroups_attach(&j.cg, child, e);
	if (r < 0) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			goto fail_unblock; /* killed by us: the attach failed */
	} else {
		/* EPIPE: the child is gone; supervise() collects it */
		if (write(j.go[1], "g", 1) != 1)
			(void)0;
		status = supervise(&j, child);
	}
	report(&j, status, out);
	cleanup(&j, read(j.ready[0], &ready, 1) == 1, out->cleanup,
		sizeof(out->cleanup));
	jail_free(&j);
	return 1;

fail_unblock:
	sigprocmask(SIG_SETMASK, &j.old_mask, NULL);
fail:
	cleanup(&j, false, NULL, 0);
	jail_free(&j);
	return r;
}
