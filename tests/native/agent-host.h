/* agent-host.h - the host's side of the wire protocol for the native
 * agent tests: the agent (agent_serve(), serve.h) started in a child that
 * is PID 1 of a new PID namespace (as in the guest; killing it takes its
 * containers along), a busybox layer made with tar, and a client that
 * speaks to the agent with the protocol library and records every OUTPUT
 * and EVENT it receives, in order, while it waits for replies. */
#ifndef LIGHTER_TESTS_AGENT_HOST_H
#define LIGHTER_TESTS_AGENT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "protocol.h"

#define HOST_TIMEOUT_MS 20000
#define HOST_MAX_EVENTS 256

/* ---- the agent under test ---- */

struct agent_child {
	pid_t pid;
	char sock[4096];      /* its listening Unix socket */
	char exec_sock[4096]; /* the exec port's */
	char run_dir[4096];
	char layer[4096]; /* the busybox layer (tar) */
	char diff_id[LDIGEST_STR_LEN];
	size_t layer_size;
};

/* In the scratch directory (native.h): the test image as a tar layer with
 * extra applets (seq, true, false, kill, wc, stty, tty), its diff_id, then the agent in a
 * child (PID 1 of a new PID namespace) listening on a Unix socket, with
 * no cgroups and the given idle power-off delay (0: the default).  Call
 * once per test (a PID namespace whose init died takes no new process). */
void agent_start(struct agent_child *ag, uint32_t idle_ms);
/* Wait at most timeout_ms for the agent to exit: its wait status, or -1
 * on timeout. */
int agent_wait(struct agent_child *ag, int timeout_ms);
/* SIGKILL it (and so its containers) if still running; reap it. */
void agent_kill(struct agent_child *ag);

/* ---- the host ---- */

/* A container's stream over all its runs (a restarted container's
 * output continues the same buffer). */
struct host_stream {
	char *buf;
	size_t len, cap;
	size_t frames;
	size_t eofs;	/* EOF frames (one per run) */
	bool eof;	/* the last frame was an EOF */
	size_t eof_seq; /* host.seq of the last EOF frame */
};

struct host_event {
	struct proto_event ev;
	size_t seq;
};

struct host {
	int fd;
	struct proto_reader r;
	uint32_t next_id;
	size_t seq;	  /* frames received so far (all connections) */
	size_t reply_seq; /* seq of the reply host_reply() returned last */
	struct host_stream out[PROTO_MAX_CONTAINERS][2]; /* stdout, stderr */
	struct host_event events[HOST_MAX_EVENTS];
	size_t n_events;
};

void host_init(struct host *h);
void host_free(struct host *h);

/* The agent tests' fixture: a scratch directory and a fresh host side;
 * then the host freed, the agent killed, the scratch directory left. */
void host_fixture_enter(struct host *h);
void host_fixture_leave(struct host *h, struct agent_child *ag);
/* Connect (no HELLO); host_disconnect() closes, keeping the records. */
void host_connect(struct host *h, const char *sock);
void host_disconnect(struct host *h);

/* Send a JSON frame under a new id (returned); body is consumed. */
uint32_t host_send(struct host *h, uint16_t type, json_t *body);
/* Send raw bytes as they are (hand-made frames). */
void host_send_bytes(struct host *h, const void *data, size_t len);
/* A raw frame (DATA) under id. */
void host_send_raw(struct host *h, uint16_t type, uint32_t id, const void *data,
		   size_t len);

/* The next frame within timeout_ms: 1, 0 when the agent closed the
 * connection, -ETIMEDOUT.  OUTPUT and EVENT frames are recorded (and
 * returned too). */
int host_next(struct host *h, struct proto_frame *f, int timeout_ms);
/* Wait for the reply to id (OK, ERROR, HELLO or EXEC_EXIT; recording
 * what comes before it); asserts it comes.  Its type in *type; its body (caller's to json_decref). */
json_t *host_reply(struct host *h, uint32_t id, uint16_t *type);
/* Asserts an OK reply; its body, caller's. */
json_t *host_ok(struct host *h, uint32_t id);
/* Asserts an ERROR reply with this code whose message contains `part`. */
void host_error(struct host *h, uint32_t id, const char *code,
		const char *part);
/* Asserts the agent closes the connection within the timeout (frames
 * before it are recorded; an ERROR among them may be asked for with
 * want_code, or NULL). */
void host_expect_close(struct host *h, const char *want_code);

/* HELLO and its reply (asserted). */
void host_hello(struct host *h);
/* SPEC from a JSON body: asserts OK. */
void host_spec(struct host *h, json_t *spec);
/* LAYER, DATA in 256 KiB frames, LAYER_END of the agent's layer file;
 * the OK's unpack_us and bytes into *us and *bytes (may be NULL). */
void host_layer(struct host *h, const struct agent_child *ag, uint64_t *us,
		uint64_t *bytes);

/* Wait until the nth (from 0) event of this kind (and container, unless
 * NULL) has been recorded; returns it. */
const struct host_event *host_event(struct host *h, enum proto_event_kind k,
				    const char *container, size_t nth);
/* How many such events are recorded now. */
size_t host_count_events(const struct host *h, enum proto_event_kind k,
			 const char *container);
/* Wait until stream `which` (0 stdout, 1 stderr) of container c holds
 * `part`. */
void host_wait_output(struct host *h, int c, int which, const char *part);
/* Read and record whatever arrives for ms milliseconds; false if the
 * agent closed the connection meanwhile. */
bool host_idle(struct host *h, int ms);

/* ---- specs ---- */

/* A container running `sh -c CMD` on the agent's layer. */
json_t *spec_container(const struct agent_child *ag, const char *name,
		       const char *cmd);
/* The same with an explicit argv (NULL-terminated). */
json_t *spec_container_argv(const struct agent_child *ag, const char *name,
			    const char *const *argv);
/* A group "grp", hostname "web", of n containers (consumed). */
json_t *spec_group(const char *restart, size_t n, json_t **containers);

#endif
