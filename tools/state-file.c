/* state-file.c - state.json on disk: atomic replacement under the group's
 * flock, reads under a shared one (see state.h).
 *
 * The lock file is separate from state.json because rename() replaces
 * state.json's inode on every write: a lock on it would lock a file that
 * is no longer there.  One writer at a time (the lock) means the
 * temporary file needs no unique name; a writer that died half-way left
 * at most a stale temporary file, which the next writer truncates. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <lighter/cleanup.h>
#include <lighter/fd-io.h>

#include "state.h"

/* state.json is small: a few KiB for 16 containers. */
#define STATE_MAX_BYTES (1U << 20)

int state_lock(int dir_fd, int how, struct lerr *e)
{
	int fd = openat(dir_fd, STATE_LOCK_FILE,
			O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return lerr_set(e, errno, "lock file \"%s\"", STATE_LOCK_FILE);
	while (flock(fd, how) < 0) {
		int err = errno;

		if (err == EINTR)
			continue;
		close(fd);
		return lerr_set(e, err, "flock \"%s\"", STATE_LOCK_FILE);
	}
	return fd;
}

int state_write_locked(int dir_fd, const struct lighter_group_state *st,
		       const char *what, struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	json_t *j = state_to_json(st);
	size_t len;
	int r;

	if (!j)
		return lerr_fail(e, ENOMEM, "state of \"%s\": out of memory",
				 st->name);
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text)
		return lerr_fail(e, ENOMEM, "state of \"%s\": out of memory",
				 st->name);
	len = strlen(text);
	text[len++] = '\n'; /* replaces the NUL; written by length */
	fd = openat(dir_fd, STATE_TMP_FILE,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0644);
	if (fd < 0)
		return lerr_set(e, errno, "\"%s/%s\"", what, STATE_TMP_FILE);
	r = lfd_write_all(fd, text, len);
	if (r < 0) {
		unlinkat(dir_fd, STATE_TMP_FILE, 0);
		return lerr_set(e, r, "write \"%s/%s\"", what, STATE_TMP_FILE);
	}
	if (renameat(dir_fd, STATE_TMP_FILE, dir_fd, STATE_FILE) < 0) {
		r = -errno;
		unlinkat(dir_fd, STATE_TMP_FILE, 0);
		return lerr_set(e, r, "rename \"%s/%s\"", what, STATE_TMP_FILE);
	}
	return 0;
}

int state_write(int dir_fd, const struct lighter_group_state *st,
		const char *what, struct lerr *e)
{
	int lock = state_lock(dir_fd, LOCK_EX, e);
	int r;

	if (lock < 0)
		return lock;
	r = state_write_locked(dir_fd, st, what, e);
	close(lock);
	return r;
}

int state_read_locked(int dir_fd, struct lighter_group_state *st,
		      const char *what, struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	char name[512];
	json_error_t jerr;
	size_t got = 0;
	json_t *j;
	int r;

	memset(st, 0, sizeof(*st));
	snprintf(name, sizeof(name), "%s/%s", what, STATE_FILE);
	fd = openat(dir_fd, STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return lerr_set(e, errno, "\"%s\"", name);
	r = lfd_read_regular(fd, STATE_MAX_BYTES, &buf, &got);
	if (r == -EINVAL || r == -EFBIG)
		return lerr_fail(e, -r, "\"%s\": not a regular file of at most "
				 "%u bytes", name, STATE_MAX_BYTES);
	if (r < 0)
		return lerr_set(e, r, "read \"%s\"", name);
	j = json_loadb(buf, got, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return lerr_fail(e, EINVAL, "\"%s\": line %d: %s", name,
				 jerr.line, jerr.text);
	r = state_from_json(j, st, name, e);
	json_decref(j);
	return r;
}

int state_read(int dir_fd, struct lighter_group_state *st, const char *what,
	       struct lerr *e)
{
	int lock = state_lock(dir_fd, LOCK_SH, e);
	int r;

	memset(st, 0, sizeof(*st));
	if (lock < 0)
		return lock;
	r = state_read_locked(dir_fd, st, what, e);
	close(lock);
	return r;
}
