/* fuzz-protocol.c - libFuzzer harness for the wire protocol
 * (guest-agent/protocol-*.c): the input is the byte stream a hostile
 * peer sends.
 *
 * It goes through the incremental reader twice, whole and in chunks whose
 * sizes a PRNG seeded from the input picks; both runs must yield the same
 * frames and end in the same state (the same sticky error, or the same
 * bytes left over), and a reader never holds more than one maximal frame.
 * Every frame's header passes proto_header_check() and re-encodes to the
 * same bytes.  JSON bodies are decoded into each typed struct their type
 * may carry; an error must come with its errno in e.code and a one-line
 * printable message fit for an ERROR frame.  A struct that decoded must
 * re-encode to JSON equal to the body (decoders are strict, so nothing
 * is dropped), cross the writer and a second reader unchanged, and decode
 * and encode again to the same JSON.  OUTPUT bodies re-encode byte for
 * byte; the layer accounting never counts past a LAYER's size. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct proto_reader reader, wire;

struct seen {
	struct proto_header h;
	uint64_t hash;
};

struct run {
	struct seen *f;
	size_t n, cap;
	int error;
	size_t left; /* bytes buffered at the end */
};

static uint64_t fnv(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* A message this side produced: errno in e.code, one printable line, and
 * an ERROR body can be made of it. */
static void check_error(int rc, const struct lerr *e)
{
	json_t *j = NULL;
	size_t i;

	FUZZ_CHECK(rc < 0 && e->code == -rc && e->msg[0]);
	for (i = 0; e->msg[i]; i++)
		FUZZ_CHECK(e->msg[i] >= 0x20 && e->msg[i] < 0x7f);
	FUZZ_CHECK(proto_error_from_lerr(e, &j, NULL) == 0);
	json_decref(j);
}

/* j crosses the writer and a second reader as a frame of type/id. */
static void check_wire(uint16_t type, uint32_t id, const json_t *j)
{
	struct proto_frame f;
	struct proto_out o;
	struct lerr e = { 0 };
	json_t *back = NULL;
	uint8_t *buf;
	size_t len;

	FUZZ_CHECK(proto_out_json(&o, type, id, j, &e) == 0);
	FUZZ_CHECK(proto_out_flatten(&o, &buf, &len, &e) == 0);
	proto_out_free(&o);
	proto_reader_reset(&wire);
	FUZZ_CHECK(proto_reader_feed(&wire, buf, len) == len);
	FUZZ_CHECK(proto_reader_next(&wire, &f, &e) == 1);
	FUZZ_CHECK(f.h.type == type && f.h.id == id &&
		   f.h.length + PROTO_HEADER_SIZE == len);
	FUZZ_CHECK(proto_frame_json(&f, &back, &e) == 0);
	FUZZ_CHECK(json_equal(back, (json_t *)j));
	json_decref(back);
	free(buf);
}

#define NO_FREE(s) ((void)(s))

/* Decode body as TYPE; if that works, encode, compare, cross the wire,
 * decode and encode again. */
#define TRY(TYPE, FROM, TO, FREE)                                              \
	do {                                                                   \
		TYPE s1, s2;                                                   \
		struct lerr e = { 0 };                                         \
		json_t *j1 = NULL, *j2 = NULL;                                 \
		int rc = FROM(body, &s1, &e);                                  \
                                                                               \
		if (rc < 0) {                                                  \
			check_error(rc, &e);                                   \
			break;                                                 \
		}                                                              \
		FUZZ_CHECK(TO(&s1, &j1, &e) == 0);                             \
		FUZZ_CHECK(json_equal(j1, body));                              \
		check_wire(f->h.type, f->h.id, j1);                            \
		FUZZ_CHECK(FROM(j1, &s2, &e) == 0);                            \
		FUZZ_CHECK(TO(&s2, &j2, &e) == 0);                             \
		FUZZ_CHECK(json_equal(j1, j2));                                \
		json_decref(j1);                                               \
		json_decref(j2);                                               \
		FREE(&s1);                                                     \
		FREE(&s2);                                                     \
	} while (0)

struct layer_state {
	bool active;
	struct proto_layer_rx rx;
};

static void check_layer_frames(const struct proto_frame *f, json_t *body,
			       struct layer_state *ls)
{
	struct proto_layer l;
	struct lerr e = { 0 };
	int rc;

	switch (f->h.type) {
	case PROTO_LAYER:
		if (body && proto_layer_from_json(body, &l, &e) == 0) {
			proto_layer_rx_begin(&ls->rx, f->h.id, &l);
			ls->active = true;
			proto_layer_free(&l);
		}
		break;
	case PROTO_DATA:
		if (!ls->active)
			break;
		rc = proto_layer_rx_data(&ls->rx, &f->h, &e);
		if (rc < 0)
			check_error(rc, &e);
		FUZZ_CHECK(ls->rx.received <= ls->rx.size);
		break;
	case PROTO_LAYER_END:
		if (!ls->active)
			break;
		rc = proto_layer_rx_end(&ls->rx, &f->h, &e);
		if (rc < 0)
			check_error(rc, &e);
		else
			FUZZ_CHECK(ls->rx.received == ls->rx.size);
		ls->active = false;
		break;
	default:
		break;
	}
}

static void check_output(const struct proto_frame *f)
{
	uint8_t hdr[PROTO_HEADER_SIZE], *buf;
	struct proto_output out;
	struct proto_out o;
	struct lerr e = { 0 };
	size_t len;
	int rc = proto_output_decode(f, &out, &e);

	if (rc < 0) {
		check_error(rc, &e);
		return;
	}
	FUZZ_CHECK(out.len + PROTO_OUTPUT_PREFIX == f->h.length);
	FUZZ_CHECK(proto_out_output(&o, out.time_ns, out.container, out.flags,
				    out.data, out.len, &e) == 0);
	FUZZ_CHECK(proto_out_flatten(&o, &buf, &len, &e) == 0);
	proto_out_free(&o);
	proto_header_encode(&f->h, hdr);
	FUZZ_CHECK(len == PROTO_HEADER_SIZE + f->h.length);
	FUZZ_CHECK(memcmp(buf, hdr, PROTO_HEADER_SIZE) == 0);
	FUZZ_CHECK(memcmp(buf + PROTO_HEADER_SIZE, f->body, f->h.length) == 0);
	free(buf);
}

static void check_frame(const struct proto_frame *f, struct layer_state *ls)
{
	struct proto_header again;
	uint8_t b[PROTO_HEADER_SIZE];
	struct lerr e = { 0 };
	json_t *body = NULL;
	int rc;

	FUZZ_CHECK(proto_header_check(&f->h, NULL) == 0);
	proto_header_encode(&f->h, b);
	proto_header_parse(b, &again);
	FUZZ_CHECK(memcmp(&again, &f->h, sizeof(again)) == 0);

	if (f->h.type == PROTO_OUTPUT) {
		check_output(f);
		return;
	}
	if (proto_type_is_json(f->h.type)) {
		rc = proto_frame_json(f, &body, &e);
		if (rc < 0) {
			check_error(rc, &e);
			FUZZ_CHECK(!body);
		}
	}
	check_layer_frames(f, body, ls);
	if (!body)
		return;
	switch (f->h.type) {
	case PROTO_HELLO:
		TRY(struct proto_hello, proto_hello_from_json,
		    proto_hello_to_json, proto_hello_free);
		TRY(struct proto_hello_reply, proto_hello_reply_from_json,
		    proto_hello_reply_to_json, proto_hello_reply_free);
		break;
	case PROTO_ERROR:
		TRY(struct proto_error, proto_error_from_json,
		    proto_error_to_json, proto_error_free);
		break;
	case PROTO_OK:
		TRY(struct proto_layer_done, proto_layer_done_from_json,
		    proto_layer_done_to_json, NO_FREE);
		TRY(struct proto_started, proto_started_from_json,
		    proto_started_to_json, NO_FREE);
		TRY(struct proto_stats, proto_stats_from_json,
		    proto_stats_to_json, NO_FREE);
		break;
	case PROTO_SPEC:
		TRY(struct proto_group, proto_group_from_json,
		    proto_group_to_json, proto_group_free);
		break;
	case PROTO_LAYER:
		TRY(struct proto_layer, proto_layer_from_json,
		    proto_layer_to_json, proto_layer_free);
		break;
	case PROTO_EVENT:
		TRY(struct proto_event, proto_event_from_json,
		    proto_event_to_json, proto_event_free);
		break;
	case PROTO_STOP:
		TRY(struct proto_stop, proto_stop_from_json, proto_stop_to_json,
		    NO_FREE);
		break;
	case PROTO_SIGNAL:
		TRY(struct proto_signal, proto_signal_from_json,
		    proto_signal_to_json, NO_FREE);
		break;
	case PROTO_SECRET:
		TRY(struct proto_secret, proto_secret_from_json,
		    proto_secret_to_json, proto_secret_free);
		break;
	case PROTO_EXEC:
		TRY(struct proto_exec, proto_exec_from_json, proto_exec_to_json,
		    proto_exec_free);
		break;
	case PROTO_EXEC_RESIZE:
		TRY(struct proto_exec_resize, proto_exec_resize_from_json,
		    proto_exec_resize_to_json, NO_FREE);
		break;
	case PROTO_EXEC_EXIT:
		TRY(struct proto_exec_exit, proto_exec_exit_from_json,
		    proto_exec_exit_to_json, proto_exec_exit_free);
		break;
	default:
		rc = proto_empty_from_json(f->h.type, body, &e);
		if (rc < 0)
			check_error(rc, &e);
		else
			FUZZ_CHECK(json_object_size(body) == 0);
		break;
	}
	json_decref(body);
}

static void record(struct run *run, const struct proto_frame *f)
{
	if (run->n == run->cap) {
		run->cap = run->cap ? 2 * run->cap : 16;
		run->f = realloc(run->f, run->cap * sizeof(*run->f));
		FUZZ_CHECK(run->f);
	}
	run->f[run->n].h = f->h;
	run->f[run->n].hash = fnv(f->body, f->h.length);
	run->n++;
}

/* Takes every frame out of the reader; false after a header error. */
static bool drain(struct run *run, bool check, struct layer_state *ls)
{
	struct proto_frame f;
	struct lerr e = { 0 };
	int rc;

	while ((rc = proto_reader_next(&reader, &f, &e)) == 1) {
		record(run, &f);
		if (check)
			check_frame(&f, ls);
	}
	if (rc == 0)
		return true;
	check_error(rc, &e);
	FUZZ_CHECK(rc == -EMSGSIZE || rc == -EBADRQC || rc == -EPROTO);
	FUZZ_CHECK(proto_header_check(&f.h, NULL) == rc);
	/* sticky */
	FUZZ_CHECK(proto_reader_next(&reader, &f, NULL) == rc);
	FUZZ_CHECK(proto_reader_feed(&reader, "x", 1) == 0);
	run->error = rc;
	return false;
}

/* One pass over the input; chunk sizes from seed (0: all at once). */
static void run_reader(struct run *run, const uint8_t *data, size_t size,
		       uint64_t seed, bool check)
{
	struct layer_state ls = { 0 };
	size_t off = 0;

	proto_reader_reset(&reader);
	while (off < size) {
		size_t n = size - off, took;

		if (seed) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			n = 1 + seed % ((size_t)1 << (seed >> 60) % 13);
			if (n > size - off)
				n = size - off;
		}
		took = proto_reader_feed(&reader, data + off, n);
		FUZZ_CHECK(proto_reader_buffered(&reader) <= PROTO_MAX_FRAME);
		off += took;
		if (!drain(run, check, &ls))
			return;
		FUZZ_CHECK(took > 0);
	}
	run->left = proto_reader_buffered(&reader);
}

static bool same_frames(const struct run *a, const struct run *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct proto_header *x = &a->f[i].h, *y = &b->f[i].h;

		if (x->length != y->length || x->type != y->type ||
		    x->flags != y->flags || x->id != y->id ||
		    a->f[i].hash != b->f[i].hash)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole = { 0 }, chunked = { 0 };
	struct lerr e = { 0 };

	if (!reader.buf) {
		FUZZ_CHECK(proto_reader_init(&reader, &e) == 0);
		FUZZ_CHECK(proto_reader_init(&wire, &e) == 0);
	}
	run_reader(&whole, data, size, 0, true);
	run_reader(&chunked, data, size, fnv(data, size) | 1, false);
	FUZZ_CHECK(same_frames(&whole, &chunked));
	FUZZ_CHECK(whole.error == chunked.error);
	FUZZ_CHECK(whole.left == chunked.left);
	free(whole.f);
	free(chunked.f);
	return 0;
}
