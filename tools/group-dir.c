/* group-dir.c - file operations on RUN/<group>/ (see group-dir.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <lighter/cleanup.h>
#include <lighter/fd-io.h>

#include "group-dir.h"
#include "names.h"
#include "state.h"

#define GROUP_JSON_MAX (4U << 20)

/* mkdir -p with mode for the new ones. */
static int mkdirs(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);
	char *s;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int group_run_dir_open(const char *run_dir, bool create, struct lerr *e)
{
	int fd, r;

	if (create) {
		r = mkdirs(run_dir, 0700);
		if (r < 0)
			return lerr_set(e, r, "run dir \"%s\"", run_dir);
	}
	fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return lerr_set(e, errno, "run dir \"%s\"", run_dir);
	return fd;
}

int group_dir_open(const struct lighter_paths *p, const char *name,
		   struct lerr *e)
{
	_cleanup_close_ int run = -1;
	int fd;

	if (!group_name_valid(name))
		return lerr_fail(e, ENOENT, "no such group \"%s\"", name);
	run = open(p->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (run < 0 && errno == ENOENT)
		return lerr_fail(e, ENOENT, "no such group \"%s\"", name);
	if (run < 0)
		return lerr_set(e, errno, "run dir \"%s\"", p->run_dir);
	fd = openat(run, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
				       O_NOFOLLOW);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
		return lerr_fail(e, ENOENT, "no such group \"%s\"", name);
	if (fd < 0)
		return lerr_set(e, errno, "\"%s/%s\"", p->run_dir, name);
	if (faccessat(fd, STATE_FILE, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		close(fd);
		return lerr_fail(e, ENOENT, "no such group \"%s\"", name);
	}
	return fd;
}

char *group_dir_path(const struct lighter_paths *p, const char *name)
{
	char *s;

	if (asprintf(&s, "%s/%s", p->run_dir, name) < 0)
		return NULL;
	return s;
}

int group_json_write(int dir_fd, const char *file, const json_t *j,
		     const char *what, struct lerr *e)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT |
							  JSON_PRESERVE_ORDER);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (!text || asprintf(&tmp, "%s.tmp", file) < 0) {
		tmp = NULL;
		return lerr_fail(e, ENOMEM, "%s: out of memory", what);
	}
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
					 O_NOFOLLOW, 0644);
	if (fd < 0)
		return lerr_set(e, errno, "\"%s/%s\"", what, tmp);
	r = lfd_write_all(fd, text, strlen(text));
	if (r == 0)
		r = lfd_write_all(fd, "\n", 1);
	if (r == 0 && renameat(dir_fd, tmp, dir_fd, file) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dir_fd, tmp, 0);
		return lerr_set(e, r, "write \"%s/%s\"", what, file);
	}
	return 0;
}

int group_json_read(int dir_fd, const char *file, json_t **out,
		    const char *what, struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	json_error_t jerr;
	size_t got = 0;
	int r;

	*out = NULL;
	fd = openat(dir_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return lerr_set(e, errno, "\"%s/%s\"", what, file);
	r = lfd_read_regular(fd, GROUP_JSON_MAX, &buf, &got);
	if (r == -EINVAL || r == -EFBIG)
		return lerr_fail(e, -r, "\"%s/%s\": not a file of at most %u "
				 "bytes", what, file, GROUP_JSON_MAX);
	if (r < 0)
		return lerr_set(e, r, "read \"%s/%s\"", what, file);
	*out = json_loadb(buf, got, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out)
		return lerr_fail(e, EINVAL, "\"%s/%s\": line %d: %s", what,
				 file, jerr.line, jerr.text);
	return 0;
}

json_t *group_layers_to_json(const struct group_layer *l, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "diff_id",
				      l[i].diff_id, "digest", l[i].digest,
				      "media_type", l[i].media_type, "size",
				      (json_int_t)l[i].size, "path",
				      l[i].path);

		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int group_layers_from_json(const json_t *j, struct group_layer **out,
			   size_t *n, const char *what, struct lerr *e)
{
	struct group_layer *l;
	size_t i, count = json_array_size(j);

	*out = NULL;
	*n = 0;
	if (!json_is_array(j))
		return lerr_fail(e, EINVAL, "%s: not an array", what);
	l = calloc(count ? count : 1, sizeof(*l));
	if (!l)
		return lerr_fail(e, ENOMEM, "%s: out of memory", what);
	for (i = 0; i < count; i++) {
		const char *diff_id, *digest, *media, *path;
		json_int_t size;
		json_error_t jerr;

		if (json_unpack_ex(json_array_get(j, i), &jerr, JSON_STRICT,
				   "{s:s, s:s, s:s, s:I, s:s}", "diff_id",
				   &diff_id, "digest", &digest, "media_type",
				   &media, "size", &size, "path", &path) < 0 ||
		    !ldigest_valid(diff_id) || !ldigest_valid(digest) ||
		    size < 0) {
			group_layers_free(l, i);
			return lerr_fail(e, EINVAL, "%s: [%zu]: not a layer",
					 what, i);
		}
		strcpy(l[i].diff_id, diff_id);
		strcpy(l[i].digest, digest);
		l[i].size = (uint64_t)size;
		l[i].media_type = strdup(media);
		l[i].path = strdup(path);
		if (!l[i].media_type || !l[i].path) {
			group_layers_free(l, i + 1);
			return lerr_fail(e, ENOMEM, "%s: out of memory", what);
		}
	}
	*out = l;
	*n = count;
	return 0;
}

void group_layers_free(struct group_layer *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++) {
		free(l[i].media_type);
		free(l[i].path);
	}
	free(l);
}

int group_monitor_alive(int dir_fd)
{
	_cleanup_close_ int fd = openat(dir_fd, GROUP_MONITOR_LOCK,
					O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 1 : 0;
	return 0; /* the lock goes with the fd */
}

int group_monitor_lock(int dir_fd, struct lerr *e)
{
	int fd = openat(dir_fd, GROUP_MONITOR_LOCK,
			O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return lerr_set(e, errno, "\"%s\"", GROUP_MONITOR_LOCK);
	/* a reader checking liveness holds it shared for microseconds */
	for (int i = 0; i < 50; i++) {
		struct timespec ts = { 0, 2000000 };

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int err = errno;

			close(fd);
			return lerr_set(e, err, "flock \"%s\"",
					GROUP_MONITOR_LOCK);
		}
		nanosleep(&ts, NULL);
	}
	close(fd);
	return lerr_fail(e, EBUSY, "the group is running (its monitor holds "
			 "\"%s\")", GROUP_MONITOR_LOCK);
}

int group_unix_connect(int dir_fd, const char *name, const char *what,
		       struct lerr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path),
			     "/proc/self/fd/%d/%s", dir_fd, name) >=
	    sizeof(sa.sun_path))
		return lerr_fail(e, ENAMETOOLONG, "%s: socket name \"%s\" is "
				 "too long", what, name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lerr_set(e, errno, "%s: socket", what);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return lerr_set(e, err, "%s: connect to \"%s\"", what, name);
	}
	return fd;
}

uint64_t pid_start_ticks(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long ticks;
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *p;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the command may hold spaces and parentheses: start after the
	 * last ')'; starttime is field 22, the 20th after it */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &ticks) != 1)
		return 0;
	return ticks;
}

void kill_verified(pid_t pid, uint64_t ticks)
{
	if (pid > 0 && ticks && pid_start_ticks(pid) == ticks)
		kill(pid, SIGKILL);
}

static int remove_at(int dir_fd, const char *name, int depth)
{
	struct stat st;
	int fd, r = 0;
	DIR *d;
	struct dirent *de;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT
			       ? -errno
			       : 0;
	if (depth > 16)
		return -ELOOP;
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
					  O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		r = remove_at(dirfd(d), de->d_name, depth + 1);
	}
	closedir(d);
	if (r == 0 && unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT)
		r = -errno;
	return r;
}

int group_remove_tree(int parent_fd, const char *name, const char *what,
		      struct lerr *e)
{
	int r = remove_at(parent_fd, name, 0);

	if (r < 0)
		return lerr_set(e, r, "remove \"%s\"", what);
	return 0;
}
