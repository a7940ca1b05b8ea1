/* spec-internal.h - the group spec's field syntaxes (spec-fields.c),
 * shared by the INI loader and the shorthand constructor (spec.c) and
 * exercised one by one by tests/unit/test-spec.c.  Each returns 0 or a
 * negative errno with e saying '"VALUE": why' (the caller adds where the
 * value came from). */
#ifndef LIGHTER_TOOLS_SPEC_INTERNAL_H
#define LIGHTER_TOOLS_SPEC_INTERNAL_H

#include <stdint.h>

#include "ini-scan.h"
#include "spec.h"

#define SPEC_SIZE_STR 24

int spec_parse_name(const char *v, char out[SPEC_NAME_MAX + 1],
		    struct lerr *e);

/* [group] cpus: 1..SPEC_CPUS_MAX.  The check takes the value already
 * parsed (the shorthand's) and the text to show. */
int spec_parse_group_cpus(const char *v, unsigned int *out, struct lerr *e);
int spec_check_group_cpus(unsigned long long n, const char *shown,
			  struct lerr *e);

/* [group] memory: a size (include/lighter/size.h), SPEC_MEM_MIN to
 * SPEC_MEM_MAX, a multiple of 4K. */
int spec_parse_group_memory(const char *v, uint64_t *out, struct lerr *e);
int spec_check_group_memory(uint64_t bytes, const char *shown,
			    struct lerr *e);

/* [container.*] memory: a size, SPEC_CONTAINER_MEM_MIN to SPEC_MEM_MAX. */
int spec_parse_container_memory(const char *v, uint64_t *out,
				struct lerr *e);

/* [container.*] cpus: "0.5" -> 500 millicpus; > 0, <= SPEC_CPUS_MAX,
 * at most three decimals. */
int spec_parse_millicpus(const char *v, unsigned int *out, struct lerr *e);

/* [container.*] pids: 1..SPEC_PIDS_MAX. */
int spec_parse_pids(const char *v, uint32_t *out, struct lerr *e);

int spec_parse_restart(const char *v, enum spec_restart *out,
		       struct lerr *e);

/* workdir: absolute, shorter than 4096, no control characters. */
int spec_check_workdir(const char *v, struct lerr *e);

/* user: USER or USER:GROUP, no blanks or control characters. */
int spec_check_user(const char *v, struct lerr *e);

/* [container.*] volumes: "NAME:/path[:ro|:rw], ..." into c->mounts
 * (names checked against the group's volumes later, by
 * spec_mounts_resolve()).  Paths absolute, without '.', '..' or empty
 * components, not "/", unique within the container. */
int spec_parse_mounts(const char *v, struct spec_container *c,
		      struct lerr *e);

/* Every mount of c names a declared volume; a secret is mounted
 * read-only whatever the entry says.  -ENOENT '"NAME:/p": no
 * [volume.NAME] in the group'. */
int spec_mounts_resolve(const struct spec *s, struct spec_container *c,
			struct lerr *e);

/* One [volume.NAME] section: its keys are the scan's entries in that
 * section (hdr its header); dir is where relative paths start.  Appends
 * to s->volumes; messages are whole: 'FILE:LINE: [volume.x] size: ...'. */
int spec_load_volume(struct spec *s, const struct ini_scan *scan,
		     const struct ini_entry *hdr, const char *path,
		     const char *dir, struct lerr *e);

void spec_volumes_free(struct spec *s);
void spec_mounts_free(struct spec_container *c);

/* 512M, 64G, 4096: the shortest exact form, for messages. */
void spec_format_size(uint64_t bytes, char out[SPEC_SIZE_STR]);

#endif
