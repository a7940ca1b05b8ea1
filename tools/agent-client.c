/* agent-client.c - hybrid vsock connect and the frame queue to the guest
 * agent (see agent-client.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent-client.h"

bool agent_ok_line_valid(const char *line, size_t len)
{
	size_t i;

	if (len < 4 || len > 13 || memcmp(line, "OK ", 3) != 0)
		return false;
	for (i = 3; i < len; i++) {
		if (line[i] < '0' || line[i] > '9')
			return false;
	}
	return true;
}

void agent_conn_init(struct agent_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int agent_conn_open(struct agent_conn *c, const char *path, unsigned int port,
		    struct lerr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cmd[32];
	int n;
	ssize_t w;

	agent_conn_close(c);
	if (strlen(path) >= sizeof(sa.sun_path))
		return lerr_fail(e, ENAMETOOLONG, "vsock socket \"%s\": path "
				 "too long", path);
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return lerr_set(e, errno, "vsock: socket");
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		agent_conn_close(c);
		if (err == ENOENT || err == ECONNREFUSED || err == EAGAIN)
			return -EAGAIN;
		return lerr_set(e, err, "vsock: connect to \"%s\"", path);
	}
	n = snprintf(cmd, sizeof(cmd), "CONNECT %u\n", port);
	/* a fresh socket's buffer takes a dozen bytes at once */
	w = send(c->fd, cmd, (size_t)n, MSG_NOSIGNAL);
	if (w != n) {
		agent_conn_close(c);
		return -EAGAIN;
	}
	return 0;
}

int agent_conn_read_ok(struct agent_conn *c, struct lerr *e)
{
	int r;

	/* byte by byte: nothing after the line may be consumed here */
	for (;;) {
		char ch;
		ssize_t n = recv(c->fd, &ch, 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 && errno == ECONNRESET)
			return -ECONNRESET;
		if (n < 0)
			return lerr_set(e, errno, "vsock: read");
		if (n == 0)
			return -ECONNRESET;
		if (ch == '\n')
			break;
		if (c->line_len + 1 >= sizeof(c->line))
			return lerr_fail(e, EPROTO, "vsock: answer to CONNECT "
					 "too long");
		c->line[c->line_len++] = ch;
	}
	c->line[c->line_len] = '\0';
	if (!agent_ok_line_valid(c->line, c->line_len))
		return lerr_fail(e, EPROTO, "vsock: answer to CONNECT is "
				 "\"%s\", not \"OK <port>\"", c->line);
	if (!c->rd_ok) {
		r = proto_reader_init(&c->rd, e);
		if (r < 0)
			return r;
		c->rd_ok = true;
	}
	proto_reader_reset(&c->rd);
	c->ready = true;
	return 1;
}

ssize_t agent_conn_fill(struct agent_conn *c, struct lerr *e)
{
	return proto_reader_fill(&c->rd, c->fd, e);
}

uint32_t agent_conn_next_id(struct agent_conn *c)
{
	if (++c->next_id == 0)
		c->next_id = 1;
	return c->next_id;
}

static void queue_push(struct agent_conn *c, struct agent_out *q)
{
	q->next = NULL;
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	c->queued_bytes += q->o.left;
}

int agent_conn_queue_json(struct agent_conn *c, uint16_t type, uint32_t id,
			  const json_t *body, struct lerr *e)
{
	struct agent_out *q = calloc(1, sizeof(*q));
	int r;

	if (!q)
		return lerr_fail(e, ENOMEM, "out of memory");
	r = proto_out_json(&q->o, type, id, body, e);
	if (r < 0) {
		free(q);
		return r;
	}
	queue_push(c, q);
	return 0;
}

int agent_conn_queue_raw(struct agent_conn *c, uint16_t type, uint32_t id,
			 void *body, size_t len, struct lerr *e)
{
	struct agent_out *q = calloc(1, sizeof(*q));
	struct iovec iov = { .iov_base = body, .iov_len = len };
	int r;

	if (!q) {
		free(body);
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	q->body = body;
	r = proto_out_raw(&q->o, type, 0, id, &iov, 1, e);
	if (r < 0) {
		free(body);
		free(q);
		return r;
	}
	queue_push(c, q);
	return 0;
}

static void out_free(struct agent_out *q)
{
	proto_out_free(&q->o);
	free(q->body);
	free(q);
}

int agent_conn_flush(struct agent_conn *c, struct lerr *e)
{
	while (c->head) {
		struct agent_out *q = c->head;
		size_t before = q->o.left;
		int r = proto_out_write(&q->o, c->fd, e);

		c->queued_bytes -= before - q->o.left;
		if (r <= 0)
			return r;
		c->head = q->next;
		if (!c->head)
			c->tail = NULL;
		out_free(q);
	}
	return 1;
}

void agent_conn_close(struct agent_conn *c)
{
	while (c->head) {
		struct agent_out *q = c->head;

		c->head = q->next;
		out_free(q);
	}
	c->tail = NULL;
	c->queued_bytes = 0;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->ready = false;
	c->line_len = 0;
	if (c->rd_ok)
		proto_reader_reset(&c->rd);
}
