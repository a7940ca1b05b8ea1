/* agent-client.h - the host's end of the connection to the guest agent
 * (agent-client.c): Firecracker-style hybrid vsock (connect to the VMM's
 * Unix socket, write "CONNECT 1024\n", read "OK <port>\n"), then wire
 * protocol frames both ways on a non-blocking socket: an incremental
 * reader (protocol.h) and a queue of outgoing frames written as the
 * socket takes them.  Event-loop agnostic: the caller polls the fd
 * (readable always, writable while agent_conn_pending()). */
#ifndef LIGHTER_TOOLS_AGENT_CLIENT_H
#define LIGHTER_TOOLS_AGENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <lighter/error.h>

#include "protocol.h"

#define AGENT_OK_LINE_MAX 32

struct agent_out {
	struct agent_out *next;
	struct proto_out o;
	void *body; /* owned raw body, or NULL */
};

struct agent_conn {
	int fd;		/* -1 when closed */
	bool ready;	/* the OK line came: frames from now on */
	char line[AGENT_OK_LINE_MAX];
	size_t line_len;
	struct proto_reader rd;
	bool rd_ok;
	struct agent_out *head, *tail;
	size_t queued_bytes;
	uint32_t next_id;
};

/* "OK <port>" (the hybrid vsock's answer, without its '\n'): true when
 * line is exactly that, port a decimal number. */
bool agent_ok_line_valid(const char *line, size_t len);

void agent_conn_init(struct agent_conn *c);

/* Connect to the Unix socket path (relative paths are fine) and send
 * "CONNECT <port>\n".  0 on success; -EAGAIN when the VMM is not there
 * yet (no socket, refused): try again later; other -errno with e. */
int agent_conn_open(struct agent_conn *c, const char *path, unsigned int port,
		    struct lerr *e);

/* Read the answer to CONNECT: 1 once "OK <port>" is in (frames follow),
 * 0 when more is needed, -ECONNRESET when the VMM closed the connection
 * (nobody listens on the port yet: try again), -EPROTO for any other
 * answer. */
int agent_conn_read_ok(struct agent_conn *c, struct lerr *e);

/* Read what the socket has into the frame reader: the byte count, 0 at
 * end of file, -EAGAIN when nothing is there, -errno. */
ssize_t agent_conn_fill(struct agent_conn *c, struct lerr *e);

/* The next request id (never 0). */
uint32_t agent_conn_next_id(struct agent_conn *c);

/* Queue a JSON frame / a raw frame whose body (len bytes, malloc'd) the
 * queue takes over (freed on failure too). */
int agent_conn_queue_json(struct agent_conn *c, uint16_t type, uint32_t id,
			  const json_t *body, struct lerr *e);
int agent_conn_queue_raw(struct agent_conn *c, uint16_t type, uint32_t id,
			 void *body, size_t len, struct lerr *e);

/* Write queued frames: 1 when the queue is empty, 0 when the socket is
 * full (poll for writable), -errno (-EPIPE: the peer is gone). */
int agent_conn_flush(struct agent_conn *c, struct lerr *e);

static inline bool agent_conn_pending(const struct agent_conn *c)
{
	return c->head != NULL;
}

/* Close the socket and drop queued frames; reusable by agent_conn_open(). */
void agent_conn_close(struct agent_conn *c);

#endif
