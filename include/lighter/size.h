/* size.h - memory sizes as people write them ("512M", "2G", "65536K",
 * "4096" bytes), shared by lighter-vmm's --memory and the group spec's
 * memory keys so that both read sizes the same way.  Header-only. */
#ifndef LIGHTER_SIZE_H
#define LIGHTER_SIZE_H

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* "128M", "2G", "65536K", "1T", "4096" (bytes; suffixes are binary and
 * case-insensitive) -> bytes.  -EINVAL for anything else (signs, spaces,
 * "MB"), -ERANGE past 2^64 - 1. */
static inline int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

#endif
