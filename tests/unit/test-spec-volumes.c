/* test-spec-volumes.c - volumes in the group spec (tools/spec-volumes.c):
 * a file with each type and mounts in two containers, the defaults, the
 * secret bytes (inline base64 and host files), and a table of invalid
 * files whose messages must start with FILE:LINE and name the section
 * and key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec-internal.h"
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

TestSuite(spec_volumes, .init = setup, .fini = teardown);

static const char every_type[] =
	"[group]\n"
	"name = vols\n"
	"\n"
	"[container.a]\n"
	"image = oci:/i\n"
	"volumes = scratch:/scratch, creds:/run/creds, db:/var/lib/db:rw, "
	"src:/src:ro\n"
	"\n"
	"[container.b]\n"
	"image = oci:/i\n"
	"volumes = scratch:/data/shared:ro\n"
	"\n"
	"[volume.scratch]\n"
	"type = emptydir\n"
	"size = 64M\n"
	"\n"
	"[volume.creds]\n"
	"type = secret\n"
	"secret.Token = c2VjcmV0\n"
	"file.cert.pem = certs/cert.pem\n"
	"mode = 0440\n"
	"\n"
	"[volume.db]\n"
	"type = persistent\n"
	"size = 2G\n"
	"\n"
	"[volume.src]\n"
	"type = gitrepo\n"
	"repository = https://example.org/r.git\n"
	"revision = v1.2\n"
	"directory = app\n";

Test(spec_volumes, every_type)
{
	char *path, *cert;
	struct lerr e = { 0 };
	const struct spec_volume *v;
	unsigned char *data;
	size_t len;

	cert = tmpdir_write_str("certs/cert.pem", "-----CERT-----\n");
	path = tmpdir_write_str("g.ini", every_type);
	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	cr_assert_eq(s.nr_volumes, 4);
	cr_assert_eq(s.nr_containers, 2);

	v = &s.volumes[0];
	cr_expect_str_eq(v->name, "scratch");
	cr_expect_eq(v->type, SPEC_VOLUME_EMPTYDIR);
	cr_expect_eq(v->size_bytes, 64 * MiB);
	cr_expect_eq(v->line, 12);

	v = spec_volume_find(&s, "creds");
	cr_assert_not_null(v);
	cr_expect_eq(v->type, SPEC_VOLUME_SECRET);
	cr_expect_eq(v->mode, 0440);
	cr_assert_eq(v->nr_items, 2);
	cr_expect_str_eq(v->items[0].name, "Token"); /* case kept */
	cr_expect_null(v->items[0].path);
	cr_expect_eq(v->items[0].len, 6);
	cr_expect(memcmp(v->items[0].data, "secret", 6) == 0);
	cr_expect_str_eq(v->items[1].name, "cert.pem");
	cr_expect_str_eq(v->items[1].path, cert); /* made absolute */
	cr_assert_eq(spec_secret_read(v, &v->items[1], &data, &len, &e), 0,
		     "%s", e.msg);
	cr_expect_eq(len, 15);
	cr_expect(memcmp(data, "-----CERT-----\n", 15) == 0);
	free(data);
	cr_assert_eq(spec_secret_read(v, &v->items[0], &data, &len, &e), 0);
	cr_expect_eq(len, 6);
	free(data);

	v = spec_volume_find(&s, "db");
	cr_assert_not_null(v);
	cr_expect_eq(v->type, SPEC_VOLUME_PERSISTENT);
	cr_expect_eq(v->size_bytes, 2 * GiB);

	v = spec_volume_find(&s, "src");
	cr_assert_not_null(v);
	cr_expect_eq(v->type, SPEC_VOLUME_GITREPO);
	cr_expect_str_eq(v->repository, "https://example.org/r.git");
	cr_expect_str_eq(v->revision, "v1.2");
	cr_expect_str_eq(v->directory, "app");
	cr_expect_null(spec_volume_find(&s, "nope"));

	cr_assert_eq(s.containers[0].nr_mounts, 4);
	cr_expect_str_eq(s.containers[0].mounts[0].volume, "scratch");
	cr_expect_str_eq(s.containers[0].mounts[0].path, "/scratch");
	cr_expect_not(s.containers[0].mounts[0].readonly);
	/* a secret is read-only whatever the entry says */
	cr_expect(s.containers[0].mounts[1].readonly);
	cr_expect_not(s.containers[0].mounts[2].readonly);
	cr_expect(s.containers[0].mounts[3].readonly);
	cr_assert_eq(s.containers[1].nr_mounts, 1);
	cr_expect_str_eq(s.containers[1].mounts[0].path, "/data/shared");
	cr_expect(s.containers[1].mounts[0].readonly);
	free(path);
	free(cert);
}

Test(spec_volumes, defaults_and_relative_repository)
{
	char *path, *repo;
	struct lerr e = { 0 };

	tmpdir_mkdirs("repo");
	repo = tmpdir_join("repo");
	path = tmpdir_write_str(
		"g.ini", "[group]\nname = g\n[container.a]\nimage = oci:/i\n"
			 "[volume.p]\ntype = persistent\n"
			 "[volume.t]\ntype = emptydir\n"
			 "[volume.s]\ntype = secret\nsecret.k = YQ==\n"
			 "[volume.r]\ntype = gitrepo\nrepository = repo\n");
	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	cr_assert_eq(s.nr_volumes, 4);
	cr_expect_eq(s.volumes[0].size_bytes, GiB);
	cr_expect_eq(s.volumes[1].size_bytes, 0);
	cr_expect_eq(s.volumes[2].mode, 0400);
	cr_expect_eq(s.volumes[2].items[0].len, 1);
	cr_expect_eq(s.volumes[2].items[0].data[0], 'a');
	cr_expect_str_eq(s.volumes[3].repository, repo);
	cr_expect_null(s.volumes[3].revision);
	cr_expect_null(s.volumes[3].directory);
	cr_expect_eq(s.containers[0].nr_mounts, 0);
	free(path);
	free(repo);
}

struct bad_case {
	const char *text;
	const char *want; /* the message after "<path>:" */
};

#define G "[group]\nname = g\n"
#define C "[container.app]\nimage = oci:/i\n"
#define T "[volume.t]\ntype = emptydir\n"

Test(spec_volumes, invalid_files)
{
	static const struct bad_case cases[] = {
		/* [container.*] volumes */
		{ G C "volumes = t\n" T,
		  "5: [container.app] volumes: \"t\": entry 1 \"t\" is not "
		  "NAME:/path[:ro]" },
		{ G C "volumes = t:data\n" T,
		  "5: [container.app] volumes: \"t:data\": entry 1: \"data\": "
		  "not an absolute path" },
		{ G C "volumes = t:/a/../b\n" T,
		  "5: [container.app] volumes: \"t:/a/../b\": entry 1: "
		  "\"/a/../b\": not a clean path" },
		{ G C "volumes = t:/a//b\n" T,
		  "5: [container.app] volumes: \"t:/a//b\": entry 1: \"/a//b\": "
		  "not a clean path" },
		{ G C "volumes = t:/a/\n" T,
		  "5: [container.app] volumes: \"t:/a/\": entry 1: \"/a/\": not "
		  "a clean path" },
		{ G C "volumes = t:/\n" T,
		  "5: [container.app] volumes: \"t:/\": entry 1: \"/\": cannot "
		  "mount over" },
		{ G C "volumes = t:/a:ro:x\n" T,
		  "5: [container.app] volumes: \"t:/a:ro:x\": entry 1: \"ro:x\" "
		  "is neither ro nor rw" },
		{ G C "volumes = t:/a:rx\n" T,
		  "5: [container.app] volumes: \"t:/a:rx\": entry 1: \"rx\" is "
		  "neither ro nor rw" },
		{ G C "volumes = t:/a, t:/a\n" T,
		  "5: [container.app] volumes: \"t:/a, t:/a\": entry 2: \"/a\" "
		  "is mounted twice" },
		{ G C "volumes = t:/a,,t:/b\n" T,
		  "5: [container.app] volumes: \"t:/a,,t:/b\": entry 2 is "
		  "empty" },
		{ G C "volumes = -t:/a\n" T,
		  "5: [container.app] volumes: \"-t:/a\": entry 1: volume "
		  "\"-t\": not a name" },
		{ G C "volumes = nope:/a\n" T,
		  "5: [container.app] volumes: \"nope:/a\": no [volume.nope] "
		  "in the group" },
		/* [volume.*] */
		{ G C "[volume.x]\nsize = 1M\n",
		  "5: [volume.x]: missing key \"type\"" },
		{ G C "[volume.bad name]\ntype = emptydir\n",
		  "5: [volume.bad name]: volume name \"bad name\": not a name" },
		{ G C "[volume.x]\ntype = hostpath\n",
		  "6: [volume.x] type: \"hostpath\": not one of emptydir, "
		  "secret, persistent, gitrepo" },
		{ G C T T, "7: [volume.t]: duplicate section (first at line 5)" },
		{ G C T "size = 12Q\n",
		  "7: [volume.t] size: \"12Q\": not a size" },
		{ G C T "size = 1K\n",
		  "7: [volume.t] size: \"1K\": not in 1M..64G" },
		{ G C T "mode = 0400\n",
		  "7: [volume.t] mode: unknown key for a emptydir volume" },
		{ G C T "repository = /r\n",
		  "7: [volume.t] repository: unknown key for a emptydir volume" },
		{ G C "[volume.p]\ntype = persistent\nsize = 8M\n",
		  "7: [volume.p] size: \"8M\": not in 16M..1T" },
		{ G C "[volume.p]\ntype = persistent\nsecret.a = YQ==\n",
		  "7: [volume.p] secret.a: unknown key for a persistent volume" },
		{ G C "[volume.s]\ntype = secret\n",
		  "5: [volume.s]: a secret volume needs a secret.FILE or "
		  "file.FILE key" },
		{ G C "[volume.s]\ntype = secret\nsecret.k = not*base64\n",
		  "7: [volume.s] secret.k: not base64" },
		{ G C "[volume.s]\ntype = secret\nsecret.k = YQ=\n",
		  "7: [volume.s] secret.k: not base64" },
		{ G C "[volume.s]\ntype = secret\nsecret.k = Y===\n",
		  "7: [volume.s] secret.k: not base64" },
		{ G C "[volume.s]\ntype = secret\nsecret.k = YR==\n",
		  "7: [volume.s] secret.k: not base64" },
		{ G C "[volume.s]\ntype = secret\nsecret.. = YQ==\n",
		  "7: [volume.s] secret..: \".\" is not a file name" },
		{ G C "[volume.s]\ntype = secret\nsecret.a = YQ==\n"
		      "file.a = /etc/hostname\n",
		  "8: [volume.s] file.a: file \"a\" is given twice" },
		{ G C "[volume.s]\ntype = secret\nfile.k = /nonexistent/k\n",
		  "7: [volume.s] file.k: \"/nonexistent/k\": No such file" },
		{ G C "[volume.s]\ntype = secret\nfile.k = /\n",
		  "7: [volume.s] file.k: \"/\": not a regular file" },
		{ G C "[volume.s]\ntype = secret\nsecret.k = YQ==\nmode = 644\n",
		  "8: [volume.s] mode: \"644\": not an octal mode such as 0400" },
		{ G C "[volume.s]\ntype = secret\nsecret.k = YQ==\nmode = 01777\n",
		  "8: [volume.s] mode: \"01777\": not an octal mode 0000..0777" },
		{ G C "[volume.s]\ntype = secret\nsecret.k = YQ==\nsize = 1M\n",
		  "8: [volume.s] size: unknown key for a secret volume" },
		{ G C "[volume.r]\ntype = gitrepo\n",
		  "5: [volume.r]: missing key \"repository\"" },
		{ G C "[volume.r]\ntype = gitrepo\nrepository = --upload-pack=x\n",
		  "7: [volume.r] repository: \"--upload-pack=x\": starts with "
		  "'-'" },
		{ G C "[volume.r]\ntype = gitrepo\nrepository = /nonexistent/r\n",
		  "7: [volume.r] repository: \"/nonexistent/r\": No such file" },
		{ G C "[volume.r]\ntype = gitrepo\nrepository = https://x/r\n"
		      "directory = ../up\n",
		  "8: [volume.r] directory: \"../up\": not a clean relative "
		  "path" },
		{ G C "[volume.r]\ntype = gitrepo\nrepository = https://x/r\n"
		      "directory = /abs\n",
		  "8: [volume.r] directory: \"/abs\": not a relative path" },
		{ G C "[volume.r]\ntype = gitrepo\nrepository = https://x/r\n"
		      "revision = -x\n",
		  "8: [volume.r] revision: \"-x\": starts with '-'" },
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
		cr_expect_eq(s.nr_volumes, 0, "case %zu: not freed", i);
		cr_expect_null(s.volumes);
		free(want);
		free(path);
	}
}

Test(spec_volumes, nine_persistent_volumes_are_too_many)
{
	char text[2048] = G C;
	char *path;
	struct lerr e = { 0 };

	for (int i = 0; i < 9; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "[volume.p%d]\ntype = persistent\n", i);
	path = tmpdir_write_str("g.ini", text);
	cr_expect_eq(spec_load(&s, path, &e), -E2BIG);
	cr_expect(strstr(e.msg, "[volume.p8]: more than 8 persistent volumes"),
		  "%s", e.msg);
	free(path);
}
