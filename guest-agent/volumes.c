/* volumes.c - the group's volumes in the guest, each a mount at
 * run_dir/volumes/<name> that containers bind in (container.h, struct
 * container_mount):
 *
 *   emptydir    a tmpfs (mode 1777, size= from the SPEC when given),
 *               made at START and kept as long as the agent runs, so two
 *               containers and every restart of one see the same data;
 *   secret      a small tmpfs made by the first SECRET for it, each file
 *               written there at once (O_EXCL, the requested mode), the
 *               whole remounted read-only at START: the bytes live in
 *               guest memory only;
 *   persistent  the ext4 file system of the virtio-blk disk whose serial
 *               (/sys/block/<dev>/serial) is the volume's device, found
 *               at START and mounted with its journal;
 *   gitrepo     a bind of the layer unpacked for it (layers.c), writable.
 *
 * A failure names the volume; START answers with it before any
 * container runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <lighter/cleanup.h>
#include <lighter/fd-io.h>

#include "serve-internal.h"

#define SECRET_TMPFS_OPTS "mode=0755,size=17m" /* 64 files of 256K */
#define VOLUME_FLAGS (MS_NOSUID | MS_NODEV)

int volume_dir(const struct agent *a, const char *name, char *out,
	       size_t size)
{
	int n = snprintf(out, size, "%s/volumes/%s", a->cfg->run_dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int volume_index(const struct agent *a, const char *name)
{
	for (size_t i = 0; i < a->spec.n_volumes; i++) {
		if (strcmp(a->spec.volumes[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

bool volumes_has_layer(const struct agent *a, const char *diff_id)
{
	for (size_t i = 0; i < a->spec.n_volumes; i++) {
		if (a->spec.volumes[i].type == PROTO_VOLUME_GITREPO &&
		    strcmp(a->spec.volumes[i].layer, diff_id) == 0)
			return true;
	}
	return false;
}

static int make_dir(const char *path, struct lerr *e)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return lerr_set(e, errno, "mkdir \"%s\"", path);
	return 0;
}

/* run_dir/volumes/<name>, made. */
static int mount_point(const struct agent *a, const struct proto_volume *v,
		       char *dir, size_t size, struct lerr *e)
{
	char parent[PATH_MAX];
	int r;

	snprintf(parent, sizeof(parent), "%s/volumes", a->cfg->run_dir);
	r = make_dir(parent, e);
	if (r < 0)
		return r;
	r = volume_dir(a, v->name, dir, size);
	if (r < 0)
		return lerr_fail(e, -r, "volume \"%s\": path too long",
				 v->name);
	return make_dir(dir, e);
}

static int mount_emptydir(const char *dir, const struct proto_volume *v,
			  struct lerr *e)
{
	char opts[64];

	if (v->size_bytes)
		snprintf(opts, sizeof(opts), "mode=1777,size=%llu",
			 (unsigned long long)v->size_bytes);
	else
		snprintf(opts, sizeof(opts), "mode=1777");
	if (mount("tmpfs", dir, "tmpfs", VOLUME_FLAGS, opts) < 0)
		return lerr_set(e, errno, "volume \"%s\": mount tmpfs on "
				"\"%s\"", v->name, dir);
	return 0;
}

static int mount_secret(const char *dir, const struct proto_volume *v,
			struct lerr *e)
{
	if (mount("tmpfs", dir, "tmpfs", VOLUME_FLAGS | MS_NOEXEC,
		  SECRET_TMPFS_OPTS) < 0)
		return lerr_set(e, errno, "volume \"%s\": mount tmpfs on "
				"\"%s\"", v->name, dir);
	return 0;
}

static int read_small(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = lfd_read_full(fd, buf, size - 1);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* /dev/<name> of the block device with that serial, made with mknod when
 * devtmpfs has not got it (yet). */
static int find_disk(const char *serial, char *dev, size_t size,
		     struct lerr *e)
{
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	int r;

	if (!d)
		return lerr_set(e, errno, "open \"/sys/block\"");
	r = lerr_fail(e, ENODEV, "no disk with serial \"%s\"", serial);
	while ((de = readdir(d))) {
		char path[PATH_MAX], got[64], nums[32];
		unsigned int maj, min;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/serial",
			 de->d_name);
		if (read_small(path, got, sizeof(got)) < 0 ||
		    strcmp(got, serial) != 0)
			continue;
		snprintf(dev, size, "/dev/%s", de->d_name);
		snprintf(path, sizeof(path), "/sys/block/%s/dev", de->d_name);
		if (stat(dev, &st) == 0 && S_ISBLK(st.st_mode))
			r = 0;
		else if (read_small(path, nums, sizeof(nums)) < 0 ||
			 sscanf(nums, "%u:%u", &maj, &min) != 2)
			r = lerr_fail(e, ENODEV, "disk \"%s\": no device "
				      "number", de->d_name);
		else if (mknod(dev, S_IFBLK | 0600, makedev(maj, min)) < 0 &&
			 errno != EEXIST)
			r = lerr_set(e, errno, "mknod \"%s\"", dev);
		else
			r = 0;
		break;
	}
	closedir(d);
	return r;
}

static int mount_persistent(const char *dir, const struct proto_volume *v,
			    struct lerr *e)
{
	char dev[PATH_MAX];
	struct lerr why = { 0 };
	int r = find_disk(v->device, dev, sizeof(dev), &why);

	if (r < 0)
		return lerr_fail(e, -r, "volume \"%s\": %s", v->name, why.msg);
	if (mount(dev, dir, "ext4", VOLUME_FLAGS, NULL) < 0)
		return lerr_set(e, errno, "volume \"%s\": mount ext4 \"%s\" on "
				"\"%s\"", v->name, dev, dir);
	return 0;
}

static int mount_gitrepo(const struct agent *a, const char *dir,
			 const struct proto_volume *v, struct lerr *e)
{
	char src[PATH_MAX];

	if (!layer_present(a, v->layer))
		return lerr_fail(e, ENOENT, "volume \"%s\": its content (layer "
				 "%s) has not been sent", v->name, v->layer);
	if (layer_dir(a, v->layer, src, sizeof(src)) < 0)
		return lerr_fail(e, ENAMETOOLONG, "volume \"%s\": path too "
				 "long", v->name);
	if (mount(src, dir, NULL, MS_BIND, NULL) < 0)
		return lerr_set(e, errno, "volume \"%s\": bind \"%s\"",
				v->name, src);
	return 0;
}

int volumes_prepare(struct agent *a, struct lerr *e)
{
	for (size_t i = 0; i < a->spec.n_volumes; i++) {
		const struct proto_volume *v = &a->spec.volumes[i];
		char dir[PATH_MAX];
		int r;

		if (a->vol_ready[i])
			continue;
		if (!a->vol_mounted[i]) {
			r = mount_point(a, v, dir, sizeof(dir), e);
			if (r < 0)
				return r;
			switch (v->type) {
			case PROTO_VOLUME_EMPTYDIR:
				r = mount_emptydir(dir, v, e);
				break;
			case PROTO_VOLUME_SECRET:
				r = mount_secret(dir, v, e);
				break;
			case PROTO_VOLUME_PERSISTENT:
				r = mount_persistent(dir, v, e);
				break;
			case PROTO_VOLUME_GITREPO:
				r = mount_gitrepo(a, dir, v, e);
				break;
			default:
				r = lerr_fail(e, EINVAL, "volume \"%s\": "
					      "unknown type", v->name);
			}
			if (r < 0)
				return r;
			a->vol_mounted[i] = true;
		}
		r = volume_dir(a, v->name, dir, sizeof(dir));
		if (r == 0 && v->type == PROTO_VOLUME_SECRET &&
		    mount(NULL, dir, NULL,
			  MS_REMOUNT | MS_RDONLY | VOLUME_FLAGS | MS_NOEXEC,
			  SECRET_TMPFS_OPTS) < 0)
			return lerr_set(e, errno, "volume \"%s\": remount "
					"read-only", v->name);
		a->vol_ready[i] = true;
		agent_note(a, "volume \"%s\": %s ready", v->name,
			   proto_volume_type_name(v->type));
	}
	return 0;
}

/* Write one file: created (never replacing one), the requested mode
 * whatever the umask, flushed to the tmpfs. */
static int write_secret(const char *dir, const struct proto_secret *s,
			struct lerr *e)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY |
					      O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	int r;

	if (dfd < 0)
		return lerr_set(e, errno, "SECRET: open \"%s\"", dir);
	fd = openat(dfd, s->name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0 && errno == EEXIST)
		return lerr_fail(e, EINVAL, "SECRET: volume \"%s\": file "
				 "\"%s\" was sent already", s->volume,
				 s->name);
	if (fd < 0)
		return lerr_set(e, errno, "SECRET: create \"%s/%s\"", dir,
				s->name);
	r = lfd_write_all(fd, s->data, s->len);
	if (r < 0 || fchmod(fd, (mode_t)s->mode) < 0) {
		r = r < 0 ? r : -errno;
		unlinkat(dfd, s->name, 0);
		return lerr_set(e, -r, "SECRET: write \"%s/%s\"", dir,
				s->name);
	}
	return 0;
}

void volumes_on_secret(struct agent *a, uint32_t id, const json_t *body)
{
	struct proto_secret s;
	struct lerr e = { 0 };
	char dir[PATH_MAX];
	int i, r;

	r = proto_secret_from_json(body, &s, &e);
	if (r < 0) {
		send_error(a, id, &e);
		return;
	}
	i = a->have_spec ? volume_index(a, s.volume) : -1;
	if (!a->have_spec) {
		r = lerr_fail(&e, EPROTO, "SECRET: no SPEC yet");
	} else if (i < 0 ||
		   a->spec.volumes[i].type != PROTO_VOLUME_SECRET) {
		r = lerr_fail(&e, EINVAL, "SECRET: the group has no secret "
			      "volume \"%s\"", s.volume);
	} else if (a->vol_ready[i]) {
		r = lerr_fail(&e, EALREADY, "SECRET: volume \"%s\" is in use "
			      "(read-only) already", s.volume);
	} else if (!a->vol_mounted[i]) {
		r = mount_point(a, &a->spec.volumes[i], dir, sizeof(dir), &e);
		if (r == 0)
			r = mount_secret(dir, &a->spec.volumes[i], &e);
		a->vol_mounted[i] = r == 0;
	} else {
		r = volume_dir(a, s.volume, dir, sizeof(dir));
	}
	if (r == 0)
		r = write_secret(dir, &s, &e);
	if (r < 0)
		send_error(a, id, &e);
	else
		send_ok(a, id, NULL);
	proto_secret_free(&s);
}

void volumes_unmount(struct agent *a)
{
	for (size_t i = 0; i < a->spec.n_volumes; i++) {
		char dir[PATH_MAX];

		if (!a->vol_mounted[i] ||
		    volume_dir(a, a->spec.volumes[i].name, dir, sizeof(dir)))
			continue;
		/* containers are gone: a persistent disk's file system is
		 * unmounted cleanly, the others' memory freed */
		if (umount2(dir, 0) < 0)
			umount2(dir, MNT_DETACH);
		a->vol_mounted[i] = a->vol_ready[i] = false;
	}
}
