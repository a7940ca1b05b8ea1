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

Test(process, env_merge)
{
	struct spec s = { .name = "web" };
	struct spec_container c = { .name = "app" };
	struct oci_image img = { 0 };
	struct process p;
	struct lerr e = { 0 };

	img.cmd = dup_strv(STRV("sh"));
	img.env = dup_strv(STRV("PATH=/img/bin", "A=image", "HOSTNAME=imgname",
				"B=image"));
	c.env = dup_strv(STRV("B=spec", "C=spec"));
	cr_assert_eq(process_merge(&p, &s, &c, &img, &e), 0, "%s", e.msg);
	expect_strv(p.env,
		    STRV("PATH=/img/bin", "A=image", "HOSTNAME=web", "B=spec",
			 "C=spec"),
		    "image env, HOSTNAME, spec overrides in place");
	process_free(&p);
	strv_free(img.env);
	strv_free(c.env);

	/* No PATH anywhere: the default; the spec may set HOSTNAME. */
	img.env = NULL;
	c.env = dup_strv(STRV("HOSTNAME=custom"));
	cr_assert_eq(process_merge(&p, &s, &c, &img, &e), 0, "%s", e.msg);
	expect_strv(p.env, STRV("HOSTNAME=custom", PROCESS_DEFAULT_PATH),
		    "defaults");
	process_free(&p);
	strv_free(c.env);

	/* PATH from the spec only. */
	c.env = dup_strv(STRV("PATH=/spec"));
	cr_assert_eq(process_merge(&p, &s, &c, &img, &e), 0, "%s", e.msg);
	expect_strv(p.env, STRV("HOSTNAME=web", "PATH=/spec"), "spec PATH");
	process_free(&p);
	strv_free(c.env);
	oci_image_free(&img);
}

Test(process, workdir_and_user)
{
	struct spec s = { .name = "g" };
	struct spec_container c = { .name = "app" };
	struct oci_image img = { 0 };
	struct process p;
	struct lerr e = { 0 };

	img.cmd = dup_strv(STRV("sh"));
	cr_assert_eq(process_merge(&p, &s, &c, &img, &e), 0, "%s", e.msg);
	cr_expect_str_eq(p.cwd, "/", "default workdir");
	cr_expect_str_eq(p.user, "0", "default user");
	process_free(&p);

	img.workdir = strdup("/img");
	img.user = strdup("nobody");
	cr_assert_eq(process_merge(&p, &s, &c, &img, &e), 0, "%s", e.msg);
	cr_expect_str_eq(p.cwd, "/img");
	cr_expect_str_eq(p.user, "nobody");
	process_free(&p);

	c.workdir = strdup("/spec");
	c.user = strdup("1000:1000");
	cr_assert_eq(process_merge(&p, &s, &c, &img, &e), 0, "%s", e.msg);
	cr_expect_str_eq(p.cwd, "/spec");
	cr_expect_str_eq(p.user, "1000:1000");
	process_free(&p);
	free(c.workdir);
	free(c.user);
	oci_image_free(&img);
}
