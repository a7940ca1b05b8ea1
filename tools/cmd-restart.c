/* cmd-restart.c - `lighter restart [-t SECS] GROUP...`: each running
 * group's containers restarted in place (lighter_group_restart()), its
 * name printed when the agent has signalled them. */
#include "cmd.h"

static int restart_one(const struct cli *c, struct lighter_paths *p,
		       const char *name)
{
	struct lerr e = { 0 };

	if (lighter_group_restart(p, name, c->stop_timeout_s * 1000U, &e) <
	    0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	return 0;
}

int cmd_restart(const struct cli *c, struct lighter_paths *p)
{
	return cmd_each_group(c, p, restart_one);
}
