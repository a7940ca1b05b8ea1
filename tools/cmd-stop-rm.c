/* cmd-stop-rm.c - `lighter stop [-t SECS] GROUP...` and `lighter rm [-f]
 * GROUP...`: each group in turn, its name printed when done, errors
 * reported and the rest still handled (exit 1 when one was missing, 125
 * when one failed). */
#include <stdio.h>

#include "cmd.h"

int cmd_stop(const struct cli *c, struct lighter_paths *p)
{
	struct lerr e = { 0 };
	int status = 0;

	for (size_t i = 0; i < c->nr_groups; i++) {
		const char *name = c->groups[i];
		int r = cmd_need_group(p, name);

		if (r) {
			status = r;
			continue;
		}
		if (lighter_group_stop(p, name, c->stop_timeout_s * 1000U, &e) <
		    0) {
			cmd_error("%s", e.msg);
			status = EXIT_LIGHTER;
			continue;
		}
		printf("%s\n", name);
		fflush(stdout);
	}
	return status;
}

int cmd_rm(const struct cli *c, struct lighter_paths *p)
{
	struct lerr e = { 0 };
	int status = 0;

	for (size_t i = 0; i < c->nr_groups; i++) {
		const char *name = c->groups[i];
		int r = cmd_need_group(p, name);

		if (r) {
			status = r;
			continue;
		}
		if (lighter_group_remove(p, name, c->force, &e) < 0) {
			cmd_error("%s", e.msg);
			status = EXIT_LIGHTER;
			continue;
		}
		printf("%s\n", name);
		fflush(stdout);
	}
	return status;
}
