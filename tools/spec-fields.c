/* spec-fields.c - the syntax and range of each group spec value (names,
 * cpus, sizes, pids, restart policy, workdir, user), shared by the INI
 * loader and the CLI shorthand.  Every message starts with the value in
 * quotes; the caller says where it came from. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lighter/size.h>

#include "spec-internal.h"

int spec_parse_name(const char *v, char out[SPEC_NAME_MAX + 1],
		    struct lerr *e)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > SPEC_NAME_MAX || !isalnum((unsigned char)v[0]))
		goto bad;
	for (i = 1; i < n; i++) {
		if (!isalnum((unsigned char)v[i]) && !strchr("_.-", v[i]))
			goto bad;
	}
	memcpy(out, v, n + 1);
	return 0;
bad:
	return lerr_fail(e, EINVAL,
			 "\"%s\": not a name ([a-zA-Z0-9][a-zA-Z0-9_.-]{0,62})",
			 v);
}

/* A decimal integer without sign or blanks, at most max. */
static int parse_uint(const char *v, unsigned long long max,
		      unsigned long long *out, struct lerr *e)
{
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return lerr_fail(e, EINVAL, "\"%s\": not a number", v);
	errno = 0;
	x = strtoull(v, &end, 10);
	if (*end)
		return lerr_fail(e, EINVAL, "\"%s\": not a number", v);
	if (errno == ERANGE || x > max)
		return lerr_fail(e, ERANGE, "\"%s\": more than %llu", v, max);
	*out = x;
	return 0;
}

int spec_check_group_cpus(unsigned long long n, const char *shown,
			  struct lerr *e)
{
	if (n < 1 || n > SPEC_CPUS_MAX)
		return lerr_fail(e, ERANGE, "\"%s\": not in 1..%d", shown,
				 SPEC_CPUS_MAX);
	return 0;
}

int spec_parse_group_cpus(const char *v, unsigned int *out, struct lerr *e)
{
	unsigned long long n;
	int r = parse_uint(v, ~0ULL, &n, e);

	if (r < 0)
		return r;
	r = spec_check_group_cpus(n, v, e);
	if (r < 0)
		return r;
	*out = (unsigned int)n;
	return 0;
}

void spec_format_size(uint64_t bytes, char out[SPEC_SIZE_STR])
{
	static const char unit[] = "KMGT";
	int u;

	for (u = 3; u >= 0; u--) {
		unsigned int shift = 10 * (unsigned int)(u + 1);

		if (bytes && bytes % (1ULL << shift) == 0) {
			snprintf(out, SPEC_SIZE_STR, "%llu%c",
				 (unsigned long long)(bytes >> shift), unit[u]);
			return;
		}
	}
	snprintf(out, SPEC_SIZE_STR, "%llu", (unsigned long long)bytes);
}

static int parse_size_value(const char *v, uint64_t *out, struct lerr *e)
{
	int r = parse_size(v, out);

	if (r == -ERANGE)
		return lerr_fail(e, ERANGE, "\"%s\": too large", v);
	if (r < 0)
		return lerr_fail(e, EINVAL,
				 "\"%s\": not a size (bytes or K/M/G/T suffix)",
				 v);
	return 0;
}

int spec_check_group_memory(uint64_t bytes, const char *shown,
			    struct lerr *e)
{
	char lo[SPEC_SIZE_STR], hi[SPEC_SIZE_STR];

	spec_format_size(SPEC_MEM_MIN, lo);
	spec_format_size(SPEC_MEM_MAX, hi);
	if (bytes < SPEC_MEM_MIN || bytes > SPEC_MEM_MAX)
		return lerr_fail(e, ERANGE, "\"%s\": not in %s..%s", shown, lo,
				 hi);
	if (bytes % 4096)
		return lerr_fail(e, EINVAL, "\"%s\": not a multiple of 4K",
				 shown);
	return 0;
}

int spec_parse_group_memory(const char *v, uint64_t *out, struct lerr *e)
{
	uint64_t bytes;
	int r = parse_size_value(v, &bytes, e);

	if (r < 0)
		return r;
	r = spec_check_group_memory(bytes, v, e);
	if (r < 0)
		return r;
	*out = bytes;
	return 0;
}

int spec_parse_container_memory(const char *v, uint64_t *out,
				struct lerr *e)
{
	char lo[SPEC_SIZE_STR], hi[SPEC_SIZE_STR];
	uint64_t bytes;
	int r = parse_size_value(v, &bytes, e);

	if (r < 0)
		return r;
	spec_format_size(SPEC_CONTAINER_MEM_MIN, lo);
	spec_format_size(SPEC_MEM_MAX, hi);
	if (bytes < SPEC_CONTAINER_MEM_MIN || bytes > SPEC_MEM_MAX)
		return lerr_fail(e, ERANGE, "\"%s\": not in %s..%s", v, lo, hi);
	*out = bytes;
	return 0;
}

/* "2", "0.5", "1.25", "0.001" -> millicpus; at most three decimals. */
int spec_parse_millicpus(const char *v, unsigned int *out, struct lerr *e)
{
	unsigned long long whole = 0, milli = 0;
	const char *p = v;
	unsigned int decimals = 0;

	if (!isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p)) {
		whole = whole * 10 + (unsigned long long)(*p++ - '0');
		if (whole > SPEC_CPUS_MAX)
			goto range;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p)) {
			if (++decimals > 3)
				return lerr_fail(e, EINVAL,
						 "\"%s\": more than three "
						 "decimals",
						 v);
			milli = milli * 10 + (unsigned long long)(*p++ - '0');
		}
		for (; decimals < 3; decimals++)
			milli *= 10;
	}
	if (*p)
		goto bad;
	milli += whole * 1000;
	if (milli == 0)
		return lerr_fail(e, ERANGE, "\"%s\": must be more than 0", v);
	if (milli > SPEC_CPUS_MAX * 1000ULL)
		goto range;
	*out = (unsigned int)milli;
	return 0;
bad:
	return lerr_fail(e, EINVAL, "\"%s\": not a number of cpus (like 0.5)",
			 v);
range:
	return lerr_fail(e, ERANGE, "\"%s\": more than %d", v, SPEC_CPUS_MAX);
}

int spec_parse_pids(const char *v, uint32_t *out, struct lerr *e)
{
	unsigned long long n;
	int r = parse_uint(v, SPEC_PIDS_MAX, &n, e);

	if (r < 0)
		return r;
	if (n == 0)
		return lerr_fail(e, ERANGE, "\"%s\": must be at least 1", v);
	*out = (uint32_t)n;
	return 0;
}

static const char *const restart_names[] = {
	[SPEC_RESTART_NEVER] = "never",
	[SPEC_RESTART_ON_FAILURE] = "on-failure",
	[SPEC_RESTART_ALWAYS] = "always",
};

const char *spec_restart_name(enum spec_restart r)
{
	if ((size_t)r >= sizeof(restart_names) / sizeof(restart_names[0]))
		return "?";
	return restart_names[r];
}

int spec_parse_restart(const char *v, enum spec_restart *out,
		       struct lerr *e)
{
	size_t i;

	for (i = 0; i < sizeof(restart_names) / sizeof(restart_names[0]); i++) {
		if (strcmp(v, restart_names[i]) == 0) {
			*out = (enum spec_restart)i;
			return 0;
		}
	}
	return lerr_fail(e, EINVAL,
			 "\"%s\": not one of never, on-failure, always", v);
}

static bool has_control(const char *v)
{
	for (; *v; v++) {
		if (iscntrl((unsigned char)*v))
			return true;
	}
	return false;
}

int spec_check_workdir(const char *v, struct lerr *e)
{
	if (v[0] != '/')
		return lerr_fail(e, EINVAL, "\"%s\": not an absolute path", v);
	if (strlen(v) >= 4096)
		return lerr_fail(e, ENAMETOOLONG, "\"%.64s...\": too long", v);
	if (has_control(v))
		return lerr_fail(e, EINVAL, "\"%s\": control character", v);
	return 0;
}

/* USER or USER:GROUP, names or numeric ids, as the image config's User. */
int spec_check_user(const char *v, struct lerr *e)
{
	const char *colon = strchr(v, ':'), *p;

	if (!v[0] || v[0] == ':' ||
	    (colon && (!colon[1] || strchr(colon + 1, ':'))))
		return lerr_fail(e, EINVAL, "\"%s\": not USER or USER:GROUP",
				 v);
	if (strlen(v) > 256)
		return lerr_fail(e, ENAMETOOLONG, "\"%.64s...\": too long", v);
	for (p = v; *p; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return lerr_fail(e, EINVAL,
					 "\"%s\": blank or control character",
					 v);
	}
	return 0;
}
