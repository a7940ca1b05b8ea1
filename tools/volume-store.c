/* volume-store.c - the persistent volumes' images under DATA/volumes/
 * (see volume-store.h).  Whether one is in use is asked of its lock: a
 * running group's lighter-vmm holds flock(LOCK_EX) on it, so a shared
 * lock tried without waiting fails exactly while it runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "group-volumes.h"
#include "volume-store.h"

#define SUFFIX ".ext4"

static char *volumes_dir(const struct lighter_paths *p)
{
	char *d;

	if (asprintf(&d, "%s/%s", p->data_dir ? p->data_dir : STORE_DEFAULT_DIR,
		     VOLUMES_DATA_DIR) < 0)
		return NULL;
	return d;
}

static int info_of(const char *dir, const char *name, struct volume_info *v,
		   struct lerr *e)
{
	struct stat st;
	int fd;

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	if (asprintf(&v->path, "%s/%s" SUFFIX, dir, name) < 0) {
		v->path = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	fd = open(v->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return lerr_fail(e, ENOENT, "no such volume \"%s\"", name);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = lerr_set(e, errno, "\"%s\"", v->path);

		if (fd >= 0)
			close(fd);
		return r;
	}
	v->size = (uint64_t)st.st_size;
	v->disk_bytes = (uint64_t)st.st_blocks * 512;
	v->changed_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL +
			st.st_mtim.tv_nsec;
	v->in_use = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct volume_info *)a)->name,
		      ((const struct volume_info *)b)->name);
}

int volume_list(const struct lighter_paths *p, struct volume_info **out,
		size_t *n, struct lerr *e)
{
	char *dir = volumes_dir(p);
	struct volume_info *v = NULL;
	struct dirent *de;
	DIR *d;
	int r = 0;

	*out = NULL;
	*n = 0;
	if (!dir)
		return lerr_fail(e, ENOMEM, "out of memory");
	d = opendir(dir);
	if (!d) {
		r = errno == ENOENT ? 0 : lerr_set(e, errno, "\"%s\"", dir);
		free(dir);
		return r;
	}
	while (r == 0 && (de = readdir(d))) {
		size_t len = strlen(de->d_name), base = len - strlen(SUFFIX);
		char name[SPEC_NAME_MAX + 1];
		struct volume_info *a;

		if (len <= strlen(SUFFIX) || base > SPEC_NAME_MAX ||
		    strcmp(de->d_name + base, SUFFIX) != 0)
			continue;
		memcpy(name, de->d_name, base);
		name[base] = '\0';
		if (!proto_name_valid(name))
			continue;
		a = realloc(v, (*n + 1) * sizeof(*a));
		if (!a) {
			r = lerr_fail(e, ENOMEM, "out of memory");
			break;
		}
		v = a;
		r = info_of(dir, name, &v[*n], e);
		if (r == -ENOENT) { /* removed meanwhile */
			free(v[*n].path);
			r = 0;
			continue;
		}
		(*n)++;
	}
	closedir(d);
	free(dir);
	if (r < 0) {
		volume_info_free(v, *n);
		*n = 0;
		return r;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), by_name);
	*out = v;
	return 0;
}

int volume_get(const struct lighter_paths *p, const char *name,
	       struct volume_info *out, struct lerr *e)
{
	char *dir;
	int r;

	memset(out, 0, sizeof(*out));
	if (!proto_name_valid(name))
		return lerr_fail(e, ENOENT, "no such volume \"%s\"", name);
	dir = volumes_dir(p);
	if (!dir)
		return lerr_fail(e, ENOMEM, "out of memory");
	r = info_of(dir, name, out, e);
	free(dir);
	if (r < 0) {
		free(out->path);
		out->path = NULL;
	}
	return r;
}

void volume_info_free(struct volume_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

int volume_remove(const struct lighter_paths *p, const char *name,
		  struct lerr *e)
{
	struct volume_info v;
	int fd, r;

	r = volume_get(p, name, &v, e);
	if (r < 0)
		return r;
	fd = open(v.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = errno == ENOENT ? lerr_fail(e, ENOENT,
						"no such volume \"%s\"", name)
				    : lerr_set(e, errno, "\"%s\"", v.path);
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK
			    ? lerr_fail(e, EBUSY, "volume \"%s\" is in use by "
					"a running group", name)
			    : lerr_set(e, errno, "lock \"%s\"", v.path);
	} else if (unlink(v.path) < 0) {
		r = lerr_set(e, errno, "remove \"%s\"", v.path);
	}
	if (fd >= 0)
		close(fd);
	free(v.path);
	return r;
}
