/* cli.h - the `lighter` command line: parsing argv into a struct cli
 * (cli-parse.c, pure: no I/O, no globals, so every command's grammar is
 * unit-tested from a table) and the usage texts (cli-usage.c).
 *
 *   lighter [--run-dir DIR] [--data-dir DIR] COMMAND [OPTIONS] ARGS
 *
 * Options come before positional arguments for create and run (the
 * words after IMAGE are the container's command, options included);
 * the other commands take them anywhere.  Long options take their value
 * as `--name N` or `--name=N`, short ones as `-t 5` or `-t5`; `--` ends
 * the options.  A bad command line is an error whose message names the
 * command and the option or argument at fault ('run: --memory: "12Q" is
 * not a size'); lighter-main prints it with the usage and exits 125. */
#ifndef LIGHTER_TOOLS_CLI_H
#define LIGHTER_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lighter/error.h>

enum cli_command {
	CLI_NONE = 0, /* no command: global --help or --version only */
	CLI_HELP,
	CLI_VERSION,
	CLI_CREATE,
	CLI_RUN,
	CLI_START,
	CLI_STOP,
	CLI_RM,
	CLI_PS,
	CLI_INSPECT,
	CLI_LOGS,
	CLI_BENCH,
	CLI_VOLUME,
	CLI_EXEC,
	CLI_ATTACH,
	CLI_STATS,
	CLI_RESTART,
	CLI_EVENTS,
	CLI_COMMAND_COUNT,
};

#define CLI_STOP_DEFAULT_S 10
#define CLI_STOP_MAX_S 3600
#define CLI_BENCH_DEFAULT_RUNS 10
#define CLI_BENCH_MAX_RUNS 1000

struct cli {
	enum cli_command cmd;
	bool help; /* --help: show the command's usage, do nothing else */
	const char *run_dir, *data_dir;

	/* create, run */
	const char *name;
	bool detach, rm;
	unsigned int cpus;  /* 0: not given */
	uint64_t mem_bytes; /* 0: not given */
	const char **env;   /* -e K=V..., NULL-terminated (malloc'd array) */
	size_t nr_env;
	const char *spec_path; /* the SPEC.ini form ... */
	const char *image;     /* ... or the IMAGE [CMD...] form */
	char **argv;	       /* CMD... (NULL if none) */

	/* start, stop, restart, rm, inspect: GROUP... (into argv) */
	char **groups;
	size_t nr_groups;
	unsigned int stop_timeout_s; /* stop, restart -t, default 10 */
	bool force;		     /* rm -f */

	/* ps */
	bool all;
	bool json; /* --format json */

	/* logs GROUP [CONTAINER]; events [GROUP] (group NULL: all) */
	const char *group, *container;
	bool follow, timestamps;
	long tail; /* -1: all */

	/* exec [-i] [-t] GROUP CONTAINER [--] CMD...: group, container, argv;
	 * attach GROUP [CONTAINER]: group, container */
	bool interactive, tty;

	/* stats [--no-stream] [--format table|json|prometheus] [GROUP] */
	bool no_stream;
	bool prometheus; /* --format prometheus (json: the json flag) */

	/* bench cold-start */
	const char *bench;
	unsigned int runs;
	const char *bench_image;
	bool qemu;

	/* volume ls | inspect NAME... | rm NAME... */
	const char *volume_cmd;
	char **volumes;
	size_t nr_volumes;

	/* help [COMMAND] */
	enum cli_command help_topic;

	char **positional; /* owned: what argv, groups point into */
};

/* Parse argv (argv[0] is the program).  0 with c filled (pointers into
 * argv), or -EINVAL with e; c->cmd says whose usage to show then.
 * cli_free() is safe in every case. */
int cli_parse(int argc, char **argv, struct cli *c, struct lerr *e);
void cli_free(struct cli *c);

/* "run", ...; NULL for CLI_NONE. */
const char *cli_command_name(enum cli_command cmd);

/* The usage text of a command (CLI_NONE: the overview), ending in '\n'. */
const char *cli_usage(enum cli_command cmd);

/* True when a first positional argument is an image reference (it starts
 * with a transport, `[a-z][a-z0-9-]*:`), false for a spec file path. */
bool cli_is_image_ref(const char *arg);

#endif
