/* jail-cgroup.h - the jailed VMM's cgroups: memory, cpu and pids limits
 * on whichever hierarchy each controller lives in (cgroup v1, one mount
 * per controller or co-mounted, or the cgroup2 unified hierarchy), chosen
 * per controller from /proc/self/mountinfo. */
#ifndef LIGHTER_VMM_JAIL_CGROUP_H
#define LIGHTER_VMM_JAIL_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <lighter/error.h>

enum jail_ctrl {
	JAIL_CTRL_MEMORY,
	JAIL_CTRL_CPU,
	JAIL_CTRL_PIDS,
	JAIL_CTRL_COUNT,
};

struct jail_limits {
	uint64_t memory_bytes;   /* memory.max / memory.limit_in_bytes */
	uint64_t cpu_quota_us;   /* per JAIL_CPU_PERIOD_US */
	uint64_t pids_max;
};

#define JAIL_CPU_PERIOD_US 100000ULL

/* One cgroup directory the jail made, in one hierarchy. */
struct jail_cgroup_dir {
	char *path;          /* "<mount>/<name>" */
	char *first_created; /* the topmost directory the jail made: path
			      * itself, or a parent removed (when empty)
			      * after path */
	bool v2;
	unsigned int ctrls;  /* bit per enum jail_ctrl */
};

struct jail_cgroups {
	struct jail_cgroup_dir dir[JAIL_CTRL_COUNT];
	unsigned int nr_dirs;
	int ctrl_dir[JAIL_CTRL_COUNT]; /* index into dir */
	uint64_t memory_bytes;
};

/* Find each controller's hierarchy, create NAME in each (missing parents
 * too; v2: the controllers enabled down the path) and write the limits.
 * On error nothing is left behind and e names the step. */
int jail_cgroups_create(struct jail_cgroups *cg, const char *name,
			const struct jail_limits *lim, struct lerr *e);

/* Move pid (every thread of it) into each of the cgroups. */
int jail_cgroups_attach(const struct jail_cgroups *cg, pid_t pid,
			struct lerr *e);

/* After the VMM died: did the memory controller kill something in its
 * cgroup (memory.events oom_kill on v2, memory.oom_control oom_kill on
 * v1, memory.failcnt where that counter is missing)? */
bool jail_cgroups_oom_killed(const struct jail_cgroups *cg);

/* The memory cgroup's directory, for messages. */
const char *jail_cgroups_memory_path(const struct jail_cgroups *cg);

/* Remove every directory created (waiting up to a second for the kernel
 * to let go of an emptied cgroup).  Safe on a zeroed struct and twice.
 * -errno with e naming the directory if one would not go. */
int jail_cgroups_remove(struct jail_cgroups *cg, struct lerr *e);

/* Free the bookkeeping, leave the directories (the VMM child's copy). */
void jail_cgroups_release(struct jail_cgroups *cg);

#endif
