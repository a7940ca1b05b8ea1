/* test-oci.c - OCI images (tools/oci-*.c): layouts the test builds in a
 * temp dir with real digests (OCI and Docker media types, tags, nested
 * indexes), every kind of bad image (media types, digests, sizes,
 * missing blobs, hostile digest strings, diff_ids), oci-archive tars made
 * with libarchive, the store's dedupe, the parsers on bare buffers, and
 * a real image made by umoci and copied by skopeo. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "expect-strv.h"
#include "oci-fixture.h"
#include "oci-image.h"
#include "tmpdir.h"

static struct store st;
static struct oci_image img;

static void setup(void)
{
	struct lerr e = { 0 };
	char *data;

	tmpdir_make();
	data = tmpdir_join("data");
	cr_assert_eq(store_open(&st, data, &e), 0, "%s", e.msg);
	free(data);
}

static void teardown(void)
{
	oci_image_free(&img);
	store_close(&st);
	tmpdir_remove();
}

TestSuite(oci, .init = setup, .fini = teardown);

/* A fresh layout under the temp dir; the absolute path, malloc'd. */
static char *layout(const char *name)
{
	char *dir = tmpdir_join(name);

	fx_layout_init(dir);
	return dir;
}

static int resolve(const char *transport, const char *path, const char *tag,
		   struct lerr *e)
{
	struct oci_ref ref;
	char *s;
	int r;

	oci_image_free(&img);
	cr_assert(asprintf(&s, "%s:%s%s%s", transport, path, tag ? ":" : "",
			   tag ? tag : "") > 0);
	memset(e, 0, sizeof(*e));
	r = oci_ref_parse(&ref, s, e);
	cr_assert_eq(r, 0, "%s: %s", s, e->msg);
	r = oci_image_resolve(&img, &ref, &st, e);
	oci_ref_free(&ref);
	free(s);
	return r;
}

static void expect_error(int r, const struct lerr *e, const char *want)
{
	cr_expect_lt(r, 0, "accepted; wanted \"%s\"", want);
	cr_expect_eq(e->code, -r);
	cr_expect(strstr(e->msg, want) != NULL, "\"%s\"\n lacks \"%s\"", e->msg,
		  want);
	cr_expect_null(strchr(e->msg, '\n'));
	cr_expect_eq(img.nr_layers, 0, "image not freed on error");
}

static char *store_path(const char *digest)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s", st.blob_dir, ldigest_hex(digest)) > 0);
	return p;
}

/* The store holds no temporary files (a failed import cleans up). */
static void expect_no_temp_files(void)
{
	DIR *d = opendir(st.blob_dir);
	struct dirent *de;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		cr_expect(strncmp(de->d_name, ".tmp-", 5) != 0,
			  "left behind: %s", de->d_name);
	closedir(d);
}

static void expect_layer(const struct oci_layer *l, const struct fx_layer *fx,
			 const char *media, enum oci_compression comp)
{
	char *want = store_path(fx->blob.digest), got[LDIGEST_STR_LEN];

	cr_expect_str_eq(l->digest, fx->blob.digest);
	cr_expect_str_eq(l->diff_id, fx->diff_id);
	cr_expect_str_eq(l->media_type, media);
	cr_expect_eq(l->compression, comp);
	cr_expect_eq(l->size, fx->blob.size);
	cr_expect_str_eq(l->path, want);
	fx_digest_file(l->path, got);
	cr_expect_str_eq(got, fx->blob.digest, "the stored blob's content");
	free(want);
}

Test(oci, single_layer_oci)
{
	char *dir = layout("img");
	struct fx_layer l = fx_put_layer(dir, "etc/hello", "hi\n", true);
	json_t *exec = json_pack("{s:[s], s:[s,s], s:[s,s], s:s, s:s}",
				 "Entrypoint", "/bin/sh", "Cmd", "-c", "echo hi",
				 "Env", "PATH=/bin", "A=1", "WorkingDir",
				 "/srv", "User", "www:www");
	struct fx_blob cfg;
	struct fx_blob man = fx_oci_image(dir, "latest", fx_config(&l, 1, exec),
					  &l, 1, &cfg);
	struct lerr e;
	uint64_t size;

	cr_assert_eq(resolve("oci", dir, NULL, &e), 0, "%s", e.msg);
	cr_expect_str_eq(img.manifest_digest, man.digest);
	cr_expect_str_eq(img.config_digest, cfg.digest);
	cr_assert_eq(img.nr_layers, 1);
	expect_layer(&img.layers[0], &l, FX_OCI_LAYER_GZIP,
		     OCI_COMPRESSION_GZIP);
	expect_strv(img.entrypoint, STRV("/bin/sh"), "Entrypoint");
	expect_strv(img.cmd, STRV("-c", "echo hi"), "Cmd");
	expect_strv(img.env, STRV("PATH=/bin", "A=1"), "Env");
	cr_expect_str_eq(img.workdir, "/srv");
	cr_expect_str_eq(img.user, "www:www");
	/* The manifest and the config are in the store too. */
	cr_expect_eq(store_stat(&st, man.digest, &size, &e), 1);
	cr_expect_eq(size, man.size);
	cr_expect_eq(store_stat(&st, cfg.digest, &size, &e), 1);
	cr_expect_eq(size, cfg.size);
	expect_no_temp_files();
	free(dir);
}

Test(oci, multi_layer_docker_media_types)
{
	char *dir = layout("docker");
	struct fx_layer l[3] = {
		fx_put_layer(dir, "a", "base\n", true),
		fx_put_layer(dir, "b", "middle\n", true),
		fx_put_layer(dir, "c", "top\n", true),
	};
	struct fx_blob cfg = fx_put_json(dir, fx_config(l, 3, NULL));
	struct fx_blob man = fx_put_json(
		dir, fx_manifest(FX_DOCKER_MANIFEST, FX_DOCKER_CONFIG, &cfg,
				 FX_DOCKER_LAYER, l, 3));
	struct lerr e;
	size_t i;

	fx_index_one(dir, FX_DOCKER_MANIFEST, &man, "v1");
	cr_assert_eq(resolve("oci", dir, "v1", &e), 0, "%s", e.msg);
	cr_assert_eq(img.nr_layers, 3);
	for (i = 0; i < 3; i++)
		expect_layer(&img.layers[i], &l[i], FX_DOCKER_LAYER,
			     OCI_COMPRESSION_GZIP);
	cr_expect_null(img.entrypoint, "no config section: nothing set");
	cr_expect_null(img.cmd);
	cr_expect_null(img.env);
	cr_expect_null(img.workdir);
	cr_expect_null(img.user);
	free(dir);
}

Test(oci, multi_layer_oci_keeps_order_and_compression)
{
	char *dir = layout("oci-multi");
	struct fx_layer l[2] = {
		fx_put_layer(dir, "bin/base", "base layer\n", true),
		fx_put_layer(dir, "etc/top", "top layer\n", false),
	};
	struct fx_blob cfg = fx_put_json(dir, fx_config(l, 2, NULL));
	json_t *man_j = fx_manifest(FX_OCI_MANIFEST, FX_OCI_CONFIG, &cfg,
				    FX_OCI_LAYER_GZIP, l, 2);
	struct fx_blob man;
	struct lerr e;

	/* The second layer is a plain tar. */
	json_object_set_new(json_array_get(json_object_get(man_j, "layers"), 1),
			    "mediaType", json_string(FX_OCI_LAYER));
	man = fx_put_json(dir, man_j);
	fx_index_one(dir, FX_OCI_MANIFEST, &man, "latest");
	cr_assert_eq(resolve("oci", dir, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(img.nr_layers, 2);
	expect_layer(&img.layers[0], &l[0], FX_OCI_LAYER_GZIP,
		     OCI_COMPRESSION_GZIP);
	expect_layer(&img.layers[1], &l[1], FX_OCI_LAYER, OCI_COMPRESSION_NONE);
	free(dir);
}

Test(oci, uncompressed_layer_and_manifest_without_media_type)
{
	char *dir = layout("plain");
	struct fx_layer l = fx_put_layer(dir, "f", "plain tar\n", false);
	struct fx_blob cfg = fx_put_json(
		dir, fx_config(&l, 1, json_pack("{s:n, s:[]}", "Entrypoint",
						"Cmd")));
	struct fx_blob man = fx_put_json(
		dir,
		fx_manifest(NULL, FX_OCI_CONFIG, &cfg, FX_OCI_LAYER, &l, 1));
	struct lerr e;

	fx_index_one(dir, FX_OCI_MANIFEST, &man, "latest");
	cr_assert_eq(resolve("oci", dir, "latest", &e), 0, "%s", e.msg);
	expect_layer(&img.layers[0], &l, FX_OCI_LAYER, OCI_COMPRESSION_NONE);
	cr_expect_null(img.entrypoint, "null Entrypoint");
	expect_strv(img.cmd, EMPTY_STRV, "empty Cmd");
	free(dir);
}

/* Three tagged images sharing one layer, each with its own Cmd. */
static char *three_tags(void)
{
	static const char *const tags[] = { "a", "b", "latest" };
	char *dir = layout("tags");
	struct fx_layer l = fx_put_layer(dir, "f", "shared\n", true);
	json_t *entries = json_array();
	size_t i;

	for (i = 0; i < 3; i++) {
		struct fx_blob cfg = fx_put_json(
			dir, fx_config(&l, 1,
				       json_pack("{s:[s]}", "Cmd", tags[i])));
		struct fx_blob man = fx_put_json(
			dir, fx_manifest(FX_OCI_MANIFEST, FX_OCI_CONFIG, &cfg,
					 FX_OCI_LAYER_GZIP, &l, 1));

		json_array_append_new(entries,
				      fx_index_entry(FX_OCI_MANIFEST, &man,
						     tags[i], NULL, NULL));
	}
	fx_write_index(dir, fx_index(entries));
	return dir;
}

Test(oci, tag_chosen_among_several)
{
	char *dir = three_tags(), *want;
	struct lerr e;

	cr_assert_eq(resolve("oci", dir, "b", &e), 0, "%s", e.msg);
	expect_strv(img.cmd, STRV("b"), "tag b");
	cr_assert_eq(resolve("oci", dir, "a", &e), 0, "%s", e.msg);
	expect_strv(img.cmd, STRV("a"), "tag a");
	cr_assert_eq(resolve("oci", dir, NULL, &e), 0, "%s", e.msg);
	expect_strv(img.cmd, STRV("latest"), "no tag: latest");

	cr_assert(asprintf(&want,
			   "%s/index.json: no manifest named \"zz\" (names: a, "
			   "b, latest)",
			   dir) > 0);
	expect_error(resolve("oci", dir, "zz", &e), &e, want);
	free(want);
	free(dir);
}

Test(oci, one_unnamed_manifest)
{
	char *dir = layout("unnamed");
	struct fx_blob man;
	struct lerr e;

	fx_simple_image(dir, NULL, "only", NULL);
	cr_assert_eq(resolve("oci", dir, NULL, &e), 0, "%s", e.msg);
	expect_strv(img.cmd, STRV("only"), "the only manifest");
	expect_error(resolve("oci", dir, "latest", &e), &e,
		     "no manifest named \"latest\" (names: (none))");

	/* Two unnamed manifests: nothing to choose by. */
	man = fx_simple_image(dir, NULL, "x", NULL);
	fx_write_index(dir, fx_index(json_pack(
				    "[o,o]",
				    fx_index_entry(FX_OCI_MANIFEST, &man, NULL,
						   NULL, NULL),
				    fx_index_entry(FX_OCI_MANIFEST, &man, NULL,
						   NULL, NULL))));
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "no manifest named \"latest\"");
	free(dir);
}

Test(oci, nested_index_picks_linux_amd64)
{
	char *dir = layout("multi");
	struct fx_layer arm_l = fx_put_layer(dir, "arch", "arm64\n", true);
	struct fx_layer x86_l = fx_put_layer(dir, "arch", "amd64\n", true);
	json_t *arm_cfg_j = fx_config(&arm_l, 1, NULL);
	struct fx_blob arm_cfg, x86_cfg, arm_man, x86_man, nested;
	struct lerr e;

	json_object_set_new(arm_cfg_j, "architecture", json_string("arm64"));
	arm_cfg = fx_put_json(dir, arm_cfg_j);
	x86_cfg = fx_put_json(dir, fx_config(&x86_l, 1, NULL));
	arm_man = fx_put_json(dir, fx_manifest(FX_OCI_MANIFEST, FX_OCI_CONFIG,
					       &arm_cfg, FX_OCI_LAYER_GZIP,
					       &arm_l, 1));
	x86_man = fx_put_json(dir, fx_manifest(FX_OCI_MANIFEST, FX_OCI_CONFIG,
					       &x86_cfg, FX_OCI_LAYER_GZIP,
					       &x86_l, 1));
	nested = fx_put_json(
		dir, fx_index(json_pack(
			     "[o,o]",
			     fx_index_entry(FX_OCI_MANIFEST, &arm_man, NULL,
					    "linux", "arm64"),
			     fx_index_entry(FX_OCI_MANIFEST, &x86_man, NULL,
					    "linux", "amd64"))));
	fx_index_one(dir, FX_OCI_INDEX, &nested, "latest");
	cr_assert_eq(resolve("oci", dir, NULL, &e), 0, "%s", e.msg);
	cr_expect_str_eq(img.manifest_digest, x86_man.digest);
	cr_expect_str_eq(img.layers[0].diff_id, x86_l.diff_id);

	/* Without an amd64 entry the message lists what there is. */
	nested = fx_put_json(
		dir, fx_index(json_pack("[o]", fx_index_entry(FX_OCI_MANIFEST,
							      &arm_man, NULL,
							      "linux",
							      "arm64"))));
	fx_index_one(dir, FX_OCI_INDEX, &nested, "latest");
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "no linux/amd64 manifest (platforms: linux/arm64)");
	free(dir);
}

struct bad_image {
	const char *manifest_media, *config_media, *layer_media;
	const char *entry_media; /* the index.json entry's */
	const char *want;
};

Test(oci, wrong_media_types)
{
	static const struct bad_image cases[] = {
		{ FX_OCI_MANIFEST, FX_OCI_CONFIG,
		  "application/vnd.oci.image.layer.v1.tar+bzip2",
		  FX_OCI_MANIFEST,
		  "layers[0]: mediaType \"application/vnd.oci.image.layer.v1."
		  "tar+bzip2\": not a layer media type" },
		{ FX_OCI_MANIFEST, FX_OCI_LAYER, FX_OCI_LAYER_GZIP,
		  FX_OCI_MANIFEST,
		  "config.mediaType: \"" FX_OCI_LAYER "\": not an image config "
		  "media type" },
		{ FX_OCI_MANIFEST, FX_OCI_CONFIG, FX_OCI_LAYER_GZIP,
		  "application/vnd.oci.artifact.manifest.v1+json",
		  "index.json: manifests[0].mediaType: \"application/vnd.oci."
		  "artifact.manifest.v1+json\": not a manifest or index media "
		  "type" },
		{ FX_DOCKER_MANIFEST, FX_OCI_CONFIG, FX_OCI_LAYER_GZIP,
		  FX_OCI_MANIFEST,
		  "mediaType: \"" FX_DOCKER_MANIFEST "\": its descriptor says "
		  "otherwise" },
		{ FX_OCI_INDEX, FX_OCI_CONFIG, FX_OCI_LAYER_GZIP,
		  FX_OCI_MANIFEST,
		  "mediaType: \"" FX_OCI_INDEX "\": not a manifest media type" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[16], *dir;
		struct fx_layer l;
		struct fx_blob cfg, man;
		struct lerr e;

		snprintf(name, sizeof(name), "bad%zu", i);
		dir = layout(name);
		l = fx_put_layer(dir, "f", "x\n", true);
		cfg = fx_put_json(dir, fx_config(&l, 1, NULL));
		man = fx_put_json(dir, fx_manifest(cases[i].manifest_media,
						   cases[i].config_media, &cfg,
						   cases[i].layer_media, &l,
						   1));
		fx_index_one(dir, cases[i].entry_media, &man, "latest");
		expect_error(resolve("oci", dir, NULL, &e), &e, cases[i].want);
		free(dir);
	}
}

Test(oci, digest_mismatch_is_caught_while_copying)
{
	char *dir = layout("corrupt"), *blob, *stored, *want;
	struct fx_layer l;
	struct lerr e;
	FILE *f;
	uint64_t size;
	int c;

	fx_simple_image(dir, "latest", "x", &l);
	blob = fx_blob_path(dir, l.blob.digest);
	/* Same size, one byte changed. */
	f = fopen(blob, "r+");
	cr_assert_not_null(f);
	fseek(f, 20, SEEK_SET);
	c = fgetc(f);
	fseek(f, 20, SEEK_SET);
	fputc(c ^ 0x55, f);
	fclose(f);

	cr_assert(asprintf(&want,
			   "layers[0]: blob %s: digest mismatch: content is "
			   "sha256:",
			   blob) > 0);
	expect_error(resolve("oci", dir, NULL, &e), &e, want);
	cr_expect_eq(store_stat(&st, l.blob.digest, &size, &e), 0,
		     "a blob that failed verification is not in the store");
	stored = store_path(l.blob.digest);
	cr_expect_neq(access(stored, F_OK), 0);
	expect_no_temp_files();
	free(stored);
	free(want);
	free(blob);
	free(dir);
}

Test(oci, size_mismatch)
{
	char *dir = layout("size");
	struct fx_layer l = fx_put_layer(dir, "f", "sized\n", true), lie = l;
	struct lerr e;
	char want[128];

	lie.blob.size = l.blob.size + 1;
	fx_oci_image(dir, "latest", fx_config(&l, 1, NULL), &lie, 1, NULL);
	snprintf(want, sizeof(want),
		 "size mismatch: %llu bytes, its descriptor says %llu",
		 (unsigned long long)l.blob.size,
		 (unsigned long long)lie.blob.size);
	expect_error(resolve("oci", dir, NULL, &e), &e, want);
	expect_no_temp_files();
	free(dir);
}

Test(oci, missing_blob)
{
	char *dir = layout("missing"), *blob;
	struct fx_layer l;
	struct lerr e;

	fx_simple_image(dir, "latest", "x", &l);
	blob = fx_blob_path(dir, l.blob.digest);
	cr_assert_eq(unlink(blob), 0);
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "layers[0]: blob ");
	cr_expect(strstr(e.msg, blob) != NULL, "%s", e.msg);
	cr_expect(strstr(e.msg, ": No such file or directory") != NULL, "%s",
		  e.msg);
	cr_expect_eq(e.code, ENOENT);
	free(blob);
	free(dir);
}

Test(oci, hostile_digest_strings)
{
	char *dir = layout("hostile");
	struct fx_layer l = fx_put_layer(dir, "f", "x\n", true), bad = l;
	struct fx_blob evil;
	struct lerr e;

	/* In index.json. */
	memset(&evil, 0, sizeof(evil));
	strcpy(evil.digest, "sha256:../../etc");
	evil.size = 10;
	fx_index_one(dir, FX_OCI_MANIFEST, &evil, "latest");
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "index.json: manifests[0].digest: \"sha256:../../etc\": "
		     "not a sha256 digest");

	/* In a manifest's layers, and an upper-case digest in a config. */
	strcpy(bad.blob.digest, "sha256:../../../../../../../../../../../../"
				"../../../../../../../etc/passwd");
	fx_oci_image(dir, "latest", fx_config(&l, 1, NULL), &bad, 1, NULL);
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "layers[0].digest: \"sha256:../../");

	for (size_t i = 7; l.diff_id[i]; i++)
		l.diff_id[i] = (char)toupper((unsigned char)l.diff_id[i]);
	fx_oci_image(dir, "latest", fx_config(&l, 1, NULL), &bad, 0, NULL);
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "rootfs.diff_ids[0]: \"sha256:");
	free(dir);
}

Test(oci, diff_ids_and_rootfs_checked_against_the_manifest)
{
	char *dir = layout("diffids");
	struct fx_layer l[2] = { fx_put_layer(dir, "a", "1\n", true),
				 fx_put_layer(dir, "b", "2\n", true) };
	json_t *cfg_j;
	struct lerr e;

	/* one diff_id, two layers */
	fx_oci_image(dir, "latest", fx_config(l, 1, NULL), l, 2, NULL);
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "rootfs.diff_ids: 1 entries for the 2 layers of manifest "
		     "sha256:");

	cfg_j = fx_config(l, 2, NULL);
	json_object_set_new(json_object_get(cfg_j, "rootfs"), "type",
			    json_string("snapshots"));
	fx_oci_image(dir, "latest", cfg_j, l, 2, NULL);
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "rootfs.type: \"snapshots\": not \"layers\"");
	free(dir);
}

Test(oci, layout_itself_checked)
{
	char *dir = tmpdir_join("nolayout"), *marker, *want;
	struct lerr e;

	expect_error(resolve("oci", dir, NULL, &e), &e,
		     ": No such file or directory");
	tmpdir_mkdirs("nolayout");
	cr_assert(asprintf(&want, "%s/oci-layout: No such file", dir) > 0);
	expect_error(resolve("oci", dir, NULL, &e), &e, want);
	free(want);
	marker = tmpdir_write_str("nolayout/oci-layout",
				  "{\"imageLayoutVersion\": \"2.0.0\"}");
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "imageLayoutVersion: \"2.0.0\": not 1.x");
	free(tmpdir_write_str("nolayout/oci-layout",
			      "{\"imageLayoutVersion\": \"1.0.0\"}"));
	free(tmpdir_write_str("nolayout/index.json", "{\"schemaVersion\": 1}"));
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "index.json: schemaVersion: not 2");
	free(marker);
	free(dir);
}

static bool exists_anywhere(const char *name)
{
	char *p = tmpdir_join(name);
	bool r = access(p, F_OK) == 0;

	free(p);
	return r;
}

Test(oci, oci_archive_made_with_libarchive)
{
	char *dir = layout("src"), *tar = tmpdir_join("img.tar");
	const char *const extra[] = {
		"../escaped-by-archive", "no\n",
		"/tmp/lighter-absolute-by-archive", "no\n",
		"blobs/sha256/../../escaped2", "no\n",
		"blobs/sha256/notahex", "ignored\n",
		NULL,
	};
	struct fx_layer l;
	struct fx_blob man = fx_simple_image(dir, "latest", "from-tar", &l);
	struct lerr e;

	fx_archive_layout(dir, tar, extra);
	cr_assert_eq(resolve("oci-archive", tar, "latest", &e), 0, "%s", e.msg);
	cr_expect_str_eq(img.manifest_digest, man.digest);
	cr_assert_eq(img.nr_layers, 1);
	expect_layer(&img.layers[0], &l, FX_OCI_LAYER_GZIP,
		     OCI_COMPRESSION_GZIP);
	expect_strv(img.cmd, STRV("from-tar"), "Cmd");
	/* Nothing named by the archive was written anywhere. */
	cr_expect_not(exists_anywhere("escaped-by-archive"));
	cr_expect_not(exists_anywhere("data/escaped2"));
	cr_expect_not(exists_anywhere("escaped2"));
	cr_expect_neq(access("/tmp/lighter-absolute-by-archive", F_OK), 0);
	cr_expect_neq(access("/tmp/escaped-by-archive", F_OK), 0);
	expect_no_temp_files();

	/* No tag: latest. */
	cr_assert_eq(resolve("oci-archive", tar, NULL, &e), 0, "%s", e.msg);
	free(tar);
	free(dir);
}

Test(oci, oci_archive_failures)
{
	char *dir = layout("bad-src"), *tar = tmpdir_join("bad.tar"), *blob;
	struct fx_layer l;
	struct lerr e;
	FILE *f;

	fx_simple_image(dir, "latest", "x", &l);
	blob = fx_blob_path(dir, l.blob.digest);
	f = fopen(blob, "r+");
	cr_assert_not_null(f);
	fseek(f, 10, SEEK_SET);
	fputc(0, f);
	fputc(1, f);
	fclose(f);
	fx_archive_layout(dir, tar, NULL);
	expect_error(resolve("oci-archive", tar, NULL, &e), &e,
		     "digest mismatch: content is sha256:");
	cr_expect(strstr(e.msg, tar) && strstr(e.msg, "layers[0]"), "%s",
		  e.msg);
	expect_no_temp_files();

	unlink(blob);
	fx_archive_layout(dir, tar, NULL);
	expect_error(resolve("oci-archive", tar, NULL, &e), &e,
		     ": not in the archive");

	free(tmpdir_write_str("junk.tar", "this is not a tar archive at all"));
	free(tar);
	tar = tmpdir_join("junk.tar");
	expect_error(resolve("oci-archive", tar, NULL, &e), &e, tar);
	free(blob);
	free(tar);
	free(dir);
}

Test(oci, store_dedupes_blobs)
{
	char *dir = layout("dedupe"), *other = layout("dedupe2"), *src_blob;
	struct fx_layer l, l2;
	struct stat before, after;
	struct lerr e;

	fx_simple_image(dir, "latest", "one", &l);
	cr_assert_eq(resolve("oci", dir, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(stat(img.layers[0].path, &before), 0);
	cr_expect_eq(before.st_mode & 07777, 0444, "blobs are read-only");
	usleep(20000);

	/* Again: the blob is not copied again. */
	cr_assert_eq(resolve("oci", dir, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(stat(img.layers[0].path, &after), 0);
	cr_expect_eq(after.st_ino, before.st_ino, "rewritten (inode)");
	cr_expect_eq(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	cr_expect_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec,
		     "rewritten (mtime)");

	/* Nor read from the source: it may be gone. */
	src_blob = fx_blob_path(dir, l.blob.digest);
	cr_assert_eq(unlink(src_blob), 0);
	cr_assert_eq(resolve("oci", dir, NULL, &e), 0, "%s", e.msg);

	/* Another image with the same layer shares the stored blob. */
	fx_simple_image(other, "latest", "two", &l2);
	cr_expect_str_eq(l2.blob.digest, l.blob.digest);
	cr_assert_eq(resolve("oci", other, NULL, &e), 0, "%s", e.msg);
	expect_strv(img.cmd, STRV("two"), "Cmd");
	cr_assert_eq(stat(img.layers[0].path, &after), 0);
	cr_expect_eq(after.st_ino, before.st_ino);
	free(src_blob);
	free(other);
	free(dir);
}

Test(oci, stored_blob_size_checked_against_descriptor)
{
	char *dir = layout("stored");
	struct fx_layer l, lie;
	struct lerr e;

	fx_simple_image(dir, "latest", "x", &l);
	cr_assert_eq(resolve("oci", dir, NULL, &e), 0, "%s", e.msg);
	lie = l;
	lie.blob.size = l.blob.size - 1;
	fx_oci_image(dir, "latest", fx_config(&l, 1, NULL), &lie, 1, NULL);
	expect_error(resolve("oci", dir, NULL, &e), &e,
		     "layers[0]: size mismatch: its descriptor says");
	free(dir);
}

struct parse_case {
	int which; /* 0 index, 1 manifest, 2 config */
	enum oci_media expect;
	const char *json;
	const char *want; /* NULL: accepted */
};

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DESC(media) "{\"mediaType\": \"" media "\", \"digest\": \"" DIGEST "\", \"size\": 3}"
#define ROOTFS "\"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}"

Test(oci, parsers_on_buffers)
{
	static const struct parse_case cases[] = {
		{ 0, OCI_MEDIA_UNKNOWN, "{", "doc: not JSON: line 1" },
		{ 0, OCI_MEDIA_UNKNOWN, "[]", "doc: not a JSON object" },
		{ 0, OCI_MEDIA_UNKNOWN, "{\"manifests\": []}",
		  "doc: schemaVersion: missing" },
		{ 0, OCI_MEDIA_UNKNOWN, "{\"schemaVersion\": 2.0, \"manifests\": []}",
		  "doc: schemaVersion: not 2" },
		{ 0, OCI_MEDIA_UNKNOWN, "{\"schemaVersion\": 2}",
		  "doc: manifests: missing" },
		{ 0, OCI_MEDIA_UNKNOWN,
		  "{\"schemaVersion\": 2, \"schemaVersion\": 2, \"manifests\": []}",
		  "doc: not JSON" },
		{ 0, OCI_MEDIA_UNKNOWN,
		  "{\"schemaVersion\": 2, \"manifests\": [" DESC("x/y") "]}",
		  NULL },
		{ 0, OCI_MEDIA_UNKNOWN,
		  "{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"a\", "
		  "\"digest\": \"" DIGEST "\", \"size\": -1}]}",
		  "doc: manifests[0].size: not a byte count" },
		{ 0, OCI_MEDIA_UNKNOWN,
		  "{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"a\", "
		  "\"digest\": \"" DIGEST "\", \"size\": 3, \"annotations\": "
		  "{\"org.opencontainers.image.ref.name\": 7}}]}",
		  "manifests[0].annotations[\"org.opencontainers.image.ref."
		  "name\"]: not a string" },
		{ 0, OCI_MEDIA_INDEX,
		  "{\"schemaVersion\": 2, \"mediaType\": \"" FX_DOCKER_LIST
		  "\", \"manifests\": []}",
		  "mediaType: \"" FX_DOCKER_LIST "\": its descriptor says "
		  "otherwise" },
		{ 1, OCI_MEDIA_UNKNOWN,
		  "{\"schemaVersion\": 2, \"config\": " DESC(FX_OCI_CONFIG)
		  ", \"layers\": [" DESC(FX_OCI_LAYER_ZSTD) "]}",
		  NULL },
		{ 1, DOCKER_MEDIA_MANIFEST,
		  "{\"schemaVersion\": 2, \"config\": " DESC(FX_DOCKER_CONFIG)
		  ", \"layers\": []}",
		  "mediaType: missing (a Docker manifest must have one)" },
		{ 1, OCI_MEDIA_MANIFEST,
		  "{\"schemaVersion\": 2, \"config\": " DESC(FX_OCI_CONFIG) "}",
		  "doc: layers: missing" },
		{ 1, OCI_MEDIA_MANIFEST,
		  "{\"schemaVersion\": 2, \"layers\": []}",
		  "doc: config: not a JSON object" },
		{ 2, 0,
		  "{\"os\": \"linux\", \"architecture\": \"amd64\", " ROOTFS "}",
		  NULL },
		{ 2, 0,
		  "{\"os\": \"windows\", \"architecture\": \"amd64\", " ROOTFS "}",
		  "doc: os: \"windows\": not linux" },
		{ 2, 0,
		  "{\"os\": \"linux\", \"architecture\": \"arm64\", " ROOTFS "}",
		  "doc: architecture: \"arm64\": not amd64" },
		{ 2, 0, "{\"os\": \"linux\", \"architecture\": \"amd64\"}",
		  "doc: rootfs: missing" },
		{ 2, 0,
		  "{\"os\": \"linux\", \"architecture\": \"amd64\", " ROOTFS
		  ", \"config\": {\"Env\": [\"NOEQUALS\"]}}",
		  "doc: config.Env: entry 0 \"NOEQUALS\" is not NAME=VALUE" },
		{ 2, 0,
		  "{\"os\": \"linux\", \"architecture\": \"amd64\", " ROOTFS
		  ", \"config\": {\"Cmd\": [\"a\", 1]}}",
		  "doc: config.Cmd: entry 1 is not a string" },
		{ 2, 0,
		  "{\"os\": \"linux\", \"architecture\": \"amd64\", " ROOTFS
		  ", \"config\": {\"Cmd\": \"sh\"}}",
		  "doc: config.Cmd: not an array of strings" },
		{ 2, 0,
		  "{\"os\": \"linux\", \"architecture\": \"amd64\", " ROOTFS
		  ", \"config\": {\"User\": 0}}",
		  "doc: config.User: not a string" },
		{ 2, 0,
		  "{\"os\": \"linux\", \"architecture\": \"amd64\", " ROOTFS
		  ", \"config\": {\"Cmd\": [\"a\\u0000b\"]}}",
		  "doc: not JSON" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		size_t len = strlen(c->json);
		struct oci_index ix;
		struct oci_manifest m;
		struct oci_config cfg;
		struct lerr e = { 0 };
		int r;

		if (c->which == 0) {
			r = oci_index_parse(&ix, c->json, len, c->expect, "doc",
					    &e);
			oci_index_free(&ix);
		} else if (c->which == 1) {
			r = oci_manifest_parse(&m, c->json, len, c->expect,
					       "doc", &e);
			if (r == 0)
				cr_expect_eq(oci_media_compression(
						     m.layers[0].media),
					     OCI_COMPRESSION_ZSTD);
			oci_manifest_free(&m);
		} else {
			r = oci_config_parse(&cfg, c->json, len, "doc", &e);
			oci_config_free(&cfg);
		}
		if (!c->want) {
			cr_expect_eq(r, 0, "case %zu: %s", i, e.msg);
			continue;
		}
		cr_expect_lt(r, 0, "case %zu accepted", i);
		cr_expect(strstr(e.msg, c->want) != NULL,
			  "case %zu: \"%s\"\n lacks \"%s\"", i, e.msg, c->want);
	}
}

/* The real thing: an image umoci builds (busybox in one layer) and
 * skopeo copies into an oci-archive.  Both come with tools/deps. */
static void run(const char *cmd)
{
	char *full;
	int status;

	cr_assert(asprintf(&full, "%s >%s/cmd.log 2>&1", cmd, tmpdir_path) > 0);
	status = system(full);
	if (status != 0) {
		char log[2048] = "";
		char *path = tmpdir_join("cmd.log");
		FILE *f = fopen(path, "r");

		if (f) {
			log[fread(log, 1, sizeof(log) - 1, f)] = '\0';
			fclose(f);
		}
		free(path);
		cr_assert_fail("`%s` failed (status %d):\n%s", cmd, status, log);
	}
	free(full);
}

static bool env_has(char **env, const char *entry)
{
	for (; env && *env; env++) {
		if (strcmp(*env, entry) == 0)
			return true;
	}
	return false;
}

/* The size of the entry named `name` in the (gzip'd) tar at path, or -1. */
static long long tar_entry_size(const char *path, const char *name)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	long long size = -1;

	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	cr_assert_eq(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
		const char *n = archive_entry_pathname(ent);

		while (n[0] == '.' && n[1] == '/')
			n += 2;
		if (strcmp(n, name) == 0)
			size = archive_entry_size(ent);
	}
	archive_read_free(a);
	return size;
}

Test(oci, real_image_from_umoci_and_skopeo, .timeout = 120)
{
	char *lay = tmpdir_join("umoci"), *bundle = tmpdir_join("bundle");
	char *tar = tmpdir_join("bb.tar"), *cmd;
	char config[LDIGEST_STR_LEN], layer[LDIGEST_STR_LEN];
	struct stat bb;
	struct lerr e;

	cr_assert_eq(system("command -v umoci >/dev/null && "
			    "command -v skopeo >/dev/null"),
		     0, "umoci and skopeo are needed (tools/deps installs them)");
	cr_assert_eq(stat("/bin/busybox", &bb), 0,
		     "/bin/busybox (busybox-static, tools/deps)");
	cr_assert(asprintf(&cmd,
			   "umoci init --layout %s && "
			   "umoci new --image %s:latest && "
			   "umoci unpack --image %s:latest %s && "
			   "mkdir -p %s/rootfs/bin && "
			   "cp /bin/busybox %s/rootfs/bin/ && "
			   "umoci repack --image %s:latest %s && "
			   "umoci config --image %s:latest "
			   "--config.cmd=/bin/busybox --config.cmd=echo "
			   "--config.cmd=hello --config.env=GREETING=hi "
			   "--config.workingdir=/tmp && "
			   "skopeo --insecure-policy copy oci:%s:latest "
			   "oci-archive:%s:latest",
			   lay, lay, lay, bundle, bundle, bundle, lay, bundle,
			   lay, lay, tar) > 0);
	run(cmd);
	free(cmd);

	cr_assert_eq(resolve("oci", lay, "latest", &e), 0, "%s", e.msg);
	cr_assert_eq(img.nr_layers, 1, "one layer: busybox");
	cr_expect_eq(img.layers[0].compression, OCI_COMPRESSION_GZIP);
	cr_expect_str_eq(img.layers[0].media_type, FX_OCI_LAYER_GZIP);
	cr_expect(ldigest_valid(img.layers[0].diff_id));
	expect_strv(img.cmd, STRV("/bin/busybox", "echo", "hello"), "Cmd");
	cr_expect_str_eq(img.workdir, "/tmp");
	cr_expect(env_has(img.env, "GREETING=hi"), "Env from umoci config");
	cr_expect_eq(tar_entry_size(img.layers[0].path, "bin/busybox"),
		     (long long)bb.st_size,
		     "the stored layer holds busybox itself");
	memcpy(config, img.config_digest, sizeof(config));
	memcpy(layer, img.layers[0].digest, sizeof(layer));

	/* skopeo's archive of it: same layer and config. */
	cr_assert_eq(resolve("oci-archive", tar, "latest", &e), 0, "%s",
		     e.msg);
	cr_assert_eq(img.nr_layers, 1);
	cr_expect_str_eq(img.layers[0].digest, layer);
	cr_expect_str_eq(img.config_digest, config);
	expect_strv(img.cmd, STRV("/bin/busybox", "echo", "hello"), "Cmd");
	free(tar);
	free(bundle);
	free(lay);
}
