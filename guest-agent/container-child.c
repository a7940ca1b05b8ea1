/* container-child.c - the container's init between clone and exec: it
 * runs in the new mount, PID, UTS and IPC namespaces (and the container's
 * cgroup) and builds the container's view of the world, in this order:
 *
 *   signals and descriptors reset, stdio on /dev/null and the log fds;
 *   the volumes' mounts cloned (open_tree) while the agent's paths are
 *   still in view;
 *   mount propagation private; the root bind-mounted on itself, pivot_root
 *   into it and the old root detached (no mount of the agent, nor of any
 *   other container, stays reachable);
 *   /proc, /dev (tmpfs with device nodes, devpts, shm, fd links),
 *   read-only /sys; the volumes moved onto their paths, made inside the
 *   new root; oom_score_adj back to 0 (the agent may shield itself);
 *   /etc/hosts and /etc/resolv.conf; the hostname;
 *   the user from the container's /etc/passwd and /etc/group; the working
 *   directory created as root, then entered as the user;
 *   umask 022, descriptors above 2 closed on exec, execve with a PATH
 *   lookup in the container's environment.
 *
 * An exec'd process (spec->join) skips the root, mounts, files and
 * hostname: it enters the running container's mount, UTS and IPC
 * namespaces through its init's pidfd (with a tty, in a session of its own
 * with the pty as controlling terminal), then takes the same user,
 * working directory and exec steps.
 *
 * Everything happens after pivot_root, so symlinks in the image resolve
 * inside the container's root and cannot point a mount or a write at the
 * agent's files.  No allocation (see container-child.h); a failed step is
 * written to the report pipe and the child exits. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <lighter/fd-io.h>

#include "container-child.h"
#include "container-user.h"

#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct child_mount {
	const char *source, *target, *fstype;
	unsigned long flags;
	const char *data;
	mode_t mode; /* of the mount point when it has to be made */
};

/* In order: /dev/pts and /dev/shm live on the /dev tmpfs. */
static const struct child_mount child_mounts[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555},
    {"tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
     "mode=755,size=65536k", 0755},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
     "newinstance,ptmxmode=0666,mode=0620,gid=5", 0755},
    {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
     "mode=1777,size=65536k", 01777},
    {"sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
     NULL, 0555},
};

static const struct {
	const char *path;
	unsigned int major, minor;
} child_devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},	   {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const struct {
	const char *path, *target;
} child_links[] = {
    {"/dev/ptmx", "pts/ptmx"},		{"/dev/fd", "/proc/self/fd"},
    {"/dev/stdin", "/proc/self/fd/0"},	{"/dev/stdout", "/proc/self/fd/1"},
    {"/dev/stderr", "/proc/self/fd/2"},
};

/* Report a failed step to the parent and exit. */
__attribute__((noreturn, format(printf, 4, 5))) static void
fail(struct container_child *c, enum container_stage stage, int err,
     const char *fmt, ...)
{
	struct container_report rep = {.err = err, .stage = (int32_t)stage};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep.what, sizeof(rep.what), fmt, ap);
	va_end(ap);
	(void)lfd_write_all(c->report_fd, &rep, sizeof(rep));
	_exit(container_spawn_exit_code(stage, err));
}

/* Default dispositions (ignored signals would survive exec) and an empty
 * mask: the agent blocks the signals its signalfd reads. */
static void reset_signals(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t none;
	int sig;

	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL); /* libc-internal: EINVAL */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* A descriptor above 2, so that dup2 onto 0-2 cannot clobber it. */
static int high_fd(struct container_child *c, int fd, const char *what)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (hi < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "duplicate the %s fd %d",
		     what, fd);
	return hi;
}

static void setup_stdio(struct container_child *c)
{
	const struct container_spec *s = c->spec;
	int in, out, err;

	int in_fd = s->join && s->stdin_fd >= 0 ? s->stdin_fd : c->devnull_fd;

	if (c->report_fd < 3)
		c->report_fd = high_fd(c, c->report_fd, "report");
	in = high_fd(c, in_fd, "stdin");
	if (s->join && s->tty) {
		out = high_fd(c, in_fd, "stdout");
		err = high_fd(c, in_fd, "stderr");
	} else {
		out =
		    high_fd(c, s->stdout_fd >= 0 ? s->stdout_fd : c->devnull_fd,
			    "stdout");
		err =
		    high_fd(c, s->stderr_fd >= 0 ? s->stderr_fd : c->devnull_fd,
			    "stderr");
	}
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "set up stdio");
	close(in);
	close(out);
	close(err);
}

static void enter_root(struct container_child *c)
{
	const char *root = c->spec->rootfs;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno,
		     "make mount propagation private");
	/* pivot_root wants a mount point; submounts (volumes) come along. */
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "bind \"%s\"", root);
	if (chdir(root) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "chdir \"%s\"", root);
	/* The old root lands on top of the new one at "/"; detaching it
	 * leaves the container's root alone, without a directory to keep. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "pivot_root into \"%s\"",
		     root);
	if (umount2(".", MNT_DETACH) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "detach the old root");
	if (chdir("/") < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "chdir \"/\"");
}

/* Detached copies of the volumes' mounts, read-only ones made so. */
static void clone_volumes(struct container_child *c)
{
	const struct container_spec *s = c->spec;

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct container_mount *m = &s->mounts[i];
		struct mount_attr attr = {
		    .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				(m->readonly ? MOUNT_ATTR_RDONLY : 0),
		};
		int fd = open_tree(AT_FDCWD, m->source,
				   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
				       AT_RECURSIVE);

		if (fd < 0)
			fail(c, CONTAINER_STAGE_SETUP, errno,
			     "volume for \"%s\": clone \"%s\"", m->target,
			     m->source);
		if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
				  sizeof(attr)) < 0)
			fail(c, CONTAINER_STAGE_SETUP, errno,
			     "volume for \"%s\": set its attributes",
			     m->target);
		c->mount_fds[i] = fd;
	}
}

/* mkdir -p as root (docker's way with a missing working directory or
 * mount point). */
static void make_dirs(struct container_child *c, const char *dir,
		      const char *what)
{
	char path[PATH_MAX];
	size_t i, len = strlen(dir);

	memcpy(path, dir, len + 1); /* the parent checked len < PATH_MAX */
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail(c, CONTAINER_STAGE_SETUP, errno,
			     "%s \"%s\": mkdir \"%s\"", what, dir, path);
		path[i] = dir[i];
	}
}

static void attach_volumes(struct container_child *c)
{
	const struct container_spec *s = c->spec;

	for (size_t i = 0; i < s->n_mounts; i++) {
		const char *target = s->mounts[i].target;

		make_dirs(c, target, "volume");
		if (move_mount(c->mount_fds[i], "", AT_FDCWD, target,
			       MOVE_MOUNT_F_EMPTY_PATH) < 0)
			fail(c, CONTAINER_STAGE_SETUP, errno,
			     "volume: mount on \"%s\"", target);
		close(c->mount_fds[i]);
		c->mount_fds[i] = -1;
	}
}

static void make_mounts(struct container_child *c)
{
	size_t i;

	for (i = 0; i < sizeof(child_mounts) / sizeof(child_mounts[0]); i++) {
		const struct child_mount *m = &child_mounts[i];

		if (mkdir(m->target, m->mode) < 0 && errno != EEXIST)
			fail(c, CONTAINER_STAGE_SETUP, errno, "mkdir \"%s\"",
			     m->target);
		if (mount(m->source, m->target, m->fstype, m->flags, m->data) <
		    0)
			fail(c, CONTAINER_STAGE_SETUP, errno,
			     "mount %s on \"%s\"", m->fstype, m->target);
	}
	for (i = 0; i < sizeof(child_devices) / sizeof(child_devices[0]); i++)
		if (mknod(child_devices[i].path, S_IFCHR | 0666,
			  makedev(child_devices[i].major,
				  child_devices[i].minor)) < 0)
			fail(c, CONTAINER_STAGE_SETUP, errno, "mknod \"%s\"",
			     child_devices[i].path);
	for (i = 0; i < sizeof(child_links) / sizeof(child_links[0]); i++)
		if (symlink(child_links[i].target, child_links[i].path) < 0)
			fail(c, CONTAINER_STAGE_SETUP, errno, "symlink \"%s\"",
			     child_links[i].path);
}

/* Replace /etc/<name> with a fresh regular file: written beside it and
 * renamed over it, so a symlink in the image is replaced, not followed. */
static void write_etc_file(struct container_child *c, const char *name,
			   const char *content)
{
	char path[64], tmp[64];
	int fd, r;

	snprintf(path, sizeof(path), "/etc/%s", name);
	snprintf(tmp, sizeof(tmp), "/etc/.%s.lighter", name);
	if (mkdir("/etc", 0755) < 0 && errno != EEXIST)
		fail(c, CONTAINER_STAGE_SETUP, errno, "mkdir \"/etc\"");
	if (unlink(tmp) < 0 && errno != ENOENT)
		fail(c, CONTAINER_STAGE_SETUP, errno, "remove \"%s\"", tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "create \"%s\"", tmp);
	r = lfd_write_all(fd, content, strlen(content));
	if (r < 0)
		fail(c, CONTAINER_STAGE_SETUP, -r, "write \"%s\"", path);
	if (close(fd) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "write \"%s\"", path);
	if (rename(tmp, path) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "replace \"%s\"", path);
}

static void write_proc_file(struct container_child *c, const char *path,
			    const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || lfd_write_all(fd, value, strlen(value)) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "write \"%s\"", path);
	close(fd);
}

/* An image file read before exec, or -1 when missing.  Only a regular
 * file will do: a fifo or a link to /dev/zero would hang the spawn (and
 * with it the agent's loop), so the open does not block either. */
static int open_optional(struct container_child *c, const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno == ENOENT)
		return -1;
	if (fd < 0 || fstat(fd, &st) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "open \"%s\"", path);
	if (!S_ISREG(st.st_mode))
		fail(c, CONTAINER_STAGE_SETUP, EINVAL,
		     "\"%s\" is not a regular "
		     "file",
		     path);
	return fd;
}

/* setgroups/setresgid/setresuid as raw syscalls: they change only the
 * calling thread, which is all this child has, where libc's wrappers
 * would try to broadcast to threads of the parent that did not follow. */
static void become_user(struct container_child *c,
			const struct container_ids *ids)
{
	if (syscall(SYS_setgroups, ids->ngroups, ids->groups) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "setgroups");
	if (syscall(SYS_setresgid, ids->gid, ids->gid, ids->gid) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "setgid %u",
		     (unsigned int)ids->gid);
	if (syscall(SYS_setresuid, ids->uid, ids->uid, ids->uid) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "setuid %u",
		     (unsigned int)ids->uid);
}

static void close_other_fds(void)
{
	int fd;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (fd = 3; fd < 4096; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static const char *env_path(char *const *envp)
{
	for (; envp && *envp; envp++)
		if (!strncmp(*envp, "PATH=", 5))
			return *envp + 5;
	return DEFAULT_PATH;
}

/* execve argv[0], searching the environment's PATH when it has no '/'
 * (execvp's rules, minus its /bin/sh retry on ENOEXEC). */
__attribute__((noreturn)) static void exec_program(struct container_child *c)
{
	char *const *argv = c->spec->argv;
	char *const empty_env[] = {NULL};
	char *const *envp = c->spec->envp ? c->spec->envp : empty_env;
	const char *file = argv[0], *p;
	char path[PATH_MAX];
	bool denied = false;

	if (strchr(file, '/')) {
		execve(file, argv, envp);
		fail(c, CONTAINER_STAGE_EXEC, errno, "exec \"%s\"", file);
	}
	for (p = env_path(envp);; p++) {
		const char *end = strchrnul(p, ':');
		int dirlen = (int)(end - p);
		int n;

		/* An empty PATH entry means the working directory. */
		n = dirlen ? snprintf(path, sizeof(path), "%.*s/%s", dirlen, p,
				      file)
			   : snprintf(path, sizeof(path), "%s", file);
		if (n > 0 && (size_t)n < sizeof(path)) {
			execve(path, argv, envp);
			switch (errno) {
			case EACCES:
				denied = true;
				break;
			case ENOENT:
			case ENOTDIR:
			case ENAMETOOLONG:
			case ELOOP:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
				break;
			default:
				fail(c, CONTAINER_STAGE_EXEC, errno,
				     "exec \"%s\"", file);
			}
		}
		if (!*end)
			break;
		p = end;
	}
	fail(c, CONTAINER_STAGE_EXEC, denied ? EACCES : ENOENT, "exec \"%s\"",
	     file);
}

/* exec: the running container's world, entered through its init's
 * pidfd (mount, UTS, IPC; the PID namespace and cgroup are the clone's);
 * with a tty, a session of its own with the pty as its terminal. */
static void join_container(struct container_child *c)
{
	const struct container_spec *s = c->spec;

	if (setns(s->join->pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC) <
	    0)
		fail(c, CONTAINER_STAGE_SETUP, errno,
		     "enter the namespaces of its init (pid %d)",
		     (int)s->join->pid);
	if (s->tty && (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) < 0))
		fail(c, CONTAINER_STAGE_SETUP, errno,
		     "make the pty the controlling terminal");
	write_proc_file(c, "/proc/self/oom_score_adj", "0");
}

/* A new container's world: its root, mounts, files and hostname. */
static void build_world(struct container_child *c)
{
	const struct container_spec *s = c->spec;

	clone_volumes(c);
	enter_root(c);
	make_mounts(c);
	attach_volumes(c);
	write_proc_file(c, "/proc/self/oom_score_adj", "0");
	write_etc_file(c, "hosts", c->hosts);
	if (s->resolv_conf)
		write_etc_file(c, "resolv.conf", s->resolv_conf);
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "sethostname \"%s\"",
		     s->hostname);
}

void container_child_main(struct container_child *c)
{
	const struct container_spec *s = c->spec;
	const char *workdir = s->workdir ? s->workdir : "/";
	struct container_ids ids;
	char why[sizeof(((struct container_report *)0)->what)];
	bool need_passwd, need_group;
	int passwd_fd, group_fd, r;

	umask(0); /* node and mount-point modes as written */
	reset_signals();
	setup_stdio(c);
	if (s->join)
		join_container(c);
	else
		build_world(c);

	container_user_files(s->user, &need_passwd, &need_group);
	passwd_fd = need_passwd ? open_optional(c, "/etc/passwd") : -1;
	group_fd = need_group ? open_optional(c, "/etc/group") : -1;
	r = container_user_resolve(s->user, passwd_fd, group_fd, &ids, why,
				   sizeof(why));
	if (r < 0)
		fail(c, CONTAINER_STAGE_SETUP, -r, "%s", why);
	if (passwd_fd >= 0)
		close(passwd_fd);
	if (group_fd >= 0)
		close(group_fd);

	if (!s->join)
		make_dirs(c, workdir, "workdir");
	become_user(c, &ids);
	if (chdir(workdir) < 0)
		fail(c, CONTAINER_STAGE_SETUP, errno, "chdir \"%s\"", workdir);
	umask(022);
	close_other_fds();
	exec_program(c);
}
