/* cmd-stop-rm.c - `lighter stop [-t SECS] GROUP...` and `lighter rm [-f]
 * GROUP...`: each group in turn, its name printed when done, errors
 * reported and the rest still handled (exit 1 when one was missing, 125
 * when one failed). */
#include <stdio.h>

#include "cmd.h"

static int stop_one(const struct cli *c, struct lighter_paths *p,
		    const char *name)
{
	struct lerr e = { 0 };

	if (lighter_group_stop(p, name, c->stop_timeout_s * 1000U, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	return 0;
}

static int rm_one(const struct cli *c, struct lighter_paths *p,
		  const char *name)
{
	struct lerr e = { 0 };

	if (lighter_group_remove(p, name, c->force, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	return 0;
}

int cmd_stop(const struct cli *c, struct lighter_paths *p)
{
	return cmd_each_group(c, p, stop_one);
}

int cmd_rm(const struct cli *c, struct lighter_paths *p)
{
	return cmd_each_group(c, p, rm_one);
}
