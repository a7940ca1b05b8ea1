/* lighter.h - liblighter, the embedding API of lighter: container groups,
 * each in its own KVM microVM, as the `lighter` CLI drives them.
 *
 * A group lives in a directory of its own under the run dir,
 * RUN/<group>/: spec.json (the SPEC the guest agent receives),
 * layers.json (the image layers, as store paths), state.json (the
 * group's state, below), logs/<container>.log (CRI log lines), the
 * monitor's, VMM's and guest console's logs, and the sockets ctl.sock
 * (the monitor's control socket) and vsock.sock (the VMM's hybrid
 * vsock).  Image blobs live in a content store under the data dir and
 * are shared between groups.
 *
 * A started group has a monitor: a process of its own (double fork,
 * setsid) that runs lighter-vmm, talks to the guest agent over vsock,
 * writes the logs and state.json, and serves ctl.sock.  state.json is
 * replaced atomically (temporary file + rename) under an flock on
 * RUN/<group>/lock, so a reader never sees a torn file.
 *
 * Every fallible function returns 0 (or a count) or a negative errno and
 * fills struct lerr (include/lighter/error.h) with one line naming what
 * failed; nothing in the library prints.  Pass the same struct
 * lighter_paths to every call. */
#ifndef LIGHTER_LIGHTER_H
#define LIGHTER_LIGHTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lighter/error.h>

#define LIGHTER_VERSION "0.1.0"
#define LIGHTER_NAME_MAX 63

/* ---- where things are ---- */

struct lighter_paths {
	char *run_dir;	/* RUN: one directory per group */
	char *data_dir; /* DATA: the content store */
	/* What a start needs; NULL until lighter_paths_runtime(). */
	char *vmm;
	char *kernel;
	char *initrd;
};

/* run_dir: the argument, else $LIGHTER_RUN_DIR, else /run/lighter for
 * root and $XDG_RUNTIME_DIR/lighter for others; data_dir: the argument,
 * else $LIGHTER_DATA_DIR, else /var/lib/lighter.  Neither is created
 * here.  -EINVAL when no run dir can be chosen. */
int lighter_paths_init(struct lighter_paths *p, const char *run_dir,
		       const char *data_dir, struct lerr *e);

/* Finds lighter-vmm, the guest kernel and the initramfs: each from its
 * variable ($LIGHTER_VMM, $LIGHTER_KERNEL, $LIGHTER_INITRD), else next to
 * the running executable as in the build tree (../vmm/lighter-vmm,
 * ../guest-vmlinux, ../rootfs/initramfs.cpio), else installed under
 * LIGHTER_LIBDIR (lighter-vmm, vmlinux, initramfs.cpio).  A missing file
 * is an error naming it and the variable that overrides it. */
int lighter_paths_runtime(struct lighter_paths *p, struct lerr *e);

void lighter_paths_free(struct lighter_paths *p);

/* ---- state ---- */

enum lighter_group_status {
	LIGHTER_GROUP_CREATED = 0,
	LIGHTER_GROUP_STARTING, /* the VM boots, the agent gets the spec */
	LIGHTER_GROUP_RUNNING,
	LIGHTER_GROUP_STOPPING,
	LIGHTER_GROUP_EXITED,
	LIGHTER_GROUP_FAILED, /* see reason */
};

enum lighter_container_status {
	LIGHTER_CONTAINER_CREATED = 0,
	LIGHTER_CONTAINER_RUNNING,
	LIGHTER_CONTAINER_EXITED,
	LIGHTER_CONTAINER_RESTARTING,
};

/* Phases of a start the monitor timestamps (state.json "timings"). */
enum lighter_phase {
	LIGHTER_PHASE_MONITOR_START = 0,
	LIGHTER_PHASE_VMM_SPAWNED,
	LIGHTER_PHASE_AGENT_CONNECTED,	  /* HELLO answered */
	LIGHTER_PHASE_SPEC_SENT,	  /* SPEC answered */
	LIGHTER_PHASE_LAYERS_DELIVERED,	  /* the last LAYER answered */
	LIGHTER_PHASE_CONTAINERS_STARTED, /* START answered */
	LIGHTER_PHASE_FIRST_OUTPUT,
	LIGHTER_PHASE_GROUP_EXITED,
	LIGHTER_PHASE_VMM_EXITED,
	LIGHTER_PHASE_COUNT,
};

struct lighter_timing {
	int64_t mono_ns; /* CLOCK_MONOTONIC; 0: not reached */
	int64_t wall_ns; /* CLOCK_REALTIME */
};

struct lighter_container_state {
	char name[LIGHTER_NAME_MAX + 1];
	char *image; /* the reference as written */
	enum lighter_container_status state;
	bool has_exit_code;
	int exit_code; /* 0..255; 128+N when killed by signal N */
	int signal;    /* the signal that ended it, 0 if none */
	int64_t restart_count;
	int64_t started_at_ns; /* wall clock, 0 unset */
	int64_t finished_at_ns;
	bool oom_killed;
	char *error; /* why it could not start, NULL if none */
	int64_t pid; /* in the guest, 0 unknown */
	bool init;   /* an init container ([init.NAME]) */
	bool has_readiness; /* a readiness probe decides ready */
	bool ready;	    /* its readiness probe passes */
};

/* One kind of thing that happened, counted as it repeats (a container
 * restarting in a loop is one "BackOff" with a count): the key is
 * container, type and message. */
#define LIGHTER_EVENTS_MAX 100 /* kept per group; the oldest go first */
#define LIGHTER_EVENT_TYPE_MAX 23

struct lighter_event {
	int64_t seq;   /* 1, 2, ... within the group; a repeat takes the next */
	int64_t count; /* times it happened */
	int64_t first_ns, last_ns; /* wall clock */
	char container[LIGHTER_NAME_MAX + 1]; /* "" for the group */
	char type[LIGHTER_EVENT_TYPE_MAX + 1]; /* Pulled, Created, Started,
						  Killing, BackOff, Exited,
						  Unhealthy, Ready, NotReady,
						  Stopping, Restarting */
	char *message;
};

struct lighter_group_state {
	char name[LIGHTER_NAME_MAX + 1];
	enum lighter_group_status state;
	char *reason; /* why it failed or stopped; NULL if none */
	int64_t created_at_ns, started_at_ns, finished_at_ns;
	unsigned int cpus;
	uint64_t memory; /* bytes */
	char *run_dir;	 /* RUN/<group> */
	pid_t monitor_pid, vmm_pid;
	uint64_t vmm_start_ticks; /* /proc/PID/stat starttime: a pid check */
	bool auto_remove;	  /* removed by its monitor when it ends */
	struct lighter_timing timings[LIGHTER_PHASE_COUNT];
	uint64_t unpack_us;   /* the agent's unpack time, all layers */
	uint64_t layer_bytes; /* uncompressed bytes it unpacked */
	struct lighter_container_state *containers;
	size_t nr_containers;
	struct lighter_event *events; /* by last_ns, oldest first */
	size_t nr_events;
	int64_t event_seq; /* the last seq given */
};

const char *lighter_group_status_name(enum lighter_group_status s);
/* Starting, running or stopping: a monitor owns the group. */
bool lighter_group_is_active(enum lighter_group_status s);
const char *lighter_container_status_name(enum lighter_container_status s);
/* "monitor_start", "vmm_spawned", ... as in state.json. */
const char *lighter_phase_name(enum lighter_phase p);

void lighter_group_state_free(struct lighter_group_state *st);

/* Azure Container Instances' view of the state (state-life.c), shown by
 * `inspect` beside lighter's own: the group Pending (created, starting),
 * Running (running, stopping), Succeeded (every container that ran exited
 * 0), Failed, or Stopped (by `stop`); a container Waiting (not started,
 * or in back-off), Running or Terminated, the last with a reason:
 * Completed (exit 0), Error, OOMKilled, or NotStarted (the group ended
 * before its turn, as behind a failed init).  The reason is NULL for the
 * other phases (BackOff for a container waiting to restart). */
const char *lighter_group_phase(const struct lighter_group_state *st);
const char *lighter_container_phase(const struct lighter_container_state *c);
const char *lighter_container_reason(const struct lighter_container_state *c);

/* The state as one JSON object (the form of state.json and of `lighter
 * inspect`), malloc'd; NULL when out of memory. */
char *lighter_group_state_json(const struct lighter_group_state *st);

/* Docker's exit status of a finished group: the first container's exit
 * code (128+N for signal N), 125 for a failed group or a first container
 * with no exit code. */
int lighter_group_exit_status(const struct lighter_group_state *st);

/* ---- groups ---- */

struct lighter_create_opts {
	const char *name; /* NULL: the spec file's, or a generated one */
	/* Either a spec file ... */
	const char *spec_path;
	/* ... or the one-container shorthand (container "main"). */
	const char *image;
	unsigned int cpus;	  /* 0: default */
	uint64_t mem_bytes;	  /* 0: default */
	const char *const *env;	  /* NAME=VALUE, NULL-terminated, or NULL */
	const char *const *argv;  /* replaces the image's Cmd, or NULL */
	bool auto_remove;	  /* the monitor removes the group at its end */
};

/* Parse and check the spec, resolve every image into the content store
 * (verified), merge image configs and spec into each container's final
 * process and write RUN/<group>/ (spec.json, layers.json, state.json
 * "created").  The group's name goes to name_out (LIGHTER_NAME_MAX + 1
 * bytes).  -EEXIST when the name is taken. */
int lighter_group_create(const struct lighter_paths *p,
			 const struct lighter_create_opts *o, char *name_out,
			 struct lerr *e);

/* 1 when RUN/<name> holds a group, 0 when not. */
int lighter_group_exists(const struct lighter_paths *p, const char *name);

/* Spawn the group's monitor and wait until the agent has answered START
 * (or the start failed).  Needs lighter_paths_runtime() first.  Returns 0,
 * or -errno with e; *exit_status is then Docker's: 127 a command not
 * found, 126 not executable, 125 anything else (0 on success).  A group
 * that is running already is -EBUSY. */
int lighter_group_start(const struct lighter_paths *p, const char *name,
			int *exit_status, struct lerr *e);

/* Ask the monitor to stop the group (STOP with grace_ms, then POWEROFF;
 * the VMM is killed grace + 5 s later if still there) and wait until the
 * VMM has exited.  A group that is not running is no error. */
int lighter_group_stop(const struct lighter_paths *p, const char *name,
		       unsigned int grace_ms, struct lerr *e);

/* The same request without waiting for the end (for signal handlers'
 * deferred work): 0 once the monitor has it. */
int lighter_group_stop_async(const struct lighter_paths *p, const char *name,
			     unsigned int grace_ms, struct lerr *e);

/* Send signal sig to a container's main process in the guest. */
int lighter_group_signal(const struct lighter_paths *p, const char *name,
			 const char *container, int sig, struct lerr *e);

/* Restart every container of a running group in place (its inits are not
 * run again), whatever the restart policy: SIGTERM, SIGKILL after
 * grace_ms, then each starts again with its restart count one higher.
 * Returns once the agent has signalled them; -ENOTCONN when the group
 * is not running. */
int lighter_group_restart(const struct lighter_paths *p, const char *name,
			  unsigned int grace_ms, struct lerr *e);

/* Remove RUN/<name>.  A running group is -EBUSY unless force, which kills
 * its VMM and monitor first.  Store blobs stay. */
int lighter_group_remove(const struct lighter_paths *p, const char *name,
			 bool force, struct lerr *e);

/* Read a group's state.  A group whose monitor is gone while its state
 * says it runs is marked failed ("monitor died") and its VMM killed.
 * -ENOENT for no such group. */
int lighter_group_load(const struct lighter_paths *p, const char *name,
		       struct lighter_group_state *st, struct lerr *e);

/* The names of all groups, sorted; *names is NULL-terminated (NULL for
 * none), free each string and the array.  An absent run dir is an empty
 * list. */
int lighter_group_list(const struct lighter_paths *p, char ***names,
		       size_t *n, struct lerr *e);

/* ---- exec ---- */

struct lighter_exec_opts {
	const char *container;
	const char *const *argv; /* NULL-terminated, at least argv[0] */
	bool tty;		 /* a pty in the guest */
	bool interactive;	 /* in_fd feeds the process's stdin */
	int in_fd, out_fd, err_fd; /* with tty, everything goes to out_fd */
	/* Readable when the terminal's size changed (a signalfd for
	 * SIGWINCH or a self-pipe the caller owns; drained here), or -1. */
	int winch_fd;
	/* A terminal whose size (TIOCGWINSZ) the pty takes at the start and
	 * after each winch_fd wake-up, or -1. */
	int size_fd;
};

struct lighter_exec_result {
	int exit_code;	 /* 0..255: the shell's (128 + signal when killed) */
	int signal;	 /* the signal that ended it, 0 if none */
	char error[512]; /* why the command could not run (exit code 126,
			    127 or 125), "" when it ran */
};

/* Run argv in a running container of the group (its namespaces, cgroup,
 * environment, user and working directory) and relay its stdio until it
 * ends: 0 with the result (a command that could not be run is a result
 * too: res->error says why), or -errno with e when nothing ran (the group
 * or container is not running, no such container, the connection broke).
 * Terminal modes are the caller's business. */
int lighter_group_exec(const struct lighter_paths *p, const char *name,
		       const struct lighter_exec_opts *o,
		       struct lighter_exec_result *res, struct lerr *e);

/* ---- logs ---- */

/* With more than one container shown, each line starts "NAME | ". */
struct lighter_log_opts {
	const char *container; /* NULL: every container, interleaved */
	bool follow;	       /* until the group ends */
	bool timestamps;       /* prefix each line with its RFC 3339 time */
	long tail;	       /* the last N lines of each container; < 0 all */
	int out_fd, err_fd;    /* stdout and stderr lines go here */
	/* With follow and container: stop once that container has exited
	 * for good, not only when the group ends (attach). */
	bool until_container_exits;
	/* Called (on the following thread) for SIGINT and SIGTERM while
	 * following; NULL leaves them alone. */
	void (*on_signal)(int sig, void *arg);
	void *arg;
};

/* Write a group's logs; with follow, wait for more until the group has
 * ended and every log is drained. */
int lighter_group_logs(const struct lighter_paths *p, const char *name,
		       const struct lighter_log_opts *o, struct lerr *e);

#endif
