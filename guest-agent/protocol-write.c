/* protocol-write.c - the sending side of the framing: outgoing frames as
 * iovecs (header plus a compact JSON dump, or plus the caller's buffers
 * without a copy), written with resumable partial writes so the agent's
 * non-blocking event loop and the host's blocking CLI share one writer;
 * and the OUTPUT body (timestamp, container index, bytes), whose codec
 * lives here because it is a raw frame, not JSON.
 *
 * Every outgoing header passes the same check the peer's reader applies,
 * so this side never sends a frame the other must reject.  Writes to a
 * socket use MSG_NOSIGNAL: a peer that went away is -EPIPE, not SIGPIPE. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "protocol-internal.h"

static int out_start(struct proto_out *o, uint16_t type, uint16_t flags,
		     uint32_t id, size_t body_len, struct lerr *e)
{
	struct proto_header h = { .type = type, .flags = flags, .id = id };
	int rc;

	if (body_len > PROTO_MAX_BODY) {
		const char *name = proto_type_name(type);

		return lerr_fail(e, EMSGSIZE,
				 "outgoing frame: %s body of %zu bytes exceeds "
				 "the limit of %u bytes",
				 name ? name : "unknown", body_len,
				 PROTO_MAX_BODY);
	}
	h.length = (uint32_t)body_len;
	rc = proto_header_check_as(&h, "outgoing frame", e);
	if (rc < 0)
		return rc;
	proto_header_encode(&h, o->header);
	o->iov[0].iov_base = o->header;
	o->iov[0].iov_len = PROTO_HEADER_SIZE;
	o->iovcnt = 1;
	o->first = 0;
	o->left = PROTO_HEADER_SIZE + body_len;
	return 0;
}

int proto_out_json(struct proto_out *o, uint16_t type, uint32_t id,
		   const json_t *body, struct lerr *e)
{
	const char *name = proto_type_name(type);
	size_t len;
	int rc;

	memset(o, 0, sizeof(*o));
	if (!proto_type_is_json(type))
		return lerr_fail(e, EPROTO,
				 "outgoing frame: %s frames carry no JSON body",
				 name ? name : "unknown");
	if (!json_is_object(body))
		return lerr_fail(e, EINVAL,
				 "outgoing frame: %s body is not a JSON object",
				 name);
	len = json_dumpb(body, NULL, 0, JSON_COMPACT);
	if (len == 0)
		return lerr_fail(e, ENOMEM,
				 "outgoing frame: cannot serialise the %s body",
				 name);
	rc = out_start(o, type, 0, id, len, e);
	if (rc < 0)
		return rc;
	o->json = malloc(len);
	if (!o->json)
		return lerr_set(e, ENOMEM, "outgoing frame: %s body", name);
	if (json_dumpb(body, o->json, len, JSON_COMPACT) != len) {
		proto_out_free(o);
		return lerr_fail(e, EIO,
				 "outgoing frame: the %s body changed size "
				 "while serialised",
				 name);
	}
	o->iov[1].iov_base = o->json;
	o->iov[1].iov_len = len;
	o->iovcnt = 2;
	return 0;
}

/* proto_out_raw() on an o the caller zeroed (and may have put the OUTPUT
 * prefix in). */
static int out_raw(struct proto_out *o, uint16_t type, uint16_t flags,
		   uint32_t id, const struct iovec *body, int n, struct lerr *e)
{
	size_t len = 0;
	int i, rc;

	if (n < 0 || n > PROTO_OUT_MAX_IOV)
		return lerr_fail(e, EINVAL,
				 "outgoing frame: %d body pieces (at most %d)",
				 n, PROTO_OUT_MAX_IOV);
	for (i = 0; i < n; i++) {
		if (body[i].iov_len > PROTO_MAX_BODY) {
			len = (size_t)PROTO_MAX_BODY + 1;
			break;
		}
		len += body[i].iov_len;
	}
	rc = out_start(o, type, flags, id, len, e);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (body[i].iov_len)
			o->iov[o->iovcnt++] = body[i];
	return 0;
}

int proto_out_raw(struct proto_out *o, uint16_t type, uint16_t flags,
		  uint32_t id, const struct iovec *body, int n, struct lerr *e)
{
	memset(o, 0, sizeof(*o));
	return out_raw(o, type, flags, id, body, n, e);
}

void proto_out_free(struct proto_out *o)
{
	free(o->json);
	memset(o, 0, sizeof(*o));
}

/* Drops n written bytes from the front of the remaining iovecs. */
static void out_advance(struct proto_out *o, size_t n)
{
	o->left -= n;
	while (n > 0) {
		struct iovec *v = &o->iov[o->first];

		if (n < v->iov_len) {
			v->iov_base = (uint8_t *)v->iov_base + n;
			v->iov_len -= n;
			return;
		}
		n -= v->iov_len;
		o->first++;
		o->iovcnt--;
	}
	/* skip pieces already empty so writev never gets a zero-length list */
	while (o->iovcnt > 0 && o->iov[o->first].iov_len == 0) {
		o->first++;
		o->iovcnt--;
	}
}

int proto_out_write(struct proto_out *o, int fd, struct lerr *e)
{
	while (o->left > 0) {
		struct msghdr m = {
			.msg_iov = o->iov + o->first,
			.msg_iovlen = (size_t)o->iovcnt,
		};
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = writev(fd, o->iov + o->first, o->iovcnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return lerr_set(e, errno, "protocol writer: write");
		}
		if (n == 0)
			return lerr_fail(e, EIO,
					 "protocol writer: write made no "
					 "progress");
		out_advance(o, (size_t)n);
	}
	return 1;
}

int proto_out_flatten(const struct proto_out *o, uint8_t **buf, size_t *len,
		      struct lerr *e)
{
	uint8_t *p;
	size_t off = 0;
	int i;

	*buf = NULL;
	*len = 0;
	p = malloc(o->left ? o->left : 1);
	if (!p)
		return lerr_set(e, ENOMEM, "protocol writer: %zu-byte frame",
				o->left);
	for (i = 0; i < o->iovcnt; i++) {
		const struct iovec *v = &o->iov[o->first + i];

		memcpy(p + off, v->iov_base, v->iov_len);
		off += v->iov_len;
	}
	*buf = p;
	*len = off;
	return 0;
}

static int out_send(struct proto_out *o, int fd, struct lerr *e)
{
	int rc;

	while ((rc = proto_out_write(o, fd, e)) == 0) {
		rc = proto_wait_writable(fd, e);
		if (rc < 0)
			break;
	}
	proto_out_free(o);
	return rc < 0 ? rc : 0;
}

int proto_send_json(int fd, uint16_t type, uint32_t id, const json_t *body,
		    struct lerr *e)
{
	struct proto_out o;
	int rc = proto_out_json(&o, type, id, body, e);

	if (rc < 0)
		return rc;
	return out_send(&o, fd, e);
}

int proto_send_raw(int fd, uint16_t type, uint16_t flags, uint32_t id,
		   const void *body, size_t len, struct lerr *e)
{
	struct iovec v = { .iov_base = (void *)body, .iov_len = len };
	struct proto_out o;
	int rc = proto_out_raw(&o, type, flags, id, &v, len ? 1 : 0, e);

	if (rc < 0)
		return rc;
	return out_send(&o, fd, e);
}

/* ---- OUTPUT ---- */

void proto_output_prefix(uint8_t *out, uint64_t time_ns, uint16_t container)
{
	int i;

	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(time_ns >> (8 * i));
	out[8] = (uint8_t)container;
	out[9] = (uint8_t)(container >> 8);
}

int proto_output_decode(const struct proto_frame *f, struct proto_output *out,
			struct lerr *e)
{
	const uint8_t *b = f->body;
	int i, rc;

	memset(out, 0, sizeof(*out));
	if (f->h.type != PROTO_OUTPUT) {
		const char *name = proto_type_name(f->h.type);

		return lerr_fail(e, EPROTO, "OUTPUT: a %s frame is not OUTPUT",
				 name ? name : "unknown");
	}
	rc = proto_header_check_as(&f->h, "OUTPUT", e);
	if (rc < 0)
		return rc;
	if (f->h.length < PROTO_OUTPUT_PREFIX)
		return lerr_fail(e, EBADMSG,
				 "OUTPUT: body of %u bytes is shorter than the "
				 "%d-byte timestamp and container index",
				 f->h.length, PROTO_OUTPUT_PREFIX);
	for (i = 7; i >= 0; i--)
		out->time_ns = out->time_ns << 8 | b[i];
	out->container = (uint16_t)(b[8] | b[9] << 8);
	if (out->container >= PROTO_MAX_CONTAINERS) {
		rc = lerr_fail(e, ERANGE,
			       "OUTPUT: container index %u out of range "
			       "0..%d",
			       out->container, PROTO_MAX_CONTAINERS - 1);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->flags = f->h.flags;
	out->data = b + PROTO_OUTPUT_PREFIX;
	out->len = f->h.length - PROTO_OUTPUT_PREFIX;
	return 0;
}

int proto_out_output(struct proto_out *o, uint64_t time_ns, uint16_t container,
		     uint16_t flags, const void *data, size_t len,
		     struct lerr *e)
{
	struct iovec body[2];

	memset(o, 0, sizeof(*o));
	if (container >= PROTO_MAX_CONTAINERS)
		return lerr_fail(e, ERANGE,
				 "outgoing OUTPUT: container index %u out of "
				 "range 0..%d",
				 container, PROTO_MAX_CONTAINERS - 1);
	if (len > PROTO_OUTPUT_MAX_DATA)
		return lerr_fail(e, EMSGSIZE,
				 "outgoing OUTPUT: %zu bytes of output exceed "
				 "the limit of %u per frame",
				 len, PROTO_OUTPUT_MAX_DATA);
	proto_output_prefix(o->prefix, time_ns, container);
	body[0].iov_base = o->prefix;
	body[0].iov_len = PROTO_OUTPUT_PREFIX;
	body[1].iov_base = (void *)data;
	body[1].iov_len = len;
	return out_raw(o, PROTO_OUTPUT, flags, 0, body, 2, e);
}
