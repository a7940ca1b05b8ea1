/* cmd-create-start.c - `lighter create` (prints the new group's name) and
 * `lighter start` (prints each started group's name; Docker's 125, 126
 * or 127 when one fails to start, 1 for a missing one). */
#include <stdio.h>

#include "cmd.h"

void cmd_create_opts(const struct cli *c, struct lighter_create_opts *o)
{
	*o = (struct lighter_create_opts){
		.name = c->name,
		.spec_path = c->spec_path,
		.image = c->image,
		.cpus = c->cpus,
		.mem_bytes = c->mem_bytes,
		.env = c->env,
		.argv = (const char *const *)c->argv,
	};
}

int cmd_each_group(const struct cli *c, struct lighter_paths *p,
		   cmd_group_act act)
{
	int status = 0;

	for (size_t i = 0; i < c->nr_groups; i++) {
		const char *name = c->groups[i];
		int r = cmd_need_group(p, name);

		if (!r)
			r = act(c, p, name);
		if (r) {
			status = r;
			continue;
		}
		printf("%s\n", name);
		fflush(stdout);
	}
	return status;
}

int cmd_create(const struct cli *c, struct lighter_paths *p)
{
	struct lighter_create_opts o;
	char name[LIGHTER_NAME_MAX + 1];
	struct lerr e = { 0 };

	cmd_create_opts(c, &o);
	if (lighter_group_create(p, &o, name, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	printf("%s\n", name);
	return 0;
}

static int start_one(const struct cli *c, struct lighter_paths *p,
		     const char *name)
{
	struct lerr e = { 0 };
	int code;

	if (lighter_group_start(p, name, &code, &e) < 0) {
		cmd_error("%s: %s", name, e.msg);
		return code;
	}
	return 0;
}

int cmd_start(const struct cli *c, struct lighter_paths *p)
{
	struct lerr e = { 0 };

	if (lighter_paths_runtime(p, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	return cmd_each_group(c, p, start_one);
}
