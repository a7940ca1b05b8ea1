/* spec.c - the group spec: loading the INI file (iniparser for syntax,
 * sections and keys; ini-scan.c for their lines and raw values), the
 * CLI's one-container shorthand, and the checks that the containers'
 * limits fit the group. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>
#include <lighter/ini-util.h>

#include "ini-scan.h"
#include "spec-internal.h"
#include "strv.h"

#define CONTAINER_PREFIX "container."
#define INIT_PREFIX "init."
#define VOLUME_PREFIX "volume."

/* The entries the fit checks point at (NULL when a key is absent). */
struct container_lines {
	const struct ini_entry *hdr, *cpus, *memory, *volumes;
};

struct load_ctx {
	const char *path;      /* the spec file, for messages */
	const char *dir;       /* where relative image paths start */
	struct ini_scan scan;
	struct container_lines lines[SPEC_MAX_CONTAINERS];
	unsigned int group_line;
};

typedef int (*key_setter)(struct spec *s, struct spec_container *c,
			  const char *v, const struct load_ctx *ctx,
			  struct lerr *e);

struct key_handler {
	const char *key;
	key_setter set;
	bool list; /* the value is a word or env list, read as written */
};

static int set_group_name(struct spec *s, struct spec_container *c,
			  const char *v, const struct load_ctx *ctx,
			  struct lerr *e)
{
	return spec_parse_name(v, s->name, e);
}

static int set_group_cpus(struct spec *s, struct spec_container *c,
			  const char *v, const struct load_ctx *ctx,
			  struct lerr *e)
{
	return spec_parse_group_cpus(v, &s->cpus, e);
}

static int set_group_memory(struct spec *s, struct spec_container *c,
			    const char *v, const struct load_ctx *ctx,
			    struct lerr *e)
{
	return spec_parse_group_memory(v, &s->mem_bytes, e);
}

static int set_group_restart(struct spec *s, struct spec_container *c,
			     const char *v, const struct load_ctx *ctx,
			     struct lerr *e)
{
	return spec_parse_restart(v, &s->restart, e);
}

static int set_image(struct spec *s, struct spec_container *c, const char *v,
		     const struct load_ctx *ctx, struct lerr *e)
{
	int r = oci_ref_parse(&c->ref, v, e);

	if (r < 0)
		return r;
	r = oci_ref_rebase(&c->ref, ctx ? ctx->dir : NULL, e);
	if (r < 0)
		return r;
	c->image = strdup(v);
	return c->image ? 0 : lerr_fail(e, ENOMEM, "out of memory");
}

static int set_words(char ***out, const char *v, struct lerr *e)
{
	struct lerr why = { 0 };
	int r = spec_split_words(v, out, &why);

	if (r < 0)
		return lerr_fail(e, -r, "\"%s\": %s", v, why.msg);
	return 0;
}

static int set_command(struct spec *s, struct spec_container *c,
		       const char *v, const struct load_ctx *ctx,
		       struct lerr *e)
{
	return set_words(&c->command, v, e);
}

static int set_entrypoint(struct spec *s, struct spec_container *c,
			  const char *v, const struct load_ctx *ctx,
			  struct lerr *e)
{
	return set_words(&c->entrypoint, v, e);
}

static int set_env(struct spec *s, struct spec_container *c, const char *v,
		   const struct load_ctx *ctx, struct lerr *e)
{
	struct lerr why = { 0 };
	int r = spec_split_env(v, &c->env, &why);

	if (r < 0)
		return lerr_fail(e, -r, "\"%s\": %s", v, why.msg);
	return 0;
}

static int set_secure_env(struct spec *s, struct spec_container *c,
			  const char *v, const struct load_ctx *ctx,
			  struct lerr *e)
{
	return spec_parse_secure_env(v, &c->secure_env, e);
}

static int set_workdir(struct spec *s, struct spec_container *c,
		       const char *v, const struct load_ctx *ctx,
		       struct lerr *e)
{
	int r = spec_check_workdir(v, e);

	if (r < 0)
		return r;
	c->workdir = strdup(v);
	return c->workdir ? 0 : lerr_fail(e, ENOMEM, "out of memory");
}

static int set_user(struct spec *s, struct spec_container *c, const char *v,
		    const struct load_ctx *ctx, struct lerr *e)
{
	int r = spec_check_user(v, e);

	if (r < 0)
		return r;
	c->user = strdup(v);
	return c->user ? 0 : lerr_fail(e, ENOMEM, "out of memory");
}

static int set_container_cpus(struct spec *s, struct spec_container *c,
			      const char *v, const struct load_ctx *ctx,
			      struct lerr *e)
{
	return spec_parse_millicpus(v, &c->millicpus, e);
}

static int set_container_memory(struct spec *s, struct spec_container *c,
				const char *v, const struct load_ctx *ctx,
				struct lerr *e)
{
	return spec_parse_container_memory(v, &c->mem_bytes, e);
}

static int set_pids(struct spec *s, struct spec_container *c, const char *v,
		    const struct load_ctx *ctx, struct lerr *e)
{
	return spec_parse_pids(v, &c->pids, e);
}

static int set_volumes(struct spec *s, struct spec_container *c,
		       const char *v, const struct load_ctx *ctx,
		       struct lerr *e)
{
	return spec_parse_mounts(v, c, e);
}

static const struct key_handler group_keys[] = {
	{ "name", set_group_name, false },
	{ "cpus", set_group_cpus, false },
	{ "memory", set_group_memory, false },
	{ "restart", set_group_restart, false },
	{ NULL, NULL, false },
};

static const struct key_handler container_keys[] = {
	{ "image", set_image, false },
	{ "command", set_command, true },
	{ "entrypoint", set_entrypoint, true },
	{ "env", set_env, true },
	{ "secure-env", set_secure_env, true },
	{ "workdir", set_workdir, false },
	{ "user", set_user, false },
	{ "cpus", set_container_cpus, false },
	{ "memory", set_container_memory, false },
	{ "pids", set_pids, false },
	{ "volumes", set_volumes, true },
	{ NULL, NULL, false },
};

__attribute__((format(printf, 4, 5))) static int
at_line(struct lerr *e, int err, const struct load_ctx *ctx, const char *fmt,
	...)
{
	char detail[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return lerr_fail(e, err, "%s:%s", ctx->path, detail);
}

/* A single value may be quoted (`name = "web"`, `image = 'oci:/my
 * images/x'`): one quoted word is read with the word syntax; anything
 * else is taken as written. */
static int set_scalar(struct spec *s, struct spec_container *c,
		      const struct key_handler *h, const char *v,
		      const struct load_ctx *ctx, struct lerr *e)
{
	_cleanup_strv_ char **words = NULL;
	struct lerr why = { 0 };
	int r;

	if (v[0] != '"' && v[0] != '\'')
		return h->set(s, c, v, ctx, e);
	r = spec_split_words(v, &words, &why);
	if (r < 0)
		return lerr_fail(e, -r, "\"%s\": %s", v, why.msg);
	if (strv_len(words) != 1)
		return lerr_fail(e, EINVAL, "\"%s\": more than one value", v);
	return h->set(s, c, words[0], ctx, e);
}

/* Apply every key iniparser holds for section sec (whose header is
 * hdr) through the handler table; returns the entry of each key the
 * caller asked about in *found (NULL when absent). */
static int apply_section(struct spec *s, struct spec_container *c,
			 dictionary *d, const struct ini_entry *hdr,
			 const struct key_handler *keys,
			 const struct load_ctx *ctx,
			 const struct ini_entry **found, struct lerr *e)
{
	_cleanup_free_ const char **names = NULL;
	int i, n = iniparser_getsecnkeys(d, hdr->section);
	size_t plen = strlen(hdr->section) + 1;

	if (n <= 0)
		return 0;
	names = calloc((size_t)n, sizeof(*names));
	if (!names)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (!iniparser_getseckeys(d, hdr->section, names))
		return at_line(e, EINVAL, ctx, "%u: [%s]: cannot list keys",
			       hdr->line, hdr->name);
	for (i = 0; i < n; i++) {
		const char *key = names[i] + plen;
		const struct ini_entry *ent =
			ini_scan_find(&ctx->scan, hdr->section, key);
		const struct key_handler *h;
		struct lerr why = { 0 };
		int r;

		if (!ent)
			return at_line(e, EINVAL, ctx,
				       "%u: [%s] %s: not found on any line",
				       hdr->line, hdr->name, key);
		for (h = keys; h->key; h++) {
			if (strcmp(h->key, ent->key) == 0)
				break;
		}
		r = -ENOENT;
		if (!h->key && c)
			r = spec_set_probe_key(c, ent->key, ent->value, &why);
		if (!h->key && r == -ENOENT)
			return at_line(e, EINVAL, ctx,
				       "%u: [%s] %s: unknown key", ent->line,
				       hdr->name, ent->name);
		if (!h->key && r < 0)
			return at_line(e, -r, ctx, "%u: [%s] %s: %s",
				       ent->line, hdr->name, ent->name,
				       why.msg);
		if (!h->key)
			continue;
		r = h->list ? h->set(s, c, ent->value, ctx, &why)
			    : set_scalar(s, c, h, ent->value, ctx, &why);
		if (r < 0)
			return at_line(e, -r, ctx, "%u: [%s] %s: %s", ent->line,
				       hdr->name, ent->name, why.msg);
		found[h - keys] = ent;
	}
	return 0;
}

static int load_group(struct spec *s, dictionary *d,
		      const struct ini_entry *hdr, struct load_ctx *ctx,
		      struct lerr *e)
{
	const struct ini_entry *found[sizeof(group_keys) /
				      sizeof(group_keys[0])] = { NULL };
	int r;

	ctx->group_line = hdr->line;
	r = apply_section(s, NULL, d, hdr, group_keys, ctx, found, e);
	if (r < 0)
		return r;
	if (!found[0])
		return at_line(e, EINVAL, ctx, "%u: [%s]: missing key \"name\"",
			       hdr->line, hdr->name);
	return 0;
}

static int load_container(struct spec *s, dictionary *d,
			  const struct ini_entry *hdr, bool init,
			  struct load_ctx *ctx, struct lerr *e)
{
	const char *prefix = init ? INIT_PREFIX : CONTAINER_PREFIX;
	const struct ini_entry *found[sizeof(container_keys) /
				      sizeof(container_keys[0])] = { NULL };
	struct spec_container *c = &s->containers[s->nr_containers];
	struct container_lines *lines = &ctx->lines[s->nr_containers];
	struct lerr why = { 0 };
	size_t i;
	int r;

	if (s->nr_containers == SPEC_MAX_CONTAINERS)
		return at_line(e, E2BIG, ctx,
			       "%u: [%s]: more than %d containers", hdr->line,
			       hdr->name, SPEC_MAX_CONTAINERS);
	r = spec_parse_name(hdr->name + strlen(prefix), c->name, &why);
	if (r < 0)
		return at_line(e, -r, ctx, "%u: [%s]: container name %s",
			       hdr->line, hdr->name, why.msg);
	/* inits and the others share one namespace (logs, state, SPEC) */
	for (i = 0; i < s->nr_containers; i++) {
		if (strcmp(s->containers[i].name, c->name) == 0)
			return at_line(e, EINVAL, ctx,
				       "%u: [%s]: the name \"%s\" is taken by "
				       "[%s] (line %u)",
				       hdr->line, hdr->name, c->name,
				       ctx->lines[i].hdr->name,
				       ctx->lines[i].hdr->line);
	}
	c->init = init;
	s->nr_containers++;
	lines->hdr = hdr;
	r = apply_section(s, c, d, hdr, container_keys, ctx, found, e);
	if (r < 0)
		return r;
	if (!c->image)
		return at_line(e, EINVAL, ctx,
			       "%u: [%s]: missing key \"image\"", hdr->line,
			       hdr->name);
	r = spec_check_probes(c, &why);
	if (r < 0)
		return at_line(e, -r, ctx, "%u: [%s] %s", hdr->line, hdr->name,
			       why.msg);
	r = spec_check_secure_env(c, &why);
	if (r < 0)
		return at_line(e, -r, ctx, "%u: [%s] secure-env: %s", hdr->line,
			       hdr->name, why.msg);
	for (i = 0; container_keys[i].key; i++) {
		if (!found[i])
			continue;
		if (container_keys[i].set == set_container_cpus)
			lines->cpus = found[i];
		else if (container_keys[i].set == set_container_memory)
			lines->memory = found[i];
		else if (container_keys[i].set == set_volumes)
			lines->volumes = found[i];
	}
	return 0;
}

/* Each container's cpus within the group's, and their memory together
 * within the group's less what the guest keeps. */
static int check_fit(const struct spec *s, const struct load_ctx *ctx,
		     struct lerr *e)
{
	uint64_t sum = 0, room = s->mem_bytes - SPEC_GUEST_RESERVE;
	char b[SPEC_SIZE_STR], g[SPEC_SIZE_STR], r[SPEC_SIZE_STR];
	size_t i;

	for (i = 0; i < s->nr_containers; i++) {
		const struct spec_container *c = &s->containers[i];
		const struct container_lines *l = &ctx->lines[i];

		if (c->millicpus > s->cpus * 1000U)
			return at_line(e, ERANGE, ctx,
				       "%u: [%s] cpus: \"%s\": more than the "
				       "group's %u",
				       l->cpus->line, l->hdr->name,
				       l->cpus->value, s->cpus);
		sum += c->mem_bytes;
		if (sum > room) {
			spec_format_size(sum, b);
			spec_format_size(s->mem_bytes, g);
			spec_format_size(SPEC_GUEST_RESERVE, r);
			return at_line(e, ERANGE, ctx,
				       "%u: [%s] memory: \"%s\": brings the "
				       "containers' memory to %s, more than "
				       "the group's %s less %s for the guest",
				       l->memory->line, l->hdr->name,
				       l->memory->value, b, g, r);
		}
	}
	return 0;
}

/* Every mounted volume is declared (sections come in any order). */
static int resolve_mounts(struct spec *s, const struct load_ctx *ctx,
			  struct lerr *e)
{
	for (size_t i = 0; i < s->nr_containers; i++) {
		const struct container_lines *l = &ctx->lines[i];
		struct lerr why = { 0 };
		int r = spec_mounts_resolve(s, &s->containers[i], &why);

		if (r < 0)
			return at_line(e, -r, ctx, "%u: [%s] volumes: %s",
				       l->volumes->line, l->hdr->name,
				       why.msg);
	}
	return 0;
}

static int read_text(const char *path, char **text, size_t *len,
		     struct lerr *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t n = 0;
	ssize_t got;

	if (fd < 0)
		return lerr_set(e, errno, "%s", path);
	buf = malloc(SPEC_FILE_MAX + 1);
	if (!buf)
		return lerr_fail(e, ENOMEM, "out of memory");
	/* Read to EOF (a pipe or /proc file has no useful st_size). */
	while ((got = read(fd, buf + n, SPEC_FILE_MAX + 1 - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return lerr_set(e, errno, "%s", path);
		}
		n += (size_t)got;
		if (n > SPEC_FILE_MAX)
			return lerr_fail(e, EFBIG, "%s: larger than %u bytes",
					 path, SPEC_FILE_MAX);
	}
	*text = TAKE_PTR(buf);
	*len = n;
	return 0;
}

static int load(struct spec *s, const char *path, struct load_ctx *ctx,
		struct lerr *e)
{
	_cleanup_dict_ dictionary *d = NULL;
	_cleanup_free_ char *text = NULL;
	const struct ini_entry *group = NULL;
	struct ini_fault fault;
	size_t len = 0, i, nsec = 0, apps = 0;
	int r, n;

	r = read_text(path, &text, &len, e);
	if (r < 0)
		return r;
	r = ini_util_load(path, &d, &fault);
	if (r == -EINVAL && fault.line)
		return lerr_fail(e, EINVAL, "%s:%u: %s", path, fault.line,
				 fault.msg);
	if (r < 0)
		return lerr_fail(e, -r, "%s: %s", path, fault.msg);
	r = ini_scan_text(&ctx->scan, text, len, &fault);
	if (r < 0 && fault.line)
		return lerr_fail(e, -r, "%s:%u: %s", path, fault.line,
				 fault.msg);
	if (r < 0)
		return lerr_fail(e, -r, "%s: %s", path, fault.msg);

	for (i = 0; i < ctx->scan.nr_entries; i++) {
		const struct ini_entry *ent = &ctx->scan.entries[i];

		if (!ent->section)
			return at_line(e, EINVAL, ctx,
				       "%u: key \"%s\" outside any section",
				       ent->line, ent->name);
		nsec += ent->is_section;
	}
	n = iniparser_getnsec(d);
	if (n < 0 || (size_t)n != nsec)
		return lerr_fail(e, EINVAL,
				 "%s: iniparser sees %d sections, the line "
				 "scan %zu",
				 path, n, nsec);
	s->containers = calloc(SPEC_MAX_CONTAINERS, sizeof(*s->containers));
	if (!s->containers)
		return lerr_fail(e, ENOMEM, "out of memory");
	for (i = 0; i < nsec; i++) {
		const char *name = iniparser_getsecname(d, (int)i);
		const struct ini_entry *hdr =
			name ? ini_scan_find(&ctx->scan, name, NULL) : NULL;

		if (!hdr)
			return lerr_fail(e, EINVAL,
					 "%s: section %zu not found on any "
					 "line",
					 path, i + 1);
		if (strcmp(hdr->section, "group") == 0) {
			group = hdr;
			r = load_group(s, d, hdr, ctx, e);
		} else if (strncmp(hdr->section, CONTAINER_PREFIX,
				   strlen(CONTAINER_PREFIX)) == 0) {
			r = load_container(s, d, hdr, false, ctx, e);
			apps++;
		} else if (strncmp(hdr->section, INIT_PREFIX,
				   strlen(INIT_PREFIX)) == 0) {
			r = load_container(s, d, hdr, true, ctx, e);
		} else if (strncmp(hdr->section, VOLUME_PREFIX,
				   strlen(VOLUME_PREFIX)) == 0) {
			r = spec_load_volume(s, &ctx->scan, hdr, path,
					     ctx->dir, e);
		} else {
			r = at_line(e, EINVAL, ctx,
				    "%u: unknown section [%s] (want [group], "
				    "[container.NAME], [init.NAME] or "
				    "[volume.NAME])",
				    hdr->line, hdr->name);
		}
		if (r < 0)
			return r;
	}
	if (!group)
		return lerr_fail(e, EINVAL, "%s: no [group] section", path);
	if (!apps)
		return lerr_fail(e, EINVAL, "%s: no [container.NAME] section",
				 path);
	r = resolve_mounts(s, ctx, e);
	if (r < 0)
		return r;
	return check_fit(s, ctx, e);
}

static void spec_defaults(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->cpus = 1;
	s->mem_bytes = SPEC_MEM_DEFAULT;
	s->restart = SPEC_RESTART_NEVER;
}

/* A spec file's default is ACI's, "always"; the CLI shorthand keeps
 * docker's, no restart. */
static void spec_file_defaults(struct spec *s)
{
	spec_defaults(s);
	s->restart = SPEC_RESTART_ALWAYS;
}

int spec_load(struct spec *s, const char *path, struct lerr *e)
{
	struct load_ctx *ctx = calloc(1, sizeof(*ctx));
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *dir = NULL;
	int r;

	spec_file_defaults(s);
	if (!ctx)
		return lerr_fail(e, ENOMEM, "out of memory");
	dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
		    : strdup(".");
	if (!dir) {
		free(ctx);
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	ctx->path = path;
	ctx->dir = dir;
	r = load(s, path, ctx, e);
	ini_scan_free(&ctx->scan);
	free(ctx);
	if (r < 0)
		spec_free(s);
	return r;
}

static int from_args(struct spec *s, const char *name, const char *image,
		     unsigned int cpus, uint64_t mem_bytes,
		     const char *const *env, const char *const *argv,
		     struct lerr *e)
{
	struct spec_container *c;
	struct lerr why = { 0 };
	char shown[SPEC_SIZE_STR];
	size_t i;
	int r;

	if (spec_parse_name(name, s->name, &why) < 0)
		return lerr_fail(e, EINVAL, "name: %s", why.msg);
	if (cpus) {
		snprintf(shown, sizeof(shown), "%u", cpus);
		if (spec_check_group_cpus(cpus, shown, &why) < 0)
			return lerr_fail(e, ERANGE, "cpus: %s", why.msg);
		s->cpus = cpus;
	}
	if (mem_bytes) {
		spec_format_size(mem_bytes, shown);
		r = spec_check_group_memory(mem_bytes, shown, &why);
		if (r < 0)
			return lerr_fail(e, -r, "memory: %s", why.msg);
		s->mem_bytes = mem_bytes;
	}
	s->containers = calloc(1, sizeof(*s->containers));
	if (!s->containers)
		return lerr_fail(e, ENOMEM, "out of memory");
	s->nr_containers = 1;
	c = &s->containers[0];
	strcpy(c->name, "main");
	r = set_image(s, c, image, NULL, &why);
	if (r < 0)
		return lerr_fail(e, -r, "image: %s", why.msg);
	for (i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');

		if (!eq || !spec_env_name_valid(env[i], (size_t)(eq - env[i])))
			return lerr_fail(e, EINVAL,
					 "env: \"%s\": not NAME=VALUE with "
					 "NAME [A-Za-z_][A-Za-z0-9_.-]*",
					 env[i]);
		for (size_t j = 0; j < i; j++) {
			if (strncmp(env[j], env[i],
				    (size_t)(eq - env[i]) + 1) == 0)
				return lerr_fail(e, EINVAL,
						 "env: \"%.*s\" is set twice",
						 (int)(eq - env[i]), env[i]);
		}
		if (strv_push(&c->env, env[i]) < 0)
			return lerr_fail(e, ENOMEM, "out of memory");
	}
	if (argv && argv[0] && strv_dup((char *const *)argv, &c->command) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	return 0;
}

int spec_from_args(struct spec *s, const char *name, const char *image,
		   unsigned int cpus, uint64_t mem_bytes,
		   const char *const *env, const char *const *argv,
		   struct lerr *e)
{
	int r;

	spec_defaults(s);
	r = from_args(s, name, image, cpus, mem_bytes, env, argv, e);
	if (r < 0)
		spec_free(s);
	return r;
}

void spec_free(struct spec *s)
{
	size_t i;

	for (i = 0; s->containers && i < s->nr_containers; i++) {
		struct spec_container *c = &s->containers[i];

		free(c->image);
		oci_ref_free(&c->ref);
		strv_free(c->command);
		strv_free(c->entrypoint);
		strv_free(c->env);
		spec_secrets_free(c->secure_env);
		spec_probe_free(&c->liveness);
		spec_probe_free(&c->readiness);
		free(c->workdir);
		free(c->user);
		spec_mounts_free(c);
	}
	free(s->containers);
	spec_volumes_free(s);
	memset(s, 0, sizeof(*s));
}
