/* test-spec-life.c - the group spec's keys for a container's life
 * (tools/spec-life.c, tools/spec.c): [init.NAME] sections in file order
 * and their names, secure-env (whose messages never quote a value),
 * liveness and readiness probe keys with their defaults, and invalid
 * files whose messages start with FILE:LINE and name the key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expect-strv.h"
#include "spec-internal.h"
#include "strv.h"
#include "tmpdir.h"

static struct spec s;

static void setup(void)
{
	tmpdir_make();
}

static void teardown(void)
{
	spec_free(&s);
	tmpdir_remove();
}

TestSuite(spec_life, .init = setup, .fini = teardown);

static void expect_group(const char *name, enum spec_restart restart,
			 size_t n)
{
	cr_expect_str_eq(s.name, name);
	cr_expect_eq(s.restart, restart);
	cr_assert_eq(s.nr_containers, n);
}

struct bad_case {
	const char *text;
	const char *want; /* the message after "<path>:" */
};

#define G "[group]\nname = g\n"
#define C "[container.app]\nimage = oci:/i\n"

Test(spec_life, invalid_files)
{
	static const struct bad_case cases[] = {
		/* [init.*] and secure-env */
		{ G "[init.setup]\nimage = oci:/i\n",
		  " no [container.NAME] section" },
		{ G "[init.app]\nimage = oci:/i\n" C,
		  "5: [container.app]: the name \"app\" is taken by "
		  "[init.app] (line 3)" },
		{ G C "[init.app]\nimage = oci:/i\n",
		  "5: [init.app]: the name \"app\" is taken by [container.app] "
		  "(line 3)" },
		{ G "[init.x y]\nimage = oci:/i\n" C,
		  "3: [init.x y]: container name \"x y\": not a name" },
		{ G "[init.setup]\ncommand = true\n" C,
		  "3: [init.setup]: missing key \"image\"" },
		{ G "[init.setup]\nimage = oci:/i\nwhat = 1\n" C,
		  "5: [init.setup] what: unknown key" },
		{ G C "secure-env = A=1, NOVALUE-hunter2\n",
		  "5: [container.app] secure-env: entry 2: not NAME=VALUE with a "
		  "valid, unique NAME (values are not shown)" },
		{ G C "secure-env = PASS='hunter2\n",
		  "5: [container.app] secure-env: not a list of NAME=VALUE "
		  "(values are not shown)" },
		{ G C "env = PASS=x\nsecure-env = PASS=hunter2\n",
		  "3: [container.app] secure-env: \"PASS\" is set in env too" },
		/* probes */
		{ G "[init.i]\nimage = oci:/i\nliveness-exec = true\n" C,
		  "5: [init.i] liveness-exec: init containers have no probes" },
		{ G C "liveness-period = 5s\n",
		  "3: [container.app] liveness: needs liveness-exec or "
		  "liveness-http" },
		{ G C "readiness-exec = true\nreadiness-http = 80\n",
		  "3: [container.app] readiness: readiness-exec and "
		  "readiness-http, only one may be given" },
		{ G C "liveness-http = 80\nliveness-successes = 2\n",
		  "3: [container.app] liveness: liveness-successes must be 1" },
		{ G C "liveness-http = 0\n",
		  "5: [container.app] liveness-http: \"0\": port not in "
		  "1..65535" },
		{ G C "liveness-http = 80x\n",
		  "5: [container.app] liveness-http: \"80x\": not PORT[/PATH]" },
		{ G C "liveness-http = 80/a b\n",
		  "5: [container.app] liveness-http: \"80/a b\": blank or "
		  "control character in the path" },
		{ G C "readiness-exec = sh -c 'x\n",
		  "5: [container.app] readiness-exec: \"sh -c 'x\": "
		  "unterminated single quote" },
		{ G C "readiness-exec = \"\"\n",
		  "5: [container.app] readiness-exec: \"\"\"\": no command" },
		{ G C "liveness-period = 0\n",
		  "5: [container.app] liveness-period: \"0\": not in "
		  "1ms..3600s" },
		{ G C "liveness-delay = 2h\n",
		  "5: [container.app] liveness-delay: \"2h\": not a duration" },
		{ G C "liveness-timeout = 3601s\n",
		  "5: [container.app] liveness-timeout: \"3601s\": not in "
		  "1ms..3600s" },
		{ G C "readiness-failures = 0\n",
		  "5: [container.app] readiness-failures: \"0\": not in "
		  "1..1000" },
		{ G C "readiness-startup = 1\n",
		  "5: [container.app] readiness-startup: unknown key" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = tmpdir_write_str("bad.ini", cases[i].text), *want;
		struct lerr e = { 0 };
		int r = spec_load(&s, path, &e);

		cr_expect_lt(r, 0, "case %zu accepted:\n%s", i, cases[i].text);
		cr_expect_eq(e.code, -r, "case %zu: code %d, returned %d", i,
			     e.code, r);
		cr_assert(asprintf(&want, "%s:%s", path, cases[i].want) > 0);
		cr_expect(strncmp(e.msg, want, strlen(want)) == 0,
			  "case %zu:\n got  \"%s\"\n want \"%s...\"", i, e.msg,
			  want);
		cr_expect_null(strstr(e.msg, "hunter2"), "case %zu: %s", i,
			       e.msg);
		cr_expect_eq(s.nr_containers, 0, "case %zu: not freed", i);
		free(want);
		free(path);
	}
}

Test(spec_life, files_default_to_always_the_shorthand_to_never)
{
	char *path = tmpdir_write_str("d.ini", G C);
	struct lerr e = { 0 };

	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	cr_expect_eq(s.restart, SPEC_RESTART_ALWAYS, "ACI's default");
	spec_free(&s);
	cr_assert_eq(spec_from_args(&s, "q", "oci:/i", 0, 0, NULL, NULL, &e),
		     0, "%s", e.msg);
	cr_expect_eq(s.restart, SPEC_RESTART_NEVER, "docker's default");
	free(path);
}

Test(spec_life, init_sections_and_secure_env)
{
	char *path = tmpdir_write_str(
		"life.ini", "[group]\nname = life\nrestart = never\n"
			    "[init.first]\nimage = oci:/i\ncommand = echo 1\n"
			    "[container.app]\nimage = oci:/i\n"
			    "env = MODE=prod\n"
			    "secure-env = PASSWORD='hunter2, really', "
			    "TOKEN=abc\n"
			    "[init.second]\nimage = oci:/i\n");
	struct lerr e = { 0 };

	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	expect_group("life", SPEC_RESTART_NEVER, 3);
	cr_expect_str_eq(s.containers[0].name, "first");
	cr_expect(s.containers[0].init);
	cr_expect_str_eq(s.containers[1].name, "app");
	cr_expect(!s.containers[1].init);
	cr_expect_str_eq(s.containers[2].name, "second",
			 "file order is kept");
	cr_expect(s.containers[2].init);
	expect_strv(s.containers[1].env, STRV("MODE=prod"), "env");
	expect_strv(s.containers[1].secure_env,
		    STRV("PASSWORD=hunter2, really", "TOKEN=abc"),
		    "secure-env");
	cr_expect_null(s.containers[0].secure_env);
	free(path);
}

/* No message about a secure-env value quotes it. */
Test(spec_life, secure_env_errors_hide_values)
{
	static const char *const lists[] = {
		"A=1, hunter2", "A=hunter2,,", "A=1, 9hunter2=x",
		"A='hunter2", "A=hunter2, A=hunter2", "hunter2\\",
	};
	size_t i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char **v = NULL;
		struct lerr e = { 0 };

		cr_expect_lt(spec_parse_secure_env(lists[i], &v, &e), 0,
			     "%s accepted", lists[i]);
		cr_expect_null(strstr(e.msg, "hunter2"), "%s", e.msg);
		cr_expect_null(v);
	}
}

Test(spec_life, probe_keys_and_defaults)
{
	char *path = tmpdir_write_str(
		"probes.ini", "[group]\nname = p\n"
			      "[container.web]\nimage = oci:/i\n"
			      "liveness-http = 8080/healthz?full=1\n"
			      "liveness-delay = 500ms\n"
			      "liveness-failures = 5\n"
			      "readiness-exec = sh -c 'test -e /ready'\n"
			      "readiness-period = 2m\n"
			      "readiness-timeout = 3\n"
			      "readiness-successes = 2\n"
			      "[container.plain]\nimage = oci:/i\n");
	const struct spec_probe *l, *r;
	struct lerr e = { 0 };

	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	l = &s.containers[0].liveness;
	r = &s.containers[0].readiness;
	cr_expect(l->set && r->set);
	cr_expect_eq(l->http_port, 8080);
	cr_expect_str_eq(l->http_path, "/healthz?full=1");
	cr_expect_null(l->exec);
	cr_expect_eq(l->delay_ms, 500);
	cr_expect_eq(l->period_ms, 10000, "Kubernetes' default period");
	cr_expect_eq(l->timeout_ms, 1000);
	cr_expect_eq(l->failures, 5);
	cr_expect_eq(l->successes, 1);
	expect_strv(r->exec, STRV("sh", "-c", "test -e /ready"), "exec");
	cr_expect_eq(r->http_port, 0);
	cr_expect_eq(r->period_ms, 120000);
	cr_expect_eq(r->timeout_ms, 3000, "a bare number is seconds");
	cr_expect_eq(r->failures, 3);
	cr_expect_eq(r->successes, 2);
	cr_expect(!s.containers[1].liveness.set &&
		  !s.containers[1].readiness.set);
	free(path);
}

