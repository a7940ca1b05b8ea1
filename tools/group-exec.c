/* group-exec.c - lighter_group_exec() (lighter.h): an EXEC session on the
 * group agent's exec port (group-agent.h; PROTOCOL.md "Exec and stats").
 * One poll loop relays the caller's stdin as EXEC_INPUT frames, OUTPUT
 * frames to the caller's stdout and stderr, and terminal size changes as
 * EXEC_RESIZE, until EXEC_EXIT.  The socket is non-blocking and at most
 * one stdin frame is in flight: while it waits for room, stdin is not
 * read, so neither side can block the other for good. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <lighter/cleanup.h>
#include <lighter/fd-io.h>

#include "group-agent.h"

#define EXEC_ID 1
#define EXEC_INPUT_CHUNK (32u << 10)

struct exec_run {
	const char *name;
	const struct lighter_exec_opts *o;
	struct lighter_exec_result *res;
	int fd;
	struct proto_reader rd;
	struct proto_out pend; /* a frame part-written */
	bool pending;
	uint8_t inbuf[EXEC_INPUT_CHUNK];
	bool in_open, resize_due, done;
	struct lerr *e;
};

static void term_size(int fd, unsigned int *rows, unsigned int *cols)
{
	struct winsize ws;

	*rows = *cols = 0;
	if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

/* Write the pending frame as far as the socket takes it. */
static int push(struct exec_run *x)
{
	int r;

	if (!x->pending)
		return 0;
	r = proto_out_write(&x->pend, x->fd, x->e);
	if (r < 0)
		return lerr_set(x->e, -r, "group \"%s\": exec connection",
				x->name);
	if (r == 1) {
		proto_out_free(&x->pend);
		x->pending = false;
	}
	return 0;
}

static int send_resize(struct exec_run *x)
{
	struct proto_exec_resize rs;
	json_t *j = NULL;
	int r;

	term_size(x->o->size_fd, &rs.rows, &rs.cols);
	x->resize_due = false;
	if (!rs.rows || !rs.cols)
		return 0;
	r = proto_exec_resize_to_json(&rs, &j, x->e);
	if (r == 0)
		r = proto_out_json(&x->pend, PROTO_EXEC_RESIZE, EXEC_ID, j,
				   x->e);
	json_decref(j);
	if (r < 0)
		return r;
	x->pending = true;
	return push(x);
}

static int read_stdin(struct exec_run *x)
{
	ssize_t n = read(x->o->in_fd, x->inbuf, sizeof(x->inbuf));
	struct iovec iov = {x->inbuf, 0};
	int r;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		/* end of input: the process's stdin closes (a pty's end is
		 * the user's ^D, so nothing is sent for one) */
		x->in_open = false;
		if (x->o->tty)
			return 0;
	}
	iov.iov_len = n > 0 ? (size_t)n : 0;
	r = proto_out_raw(&x->pend, PROTO_EXEC_INPUT, 0, EXEC_ID, &iov, 1,
			  x->e);
	if (r < 0)
		return r;
	x->pending = true;
	return push(x);
}

static int on_exit_frame(struct exec_run *x, const json_t *j)
{
	struct proto_exec_exit ex = {0};
	int r = proto_exec_exit_from_json(j, &ex, x->e);

	if (r < 0)
		return r;
	x->res->exit_code = ex.exit_code;
	x->res->signal = ex.has & PROTO_EXIT_SIGNAL ? ex.signal : 0;
	if (ex.error)
		snprintf(x->res->error, sizeof(x->res->error), "%s", ex.error);
	proto_exec_exit_free(&ex);
	x->done = true;
	return 0;
}

static int on_frame(struct exec_run *x, const struct proto_frame *f)
{
	struct proto_output out;
	struct proto_error pe = {0};
	json_t *j = NULL;
	int r;

	if (f->h.type == PROTO_OUTPUT) {
		r = proto_output_decode(f, &out, x->e);
		if (r < 0 || !out.len)
			return r;
		r = lfd_write_all(out.flags & PROTO_OUT_STDERR ? x->o->err_fd
							       : x->o->out_fd,
				  out.data, out.len);
		return r == -EPIPE ? 0 : r; /* a closed reader: keep going */
	}
	r = proto_frame_json(f, &j, x->e);
	if (r < 0)
		return r;
	switch (f->h.type) {
	case PROTO_OK:
		break; /* {"pid"}: it runs */
	case PROTO_EXEC_EXIT:
		r = on_exit_frame(x, j);
		break;
	case PROTO_ERROR:
		r = proto_error_from_json(j, &pe, x->e);
		if (r == 0)
			r = lerr_fail(x->e, pe.errnum ? pe.errnum : EIO,
				      "group \"%s\": %s", x->name, pe.message);
		proto_error_free(&pe);
		break;
	default:
		r = lerr_fail(x->e, EPROTO,
			      "group \"%s\": a %s frame in an "
			      "exec session",
			      x->name, proto_type_name(f->h.type));
		break;
	}
	json_decref(j);
	return r;
}

static int read_conn(struct exec_run *x)
{
	struct proto_frame f;
	ssize_t n = proto_reader_fill(&x->rd, x->fd, x->e);
	int r;

	if (n == -EAGAIN)
		return 0;
	if (n == 0)
		return lerr_fail(x->e, ECONNRESET,
				 "group \"%s\": the exec "
				 "connection ended before the process did",
				 x->name);
	if (n < 0 && n != -ENOBUFS)
		return (int)n;
	while (!x->done && (r = proto_reader_next(&x->rd, &f, x->e)) != 0) {
		if (r < 0)
			return r;
		r = on_frame(x, &f);
		if (r < 0)
			return r;
	}
	return 0;
}

static int relay(struct exec_run *x)
{
	const struct lighter_exec_opts *o = x->o;
	int r = 0;

	while (r == 0 && !x->done) {
		struct pollfd p[3] = {
		    {.fd = x->fd,
		     .events = POLLIN | (x->pending ? POLLOUT : 0)},
		    {.fd = x->in_open && !x->pending ? o->in_fd : -1,
		     .events = POLLIN},
		    {.fd = o->winch_fd, .events = POLLIN},
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return lerr_set(x->e, errno, "poll");
		}
		if (p[0].revents & POLLOUT)
			r = push(x);
		if (r == 0 && p[0].revents & (POLLIN | POLLHUP | POLLERR))
			r = read_conn(x);
		if (r == 0 && p[2].revents & POLLIN) {
			char drain[256];

			(void)!read(o->winch_fd, drain, sizeof(drain));
			x->resize_due = o->tty;
		}
		if (r == 0 && !x->pending && x->resize_due)
			r = send_resize(x);
		if (r == 0 && !x->pending && p[1].revents & (POLLIN | POLLHUP))
			r = read_stdin(x);
	}
	return r;
}

int lighter_group_exec(const struct lighter_paths *p, const char *name,
		       const struct lighter_exec_opts *o,
		       struct lighter_exec_result *res, struct lerr *e)
{
	struct proto_exec req = {0};
	struct exec_run x = {.name = name, .o = o, .res = res, .e = e};
	json_t *j = NULL;
	size_t n = 0;
	int r;

	memset(res, 0, sizeof(*res));
	while (o->argv && o->argv[n])
		n++;
	if (!n || !o->argv[0][0])
		return lerr_fail(e, EINVAL, "exec: no command");
	if (!o->container || !proto_name_valid(o->container))
		return lerr_fail(e, EINVAL,
				 "exec: \"%s\" is not a container "
				 "name",
				 o->container ? o->container : "");
	snprintf(req.container, sizeof(req.container), "%s", o->container);
	req.args = (char **)o->argv;
	req.n_args = n;
	req.tty = o->tty;
	req.stdin = o->interactive;
	if (o->tty)
		term_size(o->size_fd, &req.rows, &req.cols);
	r = proto_exec_to_json(&req, &j, e);
	if (r < 0)
		return r;
	x.fd = group_agent_connect(p, name, e);
	if (x.fd < 0) {
		json_decref(j);
		return x.fd;
	}
	r = proto_send_json(x.fd, PROTO_EXEC, EXEC_ID, j, e);
	json_decref(j);
	if (r == 0)
		r = proto_reader_init(&x.rd, e);
	if (r == 0 && fcntl(x.fd, F_SETFL, O_NONBLOCK) < 0)
		r = lerr_set(e, errno, "fcntl");
	x.in_open = o->interactive && o->in_fd >= 0;
	if (r == 0)
		r = relay(&x);
	if (x.pending)
		proto_out_free(&x.pend);
	proto_reader_free(&x.rd);
	close(x.fd);
	return r;
}
