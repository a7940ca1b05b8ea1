/* test-protocol-msg.c - the protocol's typed messages but SPEC
 * (test-protocol-spec.c): a round trip of each (struct -> JSON -> frame
 * -> reader -> JSON -> struct), the layer transfer's byte accounting, a
 * table of malformed bodies whose exact errno and message are checked
 * (missing and mistyped fields, out-of-range numbers, bad names and
 * digests, unknown fields, wrong versions), and the syntax helpers. */
#include <limits.h>

#include "test-protocol.h"

TestSuite(protocol_msg);

/* ---- round trips ---- */

Test(protocol_msg, hello_round_trip)
{
	struct proto_hello h = { .client = "lighter 0.1.0",
				 .time_ns = 1764288000123456789LL },
			   got;
	struct proto_hello_reply r = { .agent = "lighter-agent 0.1.0",
				       .kernel = "6.1.0-lighter" },
				 rgot;
	struct lerr e = { 0 };
	json_t *j;

	cr_assert_eq(proto_hello_to_json(&h, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_HELLO, 1, j);
	cr_assert_eq(json_integer_value(json_object_get(j, "version")), 1);
	cr_assert_eq(proto_hello_from_json(j, &got, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_str_eq(got.client, h.client);
	cr_expect_eq(got.time_ns, h.time_ns);
	proto_hello_free(&got);
	cr_expect_null(got.client);

	cr_assert_eq(proto_hello_reply_to_json(&r, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_HELLO, 1, j);
	cr_assert_eq(proto_hello_reply_from_json(j, &rgot, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_str_eq(rgot.agent, r.agent);
	cr_expect_str_eq(rgot.kernel, r.kernel);
	proto_hello_reply_free(&rgot);
}

Test(protocol_msg, error_round_trip)
{
	struct proto_error pe = { .code = "ENOENT",
				  .message = "layer sha256:...: no such file" },
			   got;
	struct lerr e = { 0 };
	json_t *j;

	cr_assert_eq(proto_error_to_json(&pe, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_ERROR, 0, j);
	cr_assert_eq(proto_error_from_json(j, &got, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_str_eq(got.code, "ENOENT");
	cr_expect_eq(got.errnum, ENOENT);
	cr_expect_str_eq(got.message, pe.message);
	proto_error_free(&got);

	/* a name this side does not know still decodes, errnum 0 */
	j = tp_json("{\"code\":\"EFUTURE2\",\"message\":\"\"}");
	cr_assert_eq(proto_error_from_json(j, &got, &e), 0, "%s", e.msg);
	cr_expect_str_eq(got.code, "EFUTURE2");
	cr_expect_eq(got.errnum, 0);
	cr_expect_str_eq(got.message, "");
	proto_error_free(&got);
	json_decref(j);
}

Test(protocol_msg, error_from_lerr)
{
	struct lerr err = { 0 }, e = { 0 };
	struct proto_error got;
	json_t *j;

	/* lerr_fail() already turns the newline into '?' (error.h); a
	 * message filled by hand still gets flattened by the encoder */
	lerr_fail(&err, ENOENT, "open \"/x\"\nsecond line");
	cr_expect_str_eq(err.msg, "open \"/x\"?second line");
	snprintf(err.msg, sizeof(err.msg), "open \"/x\"\nsecond line");
	cr_assert_eq(proto_error_from_lerr(&err, &j, &e), 0, "%s", e.msg);
	cr_assert_eq(proto_error_from_json(j, &got, &e), 0, "%s", e.msg);
	cr_expect_str_eq(got.code, "ENOENT");
	cr_expect_str_eq(got.message, "open \"/x\" second line");
	proto_error_free(&got);
	json_decref(j);

	/* not UTF-8 (a file name quoted from disk): made ASCII; no code: EIO */
	err.code = 0;
	strcpy(err.msg, "bad \xff name");
	cr_assert_eq(proto_error_from_lerr(&err, &j, &e), 0, "%s", e.msg);
	cr_assert_eq(proto_error_from_json(j, &got, &e), 0, "%s", e.msg);
	cr_expect_str_eq(got.code, "EIO");
	cr_expect_str_eq(got.message, "bad ? name");
	proto_error_free(&got);
	json_decref(j);
}

Test(protocol_msg, layer_round_trip)
{
	struct proto_layer
	    l = { .diff_id = DIGEST_B,
		  .media_type = "application/vnd.oci.image.layer.v1.tar+zstd",
		  .size = 5ULL << 30 },
	    got;
	struct proto_layer_done d = { .unpack_us = 1234, .bytes = 99 }, dgot;
	struct lerr e = { 0 };
	json_t *j;

	cr_assert_eq(proto_layer_to_json(&l, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_LAYER, 9, j);
	cr_assert_eq(proto_layer_from_json(j, &got, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_str_eq(got.diff_id, l.diff_id);
	cr_expect_str_eq(got.media_type, l.media_type);
	cr_expect_eq(got.size, l.size);
	proto_layer_free(&got);

	cr_assert_eq(proto_layer_done_to_json(&d, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_OK, 9, j);
	cr_assert_eq(proto_layer_done_from_json(j, &dgot, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_eq(dgot.unpack_us, 1234);
	cr_expect_eq(dgot.bytes, 99);
}

Test(protocol_msg, layer_rx_accounting)
{
	struct proto_layer l = { .diff_id = DIGEST_A, .size = 10 };
	struct proto_header data = { .length = 6, .type = PROTO_DATA, .id = 4 };
	struct proto_header end = { .type = PROTO_LAYER_END, .id = 4 };
	struct proto_layer_rx t;
	struct lerr e = { 0 };

	proto_layer_rx_begin(&t, 4, &l);
	cr_assert_eq(proto_layer_rx_data(&t, &data, &e), 0, "%s", e.msg);
	cr_assert_eq(proto_layer_rx_end(&t, &end, &e), -ENODATA);
	cr_expect_str_eq(e.msg, "LAYER " DIGEST_A ": LAYER_END after 6 of "
				"the announced 10 bytes");
	cr_assert_eq(proto_layer_rx_data(&t, &data, &e), -E2BIG);
	cr_expect_str_eq(e.msg, "LAYER " DIGEST_A ": DATA of 6 bytes after 6 "
				"runs past the announced size of 10 bytes");
	data.length = 4;
	data.id = 5;
	cr_assert_eq(proto_layer_rx_data(&t, &data, &e), -EPROTO);
	cr_expect_str_eq(e.msg, "LAYER " DIGEST_A ": DATA frame with request "
				"id 5, expected 4");
	data.id = 4;
	cr_assert_eq(proto_layer_rx_data(&t, &data, &e), 0, "%s", e.msg);
	cr_assert_eq(proto_layer_rx_end(&t, &end, &e), 0, "%s", e.msg);
	cr_expect_eq(t.received, 10);
}

Test(protocol_msg, started_round_trip)
{
	struct proto_started s = { .n = 2 }, got;
	struct lerr e = { 0 };
	json_t *j;

	strcpy(s.c[0].name, "app");
	s.c[0].pid = 7;
	strcpy(s.c[1].name, "side");
	s.c[1].pid = PROTO_PID_MAX;
	cr_assert_eq(proto_started_to_json(&s, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_OK, 3, j);
	cr_assert_eq(proto_started_from_json(j, &got, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_assert_eq(got.n, 2);
	cr_expect_str_eq(got.c[1].name, "side");
	cr_expect_eq(got.c[0].pid, 7);
	cr_expect_eq(got.c[1].pid, PROTO_PID_MAX);
}

static void event_trip(const struct proto_event *ev)
{
	struct proto_event got;
	struct lerr e = { 0 };
	json_t *j;

	cr_assert_eq(proto_event_to_json(ev, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_EVENT, 0, j);
	cr_assert_eq(proto_event_from_json(j, &got, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_eq(got.kind, ev->kind);
	cr_expect_str_eq(got.container, ev->container);
	cr_expect_eq(got.time_ns, ev->time_ns);
	cr_expect_eq(got.has, ev->has);
	cr_expect_eq(got.pid, ev->pid);
	cr_expect_eq(got.exit_code, ev->exit_code);
	cr_expect_eq(got.signal, ev->signal);
	cr_expect_eq(got.oom_killed, ev->oom_killed);
	cr_expect_eq(got.restart_count, ev->restart_count);
	cr_expect_eq(got.ready, ev->ready);
	if (ev->error)
		cr_expect_str_eq(got.error, ev->error);
	else
		cr_expect_null(got.error);
	if (ev->reason)
		cr_expect_str_eq(got.reason, ev->reason);
	else
		cr_expect_null(got.reason);
	proto_event_free(&got);
}

Test(protocol_msg, event_round_trips)
{
	struct proto_event started = { .kind = PROTO_EVENT_STARTED,
				       .container = "app",
				       .time_ns = 5,
				       .has = PROTO_EV_PID,
				       .pid = 42 };
	struct proto_event exited = {
		.kind = PROTO_EVENT_EXITED,
		.container = "app",
		.time_ns = 6,
		.has = PROTO_EV_EXIT_CODE | PROTO_EV_OOM_KILLED |
		       PROTO_EV_RESTART_COUNT | PROTO_EV_PID,
		.pid = 42,
		.exit_code = 137,
		.oom_killed = true,
		.restart_count = 3,
	};
	struct proto_event killed = { .kind = PROTO_EVENT_EXITED,
				      .container = "side",
				      .time_ns = 7,
				      .has = PROTO_EV_SIGNAL,
				      .signal = 9 };
	struct proto_event failed = { .kind = PROTO_EVENT_EXITED,
				      .container = "side",
				      .time_ns = 8,
				      .has = PROTO_EV_EXIT_CODE,
				      .exit_code = 127,
				      .error = "exec /bin/nope: No such file "
					       "or directory" };
	struct proto_event restarting = { .kind = PROTO_EVENT_RESTARTING,
					  .container = "app",
					  .time_ns = 9,
					  .has = PROTO_EV_RESTART_COUNT,
					  .restart_count = 4 };
	struct proto_event group = { .kind = PROTO_EVENT_GROUP_EXITED,
				     .time_ns = 10,
				     .has = PROTO_EV_EXIT_CODE,
				     .exit_code = 0 };

	event_trip(&started);
	event_trip(&exited);
	event_trip(&killed);
	event_trip(&failed);
	struct proto_event killing = { .kind = PROTO_EVENT_KILLING,
				       .container = "app",
				       .time_ns = 11,
				       .has = PROTO_EV_PID,
				       .pid = 43,
				       .reason = "restart requested" };

	event_trip(&restarting);
	event_trip(&group);
	struct proto_event unhealthy = {
		.kind = PROTO_EVENT_UNHEALTHY,
		.container = "app",
		.time_ns = 12,
		.reason = "liveness probe failed: exit code 1",
	};
	struct proto_event ready = { .kind = PROTO_EVENT_READINESS,
				     .container = "app",
				     .time_ns = 13,
				     .has = PROTO_EV_READY,
				     .ready = true };
	struct proto_event unready = { .kind = PROTO_EVENT_READINESS,
				       .container = "app",
				       .time_ns = 14,
				       .has = PROTO_EV_READY };

	event_trip(&killing);
	event_trip(&unhealthy);
	event_trip(&ready);
	event_trip(&unready);
	cr_expect_str_eq(proto_event_kind_name(PROTO_EVENT_KILLING), "killing");
}

/* RESTART (20): STOP's body under its own name; the numbers between the
 * ranges stay unknown. */
Test(protocol_msg, restart_round_trip)
{
	struct proto_stop s = { .grace_ms = 1500 }, got;
	struct lerr e = { 0 };
	json_t *j;

	cr_expect_str_eq(proto_type_name(PROTO_RESTART), "RESTART");
	cr_expect(proto_type_is_json(PROTO_RESTART));
	cr_expect_null(proto_type_name(19));
	cr_expect_null(proto_type_name(14));
	cr_assert_eq(proto_restart_to_json(&s, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_RESTART, 9, j);
	cr_assert_eq(proto_restart_from_json(j, &got, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_eq(got.grace_ms, 1500);
	j = json_pack("{s:i}", "grace_ms", -1);
	cr_expect_eq(proto_restart_from_json(j, &got, &e), -ERANGE);
	cr_expect_str_eq(e.msg, "RESTART: grace_ms: -1 out of range 0..3600000");
	json_decref(j);
}

Test(protocol_msg, stop_signal_empty_round_trips)
{
	struct proto_stop s = { .grace_ms = PROTO_GRACE_MS_MAX }, sgot;
	struct proto_signal sig = { .container = "app", .signal = 15 }, siggot;
	struct lerr e = { 0 };
	json_t *j;

	cr_assert_eq(proto_stop_to_json(&s, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_STOP, 2, j);
	cr_assert_eq(proto_stop_from_json(j, &sgot, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_eq(sgot.grace_ms, PROTO_GRACE_MS_MAX);

	cr_assert_eq(proto_signal_to_json(&sig, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_SIGNAL, 3, j);
	cr_assert_eq(proto_signal_from_json(j, &siggot, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_str_eq(siggot.container, "app");
	cr_expect_eq(siggot.signal, 15);

	j = tp_wire(PROTO_START, 4, json_object());
	cr_expect_eq(proto_empty_from_json(PROTO_START, j, &e), 0, "%s", e.msg);
	json_decref(j);
	j = tp_wire(PROTO_POWEROFF, 5, json_object());
	cr_expect_eq(proto_empty_from_json(PROTO_POWEROFF, j, &e), 0);
	json_decref(j);
	j = tp_wire(PROTO_LAYER_END, 6, json_object());
	cr_expect_eq(proto_empty_from_json(PROTO_LAYER_END, j, &e), 0);
	json_decref(j);
}

/* ---- malformed bodies ---- */

enum decoder {
	D_HELLO,
	D_HELLO_REPLY,
	D_ERROR,
	D_LAYER,
	D_LAYER_DONE,
	D_STARTED,
	D_EVENT,
	D_STOP,
	D_SIGNAL,
	D_START,
};

static int decode(enum decoder d, const json_t *j, struct lerr *e)
{
	union {
		struct proto_hello hello;
		struct proto_hello_reply reply;
		struct proto_error error;
		struct proto_layer layer;
		struct proto_layer_done done;
		struct proto_started started;
		struct proto_event event;
		struct proto_stop stop;
		struct proto_signal signal;
	} u;
	int rc;

	switch (d) {
	case D_HELLO:
		rc = proto_hello_from_json(j, &u.hello, e);
		cr_expect_null(u.hello.client);
		proto_hello_free(&u.hello);
		return rc;
	case D_HELLO_REPLY:
		rc = proto_hello_reply_from_json(j, &u.reply, e);
		proto_hello_reply_free(&u.reply);
		return rc;
	case D_ERROR:
		rc = proto_error_from_json(j, &u.error, e);
		proto_error_free(&u.error);
		return rc;
	case D_LAYER:
		rc = proto_layer_from_json(j, &u.layer, e);
		proto_layer_free(&u.layer);
		return rc;
	case D_LAYER_DONE:
		return proto_layer_done_from_json(j, &u.done, e);
	case D_STARTED:
		return proto_started_from_json(j, &u.started, e);
	case D_EVENT:
		rc = proto_event_from_json(j, &u.event, e);
		proto_event_free(&u.event);
		return rc;
	case D_STOP:
		return proto_stop_from_json(j, &u.stop, e);
	case D_SIGNAL:
		return proto_signal_from_json(j, &u.signal, e);
	case D_START:
		return proto_empty_from_json(PROTO_START, j, e);
	default:
		cr_assert_fail("decoder %d", d);
		return 0;
	}
}

static void expect_reject(enum decoder d, json_t *j, int err, const char *msg)
{
	struct lerr e = { 0 };
	int rc = decode(d, j, &e);

	cr_expect_eq(rc, -err, "%s: got %d (%s), want -%d", msg, rc, e.msg,
		     err);
	cr_expect_eq(e.code, err);
	cr_expect_str_eq(e.msg, msg);
}

struct bad_body {
	enum decoder d;
	const char *json;
	int err;
	const char *msg;
};

static const struct bad_body bad_bodies[] = {
	{ D_HELLO, "[]", EINVAL, "HELLO: not a JSON object" },
	{ D_HELLO, "{\"client\":\"x\",\"time_ns\":1}", EINVAL,
	  "HELLO: version: missing" },
	{ D_HELLO, "{\"version\":2,\"client\":\"x\",\"time_ns\":1,\"new\":1}",
	  EPROTONOSUPPORT,
	  "HELLO: version: 2 not supported (this side speaks 1)" },
	{ D_HELLO, "{\"version\":\"1\",\"client\":\"x\",\"time_ns\":1}", EINVAL,
	  "HELLO: version: not an integer" },
	{ D_HELLO, "{\"version\":1,\"time_ns\":1}", EINVAL,
	  "HELLO: client: missing" },
	{ D_HELLO, "{\"version\":1,\"client\":7,\"time_ns\":1}", EINVAL,
	  "HELLO: client: not a string" },
	{ D_HELLO, "{\"version\":1,\"client\":\"\",\"time_ns\":1}", EINVAL,
	  "HELLO: client: empty" },
	{ D_HELLO, "{\"version\":1,\"client\":\"x\",\"time_ns\":-5}", ERANGE,
	  "HELLO: time_ns: -5 out of range 0..9223372036854775807" },
	{ D_HELLO, "{\"version\":1,\"client\":\"x\",\"time_ns\":1.5}", EINVAL,
	  "HELLO: time_ns: not an integer" },
	{ D_HELLO, "{\"version\":1,\"client\":\"x\",\"time_ns\":1,\"x\\ny\":0}",
	  EINVAL, "HELLO: x?y: unknown field" },
	{ D_HELLO_REPLY, "{\"version\":1,\"agent\":\"a\"}", EINVAL,
	  "HELLO: kernel: missing" },
	{ D_ERROR, "{\"code\":\"einval\",\"message\":\"m\"}", EINVAL,
	  "ERROR: code: \"einval\" is not an errno name (E[A-Z0-9]+)" },
	{ D_ERROR, "{\"code\":\"EINVAL\"}", EINVAL, "ERROR: message: missing" },
	{ D_ERROR,
	  "{\"code\":\"EAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"message\":\"\"}",
	  E2BIG, "ERROR: code: 33 bytes, over the limit of 31" },
	{ D_LAYER,
	  "{\"diff_id\":\"sha256:ABC\",\"media_type\":\"a/b\",\"size\":1}",
	  EINVAL,
	  "LAYER: diff_id: invalid digest \"sha256:ABC\" (sha256: and "
	  "64 lowercase hex digits)" },
	{ D_LAYER,
	  "{\"diff_id\":\"" DIGEST_A "\",\"media_type\":\"tar\",\"size\":1}",
	  EINVAL,
	  "LAYER: media_type: \"tar\" is not a media type (type/subtype)" },
	{ D_LAYER,
	  "{\"diff_id\":\"" DIGEST_A "\",\"media_type\":\"a/b\",\"size\":-1}",
	  ERANGE, "LAYER: size: -1 out of range 0..9223372036854775807" },
	{ D_LAYER,
	  "{\"diff_id\":\"" DIGEST_A
	  "\",\"media_type\":\"a/b\",\"size\":\"1\"}",
	  EINVAL, "LAYER: size: not an integer" },
	{ D_LAYER_DONE, "{\"unpack_us\":1}", EINVAL,
	  "OK (LAYER): bytes: missing" },
	{ D_STARTED, "{\"containers\":[]}", EINVAL,
	  "OK (START): containers: 0 entries, at least 1 needed" },
	{ D_STARTED, "{\"containers\":[{\"name\":\"a\",\"pid\":0}]}", ERANGE,
	  "OK (START): containers[0].pid: 0 out of range 1..4194304" },
	{ D_STARTED,
	  "{\"containers\":[{\"name\":\"a\",\"pid\":1},{\"name\":\"a\",\"pid\":"
	  "2}]}",
	  EINVAL,
	  "OK (START): containers[1].name: \"a\" already used by "
	  "containers[0]" },
	{ D_EVENT, "{\"event\":\"paused\",\"container\":\"a\",\"time_ns\":1}",
	  EINVAL,
	  "EVENT: event: unknown event \"paused\" (started, exited, "
	  "restarting, group-exited, killing, "
	  "unhealthy, readiness)" },
	{ D_EVENT,
	  "{\"event\":\"group-exited\",\"container\":\"a\",\"time_ns\":1}",
	  EINVAL, "EVENT: container: not allowed on group-exited" },
	{ D_EVENT, "{\"event\":\"exited\",\"time_ns\":1}", EINVAL,
	  "EVENT: container: missing" },
	{ D_EVENT,
	  "{\"event\":\"exited\",\"container\":\"a\",\"time_ns\":1,\"exit_"
	  "code\":"
	  "256}",
	  ERANGE, "EVENT: exit_code: 256 out of range 0..255" },
	{ D_EVENT,
	  "{\"event\":\"exited\",\"container\":\"a\",\"time_ns\":1,\"signal\":"
	  "65}",
	  ERANGE, "EVENT: signal: 65 out of range 1..64" },
	{ D_EVENT,
	  "{\"event\":\"exited\",\"container\":\"a\",\"time_ns\":1,\"oom_"
	  "killed\":"
	  "1}",
	  EINVAL, "EVENT: oom_killed: not a boolean" },
	{ D_EVENT,
	  "{\"event\":\"exited\",\"container\":\"a\",\"time_ns\":1,\"error\":"
	  "\"\"}",
	  EINVAL, "EVENT: error: empty" },
	{ D_EVENT, "{\"event\":\"started\",\"container\":\"a\",\"pid\":1}",
	  EINVAL, "EVENT: time_ns: missing" },
	{ D_STOP, "{}", EINVAL, "STOP: grace_ms: missing" },
	{ D_STOP, "{\"grace_ms\":3600001}", ERANGE,
	  "STOP: grace_ms: 3600001 out of range 0..3600000" },
	{ D_SIGNAL, "{\"container\":\"-x\",\"signal\":15}", EINVAL,
	  "SIGNAL: container: invalid name \"-x\" (1-63 characters of "
	  "[a-zA-Z0-9_.-], starting with a letter or digit)" },
	{ D_SIGNAL, "{\"container\":\"x\",\"signal\":0}", ERANGE,
	  "SIGNAL: signal: 0 out of range 1..64" },
	{ D_START, "{\"x\":1}", EINVAL, "START: x: unknown field" },
};

Test(protocol_msg, malformed_bodies)
{
	size_t i;

	for (i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++) {
		json_t *j = tp_json(bad_bodies[i].json);

		expect_reject(bad_bodies[i].d, j, bad_bodies[i].err,
			      bad_bodies[i].msg);
		json_decref(j);
	}
}

/* ---- syntax helpers ---- */

Test(protocol_msg, names_hostnames_users)
{
	static const char *const good_names[] = { "a", "A1_b.c-d", "0", NULL };
	static const char *const bad_names[] = {
		"", "-a", ".a", "_a", "a b", "a/b", "caf\xc3\xa9", NULL
	};
	static const char *const good_hosts[] = { "web", "a.b-c.d", "x1", "1-2",
						  NULL };
	static const char *const bad_hosts[] = { "",	 "-a",	 "a-",
						 "a..b", ".a",	 "a.",
						 "a_b",	 "a.-b", NULL };
	static const char *const good_users[] = {
		"0",	      "0:0",	    "root", "www-data:www-data",
		"1000:users", "4294967294", "_apt", NULL
	};
	static const char *const bad_users[] = {
		"",	      ":",     "a:",
		":b",	      "a:b:c", "-a",
		"4294967295", "a b",   "99999999999999999999",
		NULL
	};
	char long_name[PROTO_NAME_MAX + 2];
	size_t i;

	for (i = 0; good_names[i]; i++)
		cr_expect(proto_name_valid(good_names[i]), "%s", good_names[i]);
	for (i = 0; bad_names[i]; i++)
		cr_expect(!proto_name_valid(bad_names[i]), "%s", bad_names[i]);
	for (i = 0; good_hosts[i]; i++)
		cr_expect(proto_hostname_valid(good_hosts[i]), "%s",
			  good_hosts[i]);
	for (i = 0; bad_hosts[i]; i++)
		cr_expect(!proto_hostname_valid(bad_hosts[i]), "%s",
			  bad_hosts[i]);
	for (i = 0; good_users[i]; i++)
		cr_expect(proto_user_valid(good_users[i]), "%s", good_users[i]);
	for (i = 0; bad_users[i]; i++)
		cr_expect(!proto_user_valid(bad_users[i]), "%s", bad_users[i]);
	memset(long_name, 'a', sizeof(long_name));
	long_name[PROTO_NAME_MAX] = '\0';
	cr_expect(proto_name_valid(long_name));
	cr_expect(proto_hostname_valid(long_name));
	long_name[PROTO_NAME_MAX] = 'a';
	long_name[PROTO_NAME_MAX + 1] = '\0';
	cr_expect(!proto_name_valid(long_name));
	cr_expect(!proto_hostname_valid(long_name));
	memset(long_name, 'u', PROTO_USER_PART_MAX + 1);
	long_name[PROTO_USER_PART_MAX + 1] = '\0';
	cr_expect(!proto_user_valid(long_name));
	long_name[PROTO_USER_PART_MAX] = '\0';
	cr_expect(proto_user_valid(long_name));
	cr_expect(!proto_name_valid(NULL));
	cr_expect(!proto_user_valid(NULL));
}

Test(protocol_msg, errno_names)
{
	cr_expect_str_eq(proto_errno_name(EINVAL), "EINVAL");
	cr_expect_str_eq(proto_errno_name(-EPROTO), "EPROTO");
	cr_expect_str_eq(proto_errno_name(EBADRQC), "EBADRQC");
	cr_expect_str_eq(proto_errno_name(0), "EIO");
	cr_expect_str_eq(proto_errno_name(9999), "EIO");
	cr_expect_str_eq(proto_errno_name(INT_MIN), "EIO");
	cr_expect_eq(proto_errno_value("E2BIG"), E2BIG);
	cr_expect_eq(proto_errno_value("ETIMEDOUT"), ETIMEDOUT);
	cr_expect_eq(proto_errno_value("ENOTSUP"), ENOTSUP);
	cr_expect_eq(proto_errno_value("EBOGUS"), 0);
	cr_expect_eq(proto_errno_value(""), 0);
	cr_expect_eq(proto_errno_value(NULL), 0);
}
