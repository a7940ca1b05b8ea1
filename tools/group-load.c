/* group-load.c - reading groups: one group's state (settling the state
 * of a group whose monitor died: failed, "monitor died", its VMM
 * killed), whether a group exists, and the list of all groups. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "group-dir.h"
#include "names.h"
#include "state.h"
#include "timefmt.h"

/* The monitor is gone but the state says the group runs: the monitor
 * writes its final state before it lets go of its lock, so re-reading
 * under the state lock tells a monitor that died from one that just
 * finished. */
static int settle_dead_monitor(int dir_fd, const char *dir_path,
			       struct lighter_group_state *st, struct lerr *e)
{
	int lock = state_lock(dir_fd, LOCK_EX, e), r;
	int64_t now = time_wall_ns();

	if (lock < 0)
		return 0; /* cannot lock (read-only run dir): report as read */
	lighter_group_state_free(st);
	r = state_read_locked(dir_fd, st, dir_path, e);
	if (r < 0 || !lighter_group_is_active(st->state) ||
	    group_monitor_alive(dir_fd)) {
		close(lock);
		return r;
	}
	kill_verified(st->vmm_pid, st->vmm_start_ticks);
	st->state = LIGHTER_GROUP_FAILED;
	free(st->reason);
	st->reason = strdup("monitor died");
	st->monitor_pid = 0;
	st->vmm_pid = 0;
	st->vmm_start_ticks = 0;
	st->finished_at_ns = now;
	state_finish_containers(st, now);
	/* best effort: the caller sees the settled state either way */
	state_write_locked(dir_fd, st, dir_path, NULL);
	close(lock);
	return 0;
}

int lighter_group_load(const struct lighter_paths *p, const char *name,
		       struct lighter_group_state *st, struct lerr *e)
{
	_cleanup_free_ char *dir_path = group_dir_path(p, name);
	_cleanup_close_ int dir_fd = -1;
	int r;

	memset(st, 0, sizeof(*st));
	if (!dir_path)
		return lerr_fail(e, ENOMEM, "out of memory");
	dir_fd = group_dir_open(p, name, e);
	if (dir_fd < 0)
		return dir_fd;
	r = state_read(dir_fd, st, dir_path, e);
	if (r < 0)
		return r;
	if (lighter_group_is_active(st->state) && !group_monitor_alive(dir_fd))
		r = settle_dead_monitor(dir_fd, dir_path, st, e);
	return r;
}

int lighter_group_exists(const struct lighter_paths *p, const char *name)
{
	int fd = group_dir_open(p, name, NULL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lighter_group_list(const struct lighter_paths *p, char ***names,
		       size_t *n, struct lerr *e)
{
	char **v = NULL;
	size_t count = 0;
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*n = 0;
	d = opendir(p->run_dir);
	if (!d && errno == ENOENT)
		return 0;
	if (!d)
		return lerr_set(e, errno, "run dir \"%s\"", p->run_dir);
	while ((de = readdir(d))) {
		char **nv;

		/* ".new-*" are creates in progress */
		if (!group_name_valid(de->d_name) ||
		    faccessat(dirfd(d), de->d_name, F_OK,
			      AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!lighter_group_exists(p, de->d_name))
			continue;
		nv = realloc(v, (count + 2) * sizeof(*v));
		if (!nv)
			goto nomem;
		v = nv;
		v[count] = strdup(de->d_name);
		if (!v[count])
			goto nomem;
		v[++count] = NULL;
	}
	closedir(d);
	if (count)
		qsort(v, count, sizeof(*v), cmp_names);
	*names = v;
	*n = count;
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < count; i++)
		free(v[i]);
	free(v);
	return lerr_fail(e, ENOMEM, "out of memory");
}
