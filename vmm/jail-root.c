/* jail-root.c - building the jailed VMM's root and moving into it (see
 * jail-root.h).
 *
 * The root is a small tmpfs (nosuid, noexec, read-only once built)
 * mounted on the configured directory inside the VMM's own mount
 * namespace, so the host never sees its contents and it vanishes with the
 * VMM.  Host files are bind-mounted onto empty files of the same kind:
 * the kernel and initrd read-only, each drive read-write unless it is
 * read-only, the console file read-write, the vsock socket's directory
 * read-write (the VMM creates the socket there and the host finds it
 * under its own path); every bind is nosuid, noexec and nodev (a drive
 * that is a block device keeps its device access).
 *
 * Device nodes are made with mknod(2), not bound: a bind mount shares the
 * host's inode, so giving the jail's uid access to /dev/kvm that way
 * (chown, chmod or an ACL) would change the host's /dev/kvm for everyone.
 * The jail's own nodes point at the same devices (same major:minor, read
 * from the host's nodes) and are owned by the jail's uid:gid, mode 0600,
 * for /dev/kvm and /dev/net/tun; /dev/null and /dev/urandom are 0666 as
 * everywhere.  They live on the jail's tmpfs and disappear with it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "jail-root.h"

#define JAIL_TMPFS_OPTS "mode=0755,size=64k,nr_inodes=64"

static int plan_add(struct jail_files *fs, const char *what, char **cfg_path,
		    const char *inside, bool rw, int access, struct lerr *e)
{
	struct jail_file *f = &fs->f[fs->n];

	f->what = what;
	f->cfg_path = cfg_path;
	f->rw = rw;
	f->access = access;
	f->host = strdup(*cfg_path);
	f->inside = strdup(inside);
	fs->n++;
	if (!f->host || !f->inside)
		return lerr_fail(e, ENOMEM, "out of memory");
	return 0;
}

static const char *const drive_what[VMM_MAX_DRIVES] = {
	"drive 0", "drive 1", "drive 2", "drive 3",
	"drive 4", "drive 5", "drive 6", "drive 7",
};

int jail_files_plan(struct jail_files *fs, struct vmm_config *cfg,
		    struct lerr *e)
{
	int r = 0;

	memset(fs, 0, sizeof(*fs));
	r = plan_add(fs, "kernel", &cfg->kernel, "/kernel", false, R_OK, e);
	if (r == 0 && cfg->initrd)
		r = plan_add(fs, "initrd", &cfg->initrd, "/initrd", false,
			     R_OK, e);
	for (unsigned int i = 0; r == 0 && i < cfg->nr_drives; i++) {
		struct vmm_drive *d = &cfg->drives[i];
		char inside[16];

		snprintf(inside, sizeof(inside), "/drive%u", i);
		r = plan_add(fs, drive_what[i], &d->path, inside, !d->ro,
			     d->ro ? R_OK : R_OK | W_OK, e);
	}
	if (r == 0 && cfg->console == CONSOLE_FILE)
		r = plan_add(fs, "console file", &cfg->console_path,
			     "/console", true, W_OK, e);
	if (r == 0 && cfg->vsock_uds) {
		struct jail_file *f = &fs->f[fs->n];
		const char *slash = strrchr(cfg->vsock_uds, '/');

		r = plan_add(fs, "vsock directory", &cfg->vsock_uds, "/vsock",
			     true, W_OK | X_OK, e);
		if (r == 0) {
			/* host: the socket's directory; "." for a bare name */
			f->dir = true;
			if (!slash)
				strcpy(f->host, ".");
			else if (slash == cfg->vsock_uds)
				f->host[1] = '\0';
			else
				f->host[slash - cfg->vsock_uds] = '\0';
			fs->vsock_name = strdup(slash ? slash + 1
						      : cfg->vsock_uds);
			if (!fs->vsock_name || !fs->vsock_name[0])
				r = lerr_fail(e, EINVAL,
					      "jail: vsock socket \"%s\" has no file name",
					      cfg->vsock_uds);
		}
	}
	if (r < 0)
		jail_files_free(fs);
	return r;
}

void jail_files_free(struct jail_files *fs)
{
	for (unsigned int i = 0; i < fs->n; i++) {
		free(fs->f[i].host);
		free(fs->f[i].inside);
	}
	free(fs->vsock_name);
	memset(fs, 0, sizeof(*fs));
}

const struct jail_file *jail_files_find(const struct jail_files *fs,
					const char *what)
{
	for (unsigned int i = 0; i < fs->n; i++) {
		if (strcmp(fs->f[i].what, what) == 0)
			return &fs->f[i];
	}
	return NULL;
}

/* Bind f->host onto an empty file or directory of the same kind at
 * root + f->inside, then apply the bind's own flags. */
static int bind_one(const char *root, const struct jail_file *f,
		    struct lerr *e)
{
	_cleanup_free_ char *target = NULL;
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NOEXEC;
	struct stat st;

	if (stat(f->host, &st) < 0)
		return lerr_set(e, errno, "jail: %s \"%s\"", f->what, f->host);
	if (f->dir != !!S_ISDIR(st.st_mode))
		return lerr_fail(e, f->dir ? ENOTDIR : EISDIR,
				 "jail: %s \"%s\" is %sa directory", f->what,
				 f->host, f->dir ? "not " : "");
	if (asprintf(&target, "%s%s", root, f->inside) < 0) {
		target = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	if (f->dir ? mkdir(target, 0755) < 0
		   : mknod(target, S_IFREG | 0600, 0) < 0)
		return lerr_set(e, errno, "jail: create \"%s\"", target);
	if (mount(f->host, target, NULL, MS_BIND, NULL) < 0)
		return lerr_set(e, errno, "jail: bind %s \"%s\" to \"%s\"",
				f->what, f->host, f->inside);
	if (!f->rw)
		flags |= MS_RDONLY;
	if (!S_ISBLK(st.st_mode))
		flags |= MS_NODEV;
	if (mount(NULL, target, NULL, flags, NULL) < 0)
		return lerr_set(e, errno, "jail: remount %s \"%s\" %s",
				f->what, f->inside,
				f->rw ? "nosuid,nodev,noexec" : "read-only");
	return 0;
}

/* A device node at root + path for the host's node of the same path. */
static int make_node(const char *root, const char *path, mode_t mode,
		     uid_t uid, gid_t gid, struct lerr *e)
{
	_cleanup_free_ char *target = NULL;
	struct stat st;

	if (stat(path, &st) < 0)
		return lerr_set(e, errno, "jail: %s", path);
	if (!S_ISCHR(st.st_mode))
		return lerr_fail(e, ENODEV, "jail: %s is not a character device",
				 path);
	if (asprintf(&target, "%s%s", root, path) < 0) {
		target = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	if (mknod(target, S_IFCHR | mode, st.st_rdev) < 0)
		return lerr_set(e, errno, "jail: mknod \"%s\" (%u:%u)", target,
				major(st.st_rdev), minor(st.st_rdev));
	/* mknod's mode went through the umask; the owner is root */
	if (chmod(target, mode) < 0 || chown(target, uid, gid) < 0)
		return lerr_set(e, errno, "jail: set the owner of \"%s\"",
				target);
	return 0;
}

static int make_dev(const char *root, const struct vmm_config *cfg,
		    uid_t uid, gid_t gid, struct lerr *e)
{
	_cleanup_free_ char *dev = NULL, *net = NULL;
	int r;

	if (asprintf(&dev, "%s/dev", root) < 0 ||
	    asprintf(&net, "%s/dev/net", root) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (mkdir(dev, 0755) < 0)
		return lerr_set(e, errno, "jail: mkdir \"%s\"", dev);
	r = make_node(root, "/dev/kvm", 0600, uid, gid, e);
	if (r == 0)
		r = make_node(root, "/dev/null", 0666, 0, 0, e);
	if (r == 0)
		r = make_node(root, "/dev/urandom", 0666, 0, 0, e);
	if (r < 0 || !cfg->net_tap)
		return r;
	if (mkdir(net, 0755) < 0)
		return lerr_set(e, errno, "jail: mkdir \"%s\"", net);
	return make_node(root, "/dev/net/tun", 0600, uid, gid, e);
}

/* pivot_root(".", ".") stacks the old root on top of the new one; the
 * detach then leaves only the new root (pivot_root(2), NOTES). */
static int pivot_into(const char *root, struct lerr *e)
{
	if (chdir(root) < 0)
		return lerr_set(e, errno, "jail: chdir into \"%s\"", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return lerr_set(e, errno, "jail: pivot_root into \"%s\"", root);
	if (umount2(".", MNT_DETACH) < 0)
		return lerr_set(e, errno, "jail: detach the old root");
	if (chdir("/") < 0)
		return lerr_set(e, errno, "jail: chdir to the new root");
	if (mount(NULL, "/", NULL,
		  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
		  NULL) < 0)
		return lerr_set(e, errno, "jail: make the jail root read-only");
	return 0;
}

/* cfg's paths to the names inside; a drive without an id keeps the serial
 * its host file name gave it (virtio-blk's default). */
static int rewrite_paths(struct jail_files *fs, struct vmm_config *cfg,
			 struct lerr *e)
{
	for (unsigned int i = 0; i < cfg->nr_drives; i++) {
		struct vmm_drive *d = &cfg->drives[i];
		const char *slash = strrchr(d->path, '/');

		if (!d->id &&
		    !(d->id = strndup(slash ? slash + 1 : d->path,
				      VMM_DRIVE_ID_MAX)))
			return lerr_fail(e, ENOMEM, "out of memory");
	}
	for (unsigned int i = 0; i < fs->n; i++) {
		struct jail_file *f = &fs->f[i];
		char *inside;

		if (f->dir) {
			if (asprintf(&inside, "%s/%s", f->inside,
				     fs->vsock_name) < 0)
				return lerr_fail(e, ENOMEM, "out of memory");
		} else if (!(inside = strdup(f->inside))) {
			return lerr_fail(e, ENOMEM, "out of memory");
		}
		free(*f->cfg_path);
		*f->cfg_path = inside;
	}
	return 0;
}

int jail_root_enter(const char *root, struct jail_files *fs,
		    struct vmm_config *cfg, uid_t uid, gid_t gid,
		    struct lerr *e)
{
	int r;

	/* Slave, not private: the host's unmounts still reach the jail's
	 * copies, while nothing mounted here propagates out. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return lerr_set(e, errno, "jail: make the mounts a slave copy");
	if (mount("lighter-jail", root, "tmpfs", MS_NOSUID | MS_NOEXEC,
		  JAIL_TMPFS_OPTS) < 0)
		return lerr_set(e, errno, "jail: mount tmpfs on \"%s\"", root);
	for (unsigned int i = 0; i < fs->n; i++) {
		r = bind_one(root, &fs->f[i], e);
		if (r < 0)
			return r;
	}
	r = make_dev(root, cfg, uid, gid, e);
	if (r == 0)
		r = pivot_into(root, e);
	if (r == 0)
		r = rewrite_paths(fs, cfg, e);
	return r;
}

int jail_files_check(const struct jail_files *fs, uid_t uid, struct lerr *e)
{
	for (unsigned int i = 0; i < fs->n; i++) {
		const struct jail_file *f = &fs->f[i];

		if (access(f->inside, f->access) < 0)
			return lerr_set(e, errno,
					"jail: uid %u cannot %s the %s \"%s\"",
					(unsigned int)uid,
					f->dir ? "create files in"
					: f->access & W_OK ? "write"
							   : "read",
					f->what, f->host);
	}
	return 0;
}
