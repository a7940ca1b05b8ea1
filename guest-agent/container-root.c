/* container-root.c - the overlay root of a container (state directory
 * layout in container-root.h) and the tree removal its teardown needs.
 *
 * The classic overlay limit is the size of the mount options: mount(2)
 * copies one page, and an image of a few dozen layers with long digest
 * paths does not fit.  Like docker's overlay2 (short link names), the
 * overlay is then mounted from a directory of numbered symlinks, with the
 * working directory briefly moved there and restored. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "container-root.h"

/* mount(2) copies at most one page of options, NUL included. */
#define MOUNT_OPTIONS_MAX 4096

/* Directory levels held open at once while removing a tree; deeper
 * subtrees are moved up to the top directory and removed from there. */
#define REMOVE_MAX_DEPTH 64

static int path_join(char *out, size_t size, const char *dir, const char *name,
		     struct lerr *e)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return lerr_fail(e, ENAMETOOLONG, "path \"%s/%s\" too long",
				 dir, name);
	return 0;
}

static int make_dir(const char *path, mode_t mode, struct lerr *e)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return lerr_set(e, errno, "mkdir \"%s\"", path);
	return 0;
}

/* Append s to buf at *pos, escaping what overlayfs treats as separators
 * (':' between layers, ',' between options) and the escape itself. */
static bool append_escaped(char *buf, size_t size, size_t *pos, const char *s,
			   bool escape)
{
	for (; *s; s++) {
		if (escape && (*s == ':' || *s == ',' || *s == '\\')) {
			if (*pos + 1 >= size)
				return false;
			buf[(*pos)++] = '\\';
		}
		if (*pos + 1 >= size)
			return false;
		buf[(*pos)++] = *s;
	}
	buf[*pos] = '\0';
	return true;
}

/* "lowerdir=L0:L1:...,upperdir=U,workdir=W"; false when it does not fit. */
static bool overlay_options(char *buf, size_t size, const char *const *lower,
			    size_t n, const char *upper, const char *work,
			    bool escape)
{
	size_t pos = 0, i;

	buf[0] = '\0';
	if (!append_escaped(buf, size, &pos, "lowerdir=", false))
		return false;
	for (i = 0; i < n; i++)
		if ((i && !append_escaped(buf, size, &pos, ":", false)) ||
		    !append_escaped(buf, size, &pos, lower[i], escape))
			return false;
	return append_escaped(buf, size, &pos, ",upperdir=", false) &&
	       append_escaped(buf, size, &pos, upper, escape) &&
	       append_escaped(buf, size, &pos, ",workdir=", false) &&
	       append_escaped(buf, size, &pos, work, escape);
}

static int check_not_mounted(const char *path, struct lerr *e)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
		return lerr_set(e, errno, "stat \"%s\"", path);
	if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return lerr_fail(e, EBUSY, "\"%s\" is already a mount point",
				 path);
	return 0;
}

/* The long-list case: state_dir/layers/<i> -> lowerdirs[i], mounted with
 * the working directory there and the upper and work dirs as ../upper
 * and ../work. */
static int mount_via_links(const char *const *lowerdirs, size_t n,
			   const char *state_dir, const char *rootfs,
			   struct lerr *e)
{
	char links[PATH_MAX], link[PATH_MAX];
	char opts[MOUNT_OPTIONS_MAX];
	const char *rel[CONTAINER_ROOT_MAX_LAYERS];
	char names[CONTAINER_ROOT_MAX_LAYERS][4];
	_cleanup_close_ int cwd = -1;
	size_t i;
	int r, saved;

	r = path_join(links, sizeof(links), state_dir, "layers", e);
	if (r < 0)
		return r;
	r = container_remove_tree(links, e);
	if (r < 0)
		return r;
	r = make_dir(links, 0700, e);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "%zu", i);
		rel[i] = names[i];
		r = path_join(link, sizeof(link), links, names[i], e);
		if (r < 0)
			return r;
		if (symlink(lowerdirs[i], link) < 0)
			return lerr_set(e, errno, "symlink \"%s\" -> \"%s\"",
					link, lowerdirs[i]);
	}
	if (!overlay_options(opts, sizeof(opts), rel, n, "../upper", "../work",
			     false))
		return lerr_fail(e, E2BIG,
				 "overlay options for \"%s\" too long", rootfs);

	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return lerr_set(e, errno, "open the working directory");
	if (chdir(links) < 0)
		return lerr_set(e, errno, "chdir \"%s\"", links);
	r = mount("overlay", rootfs, "overlay", 0, opts);
	saved = errno;
	if (fchdir(cwd) < 0)
		return lerr_set(e, errno, "return to the working directory");
	if (r < 0)
		return lerr_set(e, saved,
				"mount overlay of %zu layers on \"%s\"", n,
				rootfs);
	return 0;
}

int container_root_prepare(const char *const *lowerdirs, size_t n,
			   const char *state_dir, char *rootfs,
			   size_t rootfs_size, struct lerr *e)
{
	char upper[PATH_MAX], work[PATH_MAX], root[PATH_MAX], empty[PATH_MAX];
	char opts[MOUNT_OPTIONS_MAX];
	const char *const *lower = lowerdirs;
	const char *only[1];
	struct stat st;
	size_t i;
	int r;

	if (!state_dir || state_dir[0] != '/')
		return lerr_fail(e, EINVAL,
				 "state directory \"%s\" is not an "
				 "absolute path",
				 state_dir ? state_dir : "");
	if (n > CONTAINER_ROOT_MAX_LAYERS)
		return lerr_fail(e, E2BIG,
				 "%zu layers for \"%s\": overlayfs "
				 "stacks at most %d",
				 n, state_dir, CONTAINER_ROOT_MAX_LAYERS);
	for (i = 0; i < n; i++) {
		if (!lowerdirs[i] || lowerdirs[i][0] != '/')
			return lerr_fail(e, EINVAL,
					 "layer %zu \"%s\" is not an "
					 "absolute path",
					 i, lowerdirs[i] ? lowerdirs[i] : "");
		if (stat(lowerdirs[i], &st) < 0)
			return lerr_set(e, errno, "layer \"%s\"", lowerdirs[i]);
		if (!S_ISDIR(st.st_mode))
			return lerr_fail(e, ENOTDIR,
					 "layer \"%s\" is not a "
					 "directory",
					 lowerdirs[i]);
	}
	if ((r = path_join(upper, sizeof(upper), state_dir, "upper", e)) < 0 ||
	    (r = path_join(work, sizeof(work), state_dir, "work", e)) < 0 ||
	    (r = path_join(root, sizeof(root), state_dir, "rootfs", e)) < 0 ||
	    (r = path_join(empty, sizeof(empty), state_dir, "empty", e)) < 0)
		return r;
	if (strlen(root) >= rootfs_size)
		return lerr_fail(e, ENAMETOOLONG,
				 "rootfs path \"%s\" does not "
				 "fit the caller's buffer",
				 root);
	if ((r = make_dir(state_dir, 0755, e)) < 0 ||
	    (r = make_dir(upper, 0755, e)) < 0 ||
	    (r = make_dir(work, 0700, e)) < 0 ||
	    (r = make_dir(root, 0755, e)) < 0)
		return r;
	if (n == 0) {
		r = make_dir(empty, 0755, e);
		if (r < 0)
			return r;
		only[0] = empty;
		lower = only;
		n = 1;
	}
	r = check_not_mounted(root, e);
	if (r < 0)
		return r;

	if (overlay_options(opts, sizeof(opts), lower, n, upper, work, true)) {
		if (mount("overlay", root, "overlay", 0, opts) < 0)
			return lerr_set(e, errno,
					"mount overlay of %zu layers "
					"(top \"%s\") on \"%s\"",
					n, lower[0], root);
	} else {
		r = mount_via_links(lower, n, state_dir, root, e);
		if (r < 0)
			return r;
	}
	memcpy(rootfs, root, strlen(root) + 1);
	return 0;
}

int container_root_teardown(const char *state_dir, struct lerr *e)
{
	static const char *const parts[] = {"rootfs", "upper", "work", "layers",
					    "empty"};
	char path[PATH_MAX];
	int i, r;

	if (!state_dir || state_dir[0] != '/')
		return lerr_fail(e, EINVAL,
				 "state directory \"%s\" is not an "
				 "absolute path",
				 state_dir ? state_dir : "");
	r = path_join(path, sizeof(path), state_dir, "rootfs", e);
	if (r < 0)
		return r;
	/* Every mount stacked there; EINVAL: not a mount point (any more). */
	for (i = 0; i < 16; i++) {
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			break;
		return lerr_set(e, errno, "unmount \"%s\"", path);
	}
	for (i = 0; i < (int)(sizeof(parts) / sizeof(parts[0])); i++) {
		r = path_join(path, sizeof(path), state_dir, parts[i], e);
		if (r < 0)
			return r;
		r = container_remove_tree(path, e);
		if (r < 0)
			return r;
	}
	if (rmdir(state_dir) < 0 && errno != ENOENT && errno != ENOTEMPTY &&
	    errno != EEXIST)
		return lerr_set(e, errno, "rmdir \"%s\"", state_dir);
	return 0;
}

struct remove_ctx {
	const char *top; /* for messages */
	int top_fd;
	dev_t dev;
	unsigned int moved;   /* subtrees moved up in this pass */
	unsigned int counter; /* for the names of moved subtrees */
	struct lerr *e;
};

/* Move a subtree too deep to descend into up to the top directory under
 * a fresh name; a later pass removes it from there. */
static int move_up(struct remove_ctx *c, int dir_fd, const char *name)
{
	char tmp[32];

	for (;;) {
		snprintf(tmp, sizeof(tmp), ".lighter-rm-%u", c->counter++);
		if (renameat2(dir_fd, name, c->top_fd, tmp, RENAME_NOREPLACE) ==
		    0)
			break;
		if (errno != EEXIST)
			return lerr_set(c->e, errno,
					"remove \"%s\": move up "
					"\"%s\"",
					c->top, name);
	}
	c->moved++;
	return 0;
}

/* Unlink name in dir_fd; already gone is fine. */
static int unlink_entry(struct remove_ctx *c, int dir_fd, const char *name)
{
	if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
		return lerr_set(c->e, errno, "remove \"%s\": unlink \"%s\"",
				c->top, name);
	return 0;
}

/* Empty the directory dir_fd (consumed) at depth `depth` below the top. */
static int empty_dir(struct remove_ctx *c, int dir_fd, int depth)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = lerr_set(c->e, errno, "remove \"%s\": read directory",
			     c->top);
		close(dir_fd);
		return r;
	}
	while (r == 0 && (errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		struct stat st;
		int child;

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) {
			r = unlink_entry(c, dirfd(d), name);
			continue;
		}
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				r = lerr_set(c->e, errno,
					     "remove \"%s\": stat "
					     "\"%s\"",
					     c->top, name);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			r = unlink_entry(c, dirfd(d), name);
			continue;
		}
		if (st.st_dev != c->dev) {
			r = lerr_fail(c->e, EBUSY,
				      "remove \"%s\": \"%s\" is a "
				      "mount point",
				      c->top, name);
			break;
		}
		if (depth + 1 >= REMOVE_MAX_DEPTH) {
			r = move_up(c, dirfd(d), name);
			continue;
		}
		child = openat(dirfd(d), name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0) {
			r = lerr_set(c->e, errno, "remove \"%s\": open \"%s\"",
				     c->top, name);
			break;
		}
		r = empty_dir(c, child, depth + 1);
		if (r == 0 && unlinkat(dirfd(d), name, AT_REMOVEDIR) < 0 &&
		    errno != ENOENT)
			r = lerr_set(c->e, errno, "remove \"%s\": rmdir \"%s\"",
				     c->top, name);
	}
	if (r == 0 && errno != 0)
		r = lerr_set(c->e, errno, "remove \"%s\": read directory",
			     c->top);
	closedir(d);
	return r;
}

int container_remove_tree(const char *path, struct lerr *e)
{
	struct remove_ctx c = {.top = path, .e = e};
	struct stat st;
	int r, fd;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return lerr_set(e, errno, "remove \"%s\"", path);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return lerr_set(e, errno, "remove \"%s\"", path);
		return 0;
	}
	c.top_fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c.top_fd < 0)
		return lerr_set(e, errno, "remove \"%s\": open", path);
	c.dev = st.st_dev;
	do {
		c.moved = 0;
		/* A fresh open file description per pass: a dup would share
		 * the directory offset left at the end by the last pass. */
		fd = openat(c.top_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			r = lerr_set(e, errno, "remove \"%s\": open", path);
			break;
		}
		r = empty_dir(&c, fd, 0);
	} while (r == 0 && c.moved);
	close(c.top_fd);
	if (r < 0)
		return r;
	if (rmdir(path) < 0 && errno != ENOENT)
		return lerr_set(e, errno, "remove \"%s\": rmdir", path);
	return 0;
}
