/* cgroup2.h - one cgroup v2 per container under a parent the agent owns
 * (CGROUP2_PARENT): controllers enabled top-down, limits written at
 * creation, the OOM-kill counter read for exit reports, every process
 * killed and the cgroup removed when the container goes.
 *
 * The rules followed (Documentation/admin-guide/cgroup-v2.rst): a
 * controller is usable in a cgroup only when it is enabled in the
 * parent's cgroup.subtree_control, which needs it enabled in the
 * grandparent's, up to the root; a non-root cgroup with controllers in its
 * subtree_control holds no processes itself (so the parent stays empty
 * and each container's cgroup is a leaf: CLONE_INTO_CGROUP puts the
 * container's init straight in it); an rmdir succeeds once the cgroup and
 * its descendants have no live processes (cgroup.events "populated 0"),
 * which cgroup.events' poll notification reports.
 *
 * Every error names the file at fault:
 *   cgroup "/sys/fs/cgroup/lighter/app/cpu.max": write "50000 100000": ...
 */
#ifndef LIGHTER_CGROUP2_H
#define LIGHTER_CGROUP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lighter/error.h>

#define CGROUP2_ROOT "/sys/fs/cgroup"
#define CGROUP2_PARENT CGROUP2_ROOT "/lighter"
/* Controllers the per-container limits need, space-separated. */
#define CGROUP2_CONTROLLERS "cpu memory pids"

/* cpu.max period; quotas are kept within the kernel's bounds
 * (kernel/sched/core.c: at least 1 ms, at most 2^44 - 1 us). */
#define CGROUP2_CPU_PERIOD_US 100000
#define CGROUP2_CPU_MIN_QUOTA_US 1000
#define CGROUP2_CPU_MAX_QUOTA_US ((UINT64_C(1) << 44) - 1)

/* 0 in any field means "no limit" ("max"). */
struct cgroup2_limits {
	uint64_t cpu_millis; /* CPU time per wall-clock second, 1000 = 1 CPU */
	uint64_t memory_bytes; /* memory.max; swap is always off */
	uint64_t pids_max;     /* processes and threads */
};

/* Make `parent` (a directory under `root`, the cgroup2 mount) and enable
 * each controller of `controllers` ("cpu memory pids"; "" for none) in
 * cgroup.subtree_control of root and of every level down to parent, so
 * parent's children get the controllers' files.  Controllers missing from
 * root's cgroup.controllers are an -ENOENT error naming them.  Idempotent. */
int cgroup2_prepare_parent(const char *root, const char *parent,
			   const char *controllers, struct lerr *e);

/* mkdir parent/name (an existing one is reused) and write the limits
 * (cgroup2_set_limits) when `limits` is non-NULL.  The path is copied
 * into path[path_size].  A cgroup this call created is removed again when
 * writing a limit fails. */
int cgroup2_create(const char *parent, const char *name,
		   const struct cgroup2_limits *limits, char *path,
		   size_t path_size, struct lerr *e);

/* Write cpu.max ("<quota> 100000" or "max 100000"), memory.max (bytes or
 * "max"), memory.swap.max "0" when the file exists (kernels with swap),
 * and pids.max (count or "max"). */
int cgroup2_set_limits(const char *dir, const struct cgroup2_limits *limits,
		       struct lerr *e);

/* The oom_kill counter of dir/memory.events (this cgroup and its
 * descendants): how many processes the OOM killer has killed in it. */
int cgroup2_oom_kills(const char *dir, uint64_t *count, struct lerr *e);

/* Whether dir or a descendant still has live processes, from
 * dir/cgroup.events. */
int cgroup2_populated(const char *dir, bool *populated, struct lerr *e);

/* SIGKILL every process in dir and its descendants: "1" to cgroup.kill
 * where the kernel has it (5.14+), else cgroup2_kill_procs().  The
 * processes die asynchronously; wait for cgroup2_populated() to turn
 * false (or reap the container's init) before cgroup2_remove(). */
int cgroup2_kill(const char *dir, struct lerr *e);

/* The fallback of cgroup2_kill() for this cgroup only: SIGKILL each pid
 * of dir/cgroup.procs, reading the file again until a pass finds no pid it
 * had not signalled (catches children forked meanwhile). */
int cgroup2_kill_procs(const char *dir, struct lerr *e);

/* rmdir dir after its descendant cgroups (deepest first).  A missing dir
 * is fine; a populated one is -EBUSY naming it. */
int cgroup2_remove(const char *dir, struct lerr *e);

/* Pure helpers (unit-tested).  Each returns the length written, or
 * -ENOSPC for a short buffer. */

/* cpu.max from cpu_millis: "<quota> 100000" with quota = cpu_millis *
 * 100 us, at least CGROUP2_CPU_MIN_QUOTA_US; "max 100000" for 0 and for
 * quotas above CGROUP2_CPU_MAX_QUOTA_US (no limit either way). */
int cgroup2_format_cpu_max(uint64_t cpu_millis, char *buf, size_t size);

/* "max" for 0, else the decimal value (memory.max, pids.max). */
int cgroup2_format_limit(uint64_t value, char *buf, size_t size);

/* The value of `key` in a flat-keyed cgroup file ("key value" lines, as
 * memory.events and cgroup.events): 0, -ENOENT when the key is absent,
 * -EINVAL when its value is not a decimal u64. */
int cgroup2_parse_keyed(const char *text, size_t len, const char *key,
			uint64_t *value);

#endif
