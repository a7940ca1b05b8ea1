/* tmpdir.h - a private temporary directory per test and files in it, for
 * the host-tool tests (specs, OCI layouts, the content store).  Header-
 * only; tests call tmpdir_make() in their setup and tmpdir_remove() in
 * their teardown. */
#ifndef LIGHTER_TESTS_UNIT_TMPDIR_H
#define LIGHTER_TESTS_UNIT_TMPDIR_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir_path[64];

static inline void tmpdir_make(void)
{
	snprintf(tmpdir_path, sizeof(tmpdir_path), "/tmp/lighter-test.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir_path), "mkdtemp");
}

static inline int tmpdir_rm_one(const char *p, const struct stat *st,
				int type, struct FTW *ftw)
{
	/* Blobs in a store are read-only; so may be dirs a test locked. */
	if (type == FTW_DP)
		return rmdir(p);
	return unlink(p);
}

static inline void tmpdir_remove(void)
{
	if (tmpdir_path[0])
		nftw(tmpdir_path, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir_path[0] = '\0';
}

/* tmpdir/rel, malloc'd (the test frees it). */
static inline char *tmpdir_join(const char *rel)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s", tmpdir_path, rel) > 0);
	return p;
}

/* mkdir -p of tmpdir/rel. */
static inline void tmpdir_mkdirs(const char *rel)
{
	char *p = tmpdir_join(rel), *s;

	for (s = p + strlen(tmpdir_path) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
	free(p);
}

/* Write len bytes to tmpdir/rel (parents created); returns the path. */
static inline char *tmpdir_write(const char *rel, const void *buf, size_t len)
{
	const char *slash = strrchr(rel, '/');
	char *p;
	int fd;

	if (slash) {
		char *parent = strndup(rel, (size_t)(slash - rel));

		cr_assert_not_null(parent);
		tmpdir_mkdirs(parent);
		free(parent);
	}
	p = tmpdir_join(rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "open %s", p);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len, "write %s", p);
	close(fd);
	return p;
}

static inline char *tmpdir_write_str(const char *rel, const char *text)
{
	return tmpdir_write(rel, text, strlen(text));
}

#endif
