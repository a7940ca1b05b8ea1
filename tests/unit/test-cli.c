/* test-cli.c - the lighter command line (tools/cli-parse.c) as a table:
 * for each argv either the parse result, written compactly as the
 * fields that differ from the defaults, or the exact error message.
 * Every command, its options in every spelling, its positional
 * arguments, and the mistakes a user makes. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define ARGV(...) ((const char *const[]){ "lighter", __VA_ARGS__, NULL })

struct cli_case {
	const char *const *argv;
	const char *want; /* the summary, or "error: <message>" */
};

__attribute__((format(printf, 3, 4))) static void
add(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	size_t len = strlen(buf);

	va_start(ap, fmt);
	vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
}

static void add_vec(char *buf, size_t n, const char *key,
		    const char *const *v)
{
	add(buf, n, " %s=[", key);
	for (size_t i = 0; v && v[i]; i++)
		add(buf, n, "%s%s", i ? "," : "", v[i]);
	add(buf, n, "%s", "]");
}

/* What the parse produced, default values left out. */
static void describe(const struct cli *c, char *buf, size_t n)
{
	char num[64];

	snprintf(buf, n, "%s", c->cmd ? cli_command_name(c->cmd) : "none");
	if (c->help)
		add(buf, n, "%s", " help");
	if (c->run_dir)
		add(buf, n, " run-dir=%s", c->run_dir);
	if (c->data_dir)
		add(buf, n, " data-dir=%s", c->data_dir);
	if (c->name)
		add(buf, n, " name=%s", c->name);
	if (c->detach)
		add(buf, n, "%s", " detach");
	if (c->rm)
		add(buf, n, "%s", " rm");
	if (c->cpus) {
		snprintf(num, sizeof(num), "%u", c->cpus);
		add(buf, n, " cpus=%s", num);
	}
	if (c->mem_bytes) {
		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)c->mem_bytes);
		add(buf, n, " mem=%s", num);
	}
	if (c->nr_env)
		add_vec(buf, n, "env", c->env);
	if (c->spec_path)
		add(buf, n, " spec=%s", c->spec_path);
	if (c->image)
		add(buf, n, " image=%s", c->image);
	if (c->argv)
		add_vec(buf, n, "argv", (const char *const *)c->argv);
	if (c->nr_groups)
		add_vec(buf, n, "groups", (const char *const *)c->groups);
	if (c->stop_timeout_s != CLI_STOP_DEFAULT_S) {
		snprintf(num, sizeof(num), "%u", c->stop_timeout_s);
		add(buf, n, " t=%s", num);
	}
	if (c->force)
		add(buf, n, "%s", " force");
	if (c->all)
		add(buf, n, "%s", " all");
	if (c->json)
		add(buf, n, "%s", " json");
	if (c->group)
		add(buf, n, " group=%s", c->group);
	if (c->container)
		add(buf, n, " container=%s", c->container);
	if (c->follow)
		add(buf, n, "%s", " follow");
	if (c->timestamps)
		add(buf, n, "%s", " timestamps");
	if (c->tail >= 0) {
		snprintf(num, sizeof(num), "%ld", c->tail);
		add(buf, n, " tail=%s", num);
	}
	if (c->bench)
		add(buf, n, " bench=%s", c->bench);
	if (c->runs != CLI_BENCH_DEFAULT_RUNS) {
		snprintf(num, sizeof(num), "%u", c->runs);
		add(buf, n, " runs=%s", num);
	}
	if (c->bench_image)
		add(buf, n, " bench-image=%s", c->bench_image);
	if (c->qemu)
		add(buf, n, "%s", " qemu");
	if (c->volume_cmd) {
		add(buf, n, " volume=%s", c->volume_cmd);
		add_vec(buf, n, "names", (const char *const *)c->volumes);
	}
	if (c->interactive)
		add(buf, n, "%s", " interactive");
	if (c->tty)
		add(buf, n, "%s", " tty");
	if (c->no_stream)
		add(buf, n, "%s", " no-stream");
	if (c->prometheus)
		add(buf, n, "%s", " prometheus");
	if (c->cmd == CLI_HELP && c->help_topic)
		add(buf, n, " topic=%s", cli_command_name(c->help_topic));
}

static const struct cli_case cases[] = {
	/* global */
	{ ARGV("--version"), "version" },
	{ ARGV("-v"), "version" },
	{ ARGV("--help"), "none help" },
	{ ARGV("-h"), "none help" },
	{ ARGV("version"), "version" },
	{ ARGV("--run-dir", "/r", "--data-dir=/d", "ps"),
	  "ps run-dir=/r data-dir=/d" },
	{ ARGV("--run-dir=/r", "ps", "-a"), "ps run-dir=/r all" },
	{ (const char *const[]){ "lighter", NULL }, "error: no command given" },
	{ ARGV("frobnicate"), "error: unknown command \"frobnicate\"" },
	{ ARGV("--verbose", "ps"),
	  "error: lighter: unknown option \"--verbose\"" },
	{ ARGV("--run-dir"), "error: lighter: --run-dir needs a value" },
	{ ARGV("-x", "ps"), "error: lighter: unknown option \"-x\"" },
	{ ARGV("ps", "--run-dir", "/r"),
	  "error: ps: unknown option \"--run-dir\"" },

	/* help */
	{ ARGV("help"), "help" },
	{ ARGV("help", "run"), "help topic=run" },
	{ ARGV("help", "nope"), "error: help: unknown command \"nope\"" },
	{ ARGV("help", "run", "ps"), "error: help: takes at most one COMMAND" },

	/* create */
	{ ARGV("create", "web.ini"), "create spec=web.ini" },
	{ ARGV("create", "--name", "w2", "web.ini"),
	  "create name=w2 spec=web.ini" },
	{ ARGV("create", "--name=w2", "./dir/a:b.ini"),
	  "create name=w2 spec=./dir/a:b.ini" },
	{ ARGV("create", "oci:img:latest"), "create image=oci:img:latest" },
	{ ARGV("create", "--cpus", "2", "-m", "1G", "-e", "A=1", "--env=B=x y",
	       "oci-archive:bb.tar", "sh", "-c", "echo hi"),
	  "create cpus=2 mem=1073741824 env=[A=1,B=x y] "
	  "image=oci-archive:bb.tar argv=[sh,-c,echo hi]" },
	{ ARGV("create", "-eA=1", "oci:x"), "create env=[A=1] image=oci:x" },
	{ ARGV("create"), "error: create: needs a SPEC file or an IMAGE" },
	{ ARGV("create", "web.ini", "extra"),
	  "error: create: \"web.ini\" is a spec file: it takes no command "
	  "(\"extra\"); an image is written TRANSPORT:PATH" },
	{ ARGV("create", "--cpus", "2", "web.ini"),
	  "error: create: --cpus, --memory and --env go with an IMAGE; a "
	  "spec file sets them itself" },
	{ ARGV("create", "--cpus", "0", "oci:x"),
	  "error: create: --cpus: \"0\" is out of range (1..64)" },
	{ ARGV("create", "--cpus", "two", "oci:x"),
	  "error: create: --cpus: \"two\" is not a whole number" },
	{ ARGV("create", "--memory", "12Q", "oci:x"),
	  "error: create: --memory: \"12Q\" is not a size (like 512M or 2G)" },
	{ ARGV("create", "-e", "NOEQUALS", "oci:x"),
	  "error: create: -e: \"NOEQUALS\" is not NAME=VALUE" },
	{ ARGV("create", "-e", "=x", "oci:x"),
	  "error: create: -e: \"=x\" is not NAME=VALUE" },
	{ ARGV("create", "--name"), "error: create: --name needs a value" },
	{ ARGV("create", "-d", "oci:x"),
	  "error: create: unknown option \"-d\"" },
	{ ARGV("create", "--rm", "oci:x"),
	  "error: create: unknown option \"--rm\"" },
	{ ARGV("create", "--help"), "create help" },

	/* run: options stop at IMAGE; the command keeps its own */
	{ ARGV("run", "oci:img", "ls", "-l", "--name", "x"),
	  "run image=oci:img argv=[ls,-l,--name,x]" },
	{ ARGV("run", "-d", "--rm", "--name", "web", "web.ini"),
	  "run name=web detach rm spec=web.ini" },
	{ ARGV("run", "--detach", "oci:img"), "run detach image=oci:img" },
	{ ARGV("run", "--", "oci:img", "-x"), "run image=oci:img argv=[-x]" },
	{ ARGV("run", "--rm=yes", "oci:img"),
	  "error: run: --rm takes no value" },
	{ ARGV("run", "-z", "oci:img"), "error: run: unknown option \"-z\"" },
	{ ARGV("run", "--memory", "0", "oci:img"),
	  "error: run: --memory: \"0\" is not a size (like 512M or 2G)" },
	{ ARGV("run", "-h", "oci:img"), "run help" },
	{ ARGV("run", "oci:img", "--help"), "run image=oci:img argv=[--help]" },

	/* start, stop, rm, inspect */
	{ ARGV("start", "a", "b"), "start groups=[a,b]" },
	{ ARGV("start"), "error: start: needs at least one GROUP" },
	{ ARGV("start", "-a", "x"), "error: start: unknown option \"-a\"" },
	{ ARGV("stop", "web"), "stop groups=[web]" },
	{ ARGV("stop", "-t", "3", "a", "b"), "stop groups=[a,b] t=3" },
	{ ARGV("stop", "-t0", "a"), "stop groups=[a] t=0" },
	{ ARGV("stop", "a", "--time=30"), "stop groups=[a] t=30" },
	{ ARGV("stop", "-t", "3601", "a"),
	  "error: stop: -t: \"3601\" is out of range (0..3600)" },
	{ ARGV("stop", "-t", "-1", "a"),
	  "error: stop: -t: \"-1\" is not a whole number" },
	{ ARGV("stop", "-t"), "error: stop: -t needs a value" },
	{ ARGV("stop"), "error: stop: needs at least one GROUP" },
	{ ARGV("rm", "-f", "a"), "rm groups=[a] force" },
	{ ARGV("rm", "a", "--force", "b"), "rm groups=[a,b] force" },
	{ ARGV("rm", "-ff", "a"), "rm groups=[a] force" },
	{ ARGV("rm"), "error: rm: needs at least one GROUP" },
	{ ARGV("inspect", "a", "b", "c"), "inspect groups=[a,b,c]" },
	{ ARGV("inspect", "--format", "json", "a"),
	  "error: inspect: unknown option \"--format\"" },

	/* restart, events */
	{ ARGV("restart", "web"), "restart groups=[web]" },
	{ ARGV("restart", "-t", "2", "a", "b"), "restart groups=[a,b] t=2" },
	{ ARGV("restart"), "error: restart: needs at least one GROUP" },
	{ ARGV("restart", "-f", "a"), "error: restart: unknown option \"-f\"" },
	{ ARGV("events"), "events" },
	{ ARGV("events", "-f"), "events follow" },
	{ ARGV("events", "web", "--follow"), "events group=web follow" },
	{ ARGV("events", "a", "b"), "error: events: takes at most one GROUP" },
	{ ARGV("events", "-t", "a"), "error: events: unknown option \"-t\"" },

	/* ps */
	{ ARGV("ps"), "ps" },
	{ ARGV("ps", "-a"), "ps all" },
	{ ARGV("ps", "--all", "--format", "json"), "ps all json" },
	{ ARGV("ps", "--format=table"), "ps" },
	{ ARGV("ps", "--format", "yaml"),
	  "error: ps: --format: \"yaml\": json or table" },
	{ ARGV("ps", "web"), "error: ps: takes no arguments (\"web\")" },

	/* logs */
	{ ARGV("logs", "web"), "logs group=web" },
	{ ARGV("logs", "-f", "--tail", "5", "-t", "web", "app"),
	  "logs group=web container=app follow timestamps tail=5" },
	{ ARGV("logs", "web", "-n", "0"), "logs group=web tail=0" },
	{ ARGV("logs", "--tail=all", "web"), "logs group=web" },
	{ ARGV("logs", "--follow", "--timestamps", "web"),
	  "logs group=web follow timestamps" },
	{ ARGV("logs", "-ft", "web"), "logs group=web follow timestamps" },
	{ ARGV("logs"), "error: logs: takes GROUP [CONTAINER]" },
	{ ARGV("logs", "a", "b", "c"), "error: logs: takes GROUP [CONTAINER]" },
	{ ARGV("logs", "--tail", "x", "a"),
	  "error: logs: --tail: \"x\" is not a whole number" },

	/* exec */
	{ ARGV("exec", "web", "app", "ls", "-l"),
	  "exec argv=[ls,-l] group=web container=app" },
	{ ARGV("exec", "-it", "web", "app", "--", "sh", "-c", "x"),
	  "exec argv=[sh,-c,x] group=web container=app interactive tty" },
	{ ARGV("exec", "--tty", "web", "app", "sh", "-i"),
	  "exec argv=[sh,-i] group=web container=app tty" },
	{ ARGV("exec", "web", "app"),
	  "error: exec: takes GROUP CONTAINER [--] COMMAND [ARG...]" },
	{ ARGV("exec", "web", "app", "--"),
	  "error: exec: takes GROUP CONTAINER [--] COMMAND [ARG...]" },
	{ ARGV("exec", "-x", "web", "app", "ls"),
	  "error: exec: unknown option \"-x\"" },

	/* attach */
	{ ARGV("attach", "web"), "attach group=web" },
	{ ARGV("attach", "web", "app"), "attach group=web container=app" },
	{ ARGV("attach"), "error: attach: takes GROUP [CONTAINER]" },

	/* stats */
	{ ARGV("stats"), "stats" },
	{ ARGV("stats", "--no-stream", "web"), "stats group=web no-stream" },
	{ ARGV("stats", "--format", "prometheus"), "stats prometheus" },
	{ ARGV("stats", "--format=json", "--no-stream"),
	  "stats json no-stream" },
	{ ARGV("stats", "--format", "yaml"),
	  "error: stats: --format: \"yaml\": json, prometheus or table" },
	{ ARGV("stats", "a", "b"), "error: stats: takes at most one GROUP" },
	{ ARGV("ps", "--format", "prometheus"),
	  "error: ps: --format: \"prometheus\": json or table" },

	/* bench */
	{ ARGV("bench", "cold-start"), "bench bench=cold-start" },
	{ ARGV("bench", "cold-start", "-n", "3", "--image", "oci:bb", "--qemu"),
	  "bench bench=cold-start runs=3 bench-image=oci:bb qemu" },
	{ ARGV("bench", "--runs=5", "cold-start"),
	  "bench bench=cold-start runs=5" },
	{ ARGV("bench"), "error: bench: the only benchmark is \"cold-start\"" },
	{ ARGV("bench", "warm-start"),
	  "error: bench: the only benchmark is \"cold-start\"" },
	{ ARGV("bench", "cold-start", "-n", "0"),
	  "error: bench: -n: \"0\" is out of range (1..1000)" },
	/* volume */
	{ ARGV("volume", "ls"), "volume volume=ls names=[]" },
	{ ARGV("volume", "inspect", "db", "cache"),
	  "volume volume=inspect names=[db,cache]" },
	{ ARGV("volume", "rm", "db"), "volume volume=rm names=[db]" },
	{ ARGV("volume", "--help"), "volume help" },
	{ ARGV("help", "volume"), "help topic=volume" },
	{ ARGV("volume"),
	  "error: volume: takes ls, inspect NAME... or rm NAME..." },
	{ ARGV("volume", "create", "x"),
	  "error: volume: takes ls, inspect NAME... or rm NAME..." },
	{ ARGV("volume", "ls", "x"),
	  "error: volume ls: takes no arguments (\"x\")" },
	{ ARGV("volume", "rm"), "error: volume rm: needs at least one NAME" },
};

Test(cli, table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cli_case *k = &cases[i];
		char *argv[32], got[1024];
		struct lerr e = { 0 };
		struct cli c;
		int argc = 0, r;

		while (k->argv[argc]) {
			argv[argc] = (char *)k->argv[argc];
			argc++;
		}
		argv[argc] = NULL;
		r = cli_parse(argc, argv, &c, &e);
		if (r < 0)
			snprintf(got, sizeof(got), "error: %s", e.msg);
		else
			describe(&c, got, sizeof(got));
		cr_expect_str_eq(got, k->want, "case %zu (%s %s ...)", i,
				 k->argv[1] ? k->argv[1] : "",
				 k->argv[1] && k->argv[2] ? k->argv[2] : "");
		cli_free(&c);
	}
}

Test(cli, image_or_spec)
{
	cr_expect(cli_is_image_ref("oci:x"));
	cr_expect(cli_is_image_ref("oci-archive:/a/b.tar:v1"));
	cr_expect(cli_is_image_ref("docker://busybox"));
	cr_expect_not(cli_is_image_ref("web.ini"));
	cr_expect_not(cli_is_image_ref("./oci:x"));
	cr_expect_not(cli_is_image_ref("/abs/web.ini"));
	cr_expect_not(cli_is_image_ref("Oci:x"));
	cr_expect_not(cli_is_image_ref(":x"));
}

Test(cli, every_command_has_a_usage)
{
	for (int cmd = CLI_NONE; cmd < CLI_COMMAND_COUNT; cmd++) {
		const char *u = cli_usage((enum cli_command)cmd);

		cr_assert_not_null(u);
		cr_expect(strncmp(u, "usage: lighter", 14) == 0, "command %d",
			  cmd);
		cr_expect_eq(u[strlen(u) - 1], '\n');
		if (cmd != CLI_NONE)
			cr_expect(strstr(u, cli_command_name(
						    (enum cli_command)cmd)) !=
					  NULL,
				  "the usage of %s names it",
				  cli_command_name((enum cli_command)cmd));
	}
}
