/* protocol-frame.c - the protocol's framing on the receiving side: the
 * frame types and what each allows (flags, request ids, body kind), the
 * 12-byte header codec and its validation, JSON body parsing with one
 * errno per kind of fault, and the incremental reader that cuts a byte
 * stream (a non-blocking vsock or Unix socket) into frames.
 *
 * The reader owns one buffer of PROTO_MAX_FRAME bytes, so however the
 * peer splits or coalesces its writes, at most one maximal frame is held.
 * Frames are handed out in place (no copy); bytes are moved to the front
 * only when the frame in progress would not fit behind them. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol-internal.h"

enum id_rule {
	ID_NONZERO, /* requests and their replies */
	ID_ZERO,    /* agent-initiated */
	ID_ANY,	    /* ERROR: 0 when no request is to blame */
};

struct type_info {
	const char *name;
	bool json;
	uint16_t flags; /* allowed flag bits */
	enum id_rule id;
};

static const struct type_info types[PROTO_TYPE_MAX + 1] = {
	[PROTO_HELLO] = { "HELLO", true, 0, ID_NONZERO },
	[PROTO_ERROR] = { "ERROR", true, 0, ID_ANY },
	[PROTO_OK] = { "OK", true, 0, ID_NONZERO },
	[PROTO_SPEC] = { "SPEC", true, 0, ID_NONZERO },
	[PROTO_LAYER] = { "LAYER", true, 0, ID_NONZERO },
	[PROTO_DATA] = { "DATA", false, 0, ID_NONZERO },
	[PROTO_LAYER_END] = { "LAYER_END", true, 0, ID_NONZERO },
	[PROTO_START] = { "START", true, 0, ID_NONZERO },
	[PROTO_EVENT] = { "EVENT", true, 0, ID_ZERO },
	[PROTO_OUTPUT] = { "OUTPUT", false,
			   PROTO_OUT_STDOUT | PROTO_OUT_STDERR | PROTO_OUT_EOF,
			   ID_ZERO },
	[PROTO_STOP] = { "STOP", true, 0, ID_NONZERO },
	[PROTO_POWEROFF] = { "POWEROFF", true, 0, ID_NONZERO },
	[PROTO_SIGNAL] = { "SIGNAL", true, 0, ID_NONZERO },
	[PROTO_RESTART] = { "RESTART", true, 0, ID_NONZERO },
	[PROTO_SECRET] = { "SECRET", true, 0, ID_NONZERO },
	[PROTO_EXEC] = { "EXEC", true, 0, ID_NONZERO },
	[PROTO_EXEC_INPUT] = { "EXEC_INPUT", false, 0, ID_NONZERO },
	[PROTO_EXEC_RESIZE] = { "EXEC_RESIZE", true, 0, ID_NONZERO },
	[PROTO_EXEC_EXIT] = { "EXEC_EXIT", true, 0, ID_NONZERO },
	[PROTO_STATS] = { "STATS", true, 0, ID_NONZERO },
};

static const struct type_info *type_info(unsigned int type)
{
	/* the numbers between the types are unknown too */
	if (type == 0 || type > PROTO_TYPE_MAX || !types[type].name)
		return NULL;
	return &types[type];
}

const char *proto_type_name(unsigned int type)
{
	const struct type_info *t = type_info(type);

	return t ? t->name : NULL;
}

bool proto_type_is_json(unsigned int type)
{
	const struct type_info *t = type_info(type);

	return t && t->json;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

void proto_header_encode(const struct proto_header *h, uint8_t *out)
{
	put_le32(out, h->length);
	put_le16(out + 4, h->type);
	put_le16(out + 6, h->flags);
	put_le32(out + 8, h->id);
}

void proto_header_parse(const uint8_t *in, struct proto_header *h)
{
	h->length = get_le32(in);
	h->type = get_le16(in + 4);
	h->flags = get_le16(in + 6);
	h->id = get_le32(in + 8);
}

int proto_header_check_as(const struct proto_header *h, const char *what,
			  struct lerr *e)
{
	const struct type_info *t = type_info(h->type);
	unsigned int streams = h->flags & (PROTO_OUT_STDOUT | PROTO_OUT_STDERR);

	if (!t)
		return lerr_fail(e, EBADRQC, "%s: unknown type %u", what,
				 h->type);
	if (h->length > PROTO_MAX_BODY)
		return lerr_fail(e, EMSGSIZE,
				 "%s: %s body of %u bytes exceeds the limit of "
				 "%u bytes",
				 what, t->name, h->length, PROTO_MAX_BODY);
	if (h->flags & ~t->flags)
		return lerr_fail(e, EPROTO,
				 "%s: flags 0x%x not allowed on %s (allowed: "
				 "0x%x)",
				 what, h->flags, t->name, t->flags);
	if (h->type == PROTO_OUTPUT && streams != PROTO_OUT_STDOUT &&
	    streams != PROTO_OUT_STDERR)
		return lerr_fail(e, EPROTO,
				 "%s: OUTPUT flags 0x%x: exactly one of stdout "
				 "(0x1) and stderr (0x2) must be set",
				 what, h->flags);
	if (t->id == ID_NONZERO && h->id == 0)
		return lerr_fail(e, EPROTO,
				 "%s: %s frame with request id 0 (requests and "
				 "their replies carry a non-zero id)",
				 what, t->name);
	if (t->id == ID_ZERO && h->id != 0)
		return lerr_fail(e, EPROTO,
				 "%s: %s frame with request id %u "
				 "(agent-initiated frames carry 0)",
				 what, t->name, h->id);
	return 0;
}

int proto_header_check(const struct proto_header *h, struct lerr *e)
{
	return proto_header_check_as(h, "frame header", e);
}

int proto_header_decode(const uint8_t *in, struct proto_header *h,
			struct lerr *e)
{
	proto_header_parse(in, h);
	return proto_header_check(h, e);
}

static const char *json_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "real";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	default:
		return "unknown";
	}
}

int proto_frame_json(const struct proto_frame *f, json_t **out, struct lerr *e)
{
	const char *name = proto_type_name(f->h.type);
	json_error_t jerr;
	char text[sizeof(jerr.text)];
	json_t *j;

	*out = NULL;
	if (!proto_type_is_json(f->h.type))
		return lerr_fail(e, EPROTO, "%s frames carry no JSON body",
				 name ? name : "unknown");
	j = json_loadb((const char *)f->body, f->h.length,
		       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!j) {
		pj_clean(text, sizeof(text), jerr.text);
		switch (json_error_code(&jerr)) {
		case json_error_invalid_utf8:
			return lerr_fail(e, EILSEQ,
					 "%s body: invalid UTF-8 at byte %d",
					 name, jerr.position);
		case json_error_end_of_input_expected:
			return lerr_fail(e, ENOTEMPTY,
					 "%s body: trailing bytes after the "
					 "JSON value, at byte %d",
					 name, jerr.position);
		case json_error_out_of_memory:
			return lerr_fail(e, ENOMEM, "%s body: out of memory",
					 name);
		default:
			return lerr_fail(e, EBADMSG,
					 "%s body: not JSON: %s (byte %d)",
					 name, text, jerr.position);
		}
	}
	if (!json_is_object(j)) {
		int rc = lerr_fail(e, EINVAL, "%s body: not a JSON object (%s)",
				   name, json_type_name(j));

		json_decref(j);
		return rc;
	}
	*out = j;
	return 0;
}

/* ---- reader ---- */

int proto_reader_init(struct proto_reader *r, struct lerr *e)
{
	memset(r, 0, sizeof(*r));
	r->buf = malloc(PROTO_MAX_FRAME);
	if (!r->buf)
		return lerr_set(e, ENOMEM, "protocol reader: %u-byte buffer",
				PROTO_MAX_FRAME);
	return 0;
}

void proto_reader_free(struct proto_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

void proto_reader_reset(struct proto_reader *r)
{
	uint8_t *buf = r->buf;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
}

size_t proto_reader_buffered(const struct proto_reader *r)
{
	return r->end - r->start;
}

/* Bytes the frame in progress needs in all (its header when that is not
 * in yet).  A length over the limit counts as a maximal frame; next()
 * rejects it anyway. */
static size_t frame_need(const struct proto_reader *r)
{
	size_t length;

	if (r->end - r->start < PROTO_HEADER_SIZE)
		return PROTO_HEADER_SIZE;
	length = get_le32(r->buf + r->start);
	if (length > PROTO_MAX_BODY)
		length = PROTO_MAX_BODY;
	return PROTO_HEADER_SIZE + length;
}

/* Makes room behind the buffered bytes for the frame in progress. */
static void make_room(struct proto_reader *r)
{
	if (r->start == r->end) {
		r->start = r->end = 0;
		return;
	}
	if (r->start > 0 && (r->start + frame_need(r) > PROTO_MAX_FRAME ||
			     r->end == PROTO_MAX_FRAME)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
}

size_t proto_reader_feed(struct proto_reader *r, const void *data, size_t len)
{
	size_t room;

	if (r->error)
		return 0;
	make_room(r);
	room = PROTO_MAX_FRAME - r->end;
	if (len > room)
		len = room;
	memcpy(r->buf + r->end, data, len);
	r->end += len;
	return len;
}

ssize_t proto_reader_fill(struct proto_reader *r, int fd, struct lerr *e)
{
	ssize_t n;

	if (r->error) {
		if (e)
			*e = r->err;
		return r->error;
	}
	make_room(r);
	if (r->end == PROTO_MAX_FRAME)
		return lerr_fail(e, ENOBUFS,
				 "protocol reader: buffer full (take the "
				 "buffered frame first)");
	do
		n = read(fd, r->buf + r->end, PROTO_MAX_FRAME - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return lerr_fail(e, EAGAIN,
					 "protocol reader: nothing to read");
		return lerr_set(e, errno, "protocol reader: read");
	}
	r->end += (size_t)n;
	return n;
}

int proto_reader_next(struct proto_reader *r, struct proto_frame *f,
		      struct lerr *e)
{
	struct proto_header h;
	int rc;

	f->body = NULL;
	if (r->error) {
		f->h = r->bad;
		if (e)
			*e = r->err;
		return r->error;
	}
	if (r->end - r->start < PROTO_HEADER_SIZE) {
		memset(&f->h, 0, sizeof(f->h));
		return 0;
	}
	proto_header_parse(r->buf + r->start, &h);
	f->h = h;
	rc = proto_header_check(&h, &r->err);
	if (rc < 0) {
		r->error = rc;
		r->bad = h;
		if (e)
			*e = r->err;
		return rc;
	}
	if (r->end - r->start - PROTO_HEADER_SIZE < h.length)
		return 0;
	f->body = r->buf + r->start + PROTO_HEADER_SIZE;
	r->start += PROTO_HEADER_SIZE + h.length;
	return 1;
}

static int wait_fd(int fd, short events, const char *what, struct lerr *e)
{
	struct pollfd p = { .fd = fd, .events = events };

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return lerr_set(e, errno, "%s: poll", what);
	return 0;
}

int proto_read_frame(struct proto_reader *r, int fd, struct proto_frame *f,
		     struct lerr *e)
{
	for (;;) {
		ssize_t n;
		int rc = proto_reader_next(r, f, e);

		if (rc != 0)
			return rc;
		n = proto_reader_fill(r, fd, e);
		if (n == -EAGAIN) {
			rc = wait_fd(fd, POLLIN, "protocol reader", e);
			if (rc < 0)
				return rc;
			continue;
		}
		if (n < 0)
			return (int)n;
		if (n == 0) {
			if (proto_reader_buffered(r) == 0)
				return 0;
			return lerr_fail(e, ECONNRESET,
					 "protocol reader: connection closed "
					 "inside a frame (%zu bytes of it "
					 "received)",
					 proto_reader_buffered(r));
		}
	}
}

int proto_wait_writable(int fd, struct lerr *e)
{
	return wait_fd(fd, POLLOUT, "protocol writer", e);
}
