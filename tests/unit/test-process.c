/* test-process.c - a container's process from image config and spec
 * (tools/process.c), Docker's rules case by case: entrypoint and cmd,
 * "no command", env override and defaults, workdir and user. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expect-strv.h"
#include "process.h"
#include "strv.h"

#define NONE ((const char *const *)NULL)

static char **dup_strv(const char *const *v)
{
	char **out = NULL;

	cr_assert_eq(strv_dup((char *const *)v, &out), 0);
	return out;
}

struct args_case {
	const char *const *img_entrypoint;
	const char *const *img_cmd;
	const char *const *spec_entrypoint;
	const char *const *spec_command;
	const char *const *want; /* NULL: "no command" */
};

Test(process, entrypoint_and_cmd)
{
	const struct args_case cases[] = {
		/* image only */
		{ STRV("/ep"), STRV("a", "b"), NONE, NONE,
		  STRV("/ep", "a", "b") },
		{ NONE, STRV("sh"), NONE, NONE, STRV("sh") },
		{ STRV("/ep"), NONE, NONE, NONE, STRV("/ep") },
		/* spec command replaces Cmd, keeps Entrypoint */
		{ STRV("/ep"), STRV("a"), NONE, STRV("x", "y"),
		  STRV("/ep", "x", "y") },
		{ NONE, STRV("a"), NONE, STRV("x"), STRV("x") },
		/* spec entrypoint replaces Entrypoint and drops image Cmd */
		{ STRV("/ep"), STRV("a"), STRV("/new"), NONE, STRV("/new") },
		{ STRV("/ep"), STRV("a"), STRV("/new"), STRV("z"),
		  STRV("/new", "z") },
		/* given empty: entrypoint cleared, image Cmd dropped too */
		{ STRV("/ep"), STRV("a"), STRV(NULL), STRV("x"), STRV("x") },
		{ STRV("/ep"), STRV("a"), STRV(NULL), NONE, NULL },
		/* nothing anywhere */
		{ NONE, NONE, NONE, NONE, NULL },
		{ NONE, STRV(NULL), NONE, STRV(NULL), NULL },
	};
	struct spec s = { .name = "grp" };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct args_case *t = &cases[i];
		struct spec_container c = { .name = "app" };
		struct oci_image img = { 0 };
		struct process p;
		struct lerr e = { 0 };
		char what[32];
		int r;

		img.entrypoint = t->img_entrypoint ? dup_strv(t->img_entrypoint)
						   : NULL;
		img.cmd = t->img_cmd ? dup_strv(t->img_cmd) : NULL;
		c.entrypoint = t->spec_entrypoint ? dup_strv(t->spec_entrypoint)
						  : NULL;
		c.command = t->spec_command ? dup_strv(t->spec_command) : NULL;
		r = process_merge(&p, &s, &c, &img, &e);
		snprintf(what, sizeof(what), "case %zu args", i);
		if (t->want) {
			cr_expect_eq(r, 0, "%s: %s", what, e.msg);
			if (r == 0)
				expect_strv(p.args, t->want, what);
		} else {
			cr_expect_eq(r, -EINVAL, "%s: accepted", what);
			cr_expect(strncmp(e.msg, "[container.app]: no command",
					  27) == 0,
				  "%s: %s", what, e.msg);
			cr_expect_null(p.args);
		}
		process_free(&p);
		strv_free(c.entrypoint);
		strv_free(c.command);
		oci_image_free(&img);
	}
}

/* The inputs of process_merge() the env, workdir and user cases vary
 * (NULL: not set); the group is "web", the image's Cmd sh. */
struct merge_case {
	const char *const *img_env, *const *spec_env;
	const char *img_workdir, *img_user, *spec_workdir, *spec_user;
};

static void merge(const struct merge_case *m, struct process *p)
{
	struct spec s = { .name = "web" };
	struct spec_container c = { .name = "app" };
	struct oci_image img = { 0 };
	struct lerr e = { 0 };

	img.cmd = dup_strv(STRV("sh"));
	img.env = m->img_env ? dup_strv(m->img_env) : NULL;
	img.workdir = m->img_workdir ? strdup(m->img_workdir) : NULL;
	img.user = m->img_user ? strdup(m->img_user) : NULL;
	c.env = m->spec_env ? dup_strv(m->spec_env) : NULL;
	c.workdir = (char *)m->spec_workdir;
	c.user = (char *)m->spec_user;
	cr_assert_eq(process_merge(p, &s, &c, &img, &e), 0, "%s", e.msg);
	strv_free(c.env);
	oci_image_free(&img);
}

Test(process, env_merge)
{
	const struct {
		struct merge_case m;
		const char *const *want;
		const char *what;
	} cases[] = {
		{ { .img_env = STRV("PATH=/img/bin", "A=image",
				    "HOSTNAME=imgname", "B=image"),
		    .spec_env = STRV("B=spec", "C=spec") },
		  STRV("PATH=/img/bin", "A=image", "HOSTNAME=web", "B=spec",
		       "C=spec"),
		  "image env, HOSTNAME, spec overrides in place" },
		/* No PATH anywhere: the default; the spec may set HOSTNAME. */
		{ { .spec_env = STRV("HOSTNAME=custom") },
		  STRV("HOSTNAME=custom", PROCESS_DEFAULT_PATH),
		  "defaults" },
		{ { .spec_env = STRV("PATH=/spec") },
		  STRV("HOSTNAME=web", "PATH=/spec"),
		  "spec PATH" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct process p;

		merge(&cases[i].m, &p);
		expect_strv(p.env, cases[i].want, cases[i].what);
		process_free(&p);
	}
}

Test(process, workdir_and_user)
{
	const struct {
		struct merge_case m;
		const char *cwd, *user, *what;
	} cases[] = {
		{ { 0 }, "/", "0", "defaults" },
		{ { .img_workdir = "/img", .img_user = "nobody" },
		  "/img", "nobody", "the image's" },
		{ { .img_workdir = "/img", .img_user = "nobody",
		    .spec_workdir = "/spec", .spec_user = "1000:1000" },
		  "/spec", "1000:1000", "the spec's over the image's" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct process p;

		merge(&cases[i].m, &p);
		cr_expect_str_eq(p.cwd, cases[i].cwd, "%s", cases[i].what);
		cr_expect_str_eq(p.user, cases[i].user, "%s", cases[i].what);
		process_free(&p);
	}
}
