/* test-protocol.h - helpers shared by the protocol tests
 * (test-protocol.c: frames, reader, fd I/O; test-protocol-msg.c: the
 * typed messages): JSON from text, and a frame's trip through the real
 * writer and reader. */
#ifndef LIGHTER_TEST_PROTOCOL_H
#define LIGHTER_TEST_PROTOCOL_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

#define DIGEST_A                                                               \
	"sha256:"                                                              \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST_B                                                               \
	"sha256:"                                                              \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static inline json_t *tp_json(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);

	cr_assert_not_null(j, "bad test JSON: %s: %s", err.text, text);
	return j;
}

/* Sends body as a frame of type (id) through proto_out_json(), the
 * flattened bytes through a reader and proto_frame_json(); returns the
 * body the receiver parsed.  Takes the reference to body. */
static inline json_t *tp_wire(uint16_t type, uint32_t id, json_t *body)
{
	struct proto_reader r;
	struct proto_frame f;
	struct proto_out o;
	struct lerr e = { 0 };
	uint8_t *buf;
	size_t len;
	json_t *got;

	cr_assert_eq(proto_out_json(&o, type, id, body, &e), 0, "%s", e.msg);
	cr_assert_eq(proto_out_flatten(&o, &buf, &len, &e), 0, "%s", e.msg);
	proto_out_free(&o);
	json_decref(body);
	cr_assert_eq(proto_reader_init(&r, &e), 0, "%s", e.msg);
	cr_assert_eq(proto_reader_feed(&r, buf, len), len);
	cr_assert_eq(proto_reader_next(&r, &f, &e), 1, "%s", e.msg);
	cr_assert_eq(f.h.type, type);
	cr_assert_eq(f.h.id, id);
	cr_assert_eq(f.h.flags, 0);
	cr_assert_eq(f.h.length, len - PROTO_HEADER_SIZE);
	cr_assert_eq(proto_frame_json(&f, &got, &e), 0, "%s", e.msg);
	cr_assert_eq(proto_reader_buffered(&r), 0);
	proto_reader_free(&r);
	free(buf);
	return got;
}

#endif
