/* monitor.h - a group's monitor: the process that `lighter start` leaves
 * behind (double fork, setsid) to own the group while it runs.  One
 * libuv loop, one thread:
 *
 *   monitor.c          setup, the VMM's life and death, timers, the final
 *                      state, the start report to `lighter start`
 *   monitor-session.c  the agent connection: hybrid vsock connect (retried
 *                      while the guest boots), HELLO, SPEC, each layer
 *                      (LAYER, DATA streamed from the store, LAYER_END),
 *                      START; replies matched by id; STOP, SIGNAL, POWEROFF
 *   monitor-requests.c SIGNAL and RESTART for ctl.sock's clients
 *   monitor-events.c   EVENTs into state.json, OUTPUT into the CRI logs
 *   monitor-ctl.c      ctl.sock: `stop <grace_ms>`, `signal <ctr> <sig>`,
 *                      `restart <grace_ms>`
 *   monitor-secrets.c  the secret volumes' files, SECRET by SECRET
 *
 * It is the only client of the agent, the only writer of state.json
 * while it lives, and holds the group's monitor lock until its end. */
#ifndef LIGHTER_TOOLS_MONITOR_H
#define LIGHTER_TOOLS_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include <lighter/lighter.h>

#include "agent-client.h"
#include "group-dir.h"
#include "group-volumes.h"
#include "protocol.h"
#include "spec.h"

/* What `lighter start` hands its monitor. */
struct monitor_opts {
	const char *name;
	const char *dir_path; /* RUN/<group> */
	const char *data_dir; /* DATA: the secure-env key */
	int dir_fd;
	int lock_fd;   /* the monitor lock, held */
	int status_fd; /* "<code> <message>\n" to `lighter start` */
	const char *vmm, *kernel, *initrd;
	int64_t boot_timeout_ms;
	/* the persistent volumes' images, open and locked until lighter-vmm
	 * is spawned with them (it locks them itself) */
	struct volume_disks *disks;
};

#define MONITOR_BOOT_TIMEOUT_S 60
#define MONITOR_CONNECT_RETRY_MS 20
#define MONITOR_KILL_AFTER_MS 5000 /* past a stop's grace */
#define MONITOR_POWEROFF_WAIT_MS 10000
#define MONITOR_TERM_WAIT_MS 2000 /* a SIGTERM'd VMM's exit, then SIGKILL */
#define MONITOR_LAYER_CHUNK (256U * 1024)
#define MONITOR_STOP_DEFAULT_MS 10000

enum session_phase {
	SESSION_CONNECTING, /* retrying the hybrid vsock connect */
	SESSION_CONNECT_OK, /* waiting for "OK <port>" */
	SESSION_HELLO,
	SESSION_SPEC,
	SESSION_LAYERS,
	SESSION_SECRETS,
	SESSION_START,
	SESSION_RUNNING,
	SESSION_DONE, /* POWEROFF sent or the VMM gone: no reconnects */
};

struct ctl_client;

/* A SIGNAL request waiting for the agent's answer. */
struct pending_signal {
	uint32_t id;
	struct ctl_client *client;
};

#define MONITOR_MAX_PENDING_SIGNALS 16

struct monitor {
	uv_loop_t loop;
	const struct monitor_opts *o;
	struct lighter_group_state st;
	json_t *spec_json;
	struct proto_group spec;
	struct group_layer *layers;
	size_t nr_layers;
	int *log_fds; /* per container, O_APPEND */

	/* the VMM */
	pid_t vmm_pid;
	int vmm_pidfd;
	uv_poll_t vmm_poll;
	bool vmm_running;
	bool vmm_term_sent; /* by the kill timer, before its SIGKILL */
	char fail_reason[768]; /* why the group failed, once known */

	/* the agent */
	struct agent_conn conn;
	uv_poll_t *conn_poll; /* per connection; freed once closed */
	int conn_events;
	enum session_phase phase;
	bool session_started; /* START answered once: reconnects resume */
	uint32_t start_missing; /* bit i: container i's exec failed, its
				 * "exited" event is awaited */
	uint32_t id_hello, id_spec, id_layer, id_start, id_stop, id_poweroff;
	size_t layer_idx;
	int layer_fd;
	uint64_t layer_sent;
	bool layer_end_queued;
	json_t **secrets; /* SECRET bodies not yet sent (NULL once sent) */
	size_t nr_secrets, secret_idx;
	uint32_t id_secret;
	struct pending_signal signals[MONITOR_MAX_PENDING_SIGNALS];

	/* timers */
	uv_timer_t retry_timer, boot_timer, kill_timer;
	uv_signal_t sigterm;

	/* ctl.sock */
	uv_pipe_t ctl;
	bool ctl_open;
	struct ctl_client *clients;

	/* the start report */
	int status_fd;
	bool stop_requested, poweroff_sent, group_exited, first_output;
	unsigned int stop_grace_ms;
};

/* The monitor's whole life; returns its exit status. */
int monitor_main(const struct monitor_opts *o);

/* monitor.c */
void monitor_mark(struct monitor *m, enum lighter_phase p);
void monitor_save(struct monitor *m);
__attribute__((format(printf, 2, 3))) void monitor_log(struct monitor *m,
						       const char *fmt, ...);
/* Tell `lighter start` how the start went (once; later calls are
 * ignored). */
void monitor_report(struct monitor *m, int code, const char *msg);
/* Fail the group: remember why, report a pending start, kill the VMM. */
void monitor_fail(struct monitor *m, const char *reason);
/* Stop: STOP then POWEROFF when connected, SIGTERM to the VMM when not;
 * SIGKILL grace + 5 s later. */
void monitor_stop(struct monitor *m, unsigned int grace_ms);
void monitor_kill_vmm(struct monitor *m, int sig);
/* SIGKILL the VMM ms from now unless it has gone (restarts the timer). */
void monitor_kill_after(struct monitor *m, uint64_t ms);

/* monitor-session.c */
int session_begin(struct monitor *m);
/* Write what is queued for the agent and watch the connection. */
void session_pump(struct monitor *m);
/* Tell `lighter start` how START went: 0, or 126/127/125 and the error of
 * the first container that could not be exec'd. */
void session_report_start(struct monitor *m);
void session_poweroff(struct monitor *m);
void session_stop(struct monitor *m, unsigned int grace_ms);
/* monitor-requests.c */
/* 0 when the SIGNAL went out (the client gets the answer later). */
int session_signal(struct monitor *m, struct ctl_client *cl,
		   const char *container, int sig, struct lerr *e);
/* 0 when the RESTART went out (the client gets the answer later). */
int session_restart(struct monitor *m, struct ctl_client *cl,
		    unsigned int grace_ms, struct lerr *e);
void session_close(struct monitor *m);
void session_forget_client(struct monitor *m, struct ctl_client *cl);

/* monitor-events.c */
/* Add to the group's event list (saved with the next monitor_save()); t
 * 0 is now. */
__attribute__((format(printf, 5, 6))) void
events_note(struct monitor *m, int64_t t, const char *container,
	    const char *type, const char *fmt, ...);
/* Pulled, for every container: its image's layers are in the guest. */
void events_note_pulled(struct monitor *m);
void events_handle(struct monitor *m, const json_t *body);
void events_output(struct monitor *m, const struct proto_frame *f);

/* monitor-secrets.c */
/* Read every secret volume's files into SECRET bodies (the group's spec
 * file, named by volumes.json, read again). */
int secrets_load(struct monitor *m, struct lerr *e);
/* Queue the next SECRET (wiping the one answered): false when none is
 * left. */
bool secrets_send_next(struct monitor *m);
void secrets_free(struct monitor *m);

/* monitor-ctl.c */
int ctl_open(struct monitor *m, struct lerr *e);
/* Answer one client ("ok" or "error <msg>") and drop it. */
void ctl_reply(struct monitor *m, struct ctl_client *cl, const char *line);
/* Answer every client waiting for the end with "ok". */
void ctl_finish(struct monitor *m);
void ctl_close(struct monitor *m);

#endif
