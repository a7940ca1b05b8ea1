/* serve-internal.h - the state of the serving agent (serve.h) and the
 * interfaces between its files:
 *
 *   serve.c      agent_serve(): setup, the epoll loop, signals, the
 *                power-off decision and the final flush;
 *   loop.c       epoll sources and timerfds;
 *   sendq.c      the bounded queue of outgoing frames and its writer;
 *   session.c    the host connection: accept, frames in, dispatch,
 *                HELLO, SPEC, SIGNAL, STOP, POWEROFF;
 *   layers.c     LAYER/DATA/LAYER_END: blob files and unpacking;
 *   supervise.c  containers: start, reap, exit events, restart, stop;
 *   inits.c      init containers: their order, then the others;
 *   restart.c    RESTART: every container but the inits, in place;
 *   probe.c      liveness and readiness probes;
 *   output.c     container stdout/stderr pipes to OUTPUT frames;
 *   volumes.c    the group's volumes: SECRET, mounts made at START.
 *   exec.c       the exec port's connections: exec sessions and STATS;
 *   stats.c      per-container cgroup counters and the guest's network
 *                counters for STATS.
 *
 * Everything runs on one thread; nothing blocks for long except a layer
 * unpack and container_spawn() (until exec). */
#ifndef LIGHTER_AGENT_SERVE_INTERNAL_H
#define LIGHTER_AGENT_SERVE_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "container.h"
#include "protocol.h"
#include "serve.h"

struct agent;
struct ev_source;

#define container_of(ptr, type, member)                                        \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

typedef void ev_fn(struct agent *a, struct ev_source *s, uint32_t events);

/* One fd in the epoll set.  Sources live inside struct agent (never
 * freed while the loop runs), so a stale event for a source closed earlier
 * in the same epoll batch finds fd == -1 and is skipped; every fd is
 * non-blocking, so a stale event for a reused source costs one EAGAIN. */
struct ev_source {
	int fd;
	uint32_t events; /* what epoll watches; 0 = not in the set */
	ev_fn *fn;
};

/* ---- loop.c ---- */

void ev_init(struct ev_source *s, ev_fn *fn);
/* Take fd over (closed by ev_close) and watch events (0: not yet). */
int ev_open(struct agent *a, struct ev_source *s, int fd, uint32_t events,
	    struct lerr *e);
/* Change what is watched; 0 removes the fd from the set, so not even
 * EPOLLHUP wakes the loop (a paused pipe whose writer is gone). */
int ev_watch(struct agent *a, struct ev_source *s, uint32_t events);
void ev_close(struct agent *a, struct ev_source *s);
/* A timerfd source (CLOCK_MONOTONIC). */
int ev_timer_open(struct agent *a, struct ev_source *s, ev_fn *fn,
		  struct lerr *e);
/* Arm once, ms from now (0 fires at once); disarm. */
void ev_timer_arm(struct ev_source *s, uint64_t ms);
void ev_timer_disarm(struct ev_source *s);
/* Read a timer's expiry count: false for a stale wake-up. */
bool ev_timer_fired(struct ev_source *s);

uint64_t now_realtime_ns(void);
uint64_t now_monotonic_us(void);

/* ---- sendq.c ---- */

/* Per stream: stop reading a pipe while this many bytes of its OUTPUT
 * frames wait in the queue (slow or absent host); one read is at most
 * OUTPUT_READ_MAX, so a stream holds at most their sum. */
#define STREAM_QUEUE_MAX (1u << 20)
#define OUTPUT_READ_MAX (64u << 10)
/* Stop reading the host's requests while this many bytes of replies wait
 * (a host that sends without reading). */
#define SENDQ_REPLY_MAX (1u << 20)
/* EVENTs kept for a host that is not connected; the oldest go first. */
#define SENDQ_EVENTS_MAX 1024

enum sendq_kind {
	SENDQ_REPLY,  /* answers a request of this connection: dropped when
			 it closes */
	SENDQ_EVENT,  /* kept for the next host */
	SENDQ_OUTPUT, /* kept for the next host, counted on its stream */
};

struct sendq_item {
	struct sendq_item *next;
	enum sendq_kind kind;
	int stream; /* OUTPUT: ctr index * 2 + (0 stdout, 1 stderr) */
	size_t len, off;
	uint8_t *bytes;
};

struct sendq {
	struct sendq_item *head, *tail;
	size_t reply_bytes;
	size_t events;
};

/* Queue a built frame (flattened; o is freed).  front puts it before
 * everything (the HELLO reply goes ahead of kept events and output).
 * REPLY frames while no host is connected are dropped. */
int sendq_push(struct agent *a, struct proto_out *o, enum sendq_kind kind,
	       int stream, bool front);
/* JSON frames: body is consumed (json_decref) in every case. */
void sendq_json(struct agent *a, enum sendq_kind kind, uint16_t type,
		uint32_t id, json_t *body, bool front);
void send_ok(struct agent *a, uint32_t id, json_t *body /* NULL: {} */);
void send_error(struct agent *a, uint32_t id, const struct lerr *err);
void send_event(struct agent *a, const struct proto_event *ev);
/* Write what the host connection takes now; keeps EPOLLOUT and the
 * connection's read interest in step.  A write error ends the
 * connection. */
void sendq_flush(struct agent *a);
/* The connection ended: drop replies, restart a half-written frame from
 * its first byte for the next host. */
void sendq_disconnected(struct agent *a);
/* Write the whole queue within timeout_ms (power off), or only the rest
 * of a frame already half on the wire (before a last ERROR). */
void sendq_drain(struct agent *a, int timeout_ms, bool head_only);
void sendq_free(struct agent *a);
/* Send one frame on fd directly, waiting at most timeout_ms (the last
 * word to a host being disconnected, EBUSY to a second one). */
int send_now(int fd, struct proto_out *o, int timeout_ms);

/* ---- output.c ---- */

struct stream {
	struct ev_source src; /* the pipe's read end */
	int index;	      /* ctr index * 2 + which */
	uint16_t flag;	      /* PROTO_OUT_STDOUT or PROTO_OUT_STDERR */
	size_t queued;	      /* bytes of its frames in the send queue */
	bool paused;
	bool open; /* between output_open() and EOF */
};

/* Two fresh pipes for container c; their write ends in wfd[0] (stdout)
 * and wfd[1] (stderr), for the caller to hand to the container and close. */
int output_open(struct agent *a, int c, int wfd[2], struct lerr *e);
/* A frame of the stream left the queue (sent). */
void output_sent(struct agent *a, int stream, size_t bytes);
/* Close both pipes (power off). */
void output_close(struct agent *a, int c);

/* ---- supervise.c ---- */

/* A liveness (probes[0]) or readiness (probes[1]) probe of a container;
 * spec NULL when it has none. */
struct probe {
	const struct proto_probe *spec;
	struct ctr *ctr;
	struct ev_source timer; /* next attempt, or the attempt's timeout */
	struct ev_source sock;	/* http: the connection */
	pid_t pid;		/* exec: the child, 0 when none */
	bool inflight;
	uint64_t started_us; /* of the attempt */
	uint32_t passes, fails; /* in a row */
	bool ready;		/* readiness: the verdict */
	bool sent;		/* http: the request is out */
	char head[128];		/* http: the response's first bytes */
	size_t head_len;
};

enum ctr_state {
	CTR_IDLE,    /* not started */
	CTR_RUNNING, /* init alive */
	CTR_EXITING, /* init reaped or spawn failed; pipes not yet at EOF */
	CTR_BACKOFF, /* waiting to restart */
	CTR_DONE,    /* exited for good */
};

struct ctr {
	const struct proto_container *spec;
	enum ctr_state state;
	struct container_proc proc;
	int wstatus;
	bool oom_killed;
	bool spawn_failed;
	int spawn_exit_code; /* 125, 126 or 127 */
	char *error;	     /* why the spawn failed */
	char **argv, **envp; /* NULL-terminated, into spec */
	struct stream out[2];
	struct ev_source restart_timer;
	int64_t restart_count;
	bool restart_now; /* RESTART: again at once when it exits; the
			     restart timer is then its kill deadline */
	bool skipped;	  /* DONE without running (behind a failed init) */
	char kill_reason[64]; /* of the next "killing" event */
	struct probe probes[2];
	uint32_t backoff_ms;
	uint64_t started_us;
	uint64_t oom_kills; /* memory.events oom_kill at spawn */
	bool root_ready, cgroup_ready;
	char state_dir[PATH_MAX];
	char rootfs[PATH_MAX];
	char cgroup[PATH_MAX];
};

/* START, STOP, SIGNAL requests (replies and events queued here). */
void supervise_start(struct agent *a, uint32_t id);
void supervise_stop(struct agent *a, uint32_t id, uint32_t grace_ms);
void supervise_signal(struct agent *a, uint32_t id,
		      const struct proto_signal *s);
/* SIGCHLD: reap every exited child. */
void supervise_reap(struct agent *a);
/* A stream reached EOF: maybe the exit event is due. */
void supervise_stream_eof(struct agent *a, int c);
/* The STOP grace period ended: SIGKILL (cgroup.kill) what still runs. */
void supervise_on_stop_timer(struct agent *a, struct ev_source *s,
			     uint32_t events);
/* SIGKILL every container still running (power off). */
void supervise_kill_all(struct agent *a);
/* Start (or restart) c.  On failure it is EXITING with the launcher's
 * exit code; the caller runs supervise_maybe_exited(). */
int supervise_spawn(struct agent *a, struct ctr *c, struct lerr *e);
/* c is EXITING and both its pipes are at EOF: the exited event, then a
 * restart, the next init, or DONE. */
void supervise_maybe_exited(struct agent *a, struct ctr *c);
/* An EVENT about c (pid, exit status, restart count, kill reason). */
void supervise_event(struct agent *a, struct ctr *c,
		     enum proto_event_kind kind);
/* cgroup.kill and SIGKILL to c's init. */
void supervise_kill(struct agent *a, struct ctr *c);
/* c's last run did not end with exit code 0 (or could not start). */
bool supervise_failed(const struct ctr *c);

/* ---- inits.c ---- */

/* The SPEC has init containers. */
bool supervise_has_init(const struct agent *a);
/* An init is done: start the next init, or the others, or (after a failed
 * init) mark them DONE without running. */
void supervise_start_next(struct agent *a);

/* ---- probe.c ---- */

/* Timers for c's probes (at START). */
int probes_open(struct agent *a, struct ctr *c, struct lerr *e);
/* c started running: each probe from its delay. */
void probes_start(struct agent *a, struct ctr *c);
/* c stopped running (or is being killed): no more attempts. */
void probes_stop(struct agent *a, struct ctr *c);
void probes_free(struct agent *a, struct ctr *c);
/* A reaped child that was an exec probe's: true when it was. */
bool probes_reaped(struct agent *a, pid_t pid, int status);

/* ---- restart.c ---- */

/* RESTART: see protocol.h; ERROR before START or once stopping. */
void supervise_restart(struct agent *a, uint32_t id, uint32_t grace_ms);
void supervise_free(struct agent *a);

/* ---- layers.c ---- */

enum layer_state {
	LAYER_IDLE,
	LAYER_RECEIVING, /* DATA goes to the blob file (or nowhere) */
	LAYER_DISCARD,	 /* a malformed LAYER was answered: swallow its
			    DATA and LAYER_END */
};

struct layer_xfer {
	enum layer_state state;
	uint32_t id;
	struct proto_layer_rx rx;
	int blob_fd;
	char blob_path[PATH_MAX];
	bool present; /* unpacked before: acknowledge without unpacking */
	bool failed;  /* err holds the answer for LAYER_END */
	struct lerr err;
};

/* Frames of a layer transfer (LAYER, DATA, LAYER_END); session.c routes
 * here only what belongs to a transfer or starts one. */
void layers_on_layer(struct agent *a, const struct proto_frame *f);
void layers_on_data(struct agent *a, const struct proto_frame *f);
void layers_on_end(struct agent *a, const struct proto_frame *f);
/* The connection ended inside a transfer: forget it. */
void layers_abort(struct agent *a);
/* run_dir/layers/<hex> of a digest, and whether it is unpacked. */
int layer_dir(const struct agent *a, const char *diff_id, char *out,
	      size_t size);
bool layer_present(const struct agent *a, const char *diff_id);

/* ---- volumes.c ---- */

/* run_dir/volumes/<name>. */
int volume_dir(const struct agent *a, const char *name, char *out,
	       size_t size);
/* A gitrepo volume's content is that layer. */
bool volumes_has_layer(const struct agent *a, const char *diff_id);
/* Mount every volume not yet ready (START, before any container):
 * -errno with e naming the volume. */
int volumes_prepare(struct agent *a, struct lerr *e);
/* A SECRET request (body parsed): answered here. */
void volumes_on_secret(struct agent *a, uint32_t id, const json_t *body);
/* Unmount them all (power off, containers gone). */
void volumes_unmount(struct agent *a);

/* ---- session.c ---- */

void session_on_listen(struct agent *a, struct ev_source *s, uint32_t ev);
void session_on_conn(struct agent *a, struct ev_source *s, uint32_t ev);
/* Adopt fd as the host connection. */
int session_adopt(struct agent *a, int fd, struct lerr *e);
/* End the host connection (EOF, error, or our decision). */
void session_close(struct agent *a);
/* Answer with ERROR, then end the connection (a fault that leaves the
 * stream out of step, or a frame before HELLO). */
void session_fatal(struct agent *a, uint32_t id, const struct lerr *err);

/* ---- exec.c ---- */

#define MAX_EXEC_SESSIONS 16

enum exec_state {
	EXEC_FREE,
	EXEC_WAIT,    /* connected; the first frame decides */
	EXEC_STATS,   /* answering STATS requests */
	EXEC_RUNNING, /* the process runs (or its output is being read) */
	EXEC_DONE,    /* EXEC_EXIT or ERROR queued: close once written */
};

struct exec_sess {
	enum exec_state state;
	struct ev_source conn;
	struct ev_source out[2]; /* stdout, stderr pipes; a pty master in
				    out[0] alone */
	struct ev_source in;	 /* stdin pipe, or the pty master again */
	struct proto_reader rd;
	uint32_t id; /* the EXEC's */
	int ctr;     /* the container's index */
	bool tty, in_eof, reaped, taking;
	struct container_proc proc;
	uint8_t *wbuf; /* frames for the host */
	size_t wlen, woff, wcap;
	uint8_t *ibuf; /* stdin bytes for the process */
	size_t ilen, ioff;
};

void exec_init(struct agent *a);
void exec_on_listen(struct agent *a, struct ev_source *s, uint32_t events);
/* A reaped child that may be an exec'd process: true when it was. */
bool exec_reaped(struct agent *a, pid_t pid, int status);
void exec_free(struct agent *a);

/* ---- stats.c ---- */

/* Every container's counters (its cgroup's cpu.stat usage_usec,
 * memory.current and pids.current; without cgroups its init's from
 * /proc) and the guest's Ethernet interfaces from /proc/net/dev (lo when
 * there is none). */
int stats_collect(struct agent *a, struct proto_stats *st, struct lerr *e);
/* The pid of p as this process's /proc numbers it (its pidfd's fdinfo):
 * the agent's own in the guest, the host's in the native tests. */
pid_t stats_proc_pid(const struct container_proc *p);

/* ---- serve.c ---- */

/* The group has exited for good: power off on POWEROFF, when the host
 * closes, or after the idle time without one. */
void serve_group_exited(struct agent *a);
/* Leave the loop now (power off). */
void serve_quit(struct agent *a);

__attribute__((format(printf, 2, 3))) void agent_note(struct agent *a,
						      const char *fmt, ...);

/* ---- the agent ---- */

#define MAX_PENDING_STOPS 16

struct agent {
	const struct serve_config *cfg;
	int epfd;
	bool quit;
	struct ev_source listen;
	struct ev_source conn;
	struct ev_source exec_listen;
	struct exec_sess execs[MAX_EXEC_SESSIONS];
	struct ev_source sigfd;
	struct ev_source stop_timer;
	struct ev_source idle_timer;

	/* host connection */
	struct proto_reader reader;
	bool ready;	  /* HELLO answered */
	bool read_paused; /* too many replies waiting */
	struct sendq q;

	/* the group */
	bool have_spec;
	struct proto_group spec;
	struct layer_xfer layer;
	bool vol_mounted[PROTO_MAX_VOLUMES]; /* its mount exists */
	bool vol_ready[PROTO_MAX_VOLUMES];   /* and is final (START) */
	bool started, stopping, group_exited, shutdown;
	bool cgroup_parent_ready;
	uint64_t stop_deadline_us; /* 0 = no grace timer armed */
	uint32_t stop_ids[MAX_PENDING_STOPS];
	size_t n_stop_ids;
	size_t n_ctrs;
	struct ctr ctrs[PROTO_MAX_CONTAINERS];
};

#endif
