/* test-spec.c - the group spec (tools/spec*.c, tools/ini-scan.c): the
 * ARCHITECTURE.md example and other valid files, a table of invalid files
 * whose messages must start with FILE:LINE and name the key, the word and
 * env list syntaxes, sizes and cpus, the limits-fit checks and the CLI
 * shorthand constructor. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expect-strv.h"
#include "spec-internal.h"
#include "strv.h"
#include "tmpdir.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static struct spec s;

static void setup(void)
{
	tmpdir_make();
}

static void teardown(void)
{
	spec_free(&s);
	tmpdir_remove();
}

TestSuite(spec, .init = setup, .fini = teardown);

static const char architecture_example[] =
	"[group]\n"
	"name    = web\n"
	"cpus    = 2\n"
	"memory  = 512M\n"
	"restart = on-failure        ; always | on-failure | never\n"
	"\n"
	"[container.app]\n"
	"image   = oci:images/busybox:latest\n"
	"command = httpd -f -p 8080\n"
	"env     = MODE=prod, LEVEL=3\n"
	"memory  = 128M\n"
	"\n"
	"[container.sidecar]\n"
	"image   = oci:images/busybox:latest\n"
	"command = sh -c \"while true; do wget -q -O- localhost:8080; sleep "
	"5; done\"\n";

/* The [group] values in s, and its number of containers. */
static void expect_group(const char *name, unsigned int cpus, uint64_t mem,
			 enum spec_restart restart, size_t n)
{
	cr_expect_str_eq(s.name, name);
	cr_expect_eq(s.cpus, cpus);
	cr_expect_eq(s.mem_bytes, mem);
	cr_expect_eq(s.restart, restart);
	cr_assert_eq(s.nr_containers, n);
}

Test(spec, architecture_example)
{
	char *path = tmpdir_write_str("conf/web.ini", architecture_example);
	char *images = tmpdir_join("conf/images/busybox");
	struct lerr e = { 0 };
	const struct spec_container *app, *side;

	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	expect_group("web", 2, 512 * MiB, SPEC_RESTART_ON_FAILURE, 2);

	app = &s.containers[0];
	cr_expect_str_eq(app->name, "app");
	cr_expect_str_eq(app->image, "oci:images/busybox:latest");
	cr_expect_eq(app->ref.transport, OCI_TRANSPORT_LAYOUT);
	cr_expect_str_eq(app->ref.path, images,
			 "relative image paths start at the spec's directory");
	cr_expect_str_eq(app->ref.tag, "latest");
	expect_strv(app->command, STRV("httpd", "-f", "-p", "8080"), "command");
	cr_expect_null(app->entrypoint);
	expect_strv(app->env, STRV("MODE=prod", "LEVEL=3"), "env");
	cr_expect_eq(app->mem_bytes, 128 * MiB);
	cr_expect_eq(app->millicpus, 0);

	side = &s.containers[1];
	cr_expect_str_eq(side->name, "sidecar");
	expect_strv(side->command,
		    STRV("sh", "-c",
			 "while true; do wget -q -O- localhost:8080; sleep 5; "
			 "done"),
		    "sidecar command (';' inside quotes is not a comment)");
	cr_expect_null(side->env);
	cr_expect_eq(side->mem_bytes, 0);
	free(images);
	free(path);
}

Test(spec, minimal_gets_defaults)
{
	char *path = tmpdir_write_str("min.ini", "[group]\nname=a\n"
						 "[container.only]\n"
						 "image=oci-archive:/img.tar\n");
	struct lerr e = { 0 };
	const struct spec_container *c;

	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	expect_group("a", 1, SPEC_MEM_DEFAULT, SPEC_RESTART_ALWAYS, 1);
	c = &s.containers[0];
	cr_expect_eq(c->ref.transport, OCI_TRANSPORT_ARCHIVE);
	cr_expect_str_eq(c->ref.path, "/img.tar");
	cr_expect_null(c->ref.tag);
	cr_expect_null(c->command);
	cr_expect_null(c->entrypoint);
	cr_expect_null(c->env);
	cr_expect_null(c->workdir);
	cr_expect_null(c->user);
	cr_expect_eq(c->millicpus, 0);
	cr_expect_eq(c->mem_bytes, 0);
	cr_expect_eq(c->pids, 0);
	free(path);
}

Test(spec, every_key_comments_and_continuations)
{
	char *path = tmpdir_write_str(
		"all.ini",
		"; a comment\n"
		"# another\n"
		"[container.Worker-1]\n" /* containers may come first */
		"image      = oci:/srv/img:v1.2\n"
		"entrypoint = /bin/busybox ; the multi-call binary\n"
		"command    = echo 'a;b' \"#c\" d\\ e \\\n"
		"             f\n"
		"env        = A=1, MSG=\"x, y\", Q='it''s', EMPTY=, "
		"SP=a b \n"
		"workdir    = /var/www\n"
		"user       = 1000:1000\n"
		"cpus       = 0.5\n"
		"memory     = 256M\n"
		"pids       = 64\n"
		"\n"
		"[GROUP]\n"
		"Name    = \"g1\"\n"
		"cpus    = 4\n"
		"memory  = 1G\n"
		"restart = always\n"
		"[container.b]\n"
		"image = oci:rel\n"
		"entrypoint =\n"
		"command = \"\"\n");
	struct lerr e = { 0 };
	const struct spec_container *c;

	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	expect_group("g1", 4, 1 * GiB, SPEC_RESTART_ALWAYS, 2);
	c = &s.containers[0];
	cr_expect_str_eq(c->name, "Worker-1", "the name as written");
	cr_expect_str_eq(c->ref.tag, "v1.2");
	expect_strv(c->entrypoint, STRV("/bin/busybox"), "entrypoint");
	expect_strv(c->command, STRV("echo", "a;b", "#c", "d e", "f"),
		    "command");
	expect_strv(c->env,
		    STRV("A=1", "MSG=x, y", "Q=its", "EMPTY=", "SP=a b"),
		    "env");
	cr_expect_str_eq(c->workdir, "/var/www");
	cr_expect_str_eq(c->user, "1000:1000");
	cr_expect_eq(c->millicpus, 500);
	cr_expect_eq(c->mem_bytes, 256 * MiB);
	cr_expect_eq(c->pids, 64);
	c = &s.containers[1];
	cr_expect_str_eq(c->name, "b");
	expect_strv(c->entrypoint, EMPTY_STRV, "given empty");
	expect_strv(c->command, STRV(""), "one empty word");
	free(path);
}

Test(spec, container_order_is_file_order)
{
	static const char *const names[] = { "zeta", "alpha", "mid", "b2",
					     "a1" };
	char text[1024] = "[group]\nname = order\n";
	struct lerr e = { 0 };
	char *path;
	size_t i;

	for (i = 0; i < 5; i++) {
		strcat(text, "[container.");
		strcat(text, names[i]);
		strcat(text, "]\nimage = oci:/i\n");
	}
	path = tmpdir_write_str("order.ini", text);
	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	cr_assert_eq(s.nr_containers, 5);
	for (i = 0; i < 5; i++)
		cr_expect_str_eq(s.containers[i].name, names[i]);
	free(path);
}

/* n containers "c0".."c{n-1}", each with the given extra keys. */
static char *many_containers(unsigned int n, const char *extra)
{
	size_t cap = 64 + n * (64 + strlen(extra)), len;
	char *text = malloc(cap);
	unsigned int i;

	cr_assert_not_null(text);
	len = (size_t)snprintf(text, cap, "[group]\nname = many\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"[container.c%u]\nimage = oci:/i\n%s", i,
					extra);
	return text;
}

Test(spec, sixteen_containers_fit_seventeen_do_not)
{
	char *text = many_containers(16, ""), *path;
	struct lerr e = { 0 };

	path = tmpdir_write_str("16.ini", text);
	cr_expect_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	cr_expect_eq(s.nr_containers, 16);
	spec_free(&s);
	free(path);
	free(text);

	text = many_containers(17, "");
	path = tmpdir_write_str("17.ini", text);
	cr_expect_eq(spec_load(&s, path, &e), -E2BIG);
	cr_expect(strstr(e.msg, "17.ini:35: [container.c16]: more than 16 "
				"containers") != NULL,
		  "%s", e.msg);
	free(path);
	free(text);
}

struct bad_case {
	const char *text;
	const char *want; /* the message after "<path>:" */
};

#define X16 "xxxxxxxxxxxxxxxx"
#define X256 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16
#define G "[group]\nname = g\n"
#define C "[container.app]\nimage = oci:/i\n"

Test(spec, invalid_files)
{
	static const struct bad_case cases[] = {
		/* syntax and structure */
		{ G "this is not ini\n", "3: syntax error: \"this is not ini\"" },
		{ G "cmd = " X256 X256 X256 X256 "\n", "3: input line too long" },
		{ "name = g\n" G C, "1: key \"name\" outside any section" },
		{ G C "[volumes]\n", "5: unknown section [volumes] (want [group], "
				     "[container.NAME], [init.NAME] or "
				     "[volume.NAME])" },
		{ G C "[group]\ncpus = 2\n",
		  "5: [group]: duplicate section (first at line 1)" },
		{ G "name = h\n" C, "3: [group] name: duplicate key (first at "
				    "line 2)" },
		{ G C "[]\n", "5: empty section name" },
		{ G C "x = 1 \\\n", "5: continuation at end of file" },
		{ C, " no [group] section" },
		{ G, " no [container.NAME] section" },
		/* [group] */
		{ "[group]\ncpus = 1\n" C, "1: [group]: missing key \"name\"" },
		{ "[group]\nnmae = g\n" C, "2: [group] nmae: unknown key" },
		{ "[group]\nname = -g\n" C,
		  "2: [group] name: \"-g\": not a name ([a-zA-Z0-9][a-zA-Z0-9_.-]"
		  "{0,62})" },
		{ "[group]\nname = a b\n" C, "2: [group] name: \"a b\": not a name" },
		{ "[group]\nname = " X16 X16 X16 X16 "\n" C,
		  "2: [group] name: \"" X16 X16 X16 X16 "\": not a name" },
		{ G "cpus = 0\n" C, "3: [group] cpus: \"0\": not in 1..64" },
		{ G "cpus = 65\n" C, "3: [group] cpus: \"65\": not in 1..64" },
		{ G "cpus = two\n" C, "3: [group] cpus: \"two\": not a number" },
		{ G "cpus = -1\n" C, "3: [group] cpus: \"-1\": not a number" },
		{ G "memory = 12Q\n" C, "3: [group] memory: \"12Q\": not a size" },
		{ G "memory = 32M\n" C, "3: [group] memory: \"32M\": not in "
					"64M..64G" },
		{ G "memory = 128G\n" C, "3: [group] memory: \"128G\": not in "
					 "64M..64G" },
		{ G "memory = 67108865\n" C, "3: [group] memory: \"67108865\": "
					     "not a multiple of 4K" },
		{ G "memory = 99999999999999999999\n" C,
		  "3: [group] memory: \"99999999999999999999\": too large" },
		{ G "restart = sometimes\n" C,
		  "3: [group] restart: \"sometimes\": not one of never, "
		  "on-failure, always" },
		/* [container.*] */
		{ G "[container.app]\ncommand = x\n",
		  "3: [container.app]: missing key \"image\"" },
		{ G "[container.bad name]\nimage = oci:/i\n",
		  "3: [container.bad name]: container name \"bad name\": not a "
		  "name" },
		{ G "[container.]\nimage = oci:/i\n",
		  "3: [container.]: container name \"\": not a name" },
		{ G "[container.app]\nimage = oci:/i\n[container.APP]\n"
		    "image = oci:/j\n",
		  "5: [container.APP]: duplicate section (first at line 3)" },
		{ G C "colour = blue\n", "5: [container.app] colour: unknown key" },
		{ G "[container.app]\nimage = docker://busybox\n",
		  "4: [container.app] image: \"docker://busybox\": unknown "
		  "transport" },
		{ G "[container.app]\nimage = oci:\n",
		  "4: [container.app] image: \"oci:\": empty path" },
		{ G "[container.app]\nimage = oci:dir:bad!tag\n",
		  "4: [container.app] image: \"oci:dir:bad!tag\": tag "
		  "\"bad!tag\" is not" },
		{ G C "command = sh -c \"echo\n",
		  "5: [container.app] command: \"sh -c \"echo\": unterminated "
		  "double quote" },
		{ G C "entrypoint = a 'b\n",
		  "5: [container.app] entrypoint: \"a 'b\": unterminated single "
		  "quote" },
		{ G C "env = A=1,,B=2\n",
		  "5: [container.app] env: \"A=1,,B=2\": entry 2 is empty" },
		{ G C "env = A=1,\n",
		  "5: [container.app] env: \"A=1,\": entry 2 is empty" },
		{ G C "env = A=1, NOVALUE\n",
		  "5: [container.app] env: \"A=1, NOVALUE\": entry 2 \"NOVALUE\" "
		  "is not NAME=VALUE" },
		{ G C "env = 1A=x\n",
		  "5: [container.app] env: \"1A=x\": entry 1: \"1A\" is not a "
		  "variable name" },
		{ G C "env = =x\n",
		  "5: [container.app] env: \"=x\": entry 1: \"\" is not a "
		  "variable name" },
		{ G C "env = A=1, B=2, A=3\n",
		  "5: [container.app] env: \"A=1, B=2, A=3\": entry 3: \"A\" is "
		  "set twice" },
		{ G C "env = A='x\n",
		  "5: [container.app] env: \"A='x\": unterminated single quote" },
		{ G C "workdir = srv\n",
		  "5: [container.app] workdir: \"srv\": not an absolute path" },
		{ G C "user = a b\n",
		  "5: [container.app] user: \"a b\": blank or control character" },
		{ G C "user = a:\n",
		  "5: [container.app] user: \"a:\": not USER or USER:GROUP" },
		{ G C "cpus = 0\n",
		  "5: [container.app] cpus: \"0\": must be more than 0" },
		{ G C "cpus = 0.0001\n",
		  "5: [container.app] cpus: \"0.0001\": more than three decimals" },
		{ G C "cpus = .5\n",
		  "5: [container.app] cpus: \".5\": not a number of cpus" },
		{ G C "cpus = 1.\n",
		  "5: [container.app] cpus: \"1.\": not a number of cpus" },
		{ G C "cpus = 100\n", "5: [container.app] cpus: \"100\": more "
				      "than 64" },
		{ G C "memory = 12Q\n",
		  "5: [container.app] memory: \"12Q\": not a size" },
		{ G C "memory = 1M\n",
		  "5: [container.app] memory: \"1M\": not in 4M..64G" },
		{ G C "pids = 0\n", "5: [container.app] pids: \"0\": must be at "
				    "least 1" },
		{ G C "pids = 4194305\n",
		  "5: [container.app] pids: \"4194305\": more than 4194304" },
		{ G C "pids = many\n",
		  "5: [container.app] pids: \"many\": not a number" },
		/* limits that do not fit the group */
		{ "[group]\nname = g\ncpus = 2\n" C "cpus = 2.5\n",
		  "6: [container.app] cpus: \"2.5\": more than the group's 2" },
		{ "[group]\nname = g\nmemory = 256M\n" C "memory = 128M\n"
		  "[container.b]\nimage = oci:/i\nmemory = 65M\n",
		  "9: [container.b] memory: \"65M\": brings the containers' "
		  "memory to 193M, more than the group's 256M less 64M for "
		  "the guest" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = tmpdir_write_str("bad.ini", cases[i].text), *want;
		struct lerr e = { 0 };
		int r = spec_load(&s, path, &e);

		cr_expect_lt(r, 0, "case %zu accepted:\n%s", i, cases[i].text);
		cr_expect_eq(e.code, -r, "case %zu: code %d, returned %d", i,
			     e.code, r);
		cr_assert(asprintf(&want, "%s:%s", path, cases[i].want) > 0);
		cr_expect(strncmp(e.msg, want, strlen(want)) == 0,
			  "case %zu:\n got  \"%s\"\n want \"%s...\"", i, e.msg,
			  want);
		cr_expect_null(strchr(e.msg, '\n'), "case %zu: not one line", i);
		cr_expect_eq(s.nr_containers, 0, "case %zu: not freed", i);
		cr_expect_null(s.containers);
		free(want);
		free(path);
	}
}

Test(spec, missing_file)
{
	char *path = tmpdir_join("nope.ini"), *want;
	struct lerr e = { 0 };

	cr_expect_eq(spec_load(&s, path, &e), -ENOENT);
	cr_assert(asprintf(&want, "%s: No such file or directory", path) > 0);
	cr_expect_str_eq(e.msg, want);
	free(want);
	free(path);
}

Test(spec, limits_fit_at_the_boundary)
{
	/* 512M group: containers may take 448M together, cpus up to 2. */
	char *path = tmpdir_write_str(
		"fit.ini", "[group]\nname = fit\ncpus = 2\nmemory = 512M\n"
			   "[container.a]\nimage = oci:/i\ncpus = 2\n"
			   "memory = 400M\n"
			   "[container.b]\nimage = oci:/i\ncpus = 1.999\n"
			   "memory = 48M\n"
			   "[container.c]\nimage = oci:/i\n");
	struct lerr e = { 0 };

	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	cr_expect_eq(s.containers[0].millicpus, 2000);
	cr_expect_eq(s.containers[1].millicpus, 1999);
	cr_expect_eq(s.containers[0].mem_bytes + s.containers[1].mem_bytes,
		     512 * MiB - SPEC_GUEST_RESERVE);
	spec_free(&s);
	free(path);

	path = tmpdir_write_str(
		"nofit.ini", "[group]\nname = fit\nmemory = 512M\n"
			     "[container.a]\nimage = oci:/i\nmemory = 400M\n"
			     "[container.b]\nimage = oci:/i\n"
			     "memory = 49M\n");
	cr_expect_eq(spec_load(&s, path, &e), -ERANGE);
	cr_expect(strstr(e.msg, ":9: [container.b] memory: \"49M\": brings "
				"the containers' memory to 449M") != NULL,
		  "%s", e.msg);
	free(path);
}

struct words_case {
	const char *in;
	const char *const *out; /* NULL: an error */
	const char *err;
};

/* Each case through split: its list, or -EINVAL with its message. */
static void check_splits(int (*split)(const char *, char ***, struct lerr *),
			 const struct words_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct lerr e = { 0 };
		char **v = NULL;
		int r = split(cases[i].in, &v, &e);

		if (!cases[i].out) {
			cr_expect_eq(r, -EINVAL, "\"%s\": %d", cases[i].in, r);
			cr_expect_str_eq(e.msg, cases[i].err, "\"%s\"",
					 cases[i].in);
			cr_expect_null(v);
			continue;
		}
		cr_expect_eq(r, 0, "\"%s\": %s", cases[i].in, e.msg);
		expect_strv(v, cases[i].out, cases[i].in);
		strv_free(v);
	}
}

Test(spec, word_splitting)
{
	const struct words_case cases[] = {
		{ "", EMPTY_STRV, NULL },
		{ "   \t ", EMPTY_STRV, NULL },
		{ "a", STRV("a"), NULL },
		{ "  a  b\tc ", STRV("a", "b", "c"), NULL },
		{ "'a b' \"c d\"", STRV("a b", "c d"), NULL },
		{ "a'b c'd", STRV("ab cd"), NULL },
		{ "'' \"\"", STRV("", ""), NULL },
		{ "\\'x\\\"", STRV("'x\""), NULL },
		{ "a\\ b", STRV("a b"), NULL },
		{ "'\\n$HOME'", STRV("\\n$HOME"), NULL },
		{ "\"\\\" \\\\ \\$ \\` \\n\"", STRV("\" \\ $ ` \\n"), NULL },
		{ "$HOME *.c ; | &&", STRV("$HOME", "*.c", ";", "|", "&&"), NULL },
		{ "sh -c \"echo 'hi there'; exit 3\"",
		  STRV("sh", "-c", "echo 'hi there'; exit 3"), NULL },
		{ "'abc", NULL, "unterminated single quote" },
		{ "\"abc", NULL, "unterminated double quote" },
		{ "\"abc\\\"", NULL, "unterminated double quote" },
		{ "abc\\", NULL, "trailing backslash" },
	};

	check_splits(spec_split_words, cases, sizeof(cases) / sizeof(cases[0]));
}

Test(spec, word_limit)
{
	size_t n = SPEC_WORDS_MAX + 1, i;
	char *text = malloc(2 * n + 1);
	struct lerr e = { 0 };
	char **v = NULL;

	cr_assert_not_null(text);
	for (i = 0; i < n; i++) {
		text[2 * i] = 'w';
		text[2 * i + 1] = ' ';
	}
	text[2 * n] = '\0';
	cr_expect_eq(spec_split_words(text, &v, &e), -E2BIG);
	cr_expect_null(v);
	text[2 * (n - 1)] = '\0';
	cr_expect_eq(spec_split_words(text, &v, &e), 0, "%s", e.msg);
	cr_expect_eq(strv_len(v), SPEC_WORDS_MAX);
	strv_free(v);
	free(text);
}

Test(spec, env_lists)
{
	const struct words_case cases[] = {
		{ "", EMPTY_STRV, NULL },
		{ "A=1", STRV("A=1"), NULL },
		{ " A=1 ,B=2,  C=3 ", STRV("A=1", "B=2", "C=3"), NULL },
		{ "PATH=/bin:/usr/bin", STRV("PATH=/bin:/usr/bin"), NULL },
		{ "A=x=y", STRV("A=x=y"), NULL },
		{ "A=", STRV("A="), NULL },
		{ "MSG=\"a, b\", T='c,d'", STRV("MSG=a, b", "T=c,d"), NULL },
		{ "A=a\\,b", STRV("A=a,b"), NULL },
		{ "S=two words", STRV("S=two words"), NULL },
		{ "Q=' padded '", STRV("Q= padded "), NULL },
		{ "_x.y-z=1", STRV("_x.y-z=1"), NULL },
		{ ",", NULL, "entry 1 is empty" },
		{ "A=1,", NULL, "entry 2 is empty" },
		{ "A", NULL, "entry 1 \"A\" is not NAME=VALUE" },
		{ "A B=1", NULL, "entry 1: \"A B\" is not a variable name "
				 "([A-Za-z_][A-Za-z0-9_.-]*)" },
		{ "A=1,a=2,A=3", NULL, "entry 3: \"A\" is set twice" },
		{ "A=\"1", NULL, "unterminated double quote" },
	};

	check_splits(spec_split_env, cases, sizeof(cases) / sizeof(cases[0]));
}

Test(spec, sizes_and_cpus)
{
	static const struct {
		const char *in;
		int r;
		uint64_t group, container;
	} mem[] = {
		{ "512M", 0, 512 * MiB, 512 * MiB },
		{ "64M", 0, 64 * MiB, 64 * MiB },
		{ "65536K", 0, 64 * MiB, 64 * MiB },
		{ "1g", 0, 1 * GiB, 1 * GiB },
		{ "64G", 0, 64 * GiB, 64 * GiB },
		{ "4M", -ERANGE, 0, 4 * MiB },
		{ "4194305", -ERANGE, 0, 4194305 }, /* container: any bytes */
		{ "3M", -ERANGE, 0, 0 },
		{ "65G", -ERANGE, 0, 0 },
		{ "12Q", -EINVAL, 0, 0 },
		{ "1.5G", -EINVAL, 0, 0 },
		{ "", -EINVAL, 0, 0 },
	};
	static const struct {
		const char *in;
		int r;
		unsigned int milli;
	} cpus[] = {
		{ "1", 0, 1000 },     { "0.5", 0, 500 },    { "0.25", 0, 250 },
		{ "1.125", 0, 1125 }, { "0.001", 0, 1 },    { "64", 0, 64000 },
		{ "007", 0, 7000 },   { "0", -ERANGE, 0 },  { "0.000", -ERANGE, 0 },
		{ "64.001", -ERANGE, 0 }, { "65", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "1e3", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "1,5", -EINVAL, 0 },
		{ "0.1234", -EINVAL, 0 }, { "", -EINVAL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		struct lerr e = { 0 };
		uint64_t v = 0;
		int r = spec_parse_group_memory(mem[i].in, &v, &e);

		if (mem[i].group) {
			cr_expect_eq(r, 0, "group \"%s\": %s", mem[i].in, e.msg);
			cr_expect_eq(v, mem[i].group, "group \"%s\"", mem[i].in);
		} else {
			cr_expect_lt(r, 0, "group \"%s\" accepted", mem[i].in);
		}
		r = spec_parse_container_memory(mem[i].in, &v, &e);
		if (mem[i].container) {
			cr_expect_eq(r, 0, "container \"%s\": %s", mem[i].in,
				     e.msg);
			cr_expect_eq(v, mem[i].container, "container \"%s\"",
				     mem[i].in);
		} else {
			cr_expect_eq(r, mem[i].r, "container \"%s\": %d",
				     mem[i].in, r);
		}
	}
	for (i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
		struct lerr e = { 0 };
		unsigned int v = 0;
		int r = spec_parse_millicpus(cpus[i].in, &v, &e);

		cr_expect_eq(r, cpus[i].r, "\"%s\": %d (%s)", cpus[i].in, r,
			     e.msg);
		if (!cpus[i].r)
			cr_expect_eq(v, cpus[i].milli, "\"%s\"", cpus[i].in);
	}
}

Test(spec, shorthand)
{
	const char *env[] = { "A=1", "B=two words", NULL };
	const char *argv[] = { "echo", "hello world", NULL };
	struct lerr e = { 0 };
	const struct spec_container *c;

	cr_assert_eq(spec_from_args(&s, "quick", "oci:images/bb:1.36", 2,
				    1 * GiB, env, argv, &e),
		     0, "%s", e.msg);
	expect_group("quick", 2, 1 * GiB, SPEC_RESTART_NEVER, 1);
	c = &s.containers[0];
	cr_expect_str_eq(c->name, "main");
	cr_expect_str_eq(c->ref.path, "images/bb", "relative to the cwd");
	cr_expect_str_eq(c->ref.tag, "1.36");
	expect_strv(c->env, env, "env");
	expect_strv(c->command, argv, "argv");
	cr_expect_null(c->entrypoint);
	spec_free(&s);

	/* Defaults: no cpus, memory, env or args. */
	cr_assert_eq(spec_from_args(&s, "d", "oci-archive:/x.tar", 0, 0, NULL,
				    (const char *const[]){ NULL }, &e),
		     0, "%s", e.msg);
	expect_group("d", 1, SPEC_MEM_DEFAULT, SPEC_RESTART_NEVER, 1);
	cr_expect_null(s.containers[0].env);
	cr_expect_null(s.containers[0].command, "no argv: the image's Cmd");
	spec_free(&s);
}

Test(spec, shorthand_errors)
{
	const struct {
		const char *name, *image;
		unsigned int cpus;
		uint64_t mem;
		const char *const *env;
		const char *want;
	} cases[] = {
		{ "a b", "oci:/i", 0, 0, NULL,
		  "name: \"a b\": not a name ([a-zA-Z0-9][a-zA-Z0-9_.-]{0,62})" },
		{ "g", "busybox", 0, 0, NULL,
		  "image: \"busybox\": unknown transport (want oci:DIR[:TAG] or "
		  "oci-archive:FILE[:TAG])" },
		{ "g", "oci:/i", 65, 0, NULL, "cpus: \"65\": not in 1..64" },
		{ "g", "oci:/i", 0, 32 * MiB, NULL,
		  "memory: \"32M\": not in 64M..64G" },
		{ "g", "oci:/i", 0, 64 * MiB + 1, NULL,
		  "memory: \"67108865\": not a multiple of 4K" },
		{ "g", "oci:/i", 0, 0, STRV("NOVALUE"),
		  "env: \"NOVALUE\": not NAME=VALUE with NAME "
		  "[A-Za-z_][A-Za-z0-9_.-]*" },
		{ "g", "oci:/i", 0, 0, STRV("A=1", "A=2"),
		  "env: \"A\" is set twice" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lerr e = { 0 };
		int r = spec_from_args(&s, cases[i].name, cases[i].image,
				       cases[i].cpus, cases[i].mem,
				       cases[i].env, NULL, &e);

		cr_expect_lt(r, 0, "case %zu accepted", i);
		cr_expect_str_eq(e.msg, cases[i].want, "case %zu", i);
		cr_expect_eq(s.nr_containers, 0);
		cr_expect_null(s.containers);
	}
}

/* Found by fuzz-spec: a value with a newline made a two-line message.
 * Control characters in quoted input come out as '?'. */
Test(spec, messages_stay_one_line)
{
	struct lerr e = { 0 };
	char **v = NULL;

	cr_expect_eq(spec_split_env("BAD\nENTRY\x1b[31m", &v, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "entry 1 \"BAD?ENTRY?[31m\" is not NAME=VALUE");
	cr_expect_eq(spec_from_args(&s, "g\n", "oci:/i", 0, 0, NULL, NULL, &e),
		     -EINVAL);
	cr_expect(strncmp(e.msg, "name: \"g?\": not a name", 22) == 0, "%s",
		  e.msg);
}

