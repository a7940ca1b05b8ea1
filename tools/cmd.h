/* cmd.h - the `lighter` commands, one function each (cmd-*.c,
 * bench-cold-start.c), called by lighter-main.c with the parsed command
 * line and the resolved paths.  Each prints its own output and errors
 * ("lighter: ..." on stderr) and returns the process's exit status:
 * 0, 1 for a missing group, 125 for lighter's own failures, or what
 * the command passes on (run: the first container's status). */
#ifndef LIGHTER_TOOLS_CMD_H
#define LIGHTER_TOOLS_CMD_H

#include <lighter/lighter.h>

#include "cli.h"

#define EXIT_NO_GROUP 1
#define EXIT_LIGHTER 125

int cmd_create(const struct cli *c, struct lighter_paths *p);
int cmd_run(const struct cli *c, struct lighter_paths *p);
int cmd_start(const struct cli *c, struct lighter_paths *p);
int cmd_stop(const struct cli *c, struct lighter_paths *p);
int cmd_rm(const struct cli *c, struct lighter_paths *p);
int cmd_ps(const struct cli *c, struct lighter_paths *p);
int cmd_inspect(const struct cli *c, struct lighter_paths *p);
int cmd_logs(const struct cli *c, struct lighter_paths *p);
int cmd_bench(const struct cli *c, struct lighter_paths *p);
int cmd_volume(const struct cli *c, struct lighter_paths *p);
int cmd_exec(const struct cli *c, struct lighter_paths *p);
int cmd_attach(const struct cli *c, struct lighter_paths *p);
int cmd_stats(const struct cli *c, struct lighter_paths *p);
int cmd_restart(const struct cli *c, struct lighter_paths *p);
int cmd_events(const struct cli *c, struct lighter_paths *p);

/* "lighter: <msg>" on stderr. */
__attribute__((format(printf, 1, 2))) void cmd_error(const char *fmt, ...);

/* 1 (after saying 'no such group "x"') when the group is missing. */
int cmd_need_group(const struct lighter_paths *p, const char *name);

/* One command on every GROUP argument in turn (start, stop, rm): a
 * missing group is reported (status 1) and the others still handled;
 * act says why it failed and returns its exit status, or 0, after which
 * the group's name is printed.  Returns the last non-zero status. */
typedef int (*cmd_group_act)(const struct cli *c, struct lighter_paths *p,
			     const char *name);
int cmd_each_group(const struct cli *c, struct lighter_paths *p,
		   cmd_group_act act);

/* The create options every command that creates a group (create, run)
 * takes from its arguments. */
void cmd_create_opts(const struct cli *c, struct lighter_create_opts *o);

#endif
