/* session.c - the host connection: accepting it (one at a time: a second
 * one gets ERROR EBUSY and is closed; after a disconnect the next may
 * come), reading frames with the protocol's incremental reader, and
 * dispatching them by PROTOCOL.md's rules:
 *
 *   - HELLO first: anything else before it is answered ERROR EPROTO and
 *     the connection closed, as is a HELLO of another version; a HELLO
 *     whose body is otherwise malformed is answered ERROR and the agent
 *     waits for a good one.  The reply goes ahead of the events and output
 *     kept for this host;
 *   - a malformed header is answered ERROR (the header's id) and ends the
 *     connection; a malformed body is answered ERROR and the session goes
 *     on;
 *   - during a layer transfer only its DATA and LAYER_END, and STOP,
 *     SIGNAL and POWEROFF (allowed at any time) are accepted;
 *   - SPEC once (a second is EALREADY), START once; OK, EVENT and OUTPUT
 *     are the agent's and answered EPROTO; an ERROR from the host is
 *     logged and not answered (no error ping-pong).
 *
 * HELLO sets the guest's clock from time_ns when the configuration says
 * so; POWEROFF kills what still runs, syncs, answers OK and ends the
 * loop (serve.c flushes the queue before returning). */
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "serve-internal.h"

#ifndef LIGHTER_VERSION
#define LIGHTER_VERSION "0"
#endif

/* Fills before the loop gets back to the other sources. */
#define READS_PER_WAKE 16
/* How long a last word to a host may take. */
#define LAST_WORD_MS 1000

static void error_now(int fd, uint32_t id, const struct lerr *err)
{
	struct proto_out o;
	json_t *j = NULL;

	if (proto_error_from_lerr(err, &j, NULL) < 0)
		return;
	if (proto_out_json(&o, PROTO_ERROR, id, j, NULL) == 0)
		send_now(fd, &o, LAST_WORD_MS);
	json_decref(j);
}

static void refuse_busy(struct agent *a, int fd)
{
	struct lerr e = {0};

	lerr_fail(&e, EBUSY,
		  "another host is connected; one connection at a time");
	agent_note(a, "a second host connection refused (EBUSY)");
	error_now(fd, 0, &e);
	close(fd);
}

void session_on_listen(struct agent *a, struct ev_source *s, uint32_t ev)
{
	struct lerr e = {0};

	for (;;) {
		int fd =
		    accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				agent_note(a, "error: accept: %s",
					   strerror(errno));
			return;
		}
		if (a->conn.fd >= 0) {
			refuse_busy(a, fd);
			continue;
		}
		if (session_adopt(a, fd, &e) < 0)
			agent_note(a, "error: %s", e.msg);
	}
}

int session_adopt(struct agent *a, int fd, struct lerr *e)
{
	proto_reader_reset(&a->reader);
	a->ready = false;
	a->read_paused = false;
	ev_timer_disarm(&a->idle_timer);
	return ev_open(a, &a->conn, fd, EPOLLIN, e);
}

void session_close(struct agent *a)
{
	if (a->conn.fd < 0)
		return;
	ev_close(a, &a->conn);
	a->ready = false;
	a->read_paused = false;
	if (a->layer.state != LAYER_IDLE)
		layers_abort(a);
	sendq_disconnected(a);
	a->n_stop_ids = 0;
	agent_note(a, "host disconnected");
	if (a->group_exited)
		serve_quit(a);
}

void session_fatal(struct agent *a, uint32_t id, const struct lerr *err)
{
	agent_note(a, "host connection: %s %s (closing it)",
		   proto_errno_name(err->code), err->msg);
	if (a->conn.fd < 0)
		return;
	/* A frame half on the wire first, so the ERROR is a whole frame. */
	sendq_drain(a, LAST_WORD_MS, true);
	if (!a->q.head || a->q.head->off == 0)
		error_now(a->conn.fd, id, err);
	session_close(a);
}

/* The body of a JSON frame; on failure the ERROR is queued. */
static json_t *body_json(struct agent *a, const struct proto_frame *f)
{
	struct lerr e = {0};
	json_t *j = NULL;

	if (proto_frame_json(f, &j, &e) < 0) {
		send_error(a, f->h.id, &e);
		return NULL;
	}
	return j;
}

static void on_hello(struct agent *a, const struct proto_frame *f)
{
	static char agent_name[] = "lighter-agent " LIGHTER_VERSION;
	struct proto_hello h = {0};
	struct proto_hello_reply rep = {0};
	struct utsname uts;
	struct lerr e = {0};
	json_t *j = NULL;
	int r;

	r = proto_frame_json(f, &j, &e);
	if (r == 0)
		r = proto_hello_from_json(j, &h, &e);
	json_decref(j);
	if (r == -EPROTONOSUPPORT) {
		session_fatal(a, f->h.id, &e);
		return;
	}
	if (r < 0) {
		/* Nothing but the HELLO reply may be queued before it. */
		agent_note(a, "host connection: %s", e.msg);
		error_now(a->conn.fd, f->h.id, &e);
		return;
	}
	if (a->cfg->set_clock) {
		struct timespec ts = {
		    .tv_sec = (time_t)(h.time_ns / 1000000000),
		    .tv_nsec = (long)(h.time_ns % 1000000000),
		};

		if (clock_settime(CLOCK_REALTIME, &ts) < 0)
			agent_note(a, "warning: set the clock: %s",
				   strerror(errno));
	}
	if (uname(&uts) < 0 || !uts.release[0])
		snprintf(uts.release, sizeof(uts.release), "unknown");
	rep.agent = agent_name;
	rep.kernel = uts.release;
	j = NULL;
	if (proto_hello_reply_to_json(&rep, &j, &e) < 0) {
		proto_hello_free(&h);
		session_fatal(a, f->h.id, &e);
		return;
	}
	agent_note(a, "host connected (%s)", h.client);
	proto_hello_free(&h);
	sendq_json(a, SENDQ_REPLY, PROTO_HELLO, f->h.id, j, true);
	a->ready = true;
}

static void on_spec(struct agent *a, const struct proto_frame *f)
{
	struct lerr e = {0};
	json_t *j;
	size_t i;
	int r;

	if (a->have_spec) {
		lerr_fail(&e, EALREADY,
			  "SPEC: the group's spec was given "
			  "already");
		send_error(a, f->h.id, &e);
		return;
	}
	j = body_json(a, f);
	if (!j)
		return;
	r = proto_group_from_json(j, &a->spec, &e);
	json_decref(j);
	if (r < 0) {
		send_error(a, f->h.id, &e);
		return;
	}
	a->have_spec = true;
	for (i = 0; i < a->spec.n_containers; i++)
		a->ctrs[i].spec = &a->spec.containers[i];
	agent_note(a, "group \"%s\": %zu containers, restart %s", a->spec.name,
		   a->spec.n_containers, proto_restart_name(a->spec.restart));
	send_ok(a, f->h.id, NULL);
}

/* START and POWEROFF: the body must be {}. */
static bool empty_body(struct agent *a, const struct proto_frame *f)
{
	struct lerr e = {0};
	json_t *j = body_json(a, f);
	int r;

	if (!j)
		return false;
	r = proto_empty_from_json(f->h.type, j, &e);
	json_decref(j);
	if (r < 0)
		send_error(a, f->h.id, &e);
	return r == 0;
}

/* STOP and RESTART share a body, {"grace_ms"}: its grace, or false once
 * the malformed frame has been answered. */
static bool grace_of(struct agent *a, const struct proto_frame *f,
		     uint32_t *grace_ms)
{
	struct proto_stop s;
	struct lerr e = {0};
	json_t *j = body_json(a, f);
	int r;

	if (!j)
		return false;
	r = f->h.type == PROTO_RESTART ? proto_restart_from_json(j, &s, &e)
				       : proto_stop_from_json(j, &s, &e);
	json_decref(j);
	if (r < 0) {
		send_error(a, f->h.id, &e);
		return false;
	}
	*grace_ms = s.grace_ms;
	return true;
}

static void on_stop(struct agent *a, const struct proto_frame *f)
{
	uint32_t grace_ms;

	if (!grace_of(a, f, &grace_ms))
		return;
	agent_note(a, "STOP (grace %u ms)", (unsigned int)grace_ms);
	supervise_stop(a, f->h.id, grace_ms);
}

static void on_signal(struct agent *a, const struct proto_frame *f)
{
	struct proto_signal s;
	struct lerr e = {0};
	json_t *j = body_json(a, f);
	int r;

	if (!j)
		return;
	r = proto_signal_from_json(j, &s, &e);
	json_decref(j);
	if (r < 0) {
		send_error(a, f->h.id, &e);
		return;
	}
	supervise_signal(a, f->h.id, &s);
}

static void on_restart(struct agent *a, const struct proto_frame *f)
{
	uint32_t grace_ms;

	if (grace_of(a, f, &grace_ms))
		supervise_restart(a, f->h.id, grace_ms);
}

static void on_poweroff(struct agent *a, const struct proto_frame *f)
{
	if (!empty_body(a, f))
		return;
	agent_note(a, "POWEROFF");
	supervise_kill_all(a);
	sync();
	send_ok(a, f->h.id, NULL);
	serve_quit(a);
}

static bool allowed_in_transfer(uint16_t type)
{
	return type == PROTO_DATA || type == PROTO_LAYER_END ||
	       type == PROTO_STOP || type == PROTO_SIGNAL ||
	       type == PROTO_POWEROFF || type == PROTO_ERROR;
}

static void on_frame(struct agent *a, const struct proto_frame *f)
{
	uint16_t type = f->h.type;
	const char *name = proto_type_name(type);
	struct layer_xfer *x = &a->layer;
	struct lerr e = {0};

	if (!a->ready) {
		if (type == PROTO_HELLO) {
			on_hello(a, f);
			return;
		}
		lerr_fail(&e, EPROTO, "%s before HELLO", name);
		session_fatal(a, f->h.id, &e);
		return;
	}
	if (x->state == LAYER_DISCARD &&
	    !((type == PROTO_DATA || type == PROTO_LAYER_END) &&
	      f->h.id == x->id))
		x->state = LAYER_IDLE;
	if (x->state == LAYER_RECEIVING && !allowed_in_transfer(type)) {
		lerr_fail(&e, EPROTO,
			  "%s inside the transfer of layer %s (id %u)", name,
			  x->rx.diff_id, (unsigned int)x->id);
		send_error(a, f->h.id, &e);
		return;
	}
	switch (type) {
	case PROTO_HELLO:
		lerr_fail(&e, EPROTO, "HELLO: the handshake was done already");
		send_error(a, f->h.id, &e);
		break;
	case PROTO_SPEC:
		on_spec(a, f);
		break;
	case PROTO_LAYER:
		layers_on_layer(a, f);
		break;
	case PROTO_DATA:
		layers_on_data(a, f);
		break;
	case PROTO_LAYER_END:
		layers_on_end(a, f);
		break;
	case PROTO_START:
		if (empty_body(a, f))
			supervise_start(a, f->h.id);
		break;
	case PROTO_STOP:
		on_stop(a, f);
		break;
	case PROTO_SIGNAL:
		on_signal(a, f);
		break;
	case PROTO_RESTART:
		on_restart(a, f);
		break;
	case PROTO_POWEROFF:
		on_poweroff(a, f);
		break;
	case PROTO_SECRET: {
		json_t *j = body_json(a, f);

		if (j) {
			volumes_on_secret(a, f->h.id, j);
			json_decref(j);
		}
		break;
	}
	case PROTO_ERROR:
		agent_note(a, "the host sent ERROR (id %u, %u bytes)",
			   (unsigned int)f->h.id, (unsigned int)f->h.length);
		break;
	case PROTO_OK:
	case PROTO_EVENT:
	case PROTO_OUTPUT:
		lerr_fail(&e, EPROTO, "%s frames are the agent's to send",
			  name);
		send_error(a, f->h.id, &e);
		break;
	default:
		lerr_fail(&e, EBADRQC, "frame type %u", (unsigned int)type);
		send_error(a, f->h.id, &e);
		break;
	}
}

/* Hand every complete buffered frame to on_frame(); false once the
 * connection is gone or the loop is ending. */
static bool take_frames(struct agent *a)
{
	struct proto_frame f;
	struct lerr e = {0};
	int r;

	while ((r = proto_reader_next(&a->reader, &f, &e)) == 1) {
		on_frame(a, &f);
		if (a->conn.fd < 0 || a->quit)
			return false;
	}
	if (r < 0) {
		session_fatal(a, f.h.id, &e);
		return false;
	}
	return true;
}

void session_on_conn(struct agent *a, struct ev_source *s, uint32_t ev)
{
	struct lerr e = {0};
	int i;

	if (ev & EPOLLOUT) {
		sendq_flush(a);
		if (a->conn.fd < 0)
			return;
	}
	if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (a->read_paused) {
		if (ev & (EPOLLHUP | EPOLLERR))
			session_close(a);
		return;
	}
	for (i = 0;; i++) {
		ssize_t n;

		if (!take_frames(a))
			return;
		if (i == READS_PER_WAKE || a->q.reply_bytes >= SENDQ_REPLY_MAX)
			return;
		n = proto_reader_fill(&a->reader, a->conn.fd, &e);
		if (n == -EAGAIN || n == -ENOBUFS)
			return;
		if (n < 0) {
			agent_note(a, "host connection: %s", e.msg);
			session_close(a);
			return;
		}
		if (n == 0) {
			if (proto_reader_buffered(&a->reader))
				agent_note(a,
					   "host connection closed inside "
					   "a frame (%zu bytes of it)",
					   proto_reader_buffered(&a->reader));
			session_close(a);
			return;
		}
	}
}
