/* test-agent-life.c - the group's life as the agent supervises it (serve.h
 * over a Unix socket, as in test-agent-session.c): init containers in
 * order and the policy ACI maps onto them, and RESTART (restart.c), the
 * in-place restart of every container but the inits.
 *
 * Exits 77 (skip) when not root, without /bin/busybox, or when the kernel
 * refuses overlays or namespaces (native.c). */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

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

TestSuite(life, .init = setup, .fini = teardown, .timeout = 120);

static void serve(void)
{
	agent_start(&ag, 0);
	host_connect(&h, ag.sock);
	host_hello(&h);
}

static json_t *init_container(const char *name, const char *cmd)
{
	json_t *c = spec_container(&ag, name, cmd);

	json_object_set_new(c, "init", json_true());
	return c;
}

static json_t *start_group(const char *restart, size_t n, json_t **cs)
{
	host_spec(&h, spec_group(restart, n, cs));
	host_layer(&h, &ag, NULL, NULL);
	return host_ok(&h, host_send(&h, PROTO_START, json_object()));
}

static const char *out(int c)
{
	return h.out[c][0].buf ? h.out[c][0].buf : "";
}

static void poweroff_and_wait(void)
{
	int status;

	json_decref(host_ok(&h, host_send(&h, PROTO_POWEROFF, json_object())));
	status = agent_wait(&ag, 15000);
	cr_assert(status >= 0, "the agent did not exit after POWEROFF");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static size_t seq_of(enum proto_event_kind k, const char *name, size_t nth)
{
	return host_event(&h, k, name, nth)->seq;
}

static void stop(void)
{
	json_decref(
	    host_ok(&h, host_send(&h, PROTO_STOP,
				  json_pack("{s:i}", "grace_ms", 2000))));
	host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
}

Test(life, inits_run_one_after_another_before_the_others)
{
	json_t *cs[4], *ok, *arr;
	const struct host_event *g;

	serve();
	/* SPEC order: the app between the inits does not start early */
	cs[0] = init_container("one", "echo one");
	cs[1] = spec_container(&ag, "app", "echo app");
	cs[2] = init_container("two", "sleep 0.3; echo two");
	cs[3] = spec_container(&ag, "app2", "echo app2");
	ok = start_group("never", 4, cs);
	arr = json_object_get(ok, "containers");
	cr_assert_eq(json_array_size(arr), 1, "START starts the first init");
	cr_assert_str_eq(
	    json_string_value(json_object_get(json_array_get(arr, 0), "name")),
	    "one");
	json_decref(ok);
	g = host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	cr_assert_eq(g->ev.exit_code, 0);
	cr_assert_lt(seq_of(PROTO_EVENT_EXITED, "one", 0),
		     seq_of(PROTO_EVENT_STARTED, "two", 0));
	cr_assert_lt(seq_of(PROTO_EVENT_EXITED, "two", 0),
		     seq_of(PROTO_EVENT_STARTED, "app", 0));
	cr_assert_lt(seq_of(PROTO_EVENT_EXITED, "two", 0),
		     seq_of(PROTO_EVENT_STARTED, "app2", 0));
	cr_assert_str_eq(out(0), "one\n");
	cr_assert_str_eq(out(1), "app\n");
	cr_assert_str_eq(out(2), "two\n");
	cr_assert_str_eq(out(3), "app2\n");
	poweroff_and_wait();
}

/* "always" is "on-failure" for inits: the failing init runs again until
 * it exits 0, then the app starts; an init exiting 0 is not re-run. */
Test(life, a_failing_init_restarts_under_always)
{
	json_t *cs[3];
	const struct host_event *r;

	serve();
	cs[0] = init_container("ok", "echo fine");
	cs[1] = init_container("flaky", "echo x >> /n; n=$(grep -c x /n); "
					"echo \"try $n\"; [ \"$n\" -ge 2 ]");
	cs[2] = spec_container(&ag, "app", "echo app; exec sleep 60");
	json_decref(start_group("always", 3, cs));
	host_wait_output(&h, 2, 0, "app\n");
	r = host_event(&h, PROTO_EVENT_RESTARTING, "flaky", 0);
	cr_assert_eq(r->ev.restart_count, 1);
	cr_assert_lt(seq_of(PROTO_EVENT_EXITED, "flaky", 1),
		     seq_of(PROTO_EVENT_STARTED, "app", 0));
	cr_assert_eq(
	    host_event(&h, PROTO_EVENT_EXITED, "flaky", 1)->ev.exit_code, 0);
	cr_assert_str_eq(out(1), "try 1\ntry 2\n");
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_STARTED, "ok"), 1);
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_RESTARTING, "ok"), 0);
	stop();
	poweroff_and_wait();
}

/* "never": a failing init ends the group with its status; nothing after
 * it ever starts. */
Test(life, a_failing_init_under_never_ends_the_group)
{
	json_t *cs[3];
	const struct host_event *g;

	serve();
	cs[0] = init_container("bad", "echo no; exit 3");
	cs[1] = init_container("later", "echo later");
	cs[2] = spec_container(&ag, "app", "echo app");
	json_decref(start_group("never", 3, cs));
	g = host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	cr_assert_eq(g->ev.exit_code, 3);
	cr_assert_eq(host_event(&h, PROTO_EVENT_EXITED, "bad", 0)->ev.exit_code,
		     3);
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_STARTED, "later"), 0);
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_STARTED, "app"), 0);
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_RESTARTING, NULL), 0);
	poweroff_and_wait();
}

/* An init that cannot be exec'd fails START (127) and the group ends. */
Test(life, an_init_that_cannot_run_fails_the_start)
{
	json_t *cs[2];
	const char *argv[] = {"/no/such/program", NULL};
	uint32_t id;

	serve();
	cs[0] = spec_container_argv(&ag, "init", argv);
	json_object_set_new(cs[0], "init", json_true());
	cs[1] = spec_container(&ag, "app", "echo app");
	host_spec(&h, spec_group("on-failure", 2, cs));
	host_layer(&h, &ag, NULL, NULL);
	id = host_send(&h, PROTO_START, json_object());
	host_error(&h, id, "ENOENT", "/no/such/program");
	cr_assert_eq(
	    host_event(&h, PROTO_EVENT_EXITED, "init", 0)->ev.exit_code, 127);
	host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_STARTED, "app"), 0);
	poweroff_and_wait();
}

Test(life, restart_restarts_every_container_in_place)
{
	json_t *cs[4];
	const struct host_event *k, *ex;
	uint32_t id;

	serve();
	id = host_send(&h, PROTO_RESTART, json_pack("{s:i}", "grace_ms", 100));
	host_error(&h, id, "EPROTO", "not started");
	cs[0] = init_container("init", "echo init");
	cs[1] = spec_container(&ag, "polite",
			       "trap 'echo term; exit 0' TERM; echo up; "
			       "while :; do sleep 0.05; done");
	cs[2] = spec_container(&ag, "stubborn",
			       "trap '' TERM; echo up; "
			       "while :; do sleep 0.05; done");
	cs[3] = spec_container(&ag, "done", "echo once");
	json_decref(start_group("never", 4, cs));
	host_wait_output(&h, 1, 0, "up\n");
	host_wait_output(&h, 2, 0, "up\n");
	host_event(&h, PROTO_EVENT_EXITED, "done", 0);
	json_decref(
	    host_ok(&h, host_send(&h, PROTO_RESTART,
				  json_pack("{s:i}", "grace_ms", 500))));
	k = host_event(&h, PROTO_EVENT_KILLING, "polite", 0);
	cr_assert_str_eq(k->ev.reason, "restart requested");
	cr_assert(k->ev.has & PROTO_EV_PID);
	ex = host_event(&h, PROTO_EVENT_EXITED, "polite", 0);
	cr_assert_eq(ex->ev.exit_code, 0);
	cr_assert_eq(
	    host_event(&h, PROTO_EVENT_STARTED, "polite", 1)->ev.restart_count,
	    1);
	/* SIGTERM ignored: killed after the grace period */
	ex = host_event(&h, PROTO_EVENT_EXITED, "stubborn", 0);
	cr_assert(ex->ev.has & PROTO_EV_SIGNAL);
	cr_assert_eq(ex->ev.signal, SIGKILL);
	cr_assert_eq(host_event(&h, PROTO_EVENT_STARTED, "stubborn", 1)
			 ->ev.restart_count,
		     1);
	/* exited for good under "never", yet restarted */
	cr_assert_eq(
	    host_event(&h, PROTO_EVENT_RESTARTING, "done", 0)->ev.restart_count,
	    1);
	host_event(&h, PROTO_EVENT_EXITED, "done", 1);
	host_wait_output(&h, 1, 0, "up\nterm\nup\n");
	host_wait_output(&h, 3, 0, "once\nonce\n");
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_STARTED, "init"), 1,
		     "inits are not run again");
	stop();
	id = host_send(&h, PROTO_RESTART, json_pack("{s:i}", "grace_ms", 100));
	host_error(&h, id, "EALREADY", "RESTART");
	poweroff_and_wait();
}

static json_t *probe(const char *kind, json_t *how, int period_ms, int failures,
		     int successes)
{
	json_t *p =
	    json_pack("{s:s, s:i, s:i, s:i, s:i, s:i}", "kind", kind,
		      "delay_ms", 0, "period_ms", period_ms, "timeout_ms", 2000,
		      "failures", failures, "successes", successes);

	json_object_update(p, how);
	json_decref(how);
	return p;
}

/* An exec liveness probe runs in the container's root: it passes while
 * /health says ok, then fails twice, and the container is killed
 * (unhealthy, unhealthy, killing) and restarted by the policy; the next
 * run passes again. */
Test(life, a_failing_liveness_probe_restarts_the_container)
{
	const struct host_event *st, *u0, *u1, *k, *ex, *s1;
	json_t *cs[1];

	serve();
	cs[0] = spec_container(&ag, "app",
			       "echo ok > /health; echo up; sleep 1.5; "
			       "echo bad > /health; exec sleep 60");
	json_object_set_new(
	    cs[0], "probes",
	    json_pack("[o]", probe("liveness",
				   json_pack("{s:[s,s,s]}", "exec", "sh", "-c",
					     "grep -q ok /health"),
				   200, 2, 1)));
	json_decref(start_group("always", 1, cs));
	st = host_event(&h, PROTO_EVENT_STARTED, "app", 0);
	u0 = host_event(&h, PROTO_EVENT_UNHEALTHY, "app", 0);
	cr_assert_str_eq(u0->ev.reason, "Liveness probe failed: exit code 1");
	cr_assert_geq(u0->ev.time_ns - st->ev.time_ns, 1000 * 1000000LL,
		      "the probe passed while /health said ok (it sees the "
		      "container's files)");
	u1 = host_event(&h, PROTO_EVENT_UNHEALTHY, "app", 1);
	k = host_event(&h, PROTO_EVENT_KILLING, "app", 0);
	cr_assert_str_eq(k->ev.reason, "liveness probe failed");
	cr_assert_lt(u1->seq, k->seq);
	ex = host_event(&h, PROTO_EVENT_EXITED, "app", 0);
	cr_assert(ex->ev.has & PROTO_EV_SIGNAL);
	cr_assert_eq(ex->ev.signal, SIGKILL);
	s1 = host_event(&h, PROTO_EVENT_STARTED, "app", 1);
	cr_assert_eq(s1->ev.restart_count, 1);
	host_wait_output(&h, 0, 0, "up\nup\n");
	/* the second run is healthy for its first second too */
	cr_assert(host_idle(&h, 700));
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_UNHEALTHY, "app"), 2);
	stop();
	poweroff_and_wait();
}

/* An http readiness probe: ready after two passes, not ready once the
 * server is gone for two attempts. */
Test(life, an_http_readiness_probe_follows_the_server)
{
	const struct host_event *r0, *r1, *u;
	char cmd[512];
	int port = 20000 + (int)(getpid() % 20000);
	json_t *cs[1];

	serve();
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p /www; echo hi > /www/index.html; "
		 "httpd -f -p 127.0.0.1:%d -h /www & pid=$!; sleep 2; "
		 "kill $pid; echo gone; exec sleep 60",
		 port);
	cs[0] = spec_container(&ag, "web", cmd);
	json_object_set_new(
	    cs[0], "probes",
	    json_pack("[o]", probe("readiness",
				   json_pack("{s:i, s:s}", "http_port", port,
					     "http_path", "/index.html"),
				   200, 2, 2)));
	json_decref(start_group("never", 1, cs));
	r0 = host_event(&h, PROTO_EVENT_READINESS, "web", 0);
	cr_assert(r0->ev.has & PROTO_EV_READY);
	cr_assert(r0->ev.ready);
	host_wait_output(&h, 0, 0, "gone\n");
	r1 = host_event(&h, PROTO_EVENT_READINESS, "web", 1);
	cr_assert(!r1->ev.ready);
	u = host_event(&h, PROTO_EVENT_UNHEALTHY, "web", 1);
	cr_assert_lt(u->seq, r1->seq);
	cr_assert(strstr(u->ev.reason, "Readiness probe failed: connect to "
				       "port") == u->ev.reason,
		  "%s", u->ev.reason);
	cr_assert_eq(host_count_events(&h, PROTO_EVENT_KILLING, "web"), 0,
		     "readiness never kills");
	stop();
	poweroff_and_wait();
}
