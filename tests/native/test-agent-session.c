/* test-agent-session.c - the guest agent's supervisor (serve.h) as a
 * normal process on this machine's kernel, as root: it runs in a child
 * that is PID 1 of its own PID namespace, serves a Unix socket instead of
 * vsock, and is driven by the protocol library from the test (the host's
 * side, agent-host.c): handshake, SPEC, a busybox layer made with tar,
 * START, then OUTPUT and EVENTs checked byte for byte and in order.
 *
 * Cgroups: the host binds cpu, memory and pids to cgroup v1, so the agent
 * runs with cgroup_parent NULL (serve.h's native knob): containers get no
 * cgroup of their own, STOP's kill after the grace period is the init's
 * SIGKILL alone, and oom_killed is false.  The cgroup path runs in the
 * guest (tests/e2e).
 *
 * Exits 77 (skip) when not root, without /bin/busybox, or when the kernel
 * refuses overlays or namespaces (native.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent-host.h"
#include "native.h"

static struct agent_child ag;
static struct host h;

static void setup(void)
{
	host_fixture_enter(&h);
}

static void teardown(void)
{
	host_fixture_leave(&h, &ag);
}

TestSuite(agent, .init = setup, .fini = teardown, .timeout = 120);

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The agent, connected and past HELLO. */
static void serve(uint32_t idle_ms)
{
	agent_start(&ag, idle_ms);
	host_connect(&h, ag.sock);
	host_hello(&h);
}

/* SPEC, the layer, START: the OK body (caller's). */
static json_t *start_group(const char *restart, size_t n, json_t **cs)
{
	host_spec(&h, spec_group(restart, n, cs));
	host_layer(&h, &ag, NULL, NULL);
	return host_ok(&h, host_send(&h, PROTO_START, json_object()));
}

static const char *out(int c, int which)
{
	const char *s = h.out[c][which].buf;

	return s ? s : "";
}

static void poweroff_and_wait(void)
{
	int status;

	json_decref(host_ok(&h, host_send(&h, PROTO_POWEROFF, json_object())));
	status = agent_wait(&ag, 15000);
	cr_assert(status >= 0, "the agent did not exit after POWEROFF");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "agent status %d", status);
}

/* An exited event: exit code (or -signal), and that the container's
 * output (both streams, as of run `runs`) ended before it. */
static const struct host_event *exited(const char *name, int c, size_t nth,
				       int want)
{
	const struct host_event *ev =
	    host_event(&h, PROTO_EVENT_EXITED, name, nth);

	if (want >= 0) {
		cr_assert(ev->ev.has & PROTO_EV_EXIT_CODE,
			  "%s: exited without an exit code", name);
		cr_assert_eq(ev->ev.exit_code, want,
			     "%s: exit code %d, want %d", name,
			     ev->ev.exit_code, want);
	} else {
		cr_assert(ev->ev.has & PROTO_EV_SIGNAL,
			  "%s: exited without a signal (exit code %d)", name,
			  ev->ev.exit_code);
		cr_assert_eq(ev->ev.signal, -want, "%s: signal %d, want %d",
			     name, ev->ev.signal, -want);
	}
	cr_assert(ev->ev.has & PROTO_EV_OOM_KILLED);
	cr_assert(!ev->ev.oom_killed);
	cr_assert_eq(h.out[c][0].eofs, nth + 1, "%s: %zu stdout EOFs", name,
		     h.out[c][0].eofs);
	cr_assert_eq(h.out[c][1].eofs, nth + 1, "%s: %zu stderr EOFs", name,
		     h.out[c][1].eofs);
	cr_assert_lt(h.out[c][0].eof_seq, ev->seq,
		     "%s: exited before the end of stdout", name);
	cr_assert_lt(h.out[c][1].eof_seq, ev->seq,
		     "%s: exited before the end of stderr", name);
	return ev;
}

Test(agent, hello_world)
{
	json_t *cs[1], *ok;
	const struct host_event *st, *ex, *g;
	json_t *arr;

	serve(0);
	cs[0] = spec_container(&ag, "app", "echo hello; hostname");
	ok = start_group("never", 1, cs);
	arr = json_object_get(ok, "containers");
	cr_assert_eq(json_array_size(arr), 1);
	cr_assert_str_eq(
	    json_string_value(json_object_get(json_array_get(arr, 0), "name")),
	    "app");
	st = host_event(&h, PROTO_EVENT_STARTED, "app", 0);
	cr_assert_eq(st->ev.pid, json_integer_value(json_object_get(
				     json_array_get(arr, 0), "pid")));
	json_decref(ok);
	ex = exited("app", 0, 0, 0);
	cr_assert_eq(ex->ev.pid, st->ev.pid);
	cr_assert_null(ex->ev.error);
	cr_assert_str_eq(out(0, 0), "hello\nweb\n");
	cr_assert_str_eq(out(0, 1), "");
	g = host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	cr_assert_gt(g->seq, ex->seq);
	cr_assert(g->ev.has & PROTO_EV_EXIT_CODE);
	cr_assert_eq(g->ev.exit_code, 0);
	poweroff_and_wait();
}

Test(agent, exit_codes_and_stderr_apart)
{
	json_t *cs[2];
	const struct host_event *g;

	serve(0);
	cs[0] = spec_container(&ag, "a", "echo out; echo err >&2; exit 3");
	cs[1] = spec_container(&ag, "b", "echo b-out");
	json_decref(start_group("never", 2, cs));
	exited("a", 0, 0, 3);
	exited("b", 1, 0, 0);
	cr_assert_str_eq(out(0, 0), "out\n");
	cr_assert_str_eq(out(0, 1), "err\n");
	cr_assert_str_eq(out(1, 0), "b-out\n");
	cr_assert_str_eq(out(1, 1), "");
	g = host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	cr_assert_eq(g->ev.exit_code, 3, "the group's status is a's");
	poweroff_and_wait();
}

/* 2.7 MB on stdout right before exit, while the host reads nothing for a
 * second (the agent must stop reading the pipe, not drop): every byte
 * arrives, in order, before the exited event. */
Test(agent, burst_before_exit_arrives_whole_and_first)
{
	const int n = 400000;
	json_t *cs[1];
	char *want, *p, *children, path[64];
	int i;

	serve(0);
	cs[0] =
	    spec_container(&ag, "burst", "seq 1 400000; echo tail >&2; exit 7");
	json_decref(start_group("never", 1, cs));
	usleep(1000 * 1000);
	/* seq needs milliseconds: still there, it is blocked on its full
	 * pipe because the agent stopped reading. */
	NATIVE_FMT(path, "/proc/%d/task/%d/children", (int)ag.pid, (int)ag.pid);
	children = native_read_file(path);
	cr_assert(children[0] >= '1' && children[0] <= '9',
		  "the container ran to its end while the host read nothing");
	free(children);
	exited("burst", 0, 0, 7);
	want = malloc((size_t)n * 8);
	cr_assert_not_null(want);
	for (p = want, i = 1; i <= n; i++)
		p += sprintf(p, "%d\n", i);
	cr_assert_eq(h.out[0][0].len, (size_t)(p - want),
		     "stdout: %zu bytes, want %zu", h.out[0][0].len,
		     (size_t)(p - want));
	cr_assert(memcmp(h.out[0][0].buf, want, (size_t)(p - want)) == 0,
		  "stdout differs from seq's output");
	cr_assert_gt(h.out[0][0].frames, 2);
	cr_assert_str_eq(out(0, 1), "tail\n");
	free(want);
	poweroff_and_wait();
}

Test(agent, exec_failures_are_127_and_126)
{
	const char *missing[] = {"nosuch", NULL};
	const char *noexec[] = {"/bin/data", NULL};
	const struct host_event *ev, *g;
	json_t *cs[3], *ok, *arr;

	serve(0);
	cs[0] = spec_container(&ag, "good", "echo ok");
	cs[1] = spec_container_argv(&ag, "missing", missing);
	cs[2] = spec_container_argv(&ag, "noexec", noexec);
	ok = start_group("on-failure", 3, cs);
	arr = json_object_get(ok, "containers");
	cr_assert_eq(json_array_size(arr), 1, "only \"good\" started");
	cr_assert_str_eq(
	    json_string_value(json_object_get(json_array_get(arr, 0), "name")),
	    "good");
	json_decref(ok);
	ev = exited("missing", 1, 0, 127);
	cr_assert_not_null(ev->ev.error);
	cr_assert(strstr(ev->ev.error, "nosuch"), "error: %s", ev->ev.error);
	ev = exited("noexec", 2, 0, 126);
	cr_assert_not_null(ev->ev.error);
	exited("good", 0, 0, 0);
	g = host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	cr_assert_eq(g->ev.exit_code, 127);
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_STARTED, NULL), 1);
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_RESTARTING, NULL), 0,
		     "a failed exec is not restarted");
	poweroff_and_wait();
}

Test(agent, start_with_no_container_running_is_an_error)
{
	const char *missing[] = {"nosuch", NULL};
	json_t *cs[1];
	uint32_t id;

	serve(0);
	cs[0] = spec_container_argv(&ag, "missing", missing);
	host_spec(&h, spec_group("never", 1, cs));
	host_layer(&h, &ag, NULL, NULL);
	id = host_send(&h, PROTO_START, json_object());
	host_error(&h, id, "ENOENT", "container \"missing\"");
	exited("missing", 0, 0, 127);
	host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	id = host_send(&h, PROTO_START, json_object());
	host_error(&h, id, "EALREADY", "started already");
	poweroff_and_wait();
}

/* A PID namespace's init ignores SIGTERM without a handler: STOP waits
 * the grace period, then kills it; a container with a handler ends on
 * SIGTERM.  Restart "always" does not apply once stopping. */
Test(agent, stop_kills_after_the_grace_period)
{
	json_t *cs[2];
	const struct host_event *g;
	uint64_t t0, dt;
	uint32_t id;

	serve(0);
	cs[0] = spec_container(&ag, "stubborn", "exec sleep 1000");
	cs[1] = spec_container(&ag, "polite",
			       "trap 'echo bye; exit 0' TERM; echo ready; "
			       "while :; do sleep 0.05; done");
	json_decref(start_group("always", 2, cs));
	host_wait_output(&h, 1, 0, "ready\n");
	t0 = mono_ms();
	id = host_send(&h, PROTO_STOP, json_pack("{s:i}", "grace_ms", 700));
	json_decref(host_ok(&h, id));
	dt = mono_ms() - t0;
	cr_assert_geq(dt, 690, "STOP answered after %llu ms, before the grace",
		      (unsigned long long)dt);
	exited("stubborn", 0, 0, -SIGKILL);
	exited("polite", 1, 0, 0);
	cr_assert_str_eq(out(1, 0), "ready\nbye\n");
	g = host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	cr_assert_lt(g->seq, h.reply_seq, "group-exited after STOP's OK");
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_RESTARTING, NULL), 0);
	poweroff_and_wait();
}

Test(agent, restart_on_failure_counts_restarts)
{
	const struct host_event *ev, *r0, *r1, *s1, *s2, *g;
	json_t *cs[1];

	serve(0);
	cs[0] = spec_container(&ag, "flaky",
			       "echo run >> /count; n=$(grep -c run /count); "
			       "echo \"run $n\"; [ \"$n\" -ge 3 ]");
	json_decref(start_group("on-failure", 1, cs));
	ev = exited("flaky", 0, 0, 1);
	cr_assert(!(ev->ev.has & PROTO_EV_RESTART_COUNT));
	r0 = host_event(&h, PROTO_EVENT_RESTARTING, "flaky", 0);
	cr_assert_eq(r0->ev.restart_count, 1);
	s1 = host_event(&h, PROTO_EVENT_STARTED, "flaky", 1);
	cr_assert_eq(s1->ev.restart_count, 1);
	ev = exited("flaky", 0, 1, 1);
	cr_assert_eq(ev->ev.restart_count, 1);
	r1 = host_event(&h, PROTO_EVENT_RESTARTING, "flaky", 1);
	cr_assert_eq(r1->ev.restart_count, 2);
	s2 = host_event(&h, PROTO_EVENT_STARTED, "flaky", 2);
	ev = exited("flaky", 0, 2, 0);
	cr_assert_eq(ev->ev.restart_count, 2);
	g = host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	cr_assert_eq(g->ev.exit_code, 0);
	/* Backoff: 100 ms, then 200 ms (event times are the agent's). */
	cr_assert_geq(s1->ev.time_ns - r0->ev.time_ns, 90 * 1000000LL);
	cr_assert_geq(s2->ev.time_ns - r1->ev.time_ns, 190 * 1000000LL);
	cr_assert_str_eq(out(0, 0), "run 1\nrun 2\nrun 3\n",
			 "the upper directory survives restarts");
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_RESTARTING, NULL), 2);
	poweroff_and_wait();
}

Test(agent, stop_ends_an_always_restart_loop)
{
	json_t *cs[1];
	size_t started;

	serve(0);
	cs[0] = spec_container(&ag, "loop", "echo tick");
	json_decref(start_group("always", 1, cs));
	host_event(&h, PROTO_EVENT_RESTARTING, "loop", 1);
	json_decref(
	    host_ok(&h, host_send(&h, PROTO_STOP,
				  json_pack("{s:i}", "grace_ms", 1000))));
	host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	started = host_count_events(&h, PROTO_EVENT_STARTED, "loop");
	cr_assert(host_idle(&h, 600));
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_STARTED, "loop"),
		     started, "a restart after STOP");
	poweroff_and_wait();
}

/* A hand-made frame, header and body in one write (the agent may close
 * the connection as soon as it has read a bad header). */
static void send_frame(uint16_t type, uint16_t flags, uint32_t id,
		       const char *body)
{
	struct proto_header hd = {.length = (uint32_t)strlen(body),
				  .type = type,
				  .flags = flags,
				  .id = id};
	uint8_t raw[PROTO_HEADER_SIZE + 256];

	cr_assert_lt(strlen(body), sizeof(raw) - PROTO_HEADER_SIZE);
	proto_header_encode(&hd, raw);
	memcpy(raw + PROTO_HEADER_SIZE, body, strlen(body));
	host_send_bytes(&h, raw, PROTO_HEADER_SIZE + strlen(body));
}

/* A layer transfer of arbitrary bytes under a claimed diff_id. */
static uint32_t send_layer_bytes(const char *diff_id, const void *data,
				 size_t len, size_t claimed)
{
	uint32_t id = host_send(
	    &h, PROTO_LAYER,
	    json_pack("{s:s, s:s, s:I}", "diff_id", diff_id, "media_type",
		      "application/vnd.oci.image.layer.v1.tar", "size",
		      (json_int_t)claimed));

	const char *p = data;
	size_t off, chunk = 256 << 10;

	for (off = 0; off < len; off += chunk)
		host_send_raw(&h, PROTO_DATA, id, p + off,
			      len - off < chunk ? len - off : chunk);
	send_frame(PROTO_LAYER_END, 0, id, "{}");
	return id;
}

static char *read_layer(size_t *len)
{
	char *buf = native_read_file(ag.layer);

	*len = ag.layer_size;
	return buf;
}

Test(agent, malformed_frames_are_answered_and_survived)
{
	const char zeros[] = "sha256:00000000000000000000000000000000"
			     "00000000000000000000000000000000";
	json_t *cs[1], *bad;
	uint64_t us = 1, bytes = 1;
	size_t len;
	char *blob;
	uint32_t id;

	serve(0);
	send_frame(PROTO_SPEC, 0, 100, "{not json");
	host_error(&h, 100, "EBADMSG", "");
	cs[0] = spec_container(&ag, "app", "echo survived");
	bad = spec_group("never", 1, cs);
	json_object_set_new(bad, "bogus", json_integer(1));
	id = host_send(&h, PROTO_SPEC, bad);
	host_error(&h, id, "EINVAL", "bogus");
	send_frame(PROTO_SPEC, 0, 101,
		   "{\"name\":\"g\",\"hostname\":\"h\",\"restart\":\"never\","
		   "\"containers\":[{\"name\":\"a\",\"args\":[7]}]}");
	host_error(&h, 101, "EINVAL", "containers[0]");
	send_frame(PROTO_OUTPUT, PROTO_OUT_STDOUT, 0, "0123456789");
	host_error(&h, 0, "EPROTO", "OUTPUT");
	send_frame(PROTO_DATA, 0, 102, "xyz");
	host_error(&h, 102, "EPROTO", "outside");
	id = host_send(&h, PROTO_START, json_object());
	host_error(&h, id, "EPROTO", "no SPEC");
	id = host_send(&h, PROTO_STOP, json_pack("{s:i}", "grace_ms", -1));
	host_error(&h, id, "ERANGE", "grace_ms");

	cs[0] = spec_container(&ag, "app", "echo survived");
	host_spec(&h, spec_group("never", 1, cs));
	cs[0] = spec_container(&ag, "app", "true");
	id = host_send(&h, PROTO_SPEC, spec_group("never", 1, cs));
	host_error(&h, id, "EALREADY", "SPEC");

	/* Layer faults, each answered once, after LAYER_END. */
	id = send_layer_bytes(zeros, "abc", 3, 3);
	host_error(&h, id, "EINVAL", "no container in SPEC");
	blob = read_layer(&len);
	id = send_layer_bytes(ag.diff_id, blob, len / 2, len);
	host_error(&h, id, "ENODATA", "");
	id = send_layer_bytes(ag.diff_id, blob, len, len - 1);
	host_error(&h, id, "E2BIG", "");
	/* Bytes after the tar's end count in the diff_id. */
	blob = realloc(blob, len + 16);
	cr_assert_not_null(blob);
	memset(blob + len, 'x', 16);
	id = send_layer_bytes(ag.diff_id, blob, len + 16, len + 16);
	host_error(&h, id, "EBADMSG", "diff_id mismatch");
	free(blob);
	send_frame(PROTO_LAYER, 0, 103, "{\"diff_id\":1}");
	host_error(&h, 103, "EINVAL", "diff_id");
	send_frame(PROTO_DATA, 0, 103, "swallowed");
	send_frame(PROTO_LAYER_END, 0, 103, "{}");
	id = host_send(&h, PROTO_START, json_object());
	host_error(&h, id, "ENOENT", "has not been sent");

	host_layer(&h, &ag, &us, &bytes);
	cr_assert_gt(bytes, 0);
	host_layer(&h, &ag, &us, &bytes);
	cr_assert_eq(us, 0, "a layer unpacked before is not unpacked again");
	cr_assert_eq(bytes, 0);

	/* A bad header ends the connection; the agent lives on. */
	send_frame(99, 0, 104, "{}");
	host_expect_close(&h, "EBADRQC");
	host_connect(&h, ag.sock);
	host_hello(&h);
	json_decref(host_ok(&h, host_send(&h, PROTO_START, json_object())));
	exited("app", 0, 0, 0);
	cr_assert_str_eq(out(0, 0), "survived\n");
	poweroff_and_wait();
}

Test(agent, handshake_rules)
{
	struct host h2;
	json_t *cs[1];

	agent_start(&ag, 0);
	host_connect(&h, ag.sock);
	cs[0] = spec_container(&ag, "app", "true");
	host_send(&h, PROTO_SPEC, spec_group("never", 1, cs));
	host_expect_close(&h, "EPROTO");

	host_connect(&h, ag.sock);
	host_send(&h, PROTO_HELLO,
		  json_pack("{s:i, s:s, s:i}", "version", 2, "client", "x",
			    "time_ns", 0));
	host_expect_close(&h, "EPROTONOSUPPORT");

	host_connect(&h, ag.sock);
	send_frame(PROTO_HELLO, 0, 7, "{\"version\":1,\"time_ns\":0}");
	host_error(&h, 7, "EINVAL", "client");
	host_hello(&h);
	send_frame(PROTO_HELLO, 0, 8,
		   "{\"version\":1,\"client\":\"x\",\"time_ns\":0}");
	host_error(&h, 8, "EPROTO", "HELLO");

	/* One host at a time; the next after a disconnect. */
	host_init(&h2);
	host_connect(&h2, ag.sock);
	host_expect_close(&h2, "EBUSY");
	cs[0] = spec_container(&ag, "app", "true");
	host_spec(&h, spec_group("never", 1, cs));
	host_disconnect(&h);
	host_connect(&h2, ag.sock);
	host_hello(&h2);
	host_free(&h2);
}

/* Output and events produced while no host is connected wait for the
 * next one, after its HELLO reply; the host closing after the group
 * exited powers off. */
Test(agent, reconnecting_host_gets_what_it_missed)
{
	const int n = 50000;
	json_t *cs[1];
	char *want, *p;
	int i, status;

	serve(0);
	cs[0] = spec_container(&ag, "app",
			       "sleep 0.3; echo first; seq 1 50000; "
			       "echo done >&2");
	json_decref(start_group("never", 1, cs));
	host_disconnect(&h);
	usleep(1500 * 1000);
	host_connect(&h, ag.sock);
	host_hello(&h);
	exited("app", 0, 0, 0);
	host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	want = malloc((size_t)n * 8 + 16);
	cr_assert_not_null(want);
	p = want + sprintf(want, "first\n");
	for (i = 1; i <= n; i++)
		p += sprintf(p, "%d\n", i);
	cr_assert_str_eq(out(0, 0), want);
	cr_assert_str_eq(out(0, 1), "done\n");
	free(want);
	host_disconnect(&h);
	status = agent_wait(&ag, 15000);
	cr_assert(status >= 0, "no power off after the host closed");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(agent, signal_requests)
{
	json_t *cs[1];
	uint32_t id;

	serve(0);
	cs[0] = spec_container(&ag, "app",
			       "trap 'echo got-hup' HUP; trap 'exit 5' TERM; "
			       "echo ready; while :; do sleep 0.05; done");
	json_decref(start_group("never", 1, cs));
	host_wait_output(&h, 0, 0, "ready\n");
	id = host_send(
	    &h, PROTO_SIGNAL,
	    json_pack("{s:s, s:i}", "container", "nope", "signal", SIGHUP));
	host_error(&h, id, "ENOENT", "nope");
	json_decref(host_ok(&h, host_send(&h, PROTO_SIGNAL,
					  json_pack("{s:s, s:i}", "container",
						    "app", "signal", SIGHUP))));
	host_wait_output(&h, 0, 0, "got-hup\n");
	json_decref(
	    host_ok(&h, host_send(&h, PROTO_SIGNAL,
				  json_pack("{s:s, s:i}", "container", "app",
					    "signal", SIGTERM))));
	exited("app", 0, 0, 5);
	id = host_send(
	    &h, PROTO_SIGNAL,
	    json_pack("{s:s, s:i}", "container", "app", "signal", SIGHUP));
	host_error(&h, id, "ESRCH", "not running");
	poweroff_and_wait();
}

Test(agent, powers_off_when_no_host_stays)
{
	json_t *cs[1];
	uint64_t t0, dt;
	int status;

	serve(300);
	cs[0] = spec_container(&ag, "app", "sleep 0.5");
	json_decref(start_group("never", 1, cs));
	host_disconnect(&h);
	t0 = mono_ms();
	status = agent_wait(&ag, 15000);
	dt = mono_ms() - t0;
	cr_assert(status >= 0, "no power off without a host");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_geq(dt, 700, "powered off after %llu ms",
		      (unsigned long long)dt);
}

Test(agent, sigterm_stops_the_group_and_returns)
{
	json_t *cs[1];
	int status;

	serve(0);
	cs[0] = spec_container(&ag, "app",
			       "trap 'echo bye; exit 0' TERM; echo ready; "
			       "while :; do sleep 0.05; done");
	json_decref(start_group("always", 1, cs));
	host_wait_output(&h, 0, 0, "ready\n");
	cr_assert_eq(kill(ag.pid, SIGTERM), 0);
	exited("app", 0, 0, 0);
	host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	host_expect_close(&h, NULL);
	status = agent_wait(&ag, 15000);
	cr_assert(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "agent status %d", status);
	cr_assert_str_eq(out(0, 0), "ready\nbye\n");
}

int main(int argc, char *argv[])
{
	return native_main(argc, argv);
}
