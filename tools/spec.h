/* spec.h - a container group as the host tool reads it: the INI group
 * spec (`[group]` plus one `[container.NAME]` per container, in file
 * order) or the CLI's one-container shorthand, checked in full before
 * anything runs: every rejected value is reported as
 * `FILE:LINE: [section] key: "VALUE": why`.
 *
 * [group]            name (required, [a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}),
 *                    cpus (1..64, default 1), memory (64M..64G, a multiple
 *                    of 4K, default 512M), restart (never | on-failure |
 *                    always, default always as in ACI; the CLI shorthand's
 *                    is never, as docker's)
 * [init.NAME]        init containers: the keys of [container.NAME]; they
 *                    run one after another in file order before the
 *                    others (at least one [container.NAME] is needed)
 * [container.NAME]   1..16 of them with the inits, NAME as the group name
 *                    and unique among inits and containers;
 *                    image (required; oci:DIR[:TAG] or
 *                    oci-archive:FILE[:TAG], relative paths from the
 *                    spec's directory), command and entrypoint (shell-like
 *                    words), env (NAME=VALUE, ...), workdir (absolute),
 *                    secure-env (as env; the values reach the container
 *                    only: never shown in messages, state or logs),
 *                    liveness-* and readiness-* probes (spec-life.c;
 *                    not for inits): -exec (words) or -http
 *                    (PORT[/PATH]), -delay, -period, -timeout (10s,
 *                    500ms, 2m), -failures, -successes (counts),
 *                    user, cpus (0.001 up to the group's cpus), memory
 *                    (4M or more; all containers' memory together at most
 *                    the group's less SPEC_GUEST_RESERVE), pids (1..4194304),
 *                    volumes (NAME:/path[:ro|:rw], ...; see spec-volumes.c)
 * [volume.NAME]      0..SPEC_MAX_VOLUMES of them, NAME as the group name;
 *                    type (emptydir | secret | persistent | gitrepo) and
 *                    its options (spec-volumes.c)
 */
#ifndef LIGHTER_TOOLS_SPEC_H
#define LIGHTER_TOOLS_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lighter/error.h>

#include "oci-ref.h"

#define SPEC_NAME_MAX 63
#define SPEC_MAX_CONTAINERS 16
#define SPEC_CPUS_MAX 64
#define SPEC_MEM_MIN (64ULL << 20)
#define SPEC_MEM_MAX (64ULL << 30)
#define SPEC_MEM_DEFAULT (512ULL << 20)
/* Memory the guest kernel and the agent keep for themselves: containers'
 * limits together must leave this much of the group's memory. */
#define SPEC_GUEST_RESERVE (64ULL << 20)
#define SPEC_CONTAINER_MEM_MIN (4ULL << 20)
#define SPEC_PIDS_MAX 4194304 /* the kernel's PID_MAX_LIMIT */
#define SPEC_WORDS_MAX 4096
#define SPEC_ENV_MAX 4096
#define SPEC_FILE_MAX (1U << 20)

#define SPEC_MAX_VOLUMES 16
#define SPEC_MAX_MOUNTS 16	    /* per container */
#define SPEC_MAX_PERSISTENT 8	    /* lighter-vmm's drive limit */
#define SPEC_MAX_SECRET_ITEMS 64    /* files of one secret volume */
#define SPEC_SECRET_MAX (256U << 10) /* bytes of one secret file */
#define SPEC_EMPTYDIR_MIN (1ULL << 20)
#define SPEC_PERSISTENT_MIN (16ULL << 20)
#define SPEC_PERSISTENT_MAX (1ULL << 40)
#define SPEC_PERSISTENT_DEFAULT (1ULL << 30)

enum spec_restart {
	SPEC_RESTART_NEVER = 0,
	SPEC_RESTART_ON_FAILURE,
	SPEC_RESTART_ALWAYS,
};

/* A liveness or readiness probe (set when any of its keys is given). */
#define SPEC_PROBE_MS_MAX (3600U * 1000)
#define SPEC_PROBE_COUNT_MAX 1000

struct spec_probe {
	bool set;
	char **exec;	    /* words, or NULL */
	uint16_t http_port; /* 0: no http */
	char *http_path;    /* NULL: "/" */
	uint32_t delay_ms, period_ms, timeout_ms; /* 0, 10 s, 1 s */
	uint32_t failures, successes;		  /* 3, 1 */
};

enum spec_volume_type {
	SPEC_VOLUME_EMPTYDIR,
	SPEC_VOLUME_SECRET,
	SPEC_VOLUME_PERSISTENT,
	SPEC_VOLUME_GITREPO,
};

/* One file of a secret volume: inline (data, decoded from base64) or a
 * host file (path, absolute; read only when the group starts). */
struct spec_secret_item {
	char *name; /* file name in the volume */
	char *path; /* NULL for inline data */
	unsigned char *data;
	size_t len;
};

struct spec_volume {
	char name[SPEC_NAME_MAX + 1];
	enum spec_volume_type type;
	unsigned int line;   /* of its section header */
	uint64_t size_bytes; /* emptydir: 0 = tmpfs' default; persistent */
	unsigned int mode;   /* secret files' mode, default 0400 */
	struct spec_secret_item *items; /* secret: 1..SPEC_MAX_SECRET_ITEMS */
	size_t nr_items;
	char *repository; /* gitrepo: a path (absolute here) or a URL */
	char *revision;	  /* gitrepo: NULL = the remote's HEAD */
	char *directory;  /* gitrepo: "." or a relative path */
};

/* A volume mounted in a container. */
struct spec_mount {
	char *volume; /* a [volume.NAME] of the group */
	char *path;   /* absolute, clean */
	bool readonly;
};

struct spec_container {
	char name[SPEC_NAME_MAX + 1];
	char *image;            /* the reference as written */
	struct oci_ref ref;     /* parsed, path rebased to the spec's dir */
	/* NULL: not given (the image's); { NULL }: given empty */
	char **command;
	char **entrypoint;
	char **env;             /* NAME=VALUE, NULL when not given */
	char **secure_env;      /* NAME=VALUE, NULL when not given */
	bool init;              /* an [init.NAME] section */
	struct spec_probe liveness, readiness;
	char *workdir;          /* absolute, NULL: the image's */
	char *user;             /* NULL: the image's */
	unsigned int millicpus; /* 0: no limit of its own */
	uint64_t mem_bytes;     /* 0: no limit of its own */
	uint32_t pids;          /* 0: no limit */
	struct spec_mount *mounts; /* in the order written */
	size_t nr_mounts;
};

struct spec {
	char name[SPEC_NAME_MAX + 1];
	unsigned int cpus;
	uint64_t mem_bytes;
	enum spec_restart restart;
	struct spec_container *containers; /* in file order */
	size_t nr_containers;
	struct spec_volume *volumes; /* in file order */
	size_t nr_volumes;
};

/* Read and check a group spec file.  Returns 0, or -errno with e filled
 * ('web.ini:7: [container.app] memory: "12Q": not a size'; 'web.ini: ...'
 * for what has no line); s is zeroed first and freed again on error, so
 * spec_free() is safe in every case. */
int spec_load(struct spec *s, const char *path, struct lerr *e);

/* The CLI shorthand: a group `name` with one container `main` running
 * image (a reference; relative paths stay relative to the working
 * directory).  cpus 0 and mem_bytes 0 mean the defaults; env (NAME=VALUE
 * strings) and argv (replacing the image's Cmd) are NULL-terminated and
 * may be NULL or empty.  Values are checked as in a file; messages name
 * the field ('group name "a b": ...', 'env "X": ...'). */
int spec_from_args(struct spec *s, const char *name, const char *image,
		   unsigned int cpus, uint64_t mem_bytes,
		   const char *const *env, const char *const *argv,
		   struct lerr *e);

void spec_free(struct spec *s);

const char *spec_restart_name(enum spec_restart r);

/* "emptydir", "secret", "persistent", "gitrepo". */
const char *spec_volume_type_name(enum spec_volume_type t);

/* The volume of that name, or NULL. */
const struct spec_volume *spec_volume_find(const struct spec *s,
					   const char *name);

/* The bytes of a secret file: a copy of the inline data, or the host
 * file read (at most SPEC_SECRET_MAX bytes, a regular file).  Errors
 * name the volume, the file and the host path. */
int spec_secret_read(const struct spec_volume *v,
		     const struct spec_secret_item *it, unsigned char **data,
		     size_t *len, struct lerr *e);

/* Shell-like words (see spec-words.c) into a NULL-terminated vector
 * (empty for a blank string).  -EINVAL with e saying why (unterminated
 * quote, trailing backslash), -E2BIG past SPEC_WORDS_MAX, -ENOMEM. */
int spec_split_words(const char *s, char ***out, struct lerr *e);

/* "A=1, B='x, y'" into { "A=1", "B=x, y", NULL }.  -EINVAL for an empty
 * entry, an entry without '=', a bad or repeated name. */
int spec_split_env(const char *s, char ***out, struct lerr *e);

/* secure-env (spec-life.c): spec_split_env() whose messages never quote
 * a value ('entry 2: not NAME=VALUE (values are not shown)'). */
int spec_parse_secure_env(const char *s, char ***out, struct lerr *e);
/* No name both in env and secure-env: -EINVAL naming the variable. */
int spec_check_secure_env(const struct spec_container *c, struct lerr *e);
/* A liveness-* or readiness-* key into c: -ENOENT when key is neither
 * (an unknown key), else 0 or -errno with e saying '"VALUE": why'. */
int spec_set_probe_key(struct spec_container *c, const char *key,
		       const char *v, struct lerr *e);
/* After the section: each probe given has exec or http, not both, and a
 * liveness probe passes on one success ('liveness: ...'). */
int spec_check_probes(const struct spec_container *c, struct lerr *e);
void spec_probe_free(struct spec_probe *p);

/* Zero every string, then free them and the vector. */
void spec_secrets_free(char **v);

/* [A-Za-z_][A-Za-z0-9_.-]* over len bytes. */
bool spec_env_name_valid(const char *s, size_t len);

#endif
