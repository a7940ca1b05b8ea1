/* test-container-root.c - guest-agent/container-root.c on the real
 * kernel: overlay roots of one, two, many and no layers (the options page
 * limit and escaped separators included), reuse on restart, and teardown
 * of everything including trees deeper than the descriptors it holds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-root.h"
#include "native.h"

TestSuite(container_root, .init = native_enter_scratch,
	  .fini = native_leave_scratch, .timeout = 60);

static void expect_content(const char *path, const char *want)
{
	char *text = native_read_file(path);

	cr_assert_str_eq(text, want, "%s", path);
	free(text);
}

/* scratch/name as a layer holding file "f" with `f` and file name. */
static void make_layer(char *out, size_t size, const char *name, const char *f,
		       const char *own)
{
	char path[PATH_MAX];

	native_path(out, size, name);
	cr_assert_eq(mkdir(out, 0755), 0, "mkdir %s: %s", out, strerror(errno));
	NATIVE_FMT(path, "%s/f", out);
	native_write(path, f);
	NATIVE_FMT(path, "%s/%s", out, own);
	native_write(path, own);
}

static bool is_mount_point(const char *path)
{
	struct statx stx;

	cr_assert_eq(statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx), 0);
	return stx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
}

/* container_root_prepare() into a PATH_MAX rootfs buffer. */
static int prepare(const char *const *layers, size_t n, const char *state,
		   char *rootfs, struct lerr *e)
{
	return container_root_prepare(layers, n, state, rootfs, PATH_MAX, e);
}

Test(container_root, layers_top_first_with_separators_in_names)
{
	/* ':' and ',' as in "sha256:..." digests and odd store paths. */
	char top[PATH_MAX], bottom[PATH_MAX], state[PATH_MAX];
	char rootfs[PATH_MAX], path[PATH_MAX];
	const char *layers[2] = {top, bottom};
	struct lerr e = {0};

	make_layer(top, sizeof(top), "sha256:top,x", "top\n", "only-top");
	make_layer(bottom, sizeof(bottom), "sha256:bottom\\y", "bottom\n",
		   "only-bottom");
	native_path(state, sizeof(state), "state");
	cr_assert_eq(prepare(layers, 2, state, rootfs, &e), 0, "%s", e.msg);
	native_path(path, sizeof(path), "state/rootfs");
	cr_assert_str_eq(rootfs, path);
	cr_assert(is_mount_point(rootfs));
	NATIVE_FMT(path, "%s/f", rootfs);
	expect_content(path, "top\n");
	NATIVE_FMT(path, "%s/only-top", rootfs);
	expect_content(path, "only-top");
	NATIVE_FMT(path, "%s/only-bottom", rootfs);
	expect_content(path, "only-bottom");
	/* Short list: no link directory. */
	native_path(path, sizeof(path), "state/layers");
	cr_assert_eq(access(path, F_OK), -1);

	cr_assert_eq(container_root_teardown(state, &e), 0, "%s", e.msg);
	cr_assert_eq(access(state, F_OK), -1, "state dir left behind");
	NATIVE_FMT(path, "%s/only-top", top);
	expect_content(path, "only-top"); /* layers untouched */
}

Test(container_root, many_long_layers_beyond_one_page)
{
	enum { N = 150 };
	char names[N][256];
	const char *layers[N];
	char state[PATH_MAX], rootfs[PATH_MAX], path[PATH_MAX], own[32];
	struct lerr e = {0};
	size_t total = 0;
	int i;

	native_path(path, sizeof(path), "store");
	cr_assert_eq(mkdir(path, 0755), 0);
	for (i = 0; i < N; i++) {
		char rel[128];

		NATIVE_FMT(rel, "store/sha256:%064x", (unsigned int)i);
		NATIVE_FMT(own, "layer-%d", i);
		make_layer(names[i], sizeof(names[i]), rel,
			   i == 0 ? "top\n" : "lower\n", own);
		layers[i] = names[i];
		total += strlen(names[i]) + 1;
	}
	cr_assert_gt(total, 4096, "the list must not fit a page");
	native_path(state, sizeof(state), "state");
	cr_assert_eq(prepare(layers, N, state, rootfs, &e), 0, "%s", e.msg);
	NATIVE_FMT(path, "%s/f", rootfs);
	expect_content(path, "top\n");
	NATIVE_FMT(path, "%s/layer-%d", rootfs, N - 1);
	expect_content(path, "layer-149");
	NATIVE_FMT(path, "%s/layer-77", rootfs);
	expect_content(path, "layer-77");
	native_path(path, sizeof(path), "state/layers/149");
	cr_assert_eq(access(path, F_OK), 0, "link directory expected");
	/* The working directory came back. */
	cr_assert_not_null(getcwd(path, sizeof(path)));
	cr_assert_eq(strstr(path, "/state/layers"), NULL, "cwd %s", path);

	cr_assert_eq(container_root_teardown(state, &e), 0, "%s", e.msg);
	cr_assert_eq(access(state, F_OK), -1);
}

Test(container_root, no_layers_is_an_empty_root)
{
	char state[PATH_MAX], rootfs[PATH_MAX], path[PATH_MAX];
	struct lerr e = {0};

	native_path(state, sizeof(state), "state");
	cr_assert_eq(prepare(NULL, 0, state, rootfs, &e), 0, "%s", e.msg);
	cr_assert(is_mount_point(rootfs));
	NATIVE_FMT(path, "%s/new", rootfs);
	native_write(path, "x");
	native_path(path, sizeof(path), "state/upper/new");
	expect_content(path, "x");
	cr_assert_eq(container_root_teardown(state, &e), 0, "%s", e.msg);
	cr_assert_eq(access(state, F_OK), -1);
}

Test(container_root, restart_keeps_writes_and_double_mount_refused)
{
	char layer[PATH_MAX], state[PATH_MAX], rootfs[PATH_MAX], path[PATH_MAX];
	const char *layers[] = {layer};
	struct lerr e = {0};

	make_layer(layer, sizeof(layer), "layer", "image\n", "own");
	native_path(state, sizeof(state), "state");
	cr_assert_eq(prepare(layers, 1, state, rootfs, &e), 0, "%s", e.msg);
	NATIVE_FMT(path, "%s/f", rootfs);
	native_write(path, "written\n");

	cr_assert_eq(prepare(layers, 1, state, rootfs, &e), -EBUSY);
	cr_assert(strstr(e.msg, "/state/rootfs\" is already a mount point"),
		  "%s", e.msg);

	/* A restart: unmount only, then prepare again over the same upper. */
	cr_assert_eq(umount2(rootfs, 0), 0);
	cr_assert_eq(prepare(layers, 1, state, rootfs, &e), 0, "%s", e.msg);
	NATIVE_FMT(path, "%s/f", rootfs);
	expect_content(path, "written\n");
	cr_assert_eq(container_root_teardown(state, &e), 0, "%s", e.msg);
	/* Teardown twice is fine. */
	cr_assert_eq(container_root_teardown(state, &e), 0, "%s", e.msg);
}

Test(container_root, bad_layers_named)
{
	char state[PATH_MAX], rootfs[PATH_MAX], file[PATH_MAX], want[PATH_MAX];
	const char *missing[] = {"/nonexistent/layer"};
	const char *relative[] = {"layer"};
	const char *not_dir[] = {file};
	struct lerr e = {0};

	native_path(state, sizeof(state), "state");
	cr_assert_eq(prepare(missing, 1, state, rootfs, &e), -ENOENT);
	cr_assert_str_eq(e.msg, "layer \"/nonexistent/layer\": No such file "
				"or directory");
	cr_assert_eq(prepare(relative, 1, state, rootfs, &e), -EINVAL);
	cr_assert_str_eq(e.msg, "layer 0 \"layer\" is not an absolute path");
	native_path(file, sizeof(file), "file");
	native_write(file, "x");
	cr_assert_eq(prepare(not_dir, 1, state, rootfs, &e), -ENOTDIR);
	NATIVE_FMT(want, "layer \"%s\" is not a directory", file);
	cr_assert_str_eq(e.msg, want);
	cr_assert_eq(prepare(not_dir, 1, "state", rootfs, &e), -EINVAL);
	cr_assert_eq(prepare(not_dir, 501, state, rootfs, &e), -E2BIG);
	cr_assert_eq(access(state, F_OK), -1, "nothing made on bad input");
}

Test(container_root, teardown_removes_deep_trees_and_odd_files)
{
	char layer[PATH_MAX], state[PATH_MAX], rootfs[PATH_MAX];
	char path[PATH_MAX];
	const char *layers[] = {layer};
	struct lerr e = {0};
	int fd, next, i;

	make_layer(layer, sizeof(layer), "layer", "image\n", "own");
	native_path(state, sizeof(state), "state");
	cr_assert_eq(prepare(layers, 1, state, rootfs, &e), 0, "%s", e.msg);
	/* Through the overlay, as a container would: a whiteout (delete a
	 * lower file), a 0000 directory, a symlink out of the tree, a fifo,
	 * and a chain of 300 directories (deeper than the 64 the remover
	 * keeps open). */
	NATIVE_FMT(path, "%s/own", rootfs);
	cr_assert_eq(unlink(path), 0);
	NATIVE_FMT(path, "%s/locked", rootfs);
	cr_assert_eq(mkdir(path, 0), 0);
	NATIVE_FMT(path, "%s/escape", rootfs);
	cr_assert_eq(symlink(layer, path), 0);
	NATIVE_FMT(path, "%s/fifo", rootfs);
	cr_assert_eq(mkfifo(path, 0600), 0);
	fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	for (i = 0; i < 300; i++) {
		cr_assert_eq(mkdirat(fd, "d", 0755), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cr_assert_geq(next, 0);
		close(fd);
		fd = next;
	}
	cr_assert_eq(close(fd), 0);

	cr_assert_eq(container_root_teardown(state, &e), 0, "%s", e.msg);
	cr_assert_eq(access(state, F_OK), -1, "state dir left behind");
	NATIVE_FMT(path, "%s/own", layer);
	expect_content(path, "own"); /* the symlink was not followed */
}

Test(container_root, remove_tree_stops_at_mount_points)
{
	char dir[PATH_MAX], inner[PATH_MAX], file[PATH_MAX];
	struct lerr e = {0};

	native_path(dir, sizeof(dir), "tree");
	cr_assert_eq(mkdir(dir, 0755), 0);
	NATIVE_FMT(inner, "%s/mnt", dir);
	cr_assert_eq(mkdir(inner, 0755), 0);
	cr_assert_eq(mount("tmpfs", inner, "tmpfs", 0, NULL), 0);
	NATIVE_FMT(file, "%s/keep", inner);
	native_write(file, "kept");
	cr_assert_eq(container_remove_tree(dir, &e), -EBUSY);
	cr_assert(strstr(e.msg, "\"mnt\" is a mount point"), "%s", e.msg);
	expect_content(file, "kept");
	cr_assert_eq(umount2(inner, 0), 0);
	cr_assert_eq(container_remove_tree(dir, &e), 0, "%s", e.msg);
	cr_assert_eq(access(dir, F_OK), -1);
	cr_assert_eq(container_remove_tree(dir, &e), 0, "missing is fine");
}

int main(int argc, char *argv[])
{
	return native_main(argc, argv);
}
