/* lighter-main.c - the `lighter` executable: parse the command line
 * (cli-parse.c), answer --help / --version / help, resolve the run and
 * data dirs, and hand over to the command (cmd-*.c).  A bad command line
 * is "lighter: <why>" and the command's usage on stderr, exit 125. */
#include <stdarg.h>
#include <stdio.h>

#include "cmd.h"

void cmd_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("lighter: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cmd_need_group(const struct lighter_paths *p, const char *name)
{
	if (lighter_group_exists(p, name))
		return 0;
	cmd_error("no such group \"%s\"", name);
	return EXIT_NO_GROUP;
}

static int dispatch(const struct cli *c, struct lighter_paths *p)
{
	switch (c->cmd) {
	case CLI_CREATE:
		return cmd_create(c, p);
	case CLI_RUN:
		return cmd_run(c, p);
	case CLI_START:
		return cmd_start(c, p);
	case CLI_STOP:
		return cmd_stop(c, p);
	case CLI_RM:
		return cmd_rm(c, p);
	case CLI_PS:
		return cmd_ps(c, p);
	case CLI_INSPECT:
		return cmd_inspect(c, p);
	case CLI_LOGS:
		return cmd_logs(c, p);
	case CLI_BENCH:
		return cmd_bench(c, p);
	case CLI_VOLUME:
		return cmd_volume(c, p);
	case CLI_EXEC:
		return cmd_exec(c, p);
	case CLI_ATTACH:
		return cmd_attach(c, p);
	case CLI_STATS:
		return cmd_stats(c, p);
	case CLI_RESTART:
		return cmd_restart(c, p);
	case CLI_EVENTS:
		return cmd_events(c, p);
	case CLI_NONE:
	case CLI_HELP:
	case CLI_VERSION:
	case CLI_COMMAND_COUNT:
	default:
		return EXIT_LIGHTER;
	}
}

int main(int argc, char **argv)
{
	struct lighter_paths p;
	struct lerr e = { 0 };
	struct cli c;
	int status;

	if (cli_parse(argc, argv, &c, &e) < 0) {
		cmd_error("%s", e.msg);
		fputs(cli_usage(c.cmd), stderr);
		cli_free(&c);
		return EXIT_LIGHTER;
	}
	if (c.cmd == CLI_VERSION) {
		printf("lighter %s\n", LIGHTER_VERSION);
		cli_free(&c);
		return 0;
	}
	if (c.help || c.cmd == CLI_HELP) {
		fputs(cli_usage(c.cmd == CLI_HELP ? c.help_topic : c.cmd),
		      stdout);
		cli_free(&c);
		return 0;
	}
	if (lighter_paths_init(&p, c.run_dir, c.data_dir, &e) < 0) {
		cmd_error("%s", e.msg);
		cli_free(&c);
		return EXIT_LIGHTER;
	}
	status = dispatch(&c, &p);
	lighter_paths_free(&p);
	cli_free(&c);
	return status;
}
