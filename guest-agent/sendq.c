/* sendq.c - everything the agent sends to the host goes through one
 * ordered queue of whole frames, written as the connection takes them
 * (non-blocking, EPOLLOUT while something waits).  One queue keeps the
 * order the host sees equal to the order things happened: a container's
 * last OUTPUT before its exit EVENT, the exited events before the OK of a
 * STOP.
 *
 * Bounds instead of drops: OUTPUT frames count against their stream
 * (output.c stops reading a pipe at STREAM_QUEUE_MAX), replies against
 * SENDQ_REPLY_MAX (the connection stops being read), EVENTs are capped at
 * SENDQ_EVENTS_MAX by dropping the oldest (only a host that stays away
 * through a long restart loop loses any).  When the connection ends,
 * replies go (they answer that connection's requests) while events and
 * output stay for the next host; a frame cut off half-way is sent again
 * whole. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "serve-internal.h"

static void item_free(struct agent *a, struct sendq_item *it)
{
	if (it->kind == SENDQ_REPLY)
		a->q.reply_bytes -= it->len;
	else if (it->kind == SENDQ_EVENT)
		a->q.events--;
	else
		output_sent(a, it->stream, it->len);
	free(it->bytes);
	free(it);
}

/* Unlink it, whose predecessor is prev (NULL for the head). */
static void unlink_item(struct agent *a, struct sendq_item *prev,
			struct sendq_item *it)
{
	if (prev)
		prev->next = it->next;
	else
		a->q.head = it->next;
	if (a->q.tail == it)
		a->q.tail = prev;
	it->next = NULL;
}

static void drop_oldest_event(struct agent *a)
{
	struct sendq_item *prev = NULL, *it;

	for (it = a->q.head; it; prev = it, it = it->next) {
		if (it->kind != SENDQ_EVENT || it->off > 0)
			continue;
		unlink_item(a, prev, it);
		item_free(a, it);
		agent_note(a,
			   "warning: more than %d events wait for the "
			   "host: dropped the oldest",
			   SENDQ_EVENTS_MAX);
		return;
	}
}

int sendq_push(struct agent *a, struct proto_out *o, enum sendq_kind kind,
	       int stream, bool front)
{
	struct sendq_item *it;
	struct lerr e = {0};
	int r;

	if (kind == SENDQ_REPLY && a->conn.fd < 0) {
		proto_out_free(o);
		return 0;
	}
	it = calloc(1, sizeof(*it));
	if (!it) {
		proto_out_free(o);
		return -ENOMEM;
	}
	r = proto_out_flatten(o, &it->bytes, &it->len, &e);
	proto_out_free(o);
	if (r < 0) {
		free(it);
		return r;
	}
	it->kind = kind;
	it->stream = stream;
	if (kind == SENDQ_EVENT && a->q.events >= SENDQ_EVENTS_MAX)
		drop_oldest_event(a);
	if (kind == SENDQ_REPLY)
		a->q.reply_bytes += it->len;
	else if (kind == SENDQ_EVENT)
		a->q.events++;
	else
		a->ctrs[stream / 2].out[stream % 2].queued += it->len;

	if (!a->q.head) {
		a->q.head = a->q.tail = it;
	} else if (front && a->q.head->off == 0) {
		it->next = a->q.head;
		a->q.head = it;
	} else if (front) {
		/* Never inside a frame already half on the wire. */
		it->next = a->q.head->next;
		a->q.head->next = it;
		if (a->q.tail == a->q.head)
			a->q.tail = it;
	} else {
		a->q.tail->next = it;
		a->q.tail = it;
	}
	return 0;
}

void sendq_json(struct agent *a, enum sendq_kind kind, uint16_t type,
		uint32_t id, json_t *body, bool front)
{
	struct proto_out o;
	struct lerr e = {0};
	int r;

	if (!body) {
		agent_note(a, "error: %s frame: out of memory",
			   proto_type_name(type));
		return;
	}
	r = proto_out_json(&o, type, id, body, &e);
	json_decref(body);
	if (r == 0)
		r = sendq_push(a, &o, kind, -1, front);
	if (r < 0)
		agent_note(a, "error: %s frame not sent: %s",
			   proto_type_name(type),
			   e.msg[0] ? e.msg : strerror(-r));
}

void send_ok(struct agent *a, uint32_t id, json_t *body)
{
	sendq_json(a, SENDQ_REPLY, PROTO_OK, id, body ? body : json_object(),
		   false);
}

void send_error(struct agent *a, uint32_t id, const struct lerr *err)
{
	struct lerr e = {0};
	json_t *j = NULL;

	agent_note(a, "request %u: %s %s", (unsigned int)id,
		   proto_errno_name(err->code), err->msg);
	if (proto_error_from_lerr(err, &j, &e) < 0) {
		agent_note(a, "error: ERROR frame not built: %s", e.msg);
		return;
	}
	sendq_json(a, SENDQ_REPLY, PROTO_ERROR, id, j, false);
}

void send_event(struct agent *a, const struct proto_event *ev)
{
	struct lerr e = {0};
	json_t *j = NULL;

	if (proto_event_to_json(ev, &j, &e) < 0) {
		agent_note(a, "error: EVENT not built: %s", e.msg);
		return;
	}
	sendq_json(a, SENDQ_EVENT, PROTO_EVENT, 0, j, false);
}

/* 1 when the head was written whole, 0 when the socket is full, -errno. */
static int write_head(struct agent *a)
{
	struct sendq_item *it = a->q.head;
	ssize_t n;

	while (it->off < it->len) {
		n = send(a->conn.fd, it->bytes + it->off, it->len - it->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		it->off += (size_t)n;
	}
	unlink_item(a, NULL, it);
	item_free(a, it);
	return 1;
}

void sendq_flush(struct agent *a)
{
	uint32_t want;
	int r = 1;

	if (a->conn.fd < 0)
		return;
	while (a->ready && a->q.head && r == 1)
		r = write_head(a);
	if (r < 0) {
		agent_note(a, "host connection: write: %s", strerror(-r));
		session_close(a);
		return;
	}
	a->read_paused = a->q.reply_bytes >= SENDQ_REPLY_MAX;
	want = a->read_paused ? 0 : EPOLLIN;
	if (a->ready && a->q.head)
		want |= EPOLLOUT;
	if (!want) /* cannot happen (replies wait only when ready), but a
		      connection out of the set would never wake again */
		want = EPOLLIN;
	ev_watch(a, &a->conn, want);
}

void sendq_disconnected(struct agent *a)
{
	struct sendq_item *prev = NULL, *it = a->q.head, *next;

	for (; it; it = next) {
		next = it->next;
		it->off = 0;
		if (it->kind != SENDQ_REPLY) {
			prev = it;
			continue;
		}
		unlink_item(a, prev, it);
		item_free(a, it);
	}
}

void sendq_drain(struct agent *a, int timeout_ms, bool head_only)
{
	uint64_t end = now_monotonic_us() + (uint64_t)timeout_ms * 1000;

	while (a->conn.fd >= 0 && a->ready && a->q.head &&
	       (!head_only || a->q.head->off > 0)) {
		struct pollfd p = {.fd = a->conn.fd, .events = POLLOUT};
		uint64_t now = now_monotonic_us();
		int r;

		if (now >= end)
			break;
		if (poll(&p, 1, (int)((end - now) / 1000) + 1) < 0 &&
		    errno != EINTR)
			break;
		r = write_head(a);
		if (r < 0 || (head_only && r == 1))
			break;
	}
}

void sendq_free(struct agent *a)
{
	struct sendq_item *it;

	while ((it = a->q.head)) {
		unlink_item(a, NULL, it);
		item_free(a, it);
	}
}

int send_now(int fd, struct proto_out *o, int timeout_ms)
{
	uint64_t end = now_monotonic_us() + (uint64_t)timeout_ms * 1000;
	int r;

	while ((r = proto_out_write(o, fd, NULL)) == 0) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		uint64_t now = now_monotonic_us();

		if (now >= end) {
			r = -ETIMEDOUT;
			break;
		}
		if (poll(&p, 1, (int)((end - now) / 1000) + 1) < 0 &&
		    errno != EINTR) {
			r = -errno;
			break;
		}
	}
	proto_out_free(o);
	return r < 0 ? r : 0;
}
