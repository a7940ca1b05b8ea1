/* group-volumes.c - a group's volumes on the host (see group-volumes.h).
 *
 * Persistent volumes are named across groups: DATA/volumes/<name>.ext4
 * is the same volume for every group that declares [volume.<name>] with
 * type persistent.  The image is made under its lock the first time a
 * group starts with it (ftruncate to the spec's size, mkfs.ext4), and
 * made again only while it holds no ext4 superblock (a make that never
 * finished); a later spec's different size does not resize it.  The
 * lock is flock(LOCK_EX) on the image itself: lighter-vmm takes the same
 * lock on each drive for its whole life (vmm/virtio-blk-io.c), so a
 * group whose VMM runs keeps every other start out, and the lock goes
 * however the group ends (stop, VMM killed) and is never left stale.
 * `start` holds it from the check through mkfs until the monitor hands
 * the drive to lighter-vmm (volume_disks_unlock() just before the
 * spawn). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "gitrepo.h"
#include "group-volumes.h"
#include "host-tool.h"

#define EXT4_MAGIC_OFFSET (1024 + 0x38)
#define EXT4_MAGIC 0xEF53

static enum proto_volume_type proto_type(enum spec_volume_type t)
{
	switch (t) {
	case SPEC_VOLUME_SECRET:
		return PROTO_VOLUME_SECRET;
	case SPEC_VOLUME_PERSISTENT:
		return PROTO_VOLUME_PERSISTENT;
	case SPEC_VOLUME_GITREPO:
		return PROTO_VOLUME_GITREPO;
	case SPEC_VOLUME_EMPTYDIR:
	default:
		return PROTO_VOLUME_EMPTYDIR;
	}
}

static int add_layer(struct group_layer **layers, size_t *n,
		     struct group_layer *l, struct lerr *e)
{
	struct group_layer *a;

	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*layers)[i].diff_id, l->diff_id) == 0) {
			group_layers_free(l, 1); /* the same content twice */
			return 0;
		}
	}
	a = realloc(*layers, (*n + 1) * sizeof(*a));
	if (!a) {
		group_layers_free(l, 1);
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	*layers = a;
	a[(*n)++] = *l;
	return 0;
}

static int build_volume(const struct spec_volume *sv, struct store *st,
			struct proto_volume *pv, struct group_layer **layers,
			size_t *nr_layers, struct group_volumes *rec,
			struct lerr *e)
{
	struct group_layer l;
	int r;

	snprintf(pv->name, sizeof(pv->name), "%s", sv->name);
	pv->type = proto_type(sv->type);
	if (sv->type == SPEC_VOLUME_EMPTYDIR)
		pv->size_bytes = sv->size_bytes;
	if (sv->type == SPEC_VOLUME_PERSISTENT) {
		struct group_disk *d = &rec->disks[rec->nr_disks];

		snprintf(d->name, sizeof(d->name), "%s", sv->name);
		snprintf(d->device, sizeof(d->device), "lv%zu", rec->nr_disks);
		d->size = sv->size_bytes;
		snprintf(pv->device, sizeof(pv->device), "%s", d->device);
		rec->nr_disks++;
	}
	if (sv->type == SPEC_VOLUME_GITREPO) {
		r = gitrepo_fetch(sv, st, &l, e);
		if (r < 0)
			return r;
		snprintf(pv->layer, sizeof(pv->layer), "%s", l.diff_id);
		return add_layer(layers, nr_layers, &l, e);
	}
	return 0;
}

int group_volumes_build(const struct spec *s, const char *spec_path,
			struct store *st, struct proto_group *g,
			struct group_layer **layers, size_t *nr_layers,
			struct group_volumes *rec, struct lerr *e)
{
	bool secrets = false;
	int r;

	memset(rec, 0, sizeof(*rec));
	if (!s->nr_volumes)
		return 0;
	g->volumes = calloc(s->nr_volumes, sizeof(*g->volumes));
	if (!g->volumes)
		return lerr_fail(e, ENOMEM, "out of memory");
	g->n_volumes = s->nr_volumes;
	for (size_t i = 0; i < s->nr_volumes; i++) {
		r = build_volume(&s->volumes[i], st, &g->volumes[i], layers,
				 nr_layers, rec, e);
		if (r < 0)
			return r;
		secrets |= s->volumes[i].type == SPEC_VOLUME_SECRET;
	}
	for (size_t i = 0; i < s->nr_containers && i < g->n_containers; i++) {
		const struct spec_container *sc = &s->containers[i];
		struct proto_container *pc = &g->containers[i];

		if (!sc->nr_mounts)
			continue;
		pc->mounts = calloc(sc->nr_mounts, sizeof(*pc->mounts));
		if (!pc->mounts)
			return lerr_fail(e, ENOMEM, "out of memory");
		pc->n_mounts = sc->nr_mounts;
		for (size_t k = 0; k < sc->nr_mounts; k++) {
			snprintf(pc->mounts[k].volume,
				 sizeof(pc->mounts[k].volume), "%s",
				 sc->mounts[k].volume);
			pc->mounts[k].path = sc->mounts[k].path;
			pc->mounts[k].readonly = sc->mounts[k].readonly;
		}
	}
	if (secrets) {
		rec->spec_path = realpath(spec_path, NULL);
		if (!rec->spec_path)
			return lerr_set(e, errno, "\"%s\"", spec_path);
	}
	return 0;
}

void group_volumes_proto_free(struct proto_group *g)
{
	for (size_t i = 0; g->containers && i < g->n_containers; i++) {
		free(g->containers[i].mounts);
		g->containers[i].mounts = NULL;
		g->containers[i].n_mounts = 0;
	}
	free(g->volumes);
	g->volumes = NULL;
	g->n_volumes = 0;
}

/* ---- volumes.json ---- */

json_t *group_volumes_to_json(const struct group_volumes *v)
{
	json_t *j = json_object(), *disks = json_array();

	if (!j || !disks)
		goto fail;
	for (size_t i = 0; i < v->nr_disks; i++) {
		const struct group_disk *d = &v->disks[i];

		if (json_array_append_new(disks,
					  json_pack("{s:s, s:s, s:I}", "name",
						    d->name, "device",
						    d->device, "size",
						    (json_int_t)d->size)) < 0)
			goto fail;
	}
	if (json_object_set_new(j, "disks", disks) < 0) {
		disks = NULL;
		goto fail;
	}
	disks = NULL;
	if (v->spec_path &&
	    json_object_set_new(j, "spec", json_string(v->spec_path)) < 0)
		goto fail;
	return j;
fail:
	json_decref(disks);
	json_decref(j);
	return NULL;
}

static int disk_from_json(json_t *j, struct group_disk *d)
{
	const char *name = NULL, *dev = NULL;
	json_int_t size = 0;

	if (json_unpack(j, "{s:s, s:s, s:I}", "name", &name, "device", &dev,
			"size", &size) < 0 ||
	    strlen(name) > SPEC_NAME_MAX || !proto_name_valid(name) ||
	    strlen(dev) > PROTO_DEVICE_ID_MAX || !dev[0] || size <= 0)
		return -EINVAL;
	strcpy(d->name, name);
	strcpy(d->device, dev);
	d->size = (uint64_t)size;
	return 0;
}

int group_volumes_read(int dir_fd, struct group_volumes *v, struct lerr *e)
{
	json_t *j = NULL, *disks, *spec;
	size_t i;
	int r;

	memset(v, 0, sizeof(*v));
	if (faccessat(dir_fd, GROUP_VOLUMES_FILE, F_OK, 0) < 0 &&
	    errno == ENOENT)
		return 0;
	r = group_json_read(dir_fd, GROUP_VOLUMES_FILE, &j,
			    GROUP_VOLUMES_FILE, e);
	if (r < 0)
		return r;
	disks = json_object_get(j, "disks");
	spec = json_object_get(j, "spec");
	r = -EINVAL;
	if (!json_is_array(disks) ||
	    json_array_size(disks) > SPEC_MAX_PERSISTENT ||
	    (spec && !json_is_string(spec)))
		goto out;
	for (i = 0; i < json_array_size(disks); i++) {
		if (disk_from_json(json_array_get(disks, i), &v->disks[i]) < 0)
			goto out;
		v->nr_disks++;
	}
	if (spec) {
		v->spec_path = strdup(json_string_value(spec));
		if (!v->spec_path) {
			r = lerr_fail(e, ENOMEM, "out of memory");
			goto out;
		}
	}
	r = 0;
out:
	if (r == -EINVAL)
		lerr_fail(e, EINVAL, "%s: not a volume record",
			  GROUP_VOLUMES_FILE);
	json_decref(j);
	return r;
}

void group_volumes_free(struct group_volumes *v)
{
	free(v->spec_path);
	memset(v, 0, sizeof(*v));
}

/* ---- persistent disks ---- */

static bool has_ext4(int fd)
{
	unsigned char m[2];

	return pread(fd, m, 2, EXT4_MAGIC_OFFSET) == 2 &&
	       (m[0] | m[1] << 8) == EXT4_MAGIC;
}

static int make_image(int fd, const char *path, const struct group_disk *d,
		      struct lerr *e)
{
	const char *argv[] = { "mkfs.ext4", "-q", "-F", "-m", "0",
			       "-E", "lazy_itable_init=0,lazy_journal_init=0",
			       path, NULL };
	char what[300];
	int r;

	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)d->size) < 0)
		return lerr_set(e, errno, "persistent volume \"%s\": size "
				"\"%s\"", d->name, path);
	snprintf(what, sizeof(what), "persistent volume \"%s\": mkfs.ext4",
		 d->name);
	r = host_tool_run(argv, NULL, -1, what, e);
	if (r == 0 && fsync(fd) < 0)
		r = lerr_set(e, errno, "fsync \"%s\"", path);
	if (r < 0 && ftruncate(fd, 0) < 0) {
		/* left empty: made again next time */
	}
	return r;
}

static int open_disk(const char *dir, const struct group_disk *d,
		     struct volume_disks *out, struct lerr *e)
{
	size_t i = out->n;
	struct stat st;
	int fd, r;

	if (asprintf(&out->paths[i], "%s/%s.ext4", dir, d->name) < 0) {
		out->paths[i] = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	fd = open(out->paths[i], O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		r = lerr_set(e, errno, "persistent volume \"%s\": \"%s\"",
			     d->name, out->paths[i]);
		free(out->paths[i]);
		out->paths[i] = NULL;
		return r;
	}
	out->fds[i] = fd;
	snprintf(out->ids[i], sizeof(out->ids[i]), "%s", d->device);
	out->n++;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return lerr_fail(e, EBUSY, "persistent volume \"%s\" "
					 "is in use by another running group "
					 "(\"%s\" is locked)",
					 d->name, out->paths[i]);
		return lerr_set(e, errno, "lock \"%s\"", out->paths[i]);
	}
	if (fstat(fd, &st) < 0)
		return lerr_set(e, errno, "\"%s\"", out->paths[i]);
	if (!S_ISREG(st.st_mode))
		return lerr_fail(e, EINVAL, "\"%s\": not a regular file",
				 out->paths[i]);
	if (st.st_size == 0 || !has_ext4(fd))
		return make_image(fd, out->paths[i], d, e);
	return 0;
}

int group_volumes_attach(const char *data_dir, const struct group_volumes *v,
			 struct volume_disks *d, struct lerr *e)
{
	_cleanup_free_ char *dir = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < SPEC_MAX_PERSISTENT; i++)
		d->fds[i] = -1;
	if (!v->nr_disks)
		return 0;
	if (asprintf(&dir, "%s/%s", data_dir ? data_dir : STORE_DEFAULT_DIR,
		     VOLUMES_DATA_DIR) < 0) {
		dir = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return lerr_set(e, errno, "mkdir \"%s\"", dir);
	for (size_t i = 0; i < v->nr_disks; i++) {
		r = open_disk(dir, &v->disks[i], d, e);
		if (r < 0) {
			volume_disks_close(d);
			return r;
		}
	}
	return 0;
}

void volume_disks_unlock(struct volume_disks *d)
{
	for (size_t i = 0; i < d->n; i++) {
		if (d->fds[i] >= 0)
			close(d->fds[i]);
		d->fds[i] = -1;
	}
}

void volume_disks_close(struct volume_disks *d)
{
	for (size_t i = 0; i < d->n; i++) {
		if (d->fds[i] >= 0)
			close(d->fds[i]);
		d->fds[i] = -1;
		free(d->paths[i]);
		d->paths[i] = NULL;
	}
	d->n = 0;
}
