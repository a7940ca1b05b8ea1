/* test-agent-exec.c - the agent's exec port (guest-agent/exec.c, stats.c;
 * PROTOCOL.md "Exec and stats") on this machine's kernel, as root: a
 * group started over the main socket, then EXEC sessions and STATS
 * requests on the second socket, the way `lighter exec` and `lighter
 * stats` speak to a guest: a process in the container's namespaces with
 * pipes or a pty, its exit code, commands that cannot run, Ctrl-C through
 * the pty, and counters that move when a container burns CPU.
 *
 * No cgroups here (see test-agent-session.c): stats fall back to the
 * init's /proc counters.  Exits 77 (skip) like the other native tests. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agent-host.h"
#include "native.h"

static struct agent_child ag;
static struct host h, x;

static void setup(void)
{
	host_fixture_enter(&h);
	host_init(&x);
	agent_start(&ag, 0);
}

static void teardown(void)
{
	host_free(&x);
	host_fixture_leave(&h, &ag);
}

TestSuite(agent_exec, .init = setup, .fini = teardown, .timeout = 120);

/* The agent's group of the given containers started; x connected to
 * the exec port. */
static void group(size_t n, json_t **cs)
{
	host_connect(&h, ag.sock);
	host_hello(&h);
	host_spec(&h, spec_group("never", n, cs));
	host_layer(&h, &ag, NULL, NULL);
	json_decref(host_ok(&h, host_send(&h, PROTO_START, json_object())));
	host_wait_output(&h, 0, 0, "up");
	host_connect(&x, ag.exec_sock);
}

static uint32_t exec_send(const char *ctr, bool tty, bool in,
			  const char *const *argv)
{
	json_t *args = json_array();

	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(args, json_string(argv[i]));
	return host_send(&x, PROTO_EXEC,
			 json_pack("{s:s, s:o, s:b, s:b, s:i, s:i}",
				   "container", ctr, "args", args, "tty", tty,
				   "stdin", in, "rows", 30, "cols", 100));
}

/* The EXEC_EXIT of id, decoded. */
static void exec_exit(uint32_t id, struct proto_exec_exit *ex)
{
	struct lerr e = {0};
	uint16_t type;
	json_t *j = host_reply(&x, id, &type);

	cr_assert_eq(type, PROTO_EXEC_EXIT, "EXEC %u: a %s reply", id,
		     proto_type_name(type));
	cr_assert_eq(proto_exec_exit_from_json(j, ex, &e), 0, "%s", e.msg);
	json_decref(j);
}

static void input(uint32_t id, const char *s)
{
	host_send_raw(&x, PROTO_EXEC_INPUT, id, s, strlen(s));
}

static const char *xout(int which)
{
	return x.out[0][which].buf ? x.out[0][which].buf : "";
}

Test(agent_exec, pipes_stdin_exit_code_and_the_containers_world)
{
	const char *const argv[] = {
	    "sh", "-c",
	    "echo out $(hostname) $$ $(cat /proc/1/comm); "
	    "echo err >&2; cat; exit 3",
	    NULL};
	struct proto_exec_exit ex;
	json_t *cs[1], *ok;
	uint32_t id;

	cs[0] = spec_container(&ag, "app", "echo up; exec sleep 1000");
	group(1, cs);
	id = exec_send("app", false, true, argv);
	ok = host_ok(&x, id);
	cr_assert_gt(json_integer_value(json_object_get(ok, "pid")), 0);
	json_decref(ok);
	input(id, "hello ");
	input(id, "world\n");
	input(id, ""); /* EOF: cat ends */
	exec_exit(id, &ex);
	cr_expect_eq(ex.exit_code, 3);
	cr_expect_null(ex.error);
	cr_expect(!(ex.has & PROTO_EXIT_SIGNAL));
	/* the group's hostname, a pid of the container's namespace, whose
	 * init is the container's sleep */
	cr_expect(strstr(xout(0), "out web ") == xout(0), "stdout: %s",
		  xout(0));
	cr_expect(strstr(xout(0), " sleep\nhello world\n"), "stdout: %s",
		  xout(0));
	cr_expect_str_eq(xout(1), "err\n");
	cr_expect(!host_idle(&x, 200), "the session ends after EXEC_EXIT");
	proto_exec_exit_free(&ex);
}

Test(agent_exec, a_command_that_cannot_run)
{
	const char *const missing[] = {"nosuch", "arg", NULL};
	const char *const notexec[] = {"/etc/passwd", NULL};
	struct proto_exec_exit ex;
	json_t *cs[1];

	cs[0] = spec_container(&ag, "app", "echo up; exec sleep 1000");
	group(1, cs);
	exec_exit(exec_send("app", false, false, missing), &ex);
	cr_expect_eq(ex.exit_code, 127);
	cr_assert_not_null(ex.error);
	cr_expect(strstr(ex.error, "\"nosuch\""), "%s", ex.error);
	cr_expect(strstr(ex.error, "No such file"), "%s", ex.error);
	proto_exec_exit_free(&ex);

	host_disconnect(&x);
	host_connect(&x, ag.exec_sock);
	exec_exit(exec_send("app", true, true, notexec), &ex);
	cr_expect_eq(ex.exit_code, 126);
	cr_expect(ex.error && strstr(ex.error, "/etc/passwd"));
	proto_exec_exit_free(&ex);

	/* requests that fail before anything runs: ERROR, then the end */
	host_disconnect(&x);
	host_connect(&x, ag.exec_sock);
	host_error(&x, exec_send("other", false, false, missing), "ENOENT",
		   "no container \"other\"");
	host_expect_close(&x, NULL);
	host_connect(&x, ag.exec_sock);
	host_send(&x, PROTO_HELLO,
		  json_pack("{s:i, s:s, s:i}", "version", 1, "client", "x",
			    "time_ns", 0));
	host_expect_close(&x, "EPROTO");
}

Test(agent_exec, a_pty_with_its_size_input_and_ctrl_c)
{
	const char *const shell[] = {
	    "sh", "-c",
	    "stty size; tty; test -t 1 && echo isatty; read l; echo got $l; "
	    "stty size; exit 5",
	    NULL};
	const char *const sleeper[] = {"sleep", "100", NULL};
	struct proto_exec_exit ex;
	json_t *cs[1];
	uint32_t id;

	cs[0] = spec_container(&ag, "app", "echo up; exec sleep 1000");
	group(1, cs);
	id = exec_send("app", true, true, shell);
	json_decref(host_ok(&x, id));
	host_wait_output(&x, 0, 0, "isatty");
	/* resize frames carry the EXEC's id */
	{
		struct lerr e = {0};
		json_t *j = json_pack("{s:i, s:i}", "rows", 40, "cols", 120);

		cr_assert_eq(
		    proto_send_json(x.fd, PROTO_EXEC_RESIZE, id, j, &e), 0,
		    "%s", e.msg);
		json_decref(j);
	}
	input(id, "abc\r");
	exec_exit(id, &ex);
	cr_expect_eq(ex.exit_code, 5);
	cr_expect(strstr(xout(0), "30 100\r\n"), "pty output: %s", xout(0));
	cr_expect(strstr(xout(0), "/dev/pts/0\r\n"), "pty output: %s",
		  xout(0)); /* the container's own devpts */
	cr_expect(strstr(xout(0), "got abc\r\n"), "pty output: %s", xout(0));
	cr_expect(strstr(xout(0), "40 120\r\n"), "pty output: %s", xout(0));
	cr_expect_eq(x.out[0][1].len, 0, "a pty has one stream");
	proto_exec_exit_free(&ex);

	/* Ctrl-C is a byte on the pty: the line discipline sends SIGINT */
	host_free(&x);
	host_init(&x);
	host_connect(&x, ag.exec_sock);
	id = exec_send("app", true, true, sleeper);
	json_decref(host_ok(&x, id));
	usleep(100 * 1000);
	input(id, "\x03");
	exec_exit(id, &ex);
	cr_expect_eq(ex.exit_code, 130);
	cr_expect(ex.has & PROTO_EXIT_SIGNAL);
	cr_expect_eq(ex.signal, 2);
	proto_exec_exit_free(&ex);
}

Test(agent_exec, a_host_that_goes_away_takes_its_process_along)
{
	const char *const argv[] = {"sh", "-c",
				    "echo $$ > /tmp/pid; exec sleep 100", NULL};
	const char *const check[] = {
	    "sh", "-c",
	    "sleep 0.3; kill -0 $(cat /tmp/pid) && echo alive || echo gone",
	    NULL};
	struct proto_exec_exit ex;
	json_t *cs[1];
	uint32_t id;

	cs[0] = spec_container(&ag, "app", "echo up; exec sleep 1000");
	group(1, cs);
	id = exec_send("app", false, false, argv);
	json_decref(host_ok(&x, id));
	usleep(200 * 1000);
	host_free(&x);
	host_init(&x);
	host_connect(&x, ag.exec_sock);
	id = exec_send("app", false, false, check);
	json_decref(host_ok(&x, id));
	exec_exit(id, &ex);
	cr_expect_eq(ex.exit_code, 0);
	cr_expect_str_eq(xout(0), "gone\n");
	proto_exec_exit_free(&ex);
}

static void stats(struct proto_stats *st)
{
	struct lerr e = {0};
	json_t *j = host_ok(&x, host_send(&x, PROTO_STATS, json_object()));

	cr_assert_eq(proto_stats_from_json(j, st, &e), 0, "%s", e.msg);
	json_decref(j);
}

Test(agent_exec, stats_move_when_a_container_burns_cpu)
{
	struct proto_stats a, b;
	json_t *cs[2];
	double millis;

	cs[0] = spec_container(&ag, "idle", "echo up; exec sleep 1000");
	cs[1] = spec_container(&ag, "burn", "while :; do :; done");
	group(2, cs);
	stats(&a);
	usleep(700 * 1000);
	stats(&b); /* one connection answers any number of STATS */
	cr_assert_eq(b.n, 2);
	cr_expect_str_eq(b.c[0].name, "idle");
	cr_expect_str_eq(b.c[1].name, "burn");
	cr_expect(b.c[0].running && b.c[1].running);
	cr_expect_gt(b.c[1].memory_bytes, 0);
	cr_expect_eq(b.c[1].pids, 1);
	cr_assert_gt(b.time_ns, a.time_ns);
	millis = (double)(b.c[1].cpu_usec - a.c[1].cpu_usec) * 1e6 /
		 (double)(b.time_ns - a.time_ns);
	cr_expect_gt(millis, 200.0, "burn used %.0f millicores", millis);
	cr_expect_lt(b.c[0].cpu_usec - a.c[0].cpu_usec, 50000,
		     "idle used %lld us",
		     (long long)(b.c[0].cpu_usec - a.c[0].cpu_usec));
	cr_expect_geq(b.n_net, 1, "an interface (lo at least)");
	/* an EXEC on a STATS connection is out of place */
	host_error(&x,
		   exec_send("idle", false, false,
			     (const char *const[]){"true", NULL}),
		   "EPROTO", "EXEC on the exec port");
}
