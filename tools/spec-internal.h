/* spec-internal.h - the group spec's field syntaxes (spec-fields.c),
 * shared by the INI loader and the shorthand constructor (spec.c) and
 * exercised one by one by tests/unit/test-spec.c.  Each returns 0 or a
 * negative errno with e saying '"VALUE": why' (the caller adds where the
 * value came from). */
#ifndef LIGHTER_TOOLS_SPEC_INTERNAL_H
#define LIGHTER_TOOLS_SPEC_INTERNAL_H

#include <stdint.h>

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

/* 512M, 64G, 4096: the shortest exact form, for messages. */
void spec_format_size(uint64_t bytes, char out[SPEC_SIZE_STR]);

#endif
