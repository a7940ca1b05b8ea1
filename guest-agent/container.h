/* container.h - starting one container of a group and signalling it.
 *
 * container_spawn() clones the container's init into new mount, PID, UTS
 * and IPC namespaces (the network namespace stays the group's), inside the
 * container's cgroup from its first instruction (CLONE_INTO_CGROUP), and
 * the child builds its world before exec: private mount propagation,
 * pivot_root into the prepared root (container-root.h) with the old root
 * detached, /proc, a tmpfs /dev with the usual nodes, devpts and /dev/shm,
 * a read-only /sys, /etc/hosts and /etc/resolv.conf, the hostname, the
 * user from the container's own /etc/passwd and /etc/group, the working
 * directory (created when missing), a clean signal state, no inherited
 * descriptors beyond 0-2, and execve with a PATH lookup done against the
 * container's environment.  Any failure before exec comes back to the
 * parent over a close-on-exec pipe as a step and an errno, so spawn
 * returns e.g.  container "app": exec "nosuch": No such file or directory
 *
 * With spec.join, container_spawn() starts a further process inside a
 * running container instead (`lighter exec`): born in the container's PID
 * namespace and cgroup, it enters the mount, UTS and IPC namespaces
 * through the init's pidfd, then takes the same user, working directory
 * and PATH lookup steps, and is reaped by the caller like an init.
 *
 * The agent calls this from its single-threaded loop; spawn blocks only
 * until the child has exec'd or failed (a few milliseconds of mounts). */
#ifndef LIGHTER_CONTAINER_H
#define LIGHTER_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <lighter/error.h>

/* Most mounts (volumes) one container takes. */
#define CONTAINER_MAX_MOUNTS 16

/* A directory of the agent bound into the container (a volume): the
 * child clones the mount at source (open_tree) before pivot_root and
 * moves it onto target, inside the new root, after it: a symlink on the
 * way to target resolves inside the container.  Missing directories of
 * target are made (0755, as root); the bind is nosuid and nodev, and
 * read-only when asked. */
struct container_mount {
	const char *source; /* absolute, in the agent's view */
	const char *target; /* absolute, in the container's */
	bool readonly;
};
struct container_proc;

struct container_spec {
	const char *name;	/* for messages: container "name": ... */
	const char *hostname;	/* the group's name; NULL keeps the agent's */
	const char *rootfs;	/* absolute; from container_root_prepare() */
	char *const *argv;	/* argv[0] looked up in the env's PATH */
	char *const *envp;	/* the complete environment; NULL = empty */
	const char *workdir;	/* absolute; NULL = "/"; created when missing */
	const char *user;	/* container-user.h rules; NULL = root */
	const char *cgroup_dir; /* a cgroup v2 directory, NULL = the agent's */
	int stdout_fd;		/* the caller keeps these; -1 = /dev/null */
	int stderr_fd;
	const char *hosts;	 /* /etc/hosts; NULL = localhost + hostname */
	const char *resolv_conf; /* /etc/resolv.conf; NULL = the image's */
	const struct container_mount *mounts; /* after /proc, /dev, /sys */
	size_t n_mounts;		      /* <= CONTAINER_MAX_MOUNTS */
	/* exec: join this running container (its mount, PID, UTS and IPC
	 * namespaces through its pidfd, and cgroup_dir) instead of making a
	 * new one; rootfs, hostname, hosts and resolv_conf are then unused.
	 * NULL = a new container. */
	const struct container_proc *join;
	/* With join only: the process's stdin (-1 = /dev/null); with tty it
	 * is a pty's slave and becomes stdout, stderr and the controlling
	 * terminal of a new session as well. */
	int stdin_fd;
	bool tty;
};

/* Where a failed spawn stopped, for the exit code reported to the user. */
enum container_stage {
	CONTAINER_STAGE_NONE = 0, /* spawn succeeded */
	CONTAINER_STAGE_SETUP,	  /* anything before exec: clone, mounts,
				     files, user, workdir */
	CONTAINER_STAGE_EXEC,	  /* execve of argv[0] */
};

struct container_proc {
	pid_t pid; /* host pid of the container's init; 0 after failure */
	int pidfd; /* pidfd of it (close-on-exec), -1 when none */
	enum container_stage failed_stage;
};

/* Start the container.  On success fills out (pid, pidfd) and returns 0:
 * the process is running the container's program and is the caller's to
 * reap (waitpid) and release (container_proc_release); a child killed
 * before exec (say by the OOM killer) also looks started, and its wait
 * status tells.  On failure the
 * child, if any, has been reaped already, out->failed_stage tells where it
 * stopped, and the error names the container and the step. */
int container_spawn(const struct container_spec *s, struct container_proc *out,
		    struct lerr *e);

/* Close the pidfd (after the process has been reaped). */
void container_proc_release(struct container_proc *p);

/* Send sig to the container's init through its pidfd (no pid reuse race)
 * or its pid.  The init is PID 1 of its namespace: the kernel drops
 * signals it has no handler for, except SIGKILL (and SIGSTOP), and when it
 * dies every other process of the container is killed with it; a stop is
 * therefore SIGTERM (or the image's stop signal), then SIGKILL after a
 * grace period.  -ESRCH once the process has exited. */
int container_signal(const struct container_proc *p, int sig, struct lerr *e);

/* A signal number from "SIGTERM", "TERM" or "15" (an image's StopSignal);
 * -EINVAL for anything else. */
int container_signal_from_name(const char *name);

/* The shell's exit code of a wait status: the exit status, or 128 + the
 * signal number for a killed process. */
int container_exit_code(int wstatus);

/* The exit code to report for a failed spawn (docker's convention): 127
 * when the command was not found (ENOENT, ENOTDIR at exec), 126 when it
 * could not be run (EACCES, ENOEXEC and other exec errors), 125 for a
 * failure before exec. */
int container_spawn_exit_code(enum container_stage stage, int err);

#endif
