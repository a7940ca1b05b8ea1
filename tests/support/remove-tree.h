/* remove-tree.h - removing a test's scratch tree: fd-relative (trees
 * deeper than PATH_MAX too) and never following a symlink, so whatever a
 * hostile layer left in it (symlinks out, 0000 directories, deep chains)
 * cannot send the removal elsewhere.  Header-only and free of any test
 * framework: the unpacker's unit tests (tests/unit/layer-fixture.c) and
 * the fuzz-unpack harness share it. */
#ifndef LIGHTER_TESTS_SUPPORT_REMOVE_TREE_H
#define LIGHTER_TESTS_SUPPORT_REMOVE_TREE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sees each entry (its lstat, its depth below the top, 0) before it is
 * removed. */
typedef void remove_tree_visit_fn(const struct stat *st, int depth);

static inline int remove_tree_level(int dfd, const char *name,
				    remove_tree_visit_fn *visit, int depth)
{
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd, r = 0, sub;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (visit)
		visit(&st, depth);
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) < 0 ? -errno : 0;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		r = -errno;
		if (fd >= 0)
			close(fd);
	}
	while (dir && (d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		sub = remove_tree_level(fd, d->d_name, visit, depth + 1);
		if (r == 0)
			r = sub;
	}
	if (dir)
		closedir(dir);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && r == 0)
		r = -errno;
	return r;
}

/* Removes name under dfd and everything below it; visit (or NULL) sees
 * each entry first.  0, or the -errno of the first step that failed (the
 * rest is removed all the same).  An entry that cannot be stat'ed, gone
 * already, is left alone. */
static inline int remove_tree_at(int dfd, const char *name,
				 remove_tree_visit_fn *visit)
{
	return remove_tree_level(dfd, name, visit, 0);
}

#endif
