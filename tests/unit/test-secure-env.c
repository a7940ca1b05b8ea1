/* test-secure-env.c - secure-env values at rest (tools/secure-env.c):
 * sealed so that no file holds a value, the key made once with mode 0600,
 * opened back into a SPEC body's env, and refused when moved to another
 * container or group, edited, or opened under another key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "secure-env.h"
#include "tmpdir.h"

TestSuite(secure_env, .init = tmpdir_make, .fini = tmpdir_remove);

static char *pass_env[] = {"PASSWORD=hunter2, really", "TOKEN=t0k3n", NULL};
static char *plain_env[] = {"MODE=prod", NULL};

static void sample(struct spec *s, struct spec_container *c)
{
	memset(s, 0, sizeof(*s));
	memset(c, 0, 2 * sizeof(*c));
	strcpy(s->name, "web");
	s->containers = c;
	s->nr_containers = 2;
	strcpy(c[0].name, "app");
	c[0].env = plain_env;
	c[0].secure_env = pass_env;
	strcpy(c[1].name, "side");
}

static json_t *spec_body(void)
{
	return json_pack("{s:s, s:[{s:s, s:[s]}, {s:s}]}", "name", "web",
			 "containers", "name", "app", "env", "MODE=prod",
			 "name", "side");
}

static json_t *seal(const char *data)
{
	struct spec_container c[2];
	struct spec s;
	struct lerr e = {0};
	json_t *sealed = NULL;

	sample(&s, c);
	cr_assert_eq(secure_env_seal(data, &s, &sealed, &e), 0, "%s", e.msg);
	cr_assert_not_null(sealed);
	return sealed;
}

Test(secure_env, sealed_values_open_into_the_spec_only)
{
	char *data = tmpdir_join("data"),
	     *key = tmpdir_join("data/secure-env.key");
	json_t *sealed, *spec, *env;
	struct lerr e = {0};
	struct stat st;
	char *dump;

	tmpdir_mkdirs("data");
	sealed = seal(data);
	dump = json_dumps(sealed, 0);
	cr_expect_null(strstr(dump, "hunter2"), "%s", dump);
	cr_expect_null(strstr(dump, "t0k3n"), "%s", dump);
	cr_expect_not_null(strstr(dump, "PASSWORD"), "names stay readable");
	free(dump);
	cr_assert_eq(stat(key, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600);
	cr_expect_eq(st.st_size, 32);

	spec = spec_body();
	cr_assert_eq(secure_env_open_into(data, sealed, spec, &e), 0, "%s",
		     e.msg);
	env = json_object_get(
	    json_array_get(json_object_get(spec, "containers"), 0), "env");
	cr_assert_eq(json_array_size(env), 3);
	cr_expect_str_eq(json_string_value(json_array_get(env, 0)),
			 "MODE=prod");
	cr_expect_str_eq(json_string_value(json_array_get(env, 1)),
			 "PASSWORD=hunter2, really");
	cr_expect_str_eq(json_string_value(json_array_get(env, 2)),
			 "TOKEN=t0k3n");
	cr_expect_null(json_object_get(
	    json_array_get(json_object_get(spec, "containers"), 1), "env"));
	json_decref(spec);

	/* a second seal reuses the key: both open */
	json_decref(sealed);
	sealed = seal(data);
	spec = spec_body();
	cr_expect_eq(secure_env_open_into(data, sealed, spec, &e), 0, "%s",
		     e.msg);
	json_decref(spec);
	json_decref(sealed);
	free(data);
	free(key);
}

static void expect_refused(const char *data, json_t *sealed, json_t *spec,
			   int err, const char *part)
{
	struct lerr e = {0};

	cr_expect_eq(secure_env_open_into(data, sealed, spec, &e), -err, "%s",
		     e.msg);
	cr_expect_not_null(strstr(e.msg, part), "%s", e.msg);
	cr_expect_null(strstr(e.msg, "hunter2"), "%s", e.msg);
	json_decref(spec);
}

Test(secure_env, moved_edited_or_foreign_values_do_not_open)
{
	char *data = tmpdir_join("data"), *other = tmpdir_join("other");
	json_t *sealed, *per, *moved, *spec;
	const char *b64;
	char *edited;

	tmpdir_mkdirs("data");
	tmpdir_mkdirs("other");
	sealed = seal(data);
	per = json_object_get(sealed, "containers");

	/* another group name */
	spec = spec_body();
	json_object_set_new(spec, "name", json_string("db"));
	expect_refused(data, sealed, spec, EBADMSG, "does not open");

	/* moved to another container */
	moved = json_deep_copy(sealed);
	json_object_set(json_object_get(moved, "containers"), "side",
			json_object_get(per, "app"));
	json_object_del(json_object_get(moved, "containers"), "app");
	expect_refused(data, moved, spec_body(), EBADMSG, "\"side\"");
	json_decref(moved);

	/* one character changed */
	moved = json_deep_copy(sealed);
	b64 = json_string_value(json_object_get(
	    json_array_get(
		json_object_get(json_object_get(moved, "containers"), "app"),
		0),
	    "sealed"));
	edited = strdup(b64);
	edited[20] = edited[20] == 'A' ? 'B' : 'A';
	json_object_set_new(
	    json_array_get(
		json_object_get(json_object_get(moved, "containers"), "app"),
		0),
	    "sealed", json_string(edited));
	free(edited);
	expect_refused(data, moved, spec_body(), EBADMSG, "PASSWORD");
	json_decref(moved);

	/* another data dir: no key there */
	expect_refused(other, sealed, spec_body(), ENOENT, "secure-env.key");
	/* another key */
	json_decref(seal(other));
	expect_refused(other, sealed, spec_body(), EBADMSG, "does not open");
	/* a container the spec lacks */
	spec = json_pack("{s:s, s:[{s:s}]}", "name", "web", "containers",
			 "name", "side");
	expect_refused(data, sealed, spec, ENOENT, "no container \"app\"");
	json_decref(sealed);
	free(data);
	free(other);
}

Test(secure_env, nothing_to_seal_is_no_file)
{
	struct spec_container c[2];
	struct spec s;
	struct lerr e = {0};
	json_t *sealed = (json_t *)1;
	char *data = tmpdir_join("data"),
	     *key = tmpdir_join("data/secure-env.key");
	struct stat st;

	tmpdir_mkdirs("data");
	sample(&s, c);
	c[0].secure_env = NULL;
	cr_assert_eq(secure_env_seal(data, &s, &sealed, &e), 0, "%s", e.msg);
	cr_expect_null(sealed);
	cr_expect_lt(stat(key, &st), 0, "no key made for nothing");
	free(data);
	free(key);
}
