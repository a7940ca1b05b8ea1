/* cmd-logs.c - `lighter logs [-f] [--tail N] [-t] GROUP [CONTAINER]`. */
#include "cmd.h"

int cmd_logs(const struct cli *c, struct lighter_paths *p)
{
	struct lighter_log_opts o = {
		.container = c->container,
		.follow = c->follow,
		.timestamps = c->timestamps,
		.tail = c->tail,
		.out_fd = 1,
		.err_fd = 2,
	};
	struct lerr e = { 0 };
	int r = cmd_need_group(p, c->group);

	if (r)
		return r;
	if (lighter_group_logs(p, c->group, &o, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	return 0;
}
