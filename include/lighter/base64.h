/* base64.h - standard base64 with padding (RFC 4648 section 4), shared by
 * the group spec's inline secrets and the SECRET message that carries
 * them to the agent.  Header-only. */
#ifndef LIGHTER_BASE64_H
#define LIGHTER_BASE64_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static inline int base64_value(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* n bytes of s into a malloc'd buffer (*out, *len; at least one byte is
 * allocated, so an empty input gives a valid pointer and length 0).
 * Canonical input only, so that decoding then encoding gives the input
 * back: -EINVAL for a length that is not a multiple of 4, a character
 * outside the alphabet, padding anywhere but at the end, or bits set
 * that padding drops ("YR==" for "YQ=="); -ENOMEM. */
static inline int base64_decode(const char *s, size_t n, unsigned char **out,
				size_t *len)
{
	unsigned char *buf;
	size_t i, o = 0;

	if (n % 4)
		return -EINVAL;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			v[k] = pad ? -1 : base64_value((unsigned char)s[i + k]);
			if (v[k] < 0) {
				free(buf);
				return -EINVAL;
			}
		}
		if ((pad == 2 && (v[1] & 15)) || (pad == 1 && (v[2] & 3))) {
			free(buf);
			return -EINVAL;
		}
		buf[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			buf[o++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
		if (pad < 1)
			buf[o++] = (unsigned char)(v[2] << 6 | v[3]);
	}
	*out = buf;
	*len = o;
	return 0;
}

/* len bytes into a malloc'd, NUL-terminated string; NULL when out of
 * memory. */
static inline char *base64_encode(const unsigned char *p, size_t len)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = abc[p[i] >> 2];
		*o++ = abc[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = abc[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*o++ = abc[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = abc[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = abc[(p[i] & 3) << 4 | p[i + 1] >> 4];
			*o++ = abc[(p[i + 1] & 15) << 2];
		} else {
			*o++ = abc[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

#endif
