/* group-create.c - lighter_group_create(): a spec file or the shorthand,
 * checked in full; every image resolved into the content store (each
 * distinct reference once); each container's final process merged from
 * its image config and the spec; the volumes (group-volumes.c: gitrepo
 * content fetched, volumes.json); and the group's directory written
 * whole in a temporary directory of the run dir, then renamed into
 * place without replacing anything (renameat2 RENAME_NOREPLACE), so a
 * group directory never exists half-made and two creates of one name
 * cannot both win. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "group-dir.h"
#include "group-volumes.h"
#include "names.h"
#include "oci-image.h"
#include "process.h"
#include "protocol.h"
#include "secure-env.h"
#include "spec.h"
#include "state.h"
#include "store.h"
#include "timefmt.h"

struct create_ctx {
	const struct lighter_paths *p;
	struct spec spec;
	struct store store;
	struct oci_image *images;   /* one per container ... */
	int *image_of;		    /* ... or an equal earlier one's index */
	struct process *procs;
	struct group_layer *layers; /* distinct, in first-use order */
	size_t nr_layers;
	const char *spec_path; /* NULL for the shorthand */
	struct group_volumes vols;
};

static void ctx_free(struct create_ctx *c)
{
	for (size_t i = 0; i < c->spec.nr_containers; i++) {
		if (c->images)
			oci_image_free(&c->images[i]);
		if (c->procs)
			process_free(&c->procs[i]);
	}
	free(c->images);
	free(c->image_of);
	free(c->procs);
	group_layers_free(c->layers, c->nr_layers);
	group_volumes_free(&c->vols);
	store_close(&c->store);
	spec_free(&c->spec);
}

static int load_spec(struct create_ctx *c, const struct lighter_create_opts *o,
		     struct lerr *e)
{
	char name[GROUP_NAME_MAX + 1];
	int r;

	if (o->spec_path) {
		r = spec_load(&c->spec, o->spec_path, e);
		if (r < 0)
			return r;
		if (o->name) {
			r = group_name_check(o->name, e);
			if (r < 0)
				return r;
			snprintf(c->spec.name, sizeof(c->spec.name), "%s",
				 o->name);
		}
		return 0;
	}
	if (!o->image)
		return lerr_fail(e, EINVAL, "neither a spec file nor an image");
	if (o->name) {
		r = group_name_check(o->name, e);
		if (r < 0)
			return r;
		snprintf(name, sizeof(name), "%s", o->name);
	} else {
		group_name_generate(group_name_seed(), name);
	}
	return spec_from_args(&c->spec, name, o->image, o->cpus, o->mem_bytes,
			      o->env, o->argv, e);
}

static bool same_ref(const struct oci_ref *a, const struct oci_ref *b)
{
	return a->transport == b->transport && strcmp(a->path, b->path) == 0 &&
	       !a->tag == !b->tag && (!a->tag || strcmp(a->tag, b->tag) == 0);
}

static const struct oci_image *image_of(const struct create_ctx *c, size_t i)
{
	return &c->images[c->image_of[i]];
}

/* Each distinct reference once: two containers of one image share it. */
static int resolve_images(struct create_ctx *c, struct lerr *e)
{
	size_t n = c->spec.nr_containers;
	int r;

	c->images = calloc(n, sizeof(*c->images));
	c->image_of = calloc(n, sizeof(*c->image_of));
	c->procs = calloc(n, sizeof(*c->procs));
	if (!c->images || !c->image_of || !c->procs)
		return lerr_fail(e, ENOMEM, "out of memory");
	r = store_open(&c->store, c->p->data_dir, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct spec_container *sc = &c->spec.containers[i];
		char msg[sizeof(e->msg)];

		c->image_of[i] = (int)i;
		for (size_t k = 0; k < i; k++) {
			const struct spec_container *o = &c->spec.containers[k];

			if (same_ref(&o->ref, &sc->ref)) {
				c->image_of[i] = (int)k;
				break;
			}
		}
		if (c->image_of[i] == (int)i) {
			r = oci_image_resolve(&c->images[i], &sc->ref,
					      &c->store, e);
			if (r < 0) {
				snprintf(msg, sizeof(msg), "%s", e->msg);
				return lerr_fail(e, -r, "[container.%s] image "
						 "\"%s\": %s", sc->name,
						 sc->image, msg);
			}
		}
		r = process_merge(&c->procs[i], &c->spec, sc, image_of(c, i),
				  e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_layer(struct create_ctx *c, const struct oci_layer *l,
		     struct lerr *e)
{
	struct group_layer *g;

	for (size_t i = 0; i < c->nr_layers; i++) {
		if (strcmp(c->layers[i].diff_id, l->diff_id) == 0)
			return 0;
	}
	g = realloc(c->layers, (c->nr_layers + 1) * sizeof(*g));
	if (!g)
		return lerr_fail(e, ENOMEM, "out of memory");
	c->layers = g;
	g = &c->layers[c->nr_layers];
	memset(g, 0, sizeof(*g));
	strcpy(g->diff_id, l->diff_id);
	strcpy(g->digest, l->digest);
	g->size = l->size;
	g->media_type = strdup(l->media_type);
	g->path = strdup(l->path);
	c->nr_layers++;
	if (!g->media_type || !g->path)
		return lerr_fail(e, ENOMEM, "out of memory");
	return 0;
}

static char **layer_ids(const struct oci_image *img)
{
	char **v = calloc(img->nr_layers + 1, sizeof(*v));

	for (size_t i = 0; v && i < img->nr_layers; i++) {
		v[i] = (char *)img->layers[i].diff_id; /* borrowed */
	}
	return v;
}

/* A spec probe as the SPEC carries it (strings borrowed). */
static void probe_of(const struct spec_probe *sp, const char *kind,
		     struct proto_container *pc)
{
	struct proto_probe *pp = &pc->probes[pc->n_probes++];
	size_t n = 0;

	snprintf(pp->kind, sizeof(pp->kind), "%s", kind);
	while (sp->exec && sp->exec[n])
		n++;
	pp->exec = sp->exec;
	pp->n_exec = n;
	pp->http_port = sp->http_port;
	pp->http_path = sp->http_path;
	pp->delay_ms = sp->delay_ms;
	pp->period_ms = sp->period_ms;
	pp->timeout_ms = sp->timeout_ms;
	pp->failures = sp->failures;
	pp->successes = sp->successes;
}

/* The SPEC body, checked by the protocol's own decoder (to_json runs
 * it), so what the agent gets is what it accepts. */
static int build_spec_json(struct create_ctx *c, json_t **out,
			   struct lerr *e)
{
	size_t n = c->spec.nr_containers;
	struct proto_group g = { 0 };
	char **borrowed[SPEC_MAX_CONTAINERS] = { 0 };
	int r = 0;

	snprintf(g.name, sizeof(g.name), "%s", c->spec.name);
	group_hostname(c->spec.name, g.hostname);
	/* the two enums name the same policies */
	g.restart = c->spec.restart == SPEC_RESTART_ALWAYS
			    ? PROTO_RESTART_ALWAYS
		    : c->spec.restart == SPEC_RESTART_ON_FAILURE
			    ? PROTO_RESTART_ON_FAILURE
			    : PROTO_RESTART_NEVER;
	g.containers = calloc(n, sizeof(*g.containers));
	if (!g.containers)
		return lerr_fail(e, ENOMEM, "out of memory");
	g.n_containers = n;
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct spec_container *sc = &c->spec.containers[i];
		const struct process *pr = &c->procs[i];
		const struct oci_image *img = image_of(c, i);
		struct proto_container *pc = &g.containers[i];

		snprintf(pc->name, sizeof(pc->name), "%s", sc->name);
		pc->args = pr->args;
		pc->n_args = 0;
		while (pr->args[pc->n_args])
			pc->n_args++;
		pc->env = pr->env;
		pc->n_env = 0;
		while (pr->env && pr->env[pc->n_env])
			pc->n_env++;
		pc->workdir = pr->cwd;
		pc->user = pr->user;
		pc->cpu_millis = sc->millicpus;
		pc->memory_bytes = sc->mem_bytes;
		pc->pids_max = sc->pids;
		pc->init = sc->init;
		if (sc->liveness.set)
			probe_of(&sc->liveness, "liveness", pc);
		if (sc->readiness.set)
			probe_of(&sc->readiness, "readiness", pc);
		borrowed[i] = layer_ids(img);
		if (!borrowed[i]) {
			r = lerr_fail(e, ENOMEM, "out of memory");
			break;
		}
		pc->layers = borrowed[i];
		pc->n_layers = img->nr_layers;
		for (size_t k = 0; r == 0 && k < img->nr_layers; k++)
			r = add_layer(c, &img->layers[k], e);
	}
	if (r == 0)
		r = group_volumes_build(&c->spec, c->spec_path, &c->store, &g,
					&c->layers, &c->nr_layers, &c->vols,
					e);
	if (r == 0)
		r = proto_group_to_json(&g, out, e);
	group_volumes_proto_free(&g);
	/* everything in g is borrowed but the arrays */
	for (size_t i = 0; i < n; i++)
		free(borrowed[i]);
	free(g.containers);
	return r;
}

static int build_state(const struct create_ctx *c,
		       const struct lighter_create_opts *o,
		       struct lighter_group_state *st, struct lerr *e)
{
	size_t n = c->spec.nr_containers;

	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", c->spec.name);
	st->state = LIGHTER_GROUP_CREATED;
	st->created_at_ns = time_wall_ns();
	st->cpus = c->spec.cpus;
	st->memory = c->spec.mem_bytes;
	st->run_dir = group_dir_path(c->p, c->spec.name);
	st->auto_remove = o->auto_remove;
	st->containers = calloc(n, sizeof(*st->containers));
	if (!st->run_dir || !st->containers)
		return lerr_fail(e, ENOMEM, "out of memory");
	st->nr_containers = n;
	for (size_t i = 0; i < n; i++) {
		struct lighter_container_state *cs = &st->containers[i];

		snprintf(cs->name, sizeof(cs->name), "%s",
			 c->spec.containers[i].name);
		cs->init = c->spec.containers[i].init;
		cs->has_readiness = c->spec.containers[i].readiness.set;
		cs->image = strdup(c->spec.containers[i].image);
		if (!cs->image)
			return lerr_fail(e, ENOMEM, "out of memory");
	}
	return 0;
}

/* Write everything into RUN/.new-<name>-XXXXXX, then move it to
 * RUN/<name>.  -EEXIST when the name was taken meanwhile. */
static int write_group(struct create_ctx *c, int run_fd, json_t *spec_json,
		       const json_t *sealed,
		       const struct lighter_group_state *st, struct lerr *e)
{
	_cleanup_free_ char *tmp_path = NULL;
	_cleanup_close_ int fd = -1;
	json_t *layers = NULL;
	const char *tmp;
	int r;

	if (asprintf(&tmp_path, "%s/.new-%s-XXXXXX", c->p->run_dir,
		     c->spec.name) < 0) {
		tmp_path = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	if (!mkdtemp(tmp_path))
		return lerr_set(e, errno, "\"%s\"", tmp_path);
	tmp = strrchr(tmp_path, '/') + 1;
	fd = openat(run_fd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = lerr_set(e, errno, "\"%s\"", tmp_path);
		goto fail;
	}
	fchmod(fd, 0755);
	r = group_json_write(fd, GROUP_SPEC_FILE, spec_json, tmp_path, e);
	if (r < 0)
		goto fail;
	layers = group_layers_to_json(c->layers, c->nr_layers);
	if (!layers) {
		r = lerr_fail(e, ENOMEM, "out of memory");
		goto fail;
	}
	r = group_json_write(fd, GROUP_LAYERS_FILE, layers, tmp_path, e);
	json_decref(layers);
	if (r < 0)
		goto fail;
	if (sealed) {
		r = group_json_write(fd, SECURE_ENV_FILE, sealed, tmp_path, e);
		if (r < 0)
			goto fail;
	}
	if (c->spec.nr_volumes) {
		json_t *vols = group_volumes_to_json(&c->vols);

		if (!vols) {
			r = lerr_fail(e, ENOMEM, "out of memory");
			goto fail;
		}
		r = group_json_write(fd, GROUP_VOLUMES_FILE, vols, tmp_path, e);
		json_decref(vols);
		if (r < 0)
			goto fail;
	}
	if (mkdirat(fd, GROUP_LOGS_DIR, 0755) < 0) {
		r = lerr_set(e, errno, "\"%s/%s\"", tmp_path, GROUP_LOGS_DIR);
		goto fail;
	}
	r = state_write(fd, st, tmp_path, e);
	if (r < 0)
		goto fail;
	if (renameat2(run_fd, tmp, run_fd, c->spec.name, RENAME_NOREPLACE) <
	    0) {
		r = -errno;
		if (r == -EEXIST || r == -ENOTEMPTY)
			r = lerr_fail(e, EEXIST, "the name \"%s\" is already "
				      "in use by a group", c->spec.name);
		else
			r = lerr_set(e, r, "\"%s/%s\"", c->p->run_dir,
				     c->spec.name);
		goto fail;
	}
	return 0;
fail:
	group_remove_tree(run_fd, tmp, tmp_path, NULL);
	return r;
}

int lighter_group_create(const struct lighter_paths *p,
			 const struct lighter_create_opts *o, char *name_out,
			 struct lerr *e)
{
	struct create_ctx c = { .p = p, .spec_path = o->spec_path };
	struct lighter_group_state st = { 0 };
	_cleanup_close_ int run_fd = -1;
	json_t *spec_json = NULL, *sealed = NULL;
	int r, tries = 0;

	r = load_spec(&c, o, e);
	if (r < 0)
		goto out;
	run_fd = group_run_dir_open(p->run_dir, true, e);
	if (run_fd < 0) {
		r = run_fd;
		goto out;
	}
	/* fail fast on a name clash, before the images are copied; a
	 * generated name is drawn again */
	while (faccessat(run_fd, c.spec.name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (o->name || o->spec_path || ++tries > 100) {
			r = lerr_fail(e, EEXIST, "the name \"%s\" is already "
				      "in use by a group", c.spec.name);
			goto out;
		}
		group_name_generate(group_name_seed(), c.spec.name);
	}
	r = resolve_images(&c, e);
	if (r == 0)
		r = build_spec_json(&c, &spec_json, e);
	if (r == 0)
		r = secure_env_seal(p->data_dir, &c.spec, &sealed, e);
	if (r == 0)
		r = build_state(&c, o, &st, e);
	if (r == 0)
		r = write_group(&c, run_fd, spec_json, sealed, &st, e);
	if (r == 0 && name_out)
		snprintf(name_out, LIGHTER_NAME_MAX + 1, "%s", c.spec.name);
out:
	json_decref(spec_json);
	json_decref(sealed);
	lighter_group_state_free(&st);
	ctx_free(&c);
	return r;
}
