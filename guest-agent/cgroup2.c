/* cgroup2.c - per-container cgroup v2: the parent with its controllers,
 * limits, the OOM-kill counter, killing and removal (contract and the
 * cgroup-v2 rules relied on in cgroup2.h).  The limit formatting and the
 * keyed-file parser are pure so the unit tests cover them on hosts whose
 * controllers live in cgroup v1. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>
#include <lighter/fd-io.h>

#include "cgroup2.h"

/* Bound on the passes of cgroup2_kill_procs(): a fork bomb racing the
 * reader still loses one process generation per pass. */
#define KILL_PASSES_MAX 64

int cgroup2_format_limit(uint64_t value, char *buf, size_t size)
{
	int n = value ? snprintf(buf, size, "%" PRIu64, value)
		      : snprintf(buf, size, "max");

	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

int cgroup2_format_cpu_max(uint64_t cpu_millis, char *buf, size_t size)
{
	uint64_t quota;
	int n;

	/* quota/period = cpu_millis/1000 with a period of 100000 us; more
	 * than the kernel's largest quota is no limit at all. */
	if (cpu_millis == 0 ||
	    cpu_millis >
		CGROUP2_CPU_MAX_QUOTA_US / (CGROUP2_CPU_PERIOD_US / 1000)) {
		n = snprintf(buf, size, "max %d", CGROUP2_CPU_PERIOD_US);
	} else {
		quota = cpu_millis * (CGROUP2_CPU_PERIOD_US / 1000);
		if (quota < CGROUP2_CPU_MIN_QUOTA_US)
			quota = CGROUP2_CPU_MIN_QUOTA_US;
		n = snprintf(buf, size, "%" PRIu64 " %d", quota,
			     CGROUP2_CPU_PERIOD_US);
	}
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int cgroup2_parse_keyed(const char *text, size_t len, const char *key,
			uint64_t *value)
{
	size_t klen = strlen(key), pos = 0;

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;

		pos += llen + 1;
		if (llen > klen && line[klen] == ' ' &&
		    memcmp(line, key, klen) == 0)
			return parse_u64(line + klen + 1, llen - klen - 1,
					 value);
	}
	return -ENOENT;
}

static int join(char *out, size_t size, const char *dir, const char *name,
		struct lerr *e)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return lerr_fail(e, ENAMETOOLONG,
				 "cgroup \"%s/%s\": path too "
				 "long",
				 dir, name);
	return 0;
}

/* dir/name opened with flags (and O_CLOEXEC); its path in path (PATH_MAX
 * bytes) for messages.  The fd, or -errno with the message set. */
static int open_file(const char *dir, const char *name, int flags,
		     char *path, struct lerr *e)
{
	int fd, r = join(path, PATH_MAX, dir, name, e);

	if (r < 0)
		return r;
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return lerr_set(e, errno, "cgroup \"%s\": open", path);
	return fd;
}

/* Write value to dir/name in one write(2), as cgroup files expect.
 * -ENOENT (errno kept, message set) when the file is missing. */
static int write_file(const char *dir, const char *name, const char *value,
		      struct lerr *e)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = open_file(dir, name, O_WRONLY, path, e);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = write(fd, value, len);
	if (n < 0)
		return lerr_set(e, errno, "cgroup \"%s\": write \"%s\"", path,
				value);
	if ((size_t)n != len)
		return lerr_fail(e, EIO, "cgroup \"%s\": short write of \"%s\"",
				 path, value);
	return 0;
}

/* The whole of dir/name in a malloc'd NUL-terminated buffer. */
static int read_file(const char *dir, const char *name, char **out,
		     size_t *out_len, struct lerr *e)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = open_file(dir, name, O_RDONLY, path, e);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		size_t want;
		ssize_t n;

		if (cap - len < 4096) {
			char *grown = realloc(buf, cap + 65536);

			if (!grown)
				return lerr_set(e, ENOMEM,
						"cgroup \"%s\": read", path);
			buf = grown;
			cap += 65536;
		}
		want = cap - len - 1;
		n = lfd_read_full(fd, buf + len, want);
		if (n < 0)
			return lerr_set(e, (int)n, "cgroup \"%s\": read", path);
		len += (size_t)n;
		if ((size_t)n < want)
			break; /* end of file */
	}
	buf[len] = '\0';
	*out = TAKE_PTR(buf);
	*out_len = len;
	return 0;
}

static int read_keyed(const char *dir, const char *name, const char *key,
		      uint64_t *value, struct lerr *e)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = read_file(dir, name, &text, &len, e);
	if (r < 0)
		return r;
	r = cgroup2_parse_keyed(text, len, key, value);
	if (r == -ENOENT)
		return lerr_fail(e, ENOENT, "cgroup \"%s/%s\": no \"%s\" entry",
				 dir, name, key);
	if (r < 0)
		return lerr_fail(e, -r,
				 "cgroup \"%s/%s\": malformed \"%s\" "
				 "entry",
				 dir, name, key);
	return 0;
}

/* True when the space-separated list has the word. */
static bool has_word(const char *list, const char *word, size_t wlen)
{
	const char *p = list;

	while (*p) {
		size_t n;

		p += strspn(p, " \n");
		n = strcspn(p, " \n");
		if (n == wlen && memcmp(p, word, wlen) == 0)
			return true;
		p += n;
	}
	return false;
}

/* "+c" into level/cgroup.subtree_control for each controller c. */
static int enable_controllers(const char *level, const char *controllers,
			      struct lerr *e)
{
	const char *p = controllers;
	char value[64];
	int r;

	while (*(p += strspn(p, " "))) {
		size_t n = strcspn(p, " ");

		if (n >= sizeof(value) - 1)
			return lerr_fail(e, EINVAL,
					 "controller \"%.*s\": name "
					 "too long",
					 (int)n, p);
		snprintf(value, sizeof(value), "+%.*s", (int)n, p);
		r = write_file(level, "cgroup.subtree_control", value, e);
		if (r < 0)
			return r;
		p += n;
	}
	return 0;
}

int cgroup2_prepare_parent(const char *root, const char *parent,
			   const char *controllers, struct lerr *e)
{
	_cleanup_free_ char *available = NULL;
	char level[PATH_MAX];
	size_t rlen = strlen(root), len, pos;
	const char *p;
	int r;

	if (strncmp(parent, root, rlen) != 0 || parent[rlen] != '/' ||
	    !parent[rlen + 1] || strlen(parent) >= sizeof(level))
		return lerr_fail(e, EINVAL,
				 "cgroup \"%s\" is not below the "
				 "cgroup2 mount \"%s\"",
				 parent, root);
	r = read_file(root, "cgroup.controllers", &available, &len, e);
	if (r < 0)
		return r;
	for (p = controllers; *(p += strspn(p, " ")); p += strcspn(p, " "))
		if (!has_word(available, p, strcspn(p, " ")))
			return lerr_fail(
			    e, ENOENT,
			    "controller \"%.*s\" is not "
			    "available in \"%s/cgroup.controllers\"",
			    (int)strcspn(p, " "), p, root);

	/* Enable at root, then mkdir and enable each level down to parent. */
	memcpy(level, root, rlen + 1);
	pos = rlen;
	for (;;) {
		r = enable_controllers(level, controllers, e);
		if (r < 0)
			return r;
		if (!parent[pos])
			return 0;
		pos += strspn(parent + pos, "/");
		pos += strcspn(parent + pos, "/");
		memcpy(level, parent, pos);
		level[pos] = '\0';
		if (mkdir(level, 0755) < 0 && errno != EEXIST)
			return lerr_set(e, errno, "cgroup \"%s\": mkdir",
					level);
		if (!parent[pos + strspn(parent + pos, "/")]) {
			/* Trailing slashes: parent itself is done next. */
			pos = strlen(parent);
		}
	}
}

int cgroup2_set_limits(const char *dir, const struct cgroup2_limits *l,
		       struct lerr *e)
{
	char value[64];
	int r;

	cgroup2_format_cpu_max(l->cpu_millis, value, sizeof(value));
	r = write_file(dir, "cpu.max", value, e);
	if (r < 0)
		return r;
	cgroup2_format_limit(l->memory_bytes, value, sizeof(value));
	r = write_file(dir, "memory.max", value, e);
	if (r < 0)
		return r;
	/* Only kernels with swap have the file; without swap nothing to do. */
	r = write_file(dir, "memory.swap.max", "0", e);
	if (r < 0 && r != -ENOENT)
		return r;
	cgroup2_format_limit(l->pids_max, value, sizeof(value));
	return write_file(dir, "pids.max", value, e);
}

int cgroup2_create(const char *parent, const char *name,
		   const struct cgroup2_limits *limits, char *path,
		   size_t path_size, struct lerr *e)
{
	char dir[PATH_MAX];
	bool created;
	int r;

	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return lerr_fail(e, EINVAL,
				 "cgroup name \"%s\" is not a single "
				 "path component",
				 name);
	r = join(dir, sizeof(dir), parent, name, e);
	if (r < 0)
		return r;
	if (strlen(dir) >= path_size)
		return lerr_fail(e, ENAMETOOLONG,
				 "cgroup \"%s\": path does not "
				 "fit the caller's buffer",
				 dir);
	created = mkdir(dir, 0755) == 0;
	if (!created && errno != EEXIST)
		return lerr_set(e, errno, "cgroup \"%s\": mkdir", dir);
	if (limits) {
		r = cgroup2_set_limits(dir, limits, e);
		if (r < 0) {
			if (created)
				rmdir(dir);
			return r;
		}
	}
	memcpy(path, dir, strlen(dir) + 1);
	return 0;
}

int cgroup2_oom_kills(const char *dir, uint64_t *count, struct lerr *e)
{
	return read_keyed(dir, "memory.events", "oom_kill", count, e);
}

int cgroup2_populated(const char *dir, bool *populated, struct lerr *e)
{
	uint64_t v;
	int r;

	r = read_keyed(dir, "cgroup.events", "populated", &v, e);
	if (r < 0)
		return r;
	*populated = v != 0;
	return 0;
}

static bool pid_seen(const pid_t *seen, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seen[i] == pid)
			return true;
	return false;
}

int cgroup2_kill_procs(const char *dir, struct lerr *e)
{
	_cleanup_free_ pid_t *seen = NULL;
	size_t nseen = 0, cap = 0;
	int pass, r;

	for (pass = 0; pass < KILL_PASSES_MAX; pass++) {
		_cleanup_free_ char *text = NULL;
		size_t len;
		char *p, *end;
		bool fresh = false;

		r = read_file(dir, "cgroup.procs", &text, &len, e);
		if (r < 0)
			return r;
		for (p = text; *p; p = end) {
			long pid = strtol(p, &end, 10);

			if (end == p)
				break;
			if (pid <= 0 || pid > INT_MAX ||
			    pid_seen(seen, nseen, (pid_t)pid))
				continue;
			if (nseen == cap) {
				pid_t *grown = reallocarray(seen, cap + 256,
							    sizeof(*seen));

				if (!grown)
					return lerr_set(e, ENOMEM,
							"cgroup "
							"\"%s/cgroup.procs\"",
							dir);
				seen = grown;
				cap += 256;
			}
			seen[nseen++] = (pid_t)pid;
			fresh = true;
			if (kill((pid_t)pid, SIGKILL) < 0 && errno != ESRCH)
				return lerr_set(e, errno,
						"cgroup \"%s\": kill "
						"pid %ld",
						dir, pid);
		}
		if (!fresh)
			return 0;
	}
	return lerr_fail(e, EAGAIN,
			 "cgroup \"%s\": processes still appearing "
			 "after %d kill passes",
			 dir, KILL_PASSES_MAX);
}

int cgroup2_kill(const char *dir, struct lerr *e)
{
	int r = write_file(dir, "cgroup.kill", "1", e);

	if (r == -ENOENT)
		return cgroup2_kill_procs(dir, e);
	return r;
}

int cgroup2_remove(const char *dir, struct lerr *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char sub[PATH_MAX];
	int r = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return lerr_set(e, errno, "cgroup \"%s\": open", dir);
	}
	/* Child cgroups are the only directories in a cgroup directory. */
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") ||
		    !strcmp(de->d_name, ".."))
			continue;
		r = join(sub, sizeof(sub), dir, de->d_name, e);
		if (r == 0)
			r = cgroup2_remove(sub, e);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0)
		return r;
	if (rmdir(dir) < 0 && errno != ENOENT) {
		if (errno == EBUSY)
			return lerr_fail(e, EBUSY,
					 "cgroup \"%s\": still has "
					 "live processes",
					 dir);
		return lerr_set(e, errno, "cgroup \"%s\": rmdir", dir);
	}
	return 0;
}
