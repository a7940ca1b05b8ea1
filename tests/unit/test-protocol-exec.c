/* test-protocol-exec.c - the exec port's messages (protocol-exec.c;
 * PROTOCOL.md "Exec and stats"): round trips of EXEC, EXEC_RESIZE,
 * EXEC_EXIT and the STATS reply through the real writer and reader, the
 * new types' header rules, and malformed bodies with their exact errno
 * and message. */
#include "test-protocol.h"

TestSuite(protocol_exec);

Test(protocol_exec, types_and_header_rules)
{
	struct proto_header h = { 0, PROTO_EXEC_INPUT, 0, 3 };
	struct lerr e = { 0 };

	cr_expect_str_eq(proto_type_name(PROTO_EXEC), "EXEC");
	cr_expect_str_eq(proto_type_name(PROTO_EXEC_INPUT), "EXEC_INPUT");
	cr_expect_str_eq(proto_type_name(PROTO_EXEC_RESIZE), "EXEC_RESIZE");
	cr_expect_str_eq(proto_type_name(PROTO_EXEC_EXIT), "EXEC_EXIT");
	cr_expect_str_eq(proto_type_name(PROTO_STATS), "STATS");
	cr_expect(!proto_type_is_json(PROTO_EXEC_INPUT));
	cr_expect(proto_type_is_json(PROTO_EXEC_EXIT));
	/* the gap between the first types and these stays unknown */
	cr_expect_null(proto_type_name(14));
	cr_expect_null(proto_type_name(39));
	cr_expect_null(proto_type_name(45));
	h.type = 31; /* beside SECRET (30) */
	cr_expect_eq(proto_header_check(&h, &e), -EBADRQC);
	cr_expect_str_eq(e.msg, "frame header: unknown type 31");
	h.type = PROTO_EXEC_INPUT;
	cr_expect_eq(proto_header_check(&h, &e), 0, "%s", e.msg);
	h.id = 0; /* stdin belongs to its EXEC */
	cr_expect_eq(proto_header_check(&h, &e), -EPROTO);
	h.type = PROTO_EXEC_EXIT;
	h.id = 3;
	h.flags = PROTO_OUT_STDOUT;
	cr_expect_eq(proto_header_check(&h, &e), -EPROTO);
}

Test(protocol_exec, exec_round_trip)
{
	char *args[] = { "sh", "-c", "echo hi", NULL };
	struct proto_exec x = { .container = "app", .args = args, .n_args = 3,
				.tty = true, .stdin = true, .rows = 24,
				.cols = 80 },
			  got;
	struct lerr e = { 0 };
	json_t *j;

	cr_assert_eq(proto_exec_to_json(&x, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_EXEC, 1, j);
	cr_assert_eq(proto_exec_from_json(j, &got, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_str_eq(got.container, "app");
	cr_assert_eq(got.n_args, 3);
	cr_expect_str_eq(got.args[2], "echo hi");
	cr_expect(got.tty && got.stdin);
	cr_expect_eq(got.rows, 24);
	cr_expect_eq(got.cols, 80);
	proto_exec_free(&got);
	cr_expect_null(got.args);
}

Test(protocol_exec, exit_resize_and_stats_round_trips)
{
	struct proto_exec_exit ex = { .has = PROTO_EXIT_SIGNAL,
				      .exit_code = 130, .signal = 2 },
			       exgot;
	struct proto_exec_exit fail = { .exit_code = 127,
					.error = "exec \"x\": not found" };
	struct proto_exec_resize rs = { .rows = 50, .cols = 200 }, rsgot;
	struct proto_stats st = { .time_ns = 5, .n = 1, .n_net = 1 }, stgot;
	struct lerr e = { 0 };
	json_t *j;

	cr_assert_eq(proto_exec_exit_to_json(&ex, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_EXEC_EXIT, 1, j);
	cr_assert_eq(proto_exec_exit_from_json(j, &exgot, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_eq(exgot.exit_code, 130);
	cr_expect(exgot.has & PROTO_EXIT_SIGNAL);
	cr_expect_eq(exgot.signal, 2);
	cr_expect_null(exgot.error);
	proto_exec_exit_free(&exgot);

	cr_assert_eq(proto_exec_exit_to_json(&fail, &j, &e), 0, "%s", e.msg);
	cr_expect_null(json_object_get(j, "signal"));
	cr_assert_eq(proto_exec_exit_from_json(j, &exgot, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_expect_str_eq(exgot.error, fail.error);
	proto_exec_exit_free(&exgot);

	cr_assert_eq(proto_exec_resize_to_json(&rs, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_EXEC_RESIZE, 1, j);
	cr_assert_eq(proto_exec_resize_from_json(j, &rsgot, &e), 0, "%s",
		     e.msg);
	json_decref(j);
	cr_expect_eq(rsgot.rows, 50);
	cr_expect_eq(rsgot.cols, 200);

	strcpy(st.c[0].name, "app");
	st.c[0].running = true;
	st.c[0].cpu_usec = 123456;
	st.c[0].memory_bytes = 1 << 20;
	st.c[0].pids = 3;
	strcpy(st.net[0].name, "eth0");
	st.net[0].rx_bytes = 10;
	st.net[0].tx_bytes = 20;
	cr_assert_eq(proto_stats_to_json(&st, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_OK, 1, j);
	cr_assert_eq(proto_stats_from_json(j, &stgot, &e), 0, "%s", e.msg);
	json_decref(j);
	cr_assert_eq(stgot.n, 1);
	cr_expect_str_eq(stgot.c[0].name, "app");
	cr_expect(stgot.c[0].running);
	cr_expect_eq(stgot.c[0].cpu_usec, 123456);
	cr_expect_eq(stgot.c[0].memory_bytes, 1 << 20);
	cr_expect_eq(stgot.c[0].pids, 3);
	cr_assert_eq(stgot.n_net, 1);
	cr_expect_str_eq(stgot.net[0].name, "eth0");
	cr_expect_eq(stgot.net[0].tx_bytes, 20);
}

struct bad {
	const char *json;
	int err;
	const char *msg;
};

static const struct bad bad_exec[] = {
	{ "{\"args\":[\"sh\"],\"tty\":false,\"stdin\":false,\"rows\":0,"
	  "\"cols\":0}",
	  EINVAL, "EXEC: container: missing" },
	{ "{\"container\":\"a\",\"args\":[],\"tty\":false,\"stdin\":false,"
	  "\"rows\":0,\"cols\":0}",
	  EINVAL, "EXEC: args: 0 entries, at least 1 needed" },
	{ "{\"container\":\"a\",\"args\":[\"\"],\"tty\":false,"
	  "\"stdin\":false,\"rows\":0,\"cols\":0}",
	  EINVAL, "EXEC: args[0]: empty (the program to run)" },
	{ "{\"container\":\"a\",\"args\":[\"sh\"],\"tty\":1,\"stdin\":false,"
	  "\"rows\":0,\"cols\":0}",
	  EINVAL, "EXEC: tty: not a boolean" },
	{ "{\"container\":\"a\",\"args\":[\"sh\"],\"tty\":true,"
	  "\"stdin\":false,\"rows\":70000,\"cols\":0}",
	  ERANGE, "EXEC: rows: 70000 out of range 0..65535" },
	{ "{\"container\":\"a b\",\"args\":[\"sh\"],\"tty\":true,"
	  "\"stdin\":false,\"rows\":1,\"cols\":1}",
	  EINVAL, NULL },
	{ "{\"container\":\"a\",\"args\":[\"sh\"],\"tty\":true,"
	  "\"stdin\":false,\"rows\":1,\"cols\":1,\"env\":[]}",
	  EINVAL, "EXEC: env: unknown field" },
};

Test(protocol_exec, malformed_bodies)
{
	struct proto_exec x;
	struct proto_exec_resize rs;
	struct proto_stats st;
	struct lerr e = { 0 };
	size_t i;
	json_t *j;

	for (i = 0; i < sizeof(bad_exec) / sizeof(bad_exec[0]); i++) {
		j = tp_json(bad_exec[i].json);
		cr_expect_eq(proto_exec_from_json(j, &x, &e), -bad_exec[i].err,
			     "%s: %s", bad_exec[i].json, e.msg);
		if (bad_exec[i].msg)
			cr_expect_str_eq(e.msg, bad_exec[i].msg);
		cr_expect_null(x.args);
		json_decref(j);
	}
	j = tp_json("{\"rows\":0,\"cols\":80}");
	cr_expect_eq(proto_exec_resize_from_json(j, &rs, &e), -ERANGE);
	cr_expect_str_eq(e.msg, "EXEC_RESIZE: rows: 0 out of range 1..65535");
	json_decref(j);
	j = tp_json("{\"time_ns\":1,\"containers\":[],\"net\":[{\"name\":"
		    "\"a/b\",\"rx_bytes\":0,\"tx_bytes\":0}]}");
	cr_expect_eq(proto_stats_from_json(j, &st, &e), -EINVAL);
	cr_expect(strstr(e.msg, "net[0].name"), "%s", e.msg);
	json_decref(j);
}
