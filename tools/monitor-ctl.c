/* monitor-ctl.c - the monitor's control socket, RUN/<group>/ctl.sock: one
 * request line per connection, one answer line.
 *
 *   stop <grace_ms>         stop the group; "ok" once the VMM has exited
 *                           (at once when it is not running)
 *   signal <container> <n>  signal a container; "ok" once delivered
 *   restart <grace_ms>      restart every container in place; "ok" once
 *                           the agent has signalled them
 *
 * Failures answer "error <message>".  A client may hang up without
 * waiting (lighter_group_stop_async): the request stands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"

#define CTL_LINE_MAX 256

struct ctl_client {
	uv_pipe_t pipe;
	struct monitor *m;
	struct ctl_client *next;
	char buf[CTL_LINE_MAX];
	size_t len;
	bool waiting_end; /* a stop: answered when the VMM is gone */
	bool done;	  /* answered or hung up: being closed */
};

static void unlink_client(struct monitor *m, struct ctl_client *cl)
{
	for (struct ctl_client **p = &m->clients; *p; p = &(*p)->next) {
		if (*p == cl) {
			*p = cl->next;
			return;
		}
	}
}

static void on_client_closed(uv_handle_t *h)
{
	free(h->data);
}

static void drop_client(struct monitor *m, struct ctl_client *cl)
{
	if (cl->done)
		return;
	cl->done = true;
	unlink_client(m, cl);
	session_forget_client(m, cl);
	uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
}

void ctl_reply(struct monitor *m, struct ctl_client *cl, const char *line)
{
	char out[CTL_LINE_MAX + 512];
	uv_buf_t b;
	int n;

	if (!cl || cl->done)
		return;
	n = snprintf(out, sizeof(out), "%s\n", line);
	if (n >= (int)sizeof(out)) {
		n = (int)sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	b = uv_buf_init(out, (unsigned int)n);
	/* a short line into an idle socket: written at once or lost with
	 * the client */
	uv_try_write((uv_stream_t *)&cl->pipe, &b, 1);
	drop_client(m, cl);
}

static void handle_line(struct monitor *m, struct ctl_client *cl, char *line)
{
	char container[80], err[600];
	struct lerr e = { 0 };
	unsigned int grace;
	int sig;

	if (sscanf(line, "stop %u", &grace) == 1) {
		if (!m->vmm_running) {
			ctl_reply(m, cl, "ok");
			return;
		}
		cl->waiting_end = true;
		monitor_stop(m, grace);
		return;
	}
	if (sscanf(line, "signal %79s %d", container, &sig) == 2) {
		if (sig < 1 || sig > PROTO_SIGNAL_MAX) {
			ctl_reply(m, cl, "error signal out of range (1..64)");
			return;
		}
		if (session_signal(m, cl, container, sig, &e) < 0) {
			snprintf(err, sizeof(err), "error %s", e.msg);
			ctl_reply(m, cl, err);
		}
		return;
	}
	if (sscanf(line, "restart %u", &grace) == 1) {
		if (session_restart(m, cl, grace, &e) < 0) {
			snprintf(err, sizeof(err), "error %s", e.msg);
			ctl_reply(m, cl, err);
		}
		return;
	}
	ctl_reply(m, cl, "error unknown request");
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_client *cl = h->data;

	buf->base = cl->buf + cl->len;
	buf->len = sizeof(cl->buf) - 1 - cl->len;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_client *cl = s->data;
	struct monitor *m = cl->m;
	char *nl;

	if (n < 0) {
		/* hung up: a stop it asked for still happens */
		if (!cl->waiting_end)
			drop_client(m, cl);
		else
			uv_read_stop(s);
		return;
	}
	cl->len += (size_t)n;
	cl->buf[cl->len] = '\0';
	nl = strchr(cl->buf, '\n');
	if (!nl) {
		if (cl->len >= sizeof(cl->buf) - 1)
			ctl_reply(m, cl, "error request too long");
		return;
	}
	*nl = '\0';
	uv_read_stop(s);
	handle_line(m, cl, cl->buf);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct monitor *m = server->data;
	struct ctl_client *cl;

	if (status < 0)
		return;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return;
	cl->m = m;
	uv_pipe_init(&m->loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	if (uv_accept(server, (uv_stream_t *)&cl->pipe) < 0) {
		uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
		return;
	}
	cl->next = m->clients;
	m->clients = cl;
	uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read);
}

int ctl_open(struct monitor *m, struct lerr *e)
{
	int r;

	unlink(GROUP_CTL_SOCK);
	uv_pipe_init(&m->loop, &m->ctl, 0);
	m->ctl.data = m;
	m->ctl_open = true;
	r = uv_pipe_bind(&m->ctl, GROUP_CTL_SOCK);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&m->ctl, 16, on_connection);
	if (r < 0)
		return lerr_fail(e, -r, "\"%s/%s\": %s", m->o->dir_path,
				 GROUP_CTL_SOCK, uv_strerror(r));
	return 0;
}

void ctl_finish(struct monitor *m)
{
	struct ctl_client *cl = m->clients, *next;

	for (; cl; cl = next) {
		next = cl->next;
		if (cl->waiting_end)
			ctl_reply(m, cl, "ok");
	}
}

void ctl_close(struct monitor *m)
{
	while (m->clients)
		drop_client(m, m->clients);
	if (m->ctl_open) {
		m->ctl_open = false;
		uv_close((uv_handle_t *)&m->ctl, NULL);
		unlink(GROUP_CTL_SOCK);
	}
}
