/* test-protocol.c - the protocol's framing: the header's byte layout and
 * every validation error, JSON bodies that are not JSON, not UTF-8, not
 * objects or followed by garbage, OUTPUT bodies, and the writer refusing
 * frames the peer would reject.  The reader and the fd helpers are in
 * test-protocol-io.c, the messages in test-protocol-msg.c and
 * test-protocol-spec.c. */
#include "test-protocol.h"

TestSuite(protocol);

/* ---- header ---- */

Test(protocol, header_layout)
{
	struct proto_header h = { .length = 0x04030201,
				  .type = 0x0605,
				  .flags = 0x0807,
				  .id = 0x0c0b0a09 },
			    got;
	uint8_t b[PROTO_HEADER_SIZE];
	size_t i;

	proto_header_encode(&h, b);
	for (i = 0; i < sizeof(b); i++)
		cr_expect_eq(b[i], i + 1, "byte %zu", i);
	proto_header_parse(b, &got);
	cr_expect_eq(got.length, h.length);
	cr_expect_eq(got.type, h.type);
	cr_expect_eq(got.flags, h.flags);
	cr_expect_eq(got.id, h.id);
	cr_expect_str_eq(proto_type_name(PROTO_LAYER_END), "LAYER_END");
	cr_expect_null(proto_type_name(0));
	cr_expect_null(proto_type_name(PROTO_TYPE_MAX + 1));
	cr_expect(proto_type_is_json(PROTO_SPEC));
	cr_expect(!proto_type_is_json(PROTO_DATA));
	cr_expect(!proto_type_is_json(PROTO_OUTPUT));
	cr_expect(!proto_type_is_json(99));
}

/* The example in PROTOCOL.md, byte for byte. */
Test(protocol, documented_example)
{
	/* 0f 00 00 00  0b 00  00 00  06 00 00 00  {"grace_ms":10} */
	static const uint8_t header[] = { 0x0f, 0, 0, 0, 0x0b, 0,
					  0,	0, 6, 0, 0,    0 };
	static const char body[] = "{\"grace_ms\":10}";
	struct proto_stop stop = { .grace_ms = 10 };
	struct proto_out o;
	struct lerr e = { 0 };
	uint8_t *buf;
	size_t len;
	json_t *j;

	cr_assert_eq(proto_stop_to_json(&stop, &j, &e), 0, "%s", e.msg);
	cr_assert_eq(proto_out_json(&o, PROTO_STOP, 6, j, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_assert_eq(proto_out_flatten(&o, &buf, &len, &e), 0);
	proto_out_free(&o);
	cr_assert_eq(len, sizeof(header) + strlen(body));
	cr_expect_eq(memcmp(buf, header, sizeof(header)), 0);
	cr_expect_eq(memcmp(buf + sizeof(header), body, strlen(body)), 0);
	free(buf);
}

struct bad_header {
	struct proto_header h;
	int err;
	const char *msg;
};

static const struct bad_header bad_headers[] = {
	{ { 2, 0, 0, 1 }, EBADRQC, "frame header: unknown type 0" },
	{ { 2, 14, 0, 1 }, EBADRQC, "frame header: unknown type 14" },
	{ { 2, 0xffff, 0, 1 }, EBADRQC, "frame header: unknown type 65535" },
	{ { PROTO_MAX_BODY + 1, PROTO_DATA, 0, 1 },
	  EMSGSIZE,
	  "frame header: DATA body of 1048577 bytes exceeds the limit of "
	  "1048576 bytes" },
	{ { 0xffffffff, PROTO_SPEC, 0, 1 },
	  EMSGSIZE,
	  "frame header: SPEC body of 4294967295 bytes exceeds the limit of "
	  "1048576 bytes" },
	{ { 2, PROTO_SPEC, 1, 1 },
	  EPROTO,
	  "frame header: flags 0x1 not allowed on SPEC (allowed: 0x0)" },
	{ { 10, PROTO_OUTPUT, 0x9, 0 },
	  EPROTO,
	  "frame header: flags 0x9 not allowed on OUTPUT (allowed: 0x7)" },
	{ { 10, PROTO_OUTPUT, 0x3, 0 },
	  EPROTO,
	  "frame header: OUTPUT flags 0x3: exactly one of stdout (0x1) and "
	  "stderr (0x2) must be set" },
	{ { 10, PROTO_OUTPUT, 0x4, 0 },
	  EPROTO,
	  "frame header: OUTPUT flags 0x4: exactly one of stdout (0x1) and "
	  "stderr (0x2) must be set" },
	{ { 2, PROTO_SPEC, 0, 0 },
	  EPROTO,
	  "frame header: SPEC frame with request id 0 (requests and their "
	  "replies carry a non-zero id)" },
	{ { 2, PROTO_OK, 0, 0 },
	  EPROTO,
	  "frame header: OK frame with request id 0 (requests and their "
	  "replies carry a non-zero id)" },
	{ { 2, PROTO_EVENT, 0, 5 },
	  EPROTO,
	  "frame header: EVENT frame with request id 5 (agent-initiated "
	  "frames carry 0)" },
	{ { 10, PROTO_OUTPUT, 1, 5 },
	  EPROTO,
	  "frame header: OUTPUT frame with request id 5 (agent-initiated "
	  "frames carry 0)" },
};

Test(protocol, header_errors)
{
	uint8_t b[PROTO_HEADER_SIZE];
	struct proto_header got;
	size_t i;

	for (i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++) {
		const struct bad_header *t = &bad_headers[i];
		struct lerr e = { 0 };

		proto_header_encode(&t->h, b);
		cr_expect_eq(proto_header_decode(b, &got, &e), -t->err,
			     "case %zu: %s", i, e.msg);
		cr_expect_eq(e.code, t->err);
		cr_expect_str_eq(e.msg, t->msg);
		cr_expect_eq(got.id, t->h.id, "the rejected header's id");
	}
	/* the edges that are fine */
	{
		struct proto_header ok[] = {
			{ PROTO_MAX_BODY, PROTO_DATA, 0, 1 },
			{ 2, PROTO_ERROR, 0, 0 },
			{ 2, PROTO_ERROR, 0, 77 },
			{ 10, PROTO_OUTPUT, PROTO_OUT_STDERR | PROTO_OUT_EOF,
			  0 },
			{ 0, PROTO_DATA, 0, 0xffffffff },
		};

		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			struct lerr e = { 0 };

			cr_expect_eq(proto_header_check(&ok[i], &e), 0,
				     "ok %zu: %s", i, e.msg);
		}
	}
}

struct bad_json {
	const char *body;
	size_t len;
	int err;
	const char *msg;
};

#define BODY(s) s, sizeof(s) - 1

static const struct bad_json bad_json[] = {
	{ BODY("[1,2]"), EINVAL, "SPEC body: not a JSON object (array)" },
	{ BODY("42"), EINVAL, "SPEC body: not a JSON object (integer)" },
	{ BODY("\"x\""), EINVAL, "SPEC body: not a JSON object (string)" },
	{ BODY("null"), EINVAL, "SPEC body: not a JSON object (null)" },
	{ BODY("{\"a\":\"\xff\"}"), EILSEQ,
	  "SPEC body: invalid UTF-8 at byte 6" },
	{ BODY("{\"a\":\"\xc3\"}"), EILSEQ,
	  "SPEC body: invalid UTF-8 at byte 6" },
	{ BODY("{} x"), ENOTEMPTY,
	  "SPEC body: trailing bytes after the JSON value, at byte 4" },
	{ BODY("{}{}"), ENOTEMPTY,
	  "SPEC body: trailing bytes after the JSON value, at byte 3" },
	{ "{}\0", 3, ENOTEMPTY,
	  "SPEC body: trailing bytes after the JSON value, at byte 3" },
	{ BODY(""), EBADMSG,
	  "SPEC body: not JSON: unexpected token near end of file (byte 0)" },
	{ BODY("{\"a\":1"), EBADMSG,
	  "SPEC body: not JSON: '}' expected near end of file (byte 6)" },
	{ BODY("{\"a\":1,\"a\":2}"), EBADMSG,
	  "SPEC body: not JSON: duplicate object key near '\"a\"' (byte 10)" },
	{ BODY("{\"a\":\"\\u0000\"}"), EBADMSG,
	  "SPEC body: not JSON: \\u0000 is not allowed without JSON_ALLOW_NUL "
	  "near '\"\\u0000\"' (byte 13)" },
	{ BODY("{\"a\":99999999999999999999}"), EBADMSG,
	  "SPEC body: not JSON: too big integer near '99999999999999999999' "
	  "(byte 25)" },
	/* the peer's bytes quoted by jansson are made printable */
	{ BODY("{\"a\":1,\x1b}"), EBADMSG,
	  "SPEC body: not JSON: string or '}' expected near '?' (byte 8)" },
};

Test(protocol, json_body_errors)
{
	struct proto_frame f = { .h = { .type = PROTO_SPEC, .id = 1 } };
	struct lerr e = { 0 };
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
		const struct bad_json *t = &bad_json[i];

		f.body = (const uint8_t *)t->body;
		f.h.length = (uint32_t)t->len;
		memset(&e, 0, sizeof(e));
		j = (json_t *)1;
		cr_expect_eq(proto_frame_json(&f, &j, &e), -t->err,
			     "case %zu: %s", i, e.msg);
		cr_expect_null(j);
		cr_expect_str_eq(e.msg, t->msg, "case %zu: got \"%s\"", i,
				 e.msg);
	}
	/* deep nesting is an error, not a stack overflow */
	{
		size_t n = 100000;
		char *deep = malloc(2 * n + 8);

		memcpy(deep, "{\"a\":", 5);
		memset(deep + 5, '[', n);
		memset(deep + 5 + n, ']', n);
		deep[5 + 2 * n] = '}';
		f.body = (const uint8_t *)deep;
		f.h.length = (uint32_t)(6 + 2 * n);
		cr_expect_eq(proto_frame_json(&f, &j, &e), -EBADMSG);
		free(deep);
	}
	f.h.type = PROTO_DATA;
	f.body = (const uint8_t *)"{}";
	f.h.length = 2;
	cr_expect_eq(proto_frame_json(&f, &j, &e), -EPROTO);
	cr_expect_str_eq(e.msg, "DATA frames carry no JSON body");
}

/* ---- OUTPUT ---- */

Test(protocol, output_round_trip)
{
	struct proto_reader r;
	struct proto_frame f;
	struct proto_output out;
	struct proto_out o;
	struct lerr e = { 0 };
	uint8_t *buf;
	size_t len;

	cr_assert_eq(proto_out_output(&o, 0x1122334455667788ULL, 15,
				      PROTO_OUT_STDERR, "hello\n", 6, &e),
		     0, "%s", e.msg);
	cr_assert_eq(proto_out_flatten(&o, &buf, &len, &e), 0);
	proto_out_free(&o);
	cr_assert_eq(len, PROTO_HEADER_SIZE + PROTO_OUTPUT_PREFIX + 6);
	/* the prefix is little-endian */
	cr_expect_eq(buf[PROTO_HEADER_SIZE], 0x88);
	cr_expect_eq(buf[PROTO_HEADER_SIZE + 7], 0x11);
	cr_expect_eq(buf[PROTO_HEADER_SIZE + 8], 15);
	cr_expect_eq(buf[PROTO_HEADER_SIZE + 9], 0);
	cr_assert_eq(proto_reader_init(&r, &e), 0);
	proto_reader_feed(&r, buf, len);
	cr_assert_eq(proto_reader_next(&r, &f, &e), 1, "%s", e.msg);
	cr_assert_eq(proto_output_decode(&f, &out, &e), 0, "%s", e.msg);
	cr_expect_eq(out.time_ns, 0x1122334455667788ULL);
	cr_expect_eq(out.container, 15);
	cr_expect_eq(out.flags, PROTO_OUT_STDERR);
	cr_assert_eq(out.len, 6);
	cr_expect_eq(memcmp(out.data, "hello\n", 6), 0);
	free(buf);

	/* EOF with no bytes */
	cr_assert_eq(proto_out_output(&o, 1, 0,
				      PROTO_OUT_STDOUT | PROTO_OUT_EOF, NULL, 0,
				      &e),
		     0, "%s", e.msg);
	cr_assert_eq(proto_out_flatten(&o, &buf, &len, &e), 0);
	proto_out_free(&o);
	proto_reader_feed(&r, buf, len);
	cr_assert_eq(proto_reader_next(&r, &f, &e), 1, "%s", e.msg);
	cr_assert_eq(proto_output_decode(&f, &out, &e), 0, "%s", e.msg);
	cr_expect_eq(out.flags, PROTO_OUT_STDOUT | PROTO_OUT_EOF);
	cr_expect_eq(out.len, 0);
	free(buf);
	proto_reader_free(&r);
}

Test(protocol, output_errors)
{
	static const uint8_t body[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 16, 0 };
	struct proto_frame f = { .h = { 9, PROTO_OUTPUT, PROTO_OUT_STDOUT, 0 },
				 .body = body };
	struct proto_output out;
	struct proto_out o;
	struct lerr e = { 0 };

	cr_expect_eq(proto_output_decode(&f, &out, &e), -EBADMSG);
	cr_expect_str_eq(e.msg, "OUTPUT: body of 9 bytes is shorter than the "
				"10-byte timestamp and container index");
	f.h.length = 0;
	cr_expect_eq(proto_output_decode(&f, &out, &e), -EBADMSG);
	f.h.length = 12;
	cr_expect_eq(proto_output_decode(&f, &out, &e), -ERANGE);
	cr_expect_str_eq(e.msg,
			 "OUTPUT: container index 16 out of range 0..15");
	f.h.flags = PROTO_OUT_STDOUT | PROTO_OUT_STDERR;
	cr_expect_eq(proto_output_decode(&f, &out, &e), -EPROTO);
	cr_expect_str_eq(e.msg, "OUTPUT: OUTPUT flags 0x3: exactly one of "
				"stdout (0x1) and stderr (0x2) must be set");
	f.h.flags = PROTO_OUT_STDOUT;
	f.h.type = PROTO_DATA;
	f.h.id = 1;
	cr_expect_eq(proto_output_decode(&f, &out, &e), -EPROTO);
	cr_expect_str_eq(e.msg, "OUTPUT: a DATA frame is not OUTPUT");

	cr_expect_eq(proto_out_output(&o, 0, 16, PROTO_OUT_STDOUT, "x", 1, &e),
		     -ERANGE);
	cr_expect_eq(proto_out_output(&o, 0, 0, 0, "x", 1, &e), -EPROTO);
	cr_expect_str_eq(e.msg, "outgoing frame: OUTPUT flags 0x0: exactly one "
				"of stdout (0x1) and stderr (0x2) must be set");
	cr_expect_eq(proto_out_output(&o, 0, 0, PROTO_OUT_STDOUT, body,
				      PROTO_OUTPUT_MAX_DATA + 1, &e),
		     -EMSGSIZE);
}

Test(protocol, writer_refuses_bad_frames)
{
	struct proto_out o;
	struct lerr e = { 0 };
	struct iovec v[5] = { { NULL, 0 } };
	json_t *j = json_object(), *arr = json_array();
	char *big = malloc(PROTO_MAX_BODY);

	cr_expect_eq(proto_out_json(&o, PROTO_SPEC, 0, j, &e), -EPROTO);
	cr_expect_str_eq(e.msg, "outgoing frame: SPEC frame with request id 0 "
				"(requests and their replies carry a non-zero "
				"id)");
	cr_expect_eq(proto_out_json(&o, PROTO_DATA, 1, j, &e), -EPROTO);
	cr_expect_eq(proto_out_json(&o, PROTO_SPEC, 1, arr, &e), -EINVAL);
	cr_expect_eq(proto_out_json(&o, 99, 1, j, &e), -EPROTO);
	cr_expect_eq(proto_out_raw(&o, PROTO_DATA, 0, 1, v, 5, &e), -EINVAL);
	memset(big, 'a', PROTO_MAX_BODY);
	json_object_set_new(j, "big", json_stringn(big, PROTO_MAX_BODY - 8));
	cr_expect_eq(proto_out_json(&o, PROTO_SPEC, 1, j, &e), -EMSGSIZE);
	cr_expect_str_eq(e.msg, "outgoing frame: SPEC body of 1048578 bytes "
				"exceeds the limit of 1048576 bytes");
	v[0].iov_base = big;
	v[0].iov_len = PROTO_MAX_BODY;
	v[1].iov_base = big;
	v[1].iov_len = 1;
	cr_expect_eq(proto_out_raw(&o, PROTO_DATA, 0, 1, v, 2, &e), -EMSGSIZE);
	cr_expect_eq(proto_out_raw(&o, PROTO_DATA, 0, 1, v, 1, &e), 0, "%s",
		     e.msg);
	cr_expect_eq(o.left, PROTO_MAX_FRAME);
	proto_out_free(&o);
	json_decref(j);
	json_decref(arr);
	free(big);
}
