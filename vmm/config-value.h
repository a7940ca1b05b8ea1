/* config-value.h - reading one lighter-vmm setting: a string, a path, a
 * decimal in a range or a memory size, with the message naming where the
 * value came from: the flag (`--memory: "12Q" is not a size`) or the file
 * and key (`"vm.ini": [vm] memory: ...`).  Shared by the [vm] keys and
 * their flags (config.c) and the --jail* flags (jail-config.c), so every
 * setting of one kind reads, and fails, the same way.  Pure: no system
 * calls. */
#ifndef LIGHTER_VMM_CONFIG_VALUE_H
#define LIGHTER_VMM_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lighter/error.h>

/* Where a value came from: a flag, or file + key. */
struct cfg_origin {
	const char *flag; /* "--memory", or NULL for the file */
	const char *file; /* config file path as given */
	const char *key;  /* [vm] key */
	const char *dir;  /* directory relative file paths resolve against */
};

/* lerr_fail() with "FLAG: " or "\"FILE\": [vm] KEY: " in front. */
__attribute__((format(printf, 4, 5))) int
cfg_error(struct lerr *e, int err, const struct cfg_origin *o,
	  const char *fmt, ...);

/* Replaces *dst with a copy of val: 0 or -ENOMEM. */
int cfg_set_string(char **dst, const char *val, struct lerr *e);

/* A path: kept as is from a flag, joined to the file's directory when it
 * is relative and came from the file; -EINVAL when empty. */
int cfg_set_path(char **dst, const char *val, const struct cfg_origin *o,
		 struct lerr *e);

/* A decimal in min..max: -EINVAL for anything but digits, -ERANGE outside
 * (*out then holds what was read, UINT64_MAX past 2^64 - 1). */
int cfg_uint(const char *val, uint64_t min, uint64_t max,
	     const struct cfg_origin *o, uint64_t *out, struct lerr *e);

/* A memory size (parse_size(), size.h) of at most max: -EINVAL, -ERANGE. */
int cfg_size(const char *val, uint64_t max, const struct cfg_origin *o,
	     uint64_t *out, struct lerr *e);

/* True for 1..max characters of A-Z a-z 0-9 _ . - (names that become
 * host names, interface names or path components). */
bool cfg_name_valid(const char *s, size_t max);

#endif
