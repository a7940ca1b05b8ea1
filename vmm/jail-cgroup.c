/* jail-cgroup.c - creating, filling and removing the jailed VMM's cgroups
 * (see jail-cgroup.h).
 *
 * Each controller is looked up on its own: a cgroup v1 mount whose super
 * options name it (this project's machines mount cpu, memory and pids as
 * v1 under /sys/fs/cgroup/<ctrl>), else the cgroup2 mount when its root's
 * cgroup.controllers lists it.  Controllers that share a hierarchy share
 * one directory.  The supervisor (jail.c) does all of this from the host
 * side: it creates the groups and writes the limits before the VMM child
 * exists, moves the child in before the child allocates anything, reads
 * the OOM counters after the child is gone, and removes the groups. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "jail-cgroup.h"

static const char *const ctrl_name[JAIL_CTRL_COUNT] = {
	[JAIL_CTRL_MEMORY] = "memory",
	[JAIL_CTRL_CPU] = "cpu",
	[JAIL_CTRL_PIDS] = "pids",
};

struct hierarchy {
	char *mnt; /* mount point */
	bool v2;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
		    r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 +
				      (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Is word one of the comma-separated items of list? */
static bool list_has(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && memcmp(p, word, n) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* The space-separated controller list of "<mnt>/cgroup.controllers". */
static bool v2_has(const char *mnt, const char *ctrl)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	char line[512];

	if (asprintf(&path, "%s/cgroup.controllers", mnt) < 0)
		return false;
	f = fopen(path, "re");
	if (!f || !fgets(line, sizeof(line), f))
		return false;
	line[strcspn(line, "\n")] = '\0';
	return list_has(line, ctrl, ' ');
}

static void hierarchies_free(struct hierarchy h[JAIL_CTRL_COUNT],
			     char **v2_mnt)
{
	for (int c = 0; c < JAIL_CTRL_COUNT; c++) {
		free(h[c].mnt);
		h[c].mnt = NULL;
	}
	free(*v2_mnt);
	*v2_mnt = NULL;
}

/* Fill h[ctrl] for every controller from /proc/self/mountinfo. */
static int find_hierarchies(struct hierarchy h[JAIL_CTRL_COUNT],
			    struct lerr *e)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	char *v2_mnt = NULL;
	size_t cap = 0;
	int r = 0;

	if (!f)
		return lerr_set(e, errno, "jail: cgroup: \"/proc/self/mountinfo\"");
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *tok, *root, *mnt, *fstype, *opts;
		int field = 0;

		line[strcspn(line, "\n")] = '\0';
		root = mnt = fstype = opts = NULL;
		/* ID PARENT MAJ:MIN ROOT MNT OPTS [OPT...] - TYPE SRC SUPER */
		for (tok = strtok_r(line, " ", &save); tok;
		     tok = strtok_r(NULL, " ", &save), field++) {
			if (field == 3)
				root = tok;
			else if (field == 4)
				mnt = tok;
			else if (field > 5 && strcmp(tok, "-") == 0)
				break;
		}
		if (!tok || !root || !mnt || strcmp(root, "/") != 0)
			continue;
		fstype = strtok_r(NULL, " ", &save);
		if (!fstype || !strtok_r(NULL, " ", &save))
			continue;
		opts = strtok_r(NULL, " ", &save);
		unescape_octal(mnt);
		if (strcmp(fstype, "cgroup2") == 0 && !v2_mnt) {
			v2_mnt = strdup(mnt);
			if (!v2_mnt) {
				r = lerr_fail(e, ENOMEM, "out of memory");
				break;
			}
			continue;
		}
		if (strcmp(fstype, "cgroup") != 0 || !opts)
			continue;
		for (int c = 0; c < JAIL_CTRL_COUNT; c++) {
			if (h[c].mnt || !list_has(opts, ctrl_name[c], ','))
				continue;
			h[c].mnt = strdup(mnt);
			if (!h[c].mnt) {
				r = lerr_fail(e, ENOMEM, "out of memory");
				break;
			}
		}
		if (r < 0)
			break;
	}
	for (int c = 0; r == 0 && c < JAIL_CTRL_COUNT; c++) {
		if (h[c].mnt)
			continue;
		if (!v2_mnt || !v2_has(v2_mnt, ctrl_name[c])) {
			r = lerr_fail(e, ENOENT,
				      "jail: cgroup: no hierarchy has the %s controller (neither a cgroup v1 mount nor cgroup2's cgroup.controllers)",
				      ctrl_name[c]);
			break;
		}
		h[c].mnt = strdup(v2_mnt);
		h[c].v2 = true;
		if (!h[c].mnt)
			r = lerr_fail(e, ENOMEM, "out of memory");
	}
	free(v2_mnt);
	if (r < 0) {
		v2_mnt = NULL;
		hierarchies_free(h, &v2_mnt);
	}
	return r;
}

static int write_file(const char *dir, const char *file, const char *val,
		      struct lerr *e)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	size_t n = strlen(val);

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return lerr_set(e, errno, "jail: cgroup: open \"%s\"", path);
	if (write(fd, val, n) != (ssize_t)n)
		return lerr_set(e, errno ? errno : EIO,
				"jail: cgroup: write \"%s\" to \"%s\"", val, path);
	return 0;
}

/* v2: enable the directory's controllers in parent's subtree_control. */
static int v2_enable(const char *parent, unsigned int ctrls, struct lerr *e)
{
	for (int c = 0; c < JAIL_CTRL_COUNT; c++) {
		char word[16];
		int r;

		if (!(ctrls & (1u << c)))
			continue;
		snprintf(word, sizeof(word), "+%s", ctrl_name[c]);
		r = write_file(parent, "cgroup.subtree_control", word, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* rmdir path's parents up to (and including) top, while they are
 * empty: a sibling group may still use a shared parent.  path is cut. */
static void rmdir_parents(char *path, const char *top)
{
	size_t top_len = strlen(top);
	char *slash;

	while ((slash = strrchr(path, '/')) &&
	       (size_t)(slash - path) >= top_len) {
		*slash = '\0';
		if (rmdir(path) < 0)
			return;
	}
}

/* mkdir -p of mnt/name into d->path; the leaf must be new.  On error
 * the directories made on the way are gone again and d->path is NULL. */
static int make_dir(struct jail_cgroup_dir *d, const char *mnt,
		    const char *name, struct lerr *e)
{
	_cleanup_free_ char *path = NULL;
	size_t made_len = 0;
	char *p, *first = NULL;
	int r = 0;

	if (asprintf(&path, "%s/%s", mnt, name) < 0) {
		path = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	/* p: the '/' in front of the next component */
	for (p = path + strlen(mnt); p && r == 0;) {
		char *slash = strchr(p + 1, '/');

		if (d->v2) {
			/* controllers on in the parent of what comes next */
			*p = '\0';
			r = v2_enable(path, d->ctrls, e);
			*p = '/';
			if (r < 0)
				break;
		}
		if (slash)
			*slash = '\0';
		if (mkdir(path, 0755) == 0) {
			made_len = strlen(path);
			if (!first && !(first = strdup(path)))
				r = lerr_fail(e, ENOMEM, "out of memory");
		} else if (errno != EEXIST) {
			r = lerr_set(e, errno, "jail: cgroup: mkdir \"%s\"",
				     path);
		} else if (!slash) {
			r = lerr_fail(e, EEXIST,
				      "jail: cgroup \"%s\" already exists (another VMM's, or left over)",
				      path);
		}
		if (slash)
			*slash = '/';
		p = slash;
	}
	if (r < 0) {
		if (first) {
			path[made_len] = '\0';
			if (rmdir(path) == 0)
				rmdir_parents(path, first);
		}
		free(first);
		return r;
	}
	d->path = TAKE_PTR(path);
	d->first_created = first;
	return 0;
}

static int write_limits(const struct jail_cgroup_dir *d,
			const struct jail_limits *lim, struct lerr *e)
{
	char val[64];
	int r = 0;

	if (d->ctrls & (1u << JAIL_CTRL_MEMORY)) {
		snprintf(val, sizeof(val), "%llu",
			 (unsigned long long)lim->memory_bytes);
		r = write_file(d->path,
			       d->v2 ? "memory.max" : "memory.limit_in_bytes",
			       val, e);
		if (r < 0)
			return r;
	}
	if (d->ctrls & (1u << JAIL_CTRL_CPU)) {
		if (d->v2) {
			snprintf(val, sizeof(val), "%llu %llu",
				 (unsigned long long)lim->cpu_quota_us,
				 JAIL_CPU_PERIOD_US);
			r = write_file(d->path, "cpu.max", val, e);
		} else {
			snprintf(val, sizeof(val), "%llu", JAIL_CPU_PERIOD_US);
			r = write_file(d->path, "cpu.cfs_period_us", val, e);
			snprintf(val, sizeof(val), "%llu",
				 (unsigned long long)lim->cpu_quota_us);
			if (r == 0)
				r = write_file(d->path, "cpu.cfs_quota_us", val,
					       e);
		}
		if (r < 0)
			return r;
	}
	if (d->ctrls & (1u << JAIL_CTRL_PIDS)) {
		snprintf(val, sizeof(val), "%llu",
			 (unsigned long long)lim->pids_max);
		r = write_file(d->path, "pids.max", val, e);
	}
	return r;
}

int jail_cgroups_create(struct jail_cgroups *cg, const char *name,
			const struct jail_limits *lim, struct lerr *e)
{
	struct hierarchy h[JAIL_CTRL_COUNT] = { { 0 } };
	char *none = NULL;
	int r;

	memset(cg, 0, sizeof(*cg));
	cg->memory_bytes = lim->memory_bytes;
	r = find_hierarchies(h, e);
	if (r < 0)
		return r;
	/* one directory per distinct hierarchy */
	for (int c = 0; c < JAIL_CTRL_COUNT; c++) {
		unsigned int i;

		for (i = 0; i < cg->nr_dirs; i++) {
			if (strcmp(cg->dir[i].path, h[c].mnt) == 0)
				break;
		}
		if (i == cg->nr_dirs) {
			cg->dir[i].path = h[c].mnt; /* the mount, for now */
			h[c].mnt = NULL;
			cg->dir[i].v2 = h[c].v2;
			cg->nr_dirs++;
		}
		cg->dir[i].ctrls |= 1u << c;
		cg->ctrl_dir[c] = (int)i;
	}
	hierarchies_free(h, &none);
	for (unsigned int i = 0; i < cg->nr_dirs; i++) {
		struct jail_cgroup_dir *d = &cg->dir[i];
		char *mnt = d->path;

		d->path = NULL;
		r = make_dir(d, mnt, name, e);
		free(mnt);
		if (r == 0)
			r = write_limits(d, lim, e);
		if (r < 0) {
			/* later entries still hold their mount: not ours */
			for (unsigned int k = i + 1; k < cg->nr_dirs; k++) {
				free(cg->dir[k].path);
				cg->dir[k].path = NULL;
			}
			jail_cgroups_remove(cg, NULL);
			return r;
		}
	}
	return 0;
}

int jail_cgroups_attach(const struct jail_cgroups *cg, pid_t pid,
			struct lerr *e)
{
	char val[24];

	snprintf(val, sizeof(val), "%d", (int)pid);
	for (unsigned int i = 0; i < cg->nr_dirs; i++) {
		int r = write_file(cg->dir[i].path, "cgroup.procs", val, e);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The number after "key " on its own line of dir/file; -1 if absent. */
static long long read_counter(const char *dir, const char *file,
			      const char *key)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t klen = strlen(key);
	char line[256];

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (klen == 0)
			return strtoll(line, NULL, 10);
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
	}
	return -1;
}

bool jail_cgroups_oom_killed(const struct jail_cgroups *cg)
{
	const struct jail_cgroup_dir *d;
	long long n;

	if (cg->nr_dirs == 0)
		return false;
	d = &cg->dir[cg->ctrl_dir[JAIL_CTRL_MEMORY]];
	if (!d->path)
		return false;
	if (d->v2)
		return read_counter(d->path, "memory.events", "oom_kill") > 0;
	n = read_counter(d->path, "memory.oom_control", "oom_kill");
	if (n >= 0)
		return n > 0;
	/* kernels before 4.13 have no oom_kill line: the limit was hit */
	return read_counter(d->path, "memory.failcnt", "") > 0;
}

const char *jail_cgroups_memory_path(const struct jail_cgroups *cg)
{
	if (cg->nr_dirs == 0)
		return "";
	return cg->dir[cg->ctrl_dir[JAIL_CTRL_MEMORY]].path;
}

/* rmdir, waiting while the kernel still counts a dying task (EBUSY). */
static int rmdir_patient(const char *path)
{
	struct timespec ten_ms = { .tv_nsec = 10 * 1000 * 1000 };

	for (int tries = 0; tries < 100; tries++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&ten_ms, NULL);
	}
	return -EBUSY;
}

int jail_cgroups_remove(struct jail_cgroups *cg, struct lerr *e)
{
	int ret = 0;

	for (unsigned int i = 0; i < cg->nr_dirs; i++) {
		struct jail_cgroup_dir *d = &cg->dir[i];

		if (d->path) {
			int r = rmdir_patient(d->path);

			if (r < 0 && ret == 0)
				ret = lerr_set(e, r, "jail: cgroup: rmdir \"%s\"",
					       d->path);
			if (r == 0 && d->first_created)
				rmdir_parents(d->path, d->first_created);
		}
		free(d->path);
		free(d->first_created);
		d->path = d->first_created = NULL;
	}
	cg->nr_dirs = 0;
	return ret;
}

void jail_cgroups_release(struct jail_cgroups *cg)
{
	for (unsigned int i = 0; i < cg->nr_dirs; i++) {
		free(cg->dir[i].path);
		free(cg->dir[i].first_created);
	}
	memset(cg, 0, sizeof(*cg));
}
