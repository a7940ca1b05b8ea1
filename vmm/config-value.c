/* config-value.c - reading one lighter-vmm setting of each kind, the
 * message naming its flag or file and key (see config-value.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lighter/size.h>

#include "config-value.h"

int cfg_error(struct lerr *e, int err, const struct cfg_origin *o,
	      const char *fmt, ...)
{
	char detail[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (o->flag)
		return lerr_fail(e, err, "%s: %s", o->flag, detail);
	return lerr_fail(e, err, "\"%s\": [vm] %s: %s", o->file, o->key,
			 detail);
}

int cfg_set_string(char **dst, const char *val, struct lerr *e)
{
	char *copy = strdup(val);

	if (!copy)
		return lerr_fail(e, ENOMEM, "out of memory");
	free(*dst);
	*dst = copy;
	return 0;
}

int cfg_set_path(char **dst, const char *val, const struct cfg_origin *o,
		 struct lerr *e)
{
	char *joined;

	if (val[0] == '\0')
		return cfg_error(e, EINVAL, o, "empty path");
	if (o->flag || val[0] == '/' || !o->dir)
		return cfg_set_string(dst, val, e);
	if (asprintf(&joined, "%s/%s", o->dir, val) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	free(*dst);
	*dst = joined;
	return 0;
}

int cfg_uint(const char *val, uint64_t min, uint64_t max,
	     const struct cfg_origin *o, uint64_t *out, struct lerr *e)
{
	unsigned long long v;
	char *end;

	*out = 0;
	/* strtoull() alone would take spaces and signs */
	if (!isdigit((unsigned char)val[0]))
		return cfg_error(e, EINVAL, o, "\"%s\" is not a number", val);
	errno = 0;
	v = strtoull(val, &end, 10);
	if (*end != '\0')
		return cfg_error(e, EINVAL, o, "\"%s\" is not a number", val);
	*out = v;
	if (errno == ERANGE || v < min || v > max)
		return cfg_error(e, ERANGE, o,
				 "\"%s\" is out of range (%llu..%llu)", val,
				 (unsigned long long)min,
				 (unsigned long long)max);
	return 0;
}

int cfg_size(const char *val, uint64_t max, const struct cfg_origin *o,
	     uint64_t *out, struct lerr *e)
{
	uint64_t v;
	int r = parse_size(val, &v);

	if (r == -ERANGE || (r == 0 && v > max))
		return cfg_error(e, ERANGE, o, "\"%s\" is too large", val);
	if (r < 0)
		return cfg_error(e, EINVAL, o, "\"%s\" is not a size", val);
	*out = v;
	return 0;
}

bool cfg_name_valid(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return false;
	}
	return true;
}
