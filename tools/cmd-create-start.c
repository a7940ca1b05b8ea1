/* cmd-create-start.c - `lighter create` (prints the new group's name) and
 * `lighter start` (prints each started group's name; Docker's 125, 126
 * or 127 when one fails to start, 1 for a missing one). */
#include <stdio.h>

#include "cmd.h"

int cmd_create(const struct cli *c, struct lighter_paths *p)
{
	struct lighter_create_opts o = {
		.name = c->name,
		.spec_path = c->spec_path,
		.image = c->image,
		.cpus = c->cpus,
		.mem_bytes = c->mem_bytes,
		.env = c->env,
		.argv = (const char *const *)c->argv,
	};
	char name[LIGHTER_NAME_MAX + 1];
	struct lerr e = { 0 };

	if (lighter_group_create(p, &o, name, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	printf("%s\n", name);
	return 0;
}

int cmd_start(const struct cli *c, struct lighter_paths *p)
{
	struct lerr e = { 0 };
	int status = 0;

	if (lighter_paths_runtime(p, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	for (size_t i = 0; i < c->nr_groups; i++) {
		const char *name = c->groups[i];
		int r = cmd_need_group(p, name), code;

		if (r) {
			status = r;
			continue;
		}
		if (lighter_group_start(p, name, &code, &e) < 0) {
			cmd_error("%s: %s", name, e.msg);
			status = code;
			continue;
		}
		printf("%s\n", name);
		fflush(stdout);
	}
	return status;
}
