/* spec-volumes.c - a group's volumes in its spec: the [volume.NAME]
 * sections and each container's `volumes` key.
 *
 *   [volume.NAME]  type = emptydir | secret | persistent | gitrepo
 *     emptydir     size (optional, 1M or more: the guest tmpfs' size=)
 *     secret       secret.FILE = BASE64 (inline) and file.FILE = PATH (a
 *                  host file, relative paths from the spec's directory),
 *                  at least one; mode (octal, default 0400)
 *     persistent   size (16M..1T, default 1G; used when the image is made)
 *     gitrepo      repository (a path, file:// or a remote URL), revision
 *                  (default the remote's HEAD), directory (default ".")
 *   [container.*]  volumes = NAME:/path[:ro|:rw], ...
 *
 * A key another type does not take is an error naming it.  Host files of
 * secrets are only checked here (a readable regular file, not too big);
 * their bytes are read when the group starts (spec_secret_read()), so
 * nothing of them is copied anywhere on the host. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/base64.h>
#include <lighter/cleanup.h>
#include <lighter/size.h>

#include "spec-internal.h"

#define VOLUME_PREFIX "volume."
#define SECRET_PREFIX "secret."
#define FILE_PREFIX "file."

static const char *const type_names[] = {
	[SPEC_VOLUME_EMPTYDIR] = "emptydir",
	[SPEC_VOLUME_SECRET] = "secret",
	[SPEC_VOLUME_PERSISTENT] = "persistent",
	[SPEC_VOLUME_GITREPO] = "gitrepo",
};

#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *spec_volume_type_name(enum spec_volume_type t)
{
	return (unsigned int)t < N_TYPES ? type_names[t] : "?";
}

const struct spec_volume *spec_volume_find(const struct spec *s,
					   const char *name)
{
	for (size_t i = 0; i < s->nr_volumes; i++) {
		if (strcmp(s->volumes[i].name, name) == 0)
			return &s->volumes[i];
	}
	return NULL;
}

/* ---- mount paths ---- */

/* Absolute, clean (no empty, '.' or '..' component, no trailing '/'),
 * not the root, printable, no ':' or ','. */
static int check_mount_path(const char *p, struct lerr *e)
{
	const char *c;

	if (p[0] != '/')
		return lerr_fail(e, EINVAL, "\"%s\": not an absolute path", p);
	if (strlen(p) >= 4096)
		return lerr_fail(e, ENAMETOOLONG, "path too long");
	if (strcmp(p, "/") == 0)
		return lerr_fail(e, EINVAL, "\"/\": cannot mount over the "
				 "container's root");
	for (c = p; *c; c++) {
		if (iscntrl((unsigned char)*c))
			return lerr_fail(e, EINVAL, "\"%s\": control character",
					 p);
	}
	for (c = p; *c;) {
		const char *next = strchr(c + 1, '/');
		size_t n = next ? (size_t)(next - c - 1) : strlen(c + 1);

		if (n == 0 || (n == 1 && c[1] == '.') ||
		    (n == 2 && c[1] == '.' && c[2] == '.'))
			return lerr_fail(e, EINVAL,
					 "\"%s\": not a clean path (empty, '.' "
					 "or '..' component)",
					 p);
		if (!next)
			break;
		c = next;
	}
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

static int add_mount(struct spec_container *c, char *entry, size_t idx,
		     struct lerr *e)
{
	char *name = entry, *path, *opt = NULL;
	struct spec_mount *m;
	struct lerr why = { 0 };
	char vname[SPEC_NAME_MAX + 1];
	int r;

	path = strchr(entry, ':');
	if (!path)
		return lerr_fail(e, EINVAL, "entry %zu \"%s\" is not "
				 "NAME:/path[:ro]", idx, entry);
	*path++ = '\0';
	opt = strchr(path, ':');
	if (opt)
		*opt++ = '\0';
	if (spec_parse_name(name, vname, &why) < 0)
		return lerr_fail(e, EINVAL, "entry %zu: volume %s", idx,
				 why.msg);
	r = check_mount_path(path, &why);
	if (r < 0)
		return lerr_fail(e, -r, "entry %zu: %s", idx, why.msg);
	if (opt && strcmp(opt, "ro") != 0 && strcmp(opt, "rw") != 0)
		return lerr_fail(e, EINVAL, "entry %zu: \"%s\" is neither ro "
				 "nor rw", idx, opt);
	for (size_t i = 0; i < c->nr_mounts; i++) {
		if (strcmp(c->mounts[i].path, path) == 0)
			return lerr_fail(e, EINVAL, "entry %zu: \"%s\" is "
					 "mounted twice", idx, path);
	}
	if (c->nr_mounts == SPEC_MAX_MOUNTS)
		return lerr_fail(e, E2BIG, "more than %d mounts",
				 SPEC_MAX_MOUNTS);
	m = realloc(c->mounts, (c->nr_mounts + 1) * sizeof(*m));
	if (!m)
		return lerr_fail(e, ENOMEM, "out of memory");
	c->mounts = m;
	m = &c->mounts[c->nr_mounts];
	m->volume = strdup(vname);
	m->path = strdup(path);
	m->readonly = opt && strcmp(opt, "ro") == 0;
	c->nr_mounts++;
	if (!m->volume || !m->path)
		return lerr_fail(e, ENOMEM, "out of memory");
	return 0;
}

int spec_parse_mounts(const char *v, struct spec_container *c,
		      struct lerr *e)
{
	_cleanup_free_ char *copy = strdup(v);
	struct lerr why = { 0 };
	char *p, *comma;
	size_t idx = 1;
	int r;

	if (!copy)
		return lerr_fail(e, ENOMEM, "out of memory");
	spec_mounts_free(c);
	for (p = copy;; p = comma + 1, idx++) {
		char *entry;

		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		entry = trim(p);
		if (!*entry)
			return lerr_fail(e, EINVAL, "\"%s\": entry %zu is "
					 "empty", v, idx);
		r = add_mount(c, entry, idx, &why);
		if (r < 0)
			return lerr_fail(e, -r, "\"%s\": %s", v, why.msg);
		if (!comma)
			break;
	}
	return 0;
}

int spec_mounts_resolve(const struct spec *s, struct spec_container *c,
			struct lerr *e)
{
	for (size_t i = 0; i < c->nr_mounts; i++) {
		struct spec_mount *m = &c->mounts[i];
		const struct spec_volume *v = spec_volume_find(s, m->volume);

		if (!v)
			return lerr_fail(e, ENOENT, "\"%s:%s\": no "
					 "[volume.%s] in the group",
					 m->volume, m->path, m->volume);
		if (v->type == SPEC_VOLUME_SECRET)
			m->readonly = true;
	}
	return 0;
}

void spec_mounts_free(struct spec_container *c)
{
	for (size_t i = 0; i < c->nr_mounts; i++) {
		free(c->mounts[i].volume);
		free(c->mounts[i].path);
	}
	free(c->mounts);
	c->mounts = NULL;
	c->nr_mounts = 0;
}

/* ---- values ---- */

/* A file name in a secret volume: 1..255 of [A-Za-z0-9._-], not "." or
 * "..". */
static bool item_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	}
	return true;
}

static int check_host_file(const char *path, struct lerr *e)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return lerr_set(e, errno, "\"%s\"", path);
	if (!S_ISREG(st.st_mode))
		return lerr_fail(e, EINVAL, "\"%s\": not a regular file", path);
	if (st.st_size > (off_t)SPEC_SECRET_MAX)
		return lerr_fail(e, EFBIG, "\"%s\": larger than %u bytes",
				 path, SPEC_SECRET_MAX);
	if (access(path, R_OK) < 0)
		return lerr_set(e, errno, "\"%s\"", path);
	return 0;
}

static char *absolute_from(const char *dir, const char *p)
{
	char *joined = NULL, *abs;

	if (p[0] != '/' && asprintf(&joined, "%s/%s", dir, p) < 0)
		return NULL;
	abs = realpath(joined ? joined : p, NULL);
	free(joined);
	return abs;
}

static int add_item(struct spec_volume *v, const char *name, bool inline_data,
		    const char *value, const char *dir, struct lerr *e)
{
	struct spec_secret_item *it;
	unsigned char *data = NULL;
	char *path = NULL;
	size_t len = 0;
	int r;

	if (!item_name_valid(name))
		return lerr_fail(e, EINVAL, "\"%s\" is not a file name "
				 "(1-255 of [A-Za-z0-9._-])", name);
	for (size_t i = 0; i < v->nr_items; i++) {
		if (strcmp(v->items[i].name, name) == 0)
			return lerr_fail(e, EINVAL, "file \"%s\" is given "
					 "twice", name);
	}
	if (v->nr_items == SPEC_MAX_SECRET_ITEMS)
		return lerr_fail(e, E2BIG, "more than %d files",
				 SPEC_MAX_SECRET_ITEMS);
	if (inline_data) {
		r = value[0] ? base64_decode(value, strlen(value), &data,
					       &len)
			     : -EINVAL;
		if (r == -ENOMEM)
			return lerr_fail(e, ENOMEM, "out of memory");
		if (r < 0)
			return lerr_fail(e, EINVAL, "not base64 (A-Za-z0-9+/ "
					 "with = padding)");
		if (len > SPEC_SECRET_MAX) {
			free(data);
			return lerr_fail(e, EFBIG, "more than %u bytes",
					 SPEC_SECRET_MAX);
		}
	} else {
		if (!value[0])
			return lerr_fail(e, EINVAL, "empty path");
		path = absolute_from(dir, value);
		if (!path)
			return lerr_set(e, errno, "\"%s\"", value);
		r = check_host_file(path, e);
		if (r < 0) {
			free(path);
			return r;
		}
	}
	it = realloc(v->items, (v->nr_items + 1) * sizeof(*it));
	if (!it) {
		free(data);
		free(path);
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	v->items = it;
	it = &v->items[v->nr_items++];
	it->name = strdup(name);
	it->data = data;
	it->len = len;
	it->path = path;
	return it->name ? 0 : lerr_fail(e, ENOMEM, "out of memory");
}

static int parse_mode(const char *s, unsigned int *out, struct lerr *e)
{
	char *end;
	unsigned long m;

	if (s[0] != '0' || !s[1])
		return lerr_fail(e, EINVAL, "\"%s\": not an octal mode such as "
				 "0400", s);
	m = strtoul(s, &end, 8);
	if (*end || m > 0777)
		return lerr_fail(e, EINVAL, "\"%s\": not an octal mode "
				 "0000..0777", s);
	*out = (unsigned int)m;
	return 0;
}

static int parse_volume_size(struct spec_volume *v, const char *s,
			     struct lerr *e)
{
	uint64_t b, lo, hi;
	char los[SPEC_SIZE_STR], his[SPEC_SIZE_STR];
	int r = parse_size(s, &b);

	if (r == -ERANGE)
		return lerr_fail(e, ERANGE, "\"%s\": too large", s);
	if (r < 0)
		return lerr_fail(e, EINVAL, "\"%s\": not a size (bytes or "
				 "K/M/G/T suffix)", s);
	lo = v->type == SPEC_VOLUME_PERSISTENT ? SPEC_PERSISTENT_MIN
					       : SPEC_EMPTYDIR_MIN;
	hi = v->type == SPEC_VOLUME_PERSISTENT ? SPEC_PERSISTENT_MAX
					       : SPEC_MEM_MAX;
	spec_format_size(lo, los);
	spec_format_size(hi, his);
	if (b < lo || b > hi)
		return lerr_fail(e, ERANGE, "\"%s\": not in %s..%s", s, los,
				 his);
	v->size_bytes = b;
	return 0;
}

/* Not an option to git: no leading '-', no control characters. */
static int check_git_word(const char *s, struct lerr *e)
{
	if (!s[0])
		return lerr_fail(e, EINVAL, "empty");
	if (s[0] == '-')
		return lerr_fail(e, EINVAL, "\"%s\": starts with '-'", s);
	for (const char *c = s; *c; c++) {
		if (iscntrl((unsigned char)*c) || *c == ' ')
			return lerr_fail(e, EINVAL, "\"%s\": blank or control "
					 "character", s);
	}
	return 0;
}

static bool is_url(const char *s)
{
	static const char *const schemes[] = {
		"file://", "http://", "https://", "git://", "ssh://",
	};

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strncmp(s, schemes[i], strlen(schemes[i])) == 0)
			return s[strlen(schemes[i])] != '\0';
	}
	/* scp-like user@host:path */
	return strchr(s, '@') && strchr(s, ':') &&
	       strchr(s, '@') < strchr(s, ':');
}

static int set_repository(struct spec_volume *v, const char *s,
			  const char *dir, struct lerr *e)
{
	int r = check_git_word(s, e);

	if (r < 0)
		return r;
	if (is_url(s)) {
		v->repository = strdup(s);
	} else {
		v->repository = absolute_from(dir, s);
		if (!v->repository)
			return lerr_set(e, errno, "\"%s\"", s);
		return 0;
	}
	return v->repository ? 0 : lerr_fail(e, ENOMEM, "out of memory");
}

/* "." or a relative clean path. */
static int set_directory(struct spec_volume *v, const char *s, struct lerr *e)
{
	_cleanup_free_ char *abs = NULL;
	struct lerr why = { 0 };

	if (strcmp(s, ".") != 0) {
		if (s[0] == '/')
			return lerr_fail(e, EINVAL, "\"%s\": not a relative "
					 "path", s);
		if (asprintf(&abs, "/%s", s) < 0)
			return lerr_fail(e, ENOMEM, "out of memory");
		if (check_mount_path(abs, &why) < 0)
			return lerr_fail(e, EINVAL, "\"%s\": not a clean "
					 "relative path", s);
	}
	v->directory = strdup(s);
	return v->directory ? 0 : lerr_fail(e, ENOMEM, "out of memory");
}

/* ---- sections ---- */

static int parse_type(const char *s, enum spec_volume_type *t, struct lerr *e)
{
	for (size_t i = 0; i < N_TYPES; i++) {
		if (strcmp(s, type_names[i]) == 0) {
			*t = (enum spec_volume_type)i;
			return 0;
		}
	}
	return lerr_fail(e, EINVAL, "\"%s\": not one of emptydir, secret, "
			 "persistent, gitrepo", s);
}

/* The key for the volume's type: 0 when taken, -ENOKEY when the type
 * does not take it (or no type takes it). */
static int apply_key(struct spec_volume *v, const struct ini_entry *ent,
		     const char *dir, struct lerr *e)
{
	const char *k = ent->key, *val = ent->value;
	enum spec_volume_type t = v->type;

	if (strcmp(k, "size") == 0 && (t == SPEC_VOLUME_EMPTYDIR ||
				       t == SPEC_VOLUME_PERSISTENT))
		return parse_volume_size(v, val, e);
	if (t == SPEC_VOLUME_SECRET) {
		if (strcmp(k, "mode") == 0)
			return parse_mode(val, &v->mode, e);
		/* the name as written: file names keep their case */
		if (strncmp(k, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0)
			return add_item(v, ent->name + strlen(SECRET_PREFIX),
					true, val, dir, e);
		if (strncmp(k, FILE_PREFIX, strlen(FILE_PREFIX)) == 0)
			return add_item(v, ent->name + strlen(FILE_PREFIX),
					false, val, dir, e);
	}
	if (t == SPEC_VOLUME_GITREPO) {
		if (strcmp(k, "repository") == 0)
			return set_repository(v, val, dir, e);
		if (strcmp(k, "revision") == 0) {
			int r = check_git_word(val, e);

			if (r < 0)
				return r;
			v->revision = strdup(val);
			return v->revision ? 0
					   : lerr_fail(e, ENOMEM,
						       "out of memory");
		}
		if (strcmp(k, "directory") == 0)
			return set_directory(v, val, e);
	}
	return -ENOKEY;
}

static int count_persistent(const struct spec *s)
{
	int n = 0;

	for (size_t i = 0; i < s->nr_volumes; i++)
		n += s->volumes[i].type == SPEC_VOLUME_PERSISTENT;
	return n;
}

static int load_volume(struct spec_volume *v, const struct spec *s,
		       const struct ini_scan *scan,
		       const struct ini_entry *hdr, const char *path,
		       const char *dir, struct lerr *e)
{
	const struct ini_entry *type = ini_scan_find(scan, hdr->section,
						     "type");
	struct lerr why = { 0 };
	int r;

	v->line = hdr->line;
	v->mode = 0400;
	if (!type)
		return lerr_fail(e, EINVAL, "%s:%u: [%s]: missing key \"type\"",
				 path, hdr->line, hdr->name);
	r = parse_type(type->value, &v->type, &why);
	if (r < 0)
		return lerr_fail(e, -r, "%s:%u: [%s] type: %s", path,
				 type->line, hdr->name, why.msg);
	if (v->type == SPEC_VOLUME_PERSISTENT &&
	    count_persistent(s) > SPEC_MAX_PERSISTENT) /* v counts itself */
		return lerr_fail(e, E2BIG, "%s:%u: [%s]: more than %d "
				 "persistent volumes", path, hdr->line,
				 hdr->name, SPEC_MAX_PERSISTENT);
	if (v->type == SPEC_VOLUME_PERSISTENT)
		v->size_bytes = SPEC_PERSISTENT_DEFAULT;
	for (size_t i = 0; i < scan->nr_entries; i++) {
		const struct ini_entry *ent = &scan->entries[i];

		if (ent->is_section || !ent->section || ent == type ||
		    strcmp(ent->section, hdr->section) != 0)
			continue;
		r = apply_key(v, ent, dir, &why);
		if (r == -ENOKEY)
			return lerr_fail(e, EINVAL, "%s:%u: [%s] %s: unknown "
					 "key for a %s volume", path,
					 ent->line, hdr->name, ent->name,
					 type_names[v->type]);
		if (r < 0)
			return lerr_fail(e, -r, "%s:%u: [%s] %s: %s", path,
					 ent->line, hdr->name, ent->name,
					 why.msg);
	}
	if (v->type == SPEC_VOLUME_SECRET && !v->nr_items)
		return lerr_fail(e, EINVAL, "%s:%u: [%s]: a secret volume "
				 "needs a secret.FILE or file.FILE key", path,
				 hdr->line, hdr->name);
	if (v->type == SPEC_VOLUME_GITREPO && !v->repository)
		return lerr_fail(e, EINVAL, "%s:%u: [%s]: missing key "
				 "\"repository\"", path, hdr->line, hdr->name);
	return 0;
}

int spec_load_volume(struct spec *s, const struct ini_scan *scan,
		     const struct ini_entry *hdr, const char *path,
		     const char *dir, struct lerr *e)
{
	struct spec_volume *v;
	struct lerr why = { 0 };
	int r;

	if (s->nr_volumes == SPEC_MAX_VOLUMES)
		return lerr_fail(e, E2BIG, "%s:%u: [%s]: more than %d volumes",
				 path, hdr->line, hdr->name, SPEC_MAX_VOLUMES);
	v = realloc(s->volumes, (s->nr_volumes + 1) * sizeof(*v));
	if (!v)
		return lerr_fail(e, ENOMEM, "out of memory");
	s->volumes = v;
	v = &s->volumes[s->nr_volumes];
	memset(v, 0, sizeof(*v));
	r = spec_parse_name(hdr->name + strlen(VOLUME_PREFIX), v->name, &why);
	if (r < 0)
		return lerr_fail(e, -r, "%s:%u: [%s]: volume name %s", path,
				 hdr->line, hdr->name, why.msg);
	s->nr_volumes++;
	return load_volume(v, s, scan, hdr, path, dir, e);
}

static void volume_free(struct spec_volume *v)
{
	for (size_t i = 0; i < v->nr_items; i++) {
		struct spec_secret_item *it = &v->items[i];

		free(it->name);
		free(it->path);
		if (it->data)
			explicit_bzero(it->data, it->len);
		free(it->data);
	}
	free(v->items);
	free(v->repository);
	free(v->revision);
	free(v->directory);
}

void spec_volumes_free(struct spec *s)
{
	for (size_t i = 0; i < s->nr_volumes; i++)
		volume_free(&s->volumes[i]);
	free(s->volumes);
	s->volumes = NULL;
	s->nr_volumes = 0;
}

/* ---- secret bytes ---- */

int spec_secret_read(const struct spec_volume *v,
		     const struct spec_secret_item *it, unsigned char **data,
		     size_t *len, struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	unsigned char *buf;
	size_t n = 0;
	ssize_t got;

	if (!it->path) {
		buf = malloc(it->len ? it->len : 1);
		if (!buf)
			return lerr_fail(e, ENOMEM, "out of memory");
		memcpy(buf, it->data, it->len);
		*data = buf;
		*len = it->len;
		return 0;
	}
	fd = open(it->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return lerr_set(e, errno, "[volume.%s] file.%s \"%s\"",
				v->name, it->name, it->path);
	buf = malloc(SPEC_SECRET_MAX + 1);
	if (!buf)
		return lerr_fail(e, ENOMEM, "out of memory");
	while ((got = read(fd, buf + n, SPEC_SECRET_MAX + 1 - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || (n += (size_t)got) > SPEC_SECRET_MAX) {
			int err = got < 0 ? errno : EFBIG;

			explicit_bzero(buf, n);
			free(buf);
			return lerr_fail(e, err, "[volume.%s] file.%s \"%s\": "
					 "%s", v->name, it->name, it->path,
					 err == EFBIG ? "too large"
						      : strerror(err));
		}
	}
	*data = buf;
	*len = n;
	return 0;
}
