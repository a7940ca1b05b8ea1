/* oci-fixture.c - OCI image layouts for the tests (see oci-fixture.h). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "oci-fixture.h"

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	cr_assert_geq(fd, 0, "open %s", path);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len, "write %s", path);
	close(fd);
}

static void mkdirs(const char *path)
{
	char *p = strdup(path), *s;

	cr_assert_not_null(p);
	for (s = p + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s", p);
	free(p);
}

void fx_layout_init(const char *dir)
{
	static const char marker[] = "{\"imageLayoutVersion\": \"1.0.0\"}";
	char *path;

	cr_assert(asprintf(&path, "%s/blobs/sha256", dir) > 0);
	mkdirs(path);
	free(path);
	cr_assert(asprintf(&path, "%s/oci-layout", dir) > 0);
	write_file(path, marker, strlen(marker));
	free(path);
}

struct fx_blob fx_put(const char *dir, const void *buf, size_t len)
{
	struct fx_blob b = { .size = len };
	struct ldigest d;
	char *path;

	ldigest_init(&d);
	ldigest_update(&d, buf, len);
	ldigest_final(&d, b.digest);
	cr_assert(asprintf(&path, "%s/blobs/sha256/%s", dir,
			   ldigest_hex(b.digest)) > 0);
	write_file(path, buf, len);
	free(path);
	return b;
}

struct fx_blob fx_put_json(const char *dir, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	struct fx_blob b;

	cr_assert_not_null(text);
	b = fx_put(dir, text, strlen(text));
	free(text);
	json_decref(j);
	return b;
}

/* A tar (gzip'd or not) of one file, in memory. */
static size_t make_tar(const char *name, const char *content, bool gzip,
		       char *buf, size_t cap)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ent = archive_entry_new();
	size_t used = 0;

	cr_assert(a && ent);
	cr_assert_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	if (gzip) {
		cr_assert_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		/* No time in the gzip header: the same layer, the same
		 * digest, whenever it is made. */
		cr_assert_eq(archive_write_set_filter_option(a, "gzip",
							     "timestamp", NULL),
			     ARCHIVE_OK);
	}
	cr_assert_eq(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK,
		     "%s", archive_error_string(a));
	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 0644);
	archive_entry_set_size(ent, (la_int64_t)strlen(content));
	archive_entry_set_mtime(ent, 1700000000, 0);
	cr_assert_eq(archive_write_header(a, ent), ARCHIVE_OK);
	cr_assert_eq(archive_write_data(a, content, strlen(content)),
		     (la_ssize_t)strlen(content));
	cr_assert_eq(archive_write_close(a), ARCHIVE_OK, "%s",
		     archive_error_string(a));
	archive_entry_free(ent);
	archive_write_free(a);
	return used;
}

struct fx_layer fx_put_layer(const char *dir, const char *name,
			     const char *content, bool gzip)
{
	static char tar[256 * 1024], gz[256 * 1024];
	size_t len = make_tar(name, content, false, tar, sizeof(tar));
	struct fx_layer l;
	struct ldigest d;

	ldigest_init(&d);
	ldigest_update(&d, tar, len);
	ldigest_final(&d, l.diff_id);
	if (gzip) {
		size_t glen = make_tar(name, content, true, gz, sizeof(gz));

		l.blob = fx_put(dir, gz, glen);
	} else {
		l.blob = fx_put(dir, tar, len);
	}
	return l;
}

json_t *fx_desc(const char *media_type, const struct fx_blob *b)
{
	json_t *j = json_pack("{s:s, s:s, s:I}", "mediaType", media_type,
			      "digest", b->digest, "size",
			      (json_int_t)b->size);

	cr_assert_not_null(j);
	return j;
}

json_t *fx_config(const struct fx_layer *layers, size_t n, json_t *exec)
{
	json_t *ids = json_array(), *j;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(ids, json_string(layers[i].diff_id));
	j = json_pack("{s:s, s:s, s:{s:s, s:o}}", "architecture", "amd64", "os",
		      "linux", "rootfs", "type", "layers", "diff_ids", ids);
	cr_assert_not_null(j);
	if (exec)
		json_object_set_new(j, "config", exec);
	return j;
}

json_t *fx_manifest(const char *manifest_media, const char *config_media,
		    const struct fx_blob *config, const char *layer_media,
		    const struct fx_layer *layers, size_t n)
{
	json_t *list = json_array(), *j;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(list,
				      fx_desc(layer_media, &layers[i].blob));
	j = json_pack("{s:i, s:o, s:o}", "schemaVersion", 2, "config",
		      fx_desc(config_media, config), "layers", list);
	cr_assert_not_null(j);
	if (manifest_media)
		json_object_set_new(j, "mediaType",
				    json_string(manifest_media));
	return j;
}

json_t *fx_index_entry(const char *media_type, const struct fx_blob *b,
		       const char *ref_name, const char *os, const char *arch)
{
	json_t *j = fx_desc(media_type, b);

	if (ref_name)
		json_object_set_new(
			j, "annotations",
			json_pack("{s:s}", "org.opencontainers.image.ref.name",
				  ref_name));
	if (os)
		json_object_set_new(j, "platform",
				    json_pack("{s:s, s:s}", "os", os,
					      "architecture", arch));
	return j;
}

json_t *fx_index(json_t *entries)
{
	json_t *j = json_pack("{s:i, s:o}", "schemaVersion", 2, "manifests",
			      entries);

	cr_assert_not_null(j);
	return j;
}

void fx_write_index(const char *dir, json_t *index)
{
	char *text = json_dumps(index, JSON_INDENT(2)), *path;

	cr_assert_not_null(text);
	cr_assert(asprintf(&path, "%s/index.json", dir) > 0);
	write_file(path, text, strlen(text));
	free(path);
	free(text);
	json_decref(index);
}

void fx_index_one(const char *dir, const char *media_type,
		  const struct fx_blob *b, const char *tag)
{
	fx_write_index(dir, fx_index(json_pack(
				    "[o]", fx_index_entry(media_type, b, tag,
							  NULL, NULL))));
}

struct fx_blob fx_oci_image(const char *dir, const char *tag, json_t *config,
			    const struct fx_layer *layers, size_t n,
			    struct fx_blob *config_blob)
{
	struct fx_blob cfg = fx_put_json(dir, config);
	struct fx_blob man = fx_put_json(
		dir, fx_manifest(FX_OCI_MANIFEST, FX_OCI_CONFIG, &cfg,
				 FX_OCI_LAYER_GZIP, layers, n));

	fx_index_one(dir, FX_OCI_MANIFEST, &man, tag);
	if (config_blob)
		*config_blob = cfg;
	return man;
}

struct fx_blob fx_simple_image(const char *dir, const char *tag,
			       const char *cmd, struct fx_layer *layer)
{
	struct fx_layer l = fx_put_layer(dir, "hello.txt", "hello\n", true);
	struct fx_blob man = fx_oci_image(
		dir, tag, fx_config(&l, 1, json_pack("{s:[s]}", "Cmd", cmd)),
		&l, 1, NULL);

	if (layer)
		*layer = l;
	return man;
}

char *fx_blob_path(const char *dir, const char *digest)
{
	char *p;

	cr_assert(asprintf(&p, "%s/blobs/sha256/%s", dir, ldigest_hex(digest)) >
		  0);
	return p;
}

static void add_file(struct archive *a, const char *name, const void *buf,
		     size_t len)
{
	struct archive_entry *ent = archive_entry_new();

	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 0644);
	archive_entry_set_size(ent, (la_int64_t)len);
	cr_assert_eq(archive_write_header(a, ent), ARCHIVE_OK, "%s",
		     archive_error_string(a));
	cr_assert_eq(archive_write_data(a, buf, len), (la_ssize_t)len);
	archive_entry_free(ent);
}

static void add_dir(struct archive *a, const char *name)
{
	struct archive_entry *ent = archive_entry_new();

	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, AE_IFDIR);
	archive_entry_set_perm(ent, 0755);
	cr_assert_eq(archive_write_header(a, ent), ARCHIVE_OK);
	archive_entry_free(ent);
}

static void add_path(struct archive *a, const char *name, const char *path)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "open %s", path);
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	add_file(a, name, buf, (size_t)st.st_size);
	free(buf);
}

void fx_archive_layout(const char *dir, const char *file,
		       const char *const *extra)
{
	struct archive *a = archive_write_new();
	char *path, *blobs;
	struct dirent *de;
	DIR *d;

	cr_assert_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	cr_assert_eq(archive_write_open_filename(a, file), ARCHIVE_OK, "%s",
		     archive_error_string(a));
	for (; extra && extra[0]; extra += 2)
		add_file(a, extra[0], extra[1], strlen(extra[1]));
	cr_assert(asprintf(&path, "%s/oci-layout", dir) > 0);
	add_path(a, "oci-layout", path);
	free(path);
	cr_assert(asprintf(&path, "%s/index.json", dir) > 0);
	add_path(a, "./index.json", path); /* a "./" prefix is allowed */
	free(path);
	add_dir(a, "blobs/");
	add_dir(a, "blobs/sha256/");
	cr_assert(asprintf(&blobs, "%s/blobs/sha256", dir) > 0);
	d = opendir(blobs);
	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		char *name;

		if (de->d_name[0] == '.')
			continue;
		cr_assert(asprintf(&path, "%s/%s", blobs, de->d_name) > 0);
		cr_assert(asprintf(&name, "blobs/sha256/%s", de->d_name) > 0);
		add_path(a, name, path);
		free(name);
		free(path);
	}
	closedir(d);
	free(blobs);
	cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

void fx_digest_file(const char *path, char out[LDIGEST_STR_LEN])
{
	char buf[65536];
	struct ldigest d;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "open %s", path);
	ldigest_init(&d);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		ldigest_update(&d, buf, (size_t)n);
	close(fd);
	ldigest_final(&d, out);
}
