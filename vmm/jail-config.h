/* jail-config.h - the --jail* flags of lighter-vmm: what the jail
 * (jail.c) is told, validated here, pure (no system calls), so config.c
 * can parse them with every other flag and the unit tests can drive them.
 *
 * config.c puts JAIL_LONG_OPTIONS() in its getopt table, hands each jail
 * option to jail_config_set() and calls jail_config_finish() once all
 * flags are in. */
#ifndef LIGHTER_VMM_JAIL_CONFIG_H
#define LIGHTER_VMM_JAIL_CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include <lighter/error.h>

#define JAIL_ID_MAX 64           /* a UTS host name */
#define JAIL_CGROUP_NAME_MAX 200
#define JAIL_DEFAULT_MEM_OVERHEAD (64ULL << 20)

enum jail_opt {
	JAIL_OPT_ENABLE,       /* --jail */
	JAIL_OPT_ROOT,         /* --jail-root DIR */
	JAIL_OPT_ID,           /* --jail-id ID */
	JAIL_OPT_UID,          /* --jail-uid N */
	JAIL_OPT_GID,          /* --jail-gid N */
	JAIL_OPT_NETNS,        /* --jail-netns PATH */
	JAIL_OPT_CGROUP,       /* --jail-cgroup NAME */
	JAIL_OPT_MEM_OVERHEAD, /* --jail-mem-overhead SIZE */
	JAIL_OPT_MEMORY_LIMIT, /* --jail-memory-limit SIZE (tests) */
	JAIL_OPT_COUNT,
};

/* getopt_long entries for every jail flag; option values are
 * base + enum jail_opt. */
#define JAIL_LONG_OPTIONS(base)                                                \
	{ "jail", no_argument, NULL, (base) + JAIL_OPT_ENABLE },               \
	{ "jail-root", required_argument, NULL, (base) + JAIL_OPT_ROOT },      \
	{ "jail-id", required_argument, NULL, (base) + JAIL_OPT_ID },          \
	{ "jail-uid", required_argument, NULL, (base) + JAIL_OPT_UID },        \
	{ "jail-gid", required_argument, NULL, (base) + JAIL_OPT_GID },        \
	{ "jail-netns", required_argument, NULL, (base) + JAIL_OPT_NETNS },    \
	{ "jail-cgroup", required_argument, NULL, (base) + JAIL_OPT_CGROUP },  \
	{ "jail-mem-overhead", required_argument, NULL,                        \
	  (base) + JAIL_OPT_MEM_OVERHEAD },                                    \
	{ "jail-memory-limit", required_argument, NULL,                        \
	  (base) + JAIL_OPT_MEMORY_LIMIT }

struct jail_config {
	bool enabled;          /* --jail */
	char *root;            /* absolute; created, or an existing empty dir */
	char *id;              /* NULL: "vmm-<pid>" (chosen at entry) */
	uint32_t uid, gid;     /* non-zero once finished with --jail */
	char *netns;           /* NULL: stay in the current network namespace */
	char *cgroup;          /* NULL: "lighter/<id>" */
	uint64_t mem_overhead; /* on top of guest memory; default 64 MiB */
	uint64_t memory_limit; /* 0: guest memory + mem_overhead */
	unsigned int given;    /* bit per enum jail_opt seen */
};

/* Help text for the jail flags (config.c prints it after its own). */
extern const char jail_usage_text[];

/* Record one flag's value (val is NULL for --jail).  -errno with e naming
 * the flag on a bad value. */
int jail_config_set(struct jail_config *j, enum jail_opt o, const char *val,
		    struct lerr *e);

/* After all flags: jail flags without --jail, or --jail without its
 * required flags, are errors; fills the defaults.  0 or -errno. */
int jail_config_finish(struct jail_config *j, struct lerr *e);

void jail_config_free(struct jail_config *j);

#endif
