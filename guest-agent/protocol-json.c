/* protocol-json.c - what the protocol's message tables (protocol-codec.c)
 * are written with: quoting what the peer sent into a one-line message,
 * errors that name the message, object and member at fault, the syntax of
 * names, hostnames and user specs (and the shared name and digest rules
 * of the tables), and errno names for ERROR frames.
 *
 * Anything quoted from the peer into a message goes through pj_clean():
 * printable ASCII only, bounded, so an error message is always one valid
 * line, fit to travel back in an ERROR frame. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol-internal.h"

const char *pj_clean(char *out, size_t size, const char *s)
{
	size_t i;

	if (size == 0)
		return out;
	for (i = 0; s && s[i] && i + 1 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[i] = '\0';
	return out;
}

int pj_fail(const struct pj *c, int err, const char *at, const char *key,
	    const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!key)
		key = "";
	if (!at[0] && !key[0])
		return lerr_fail(c->e, err, "%s: %s", c->msg, text);
	return lerr_fail(c->e, err, "%s: %s%s%s: %s", c->msg, at,
			 at[0] && key[0] ? "." : "", key, text);
}

/* ---- syntax of names ---- */

/* Locale-independent character classes: names are ASCII by definition. */
static bool ascii_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool ascii_alnum(unsigned char ch)
{
	return ascii_digit(ch) || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z');
}

bool proto_name_valid(const char *s)
{
	size_t i;

	if (!s || !ascii_alnum((unsigned char)s[0]))
		return false;
	for (i = 1; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i >= PROTO_NAME_MAX ||
		    !(ascii_alnum(ch) || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

bool proto_hostname_valid(const char *s)
{
	size_t i, label = 0;

	if (!s || !s[0] || strlen(s) > PROTO_HOSTNAME_MAX)
		return false;
	for (i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!ascii_alnum(ch) && ch != '-')
			return false;
		if (label == 0 && ch == '-')
			return false;
		label++;
	}
	return label > 0 && s[i - 1] != '-';
}

/* One side of "USER:GROUP": a decimal id below 2^32-1 (-1 means "no
 * change" to the kernel) or a name. */
static bool user_part_valid(const char *s, size_t len)
{
	bool digits = true;
	size_t i;

	if (len == 0 || len > PROTO_USER_PART_MAX || s[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(ascii_alnum(ch) || ch == '_' || ch == '.' || ch == '-'))
			return false;
		if (!ascii_digit(ch))
			digits = false;
	}
	if (digits) {
		unsigned long long v = 0;

		for (i = 0; i < len; i++) {
			v = v * 10 + (unsigned long long)(s[i] - '0');
			if (v >= 0xffffffffULL)
				return false;
		}
	}
	return true;
}

bool proto_user_valid(const char *s)
{
	const char *colon;

	if (!s)
		return false;
	colon = strchr(s, ':');
	if (!colon)
		return user_part_valid(s, strlen(s));
	return user_part_valid(s, (size_t)(colon - s)) &&
	       !strchr(colon + 1, ':') &&
	       user_part_valid(colon + 1, strlen(colon + 1));
}

const struct pj_syntax pj_name_syntax = {
	.valid = proto_name_valid,
	.before = "invalid name ",
	.after = " (1-" PJ_STRINGIFY(PROTO_NAME_MAX) " characters of "
		 "[a-zA-Z0-9_.-], starting with a letter or digit)",
	.quote = 80,
};

const struct pj_syntax pj_digest_syntax = {
	.valid = ldigest_valid,
	.before = "invalid digest ",
	.after = " (sha256: and 64 lowercase hex digits)",
	.quote = 80,
};

/* ---- errno names ---- */

/* Names glibc folds into another value's name. */
static const struct {
	const char *name;
	int value;
} errno_aliases[] = {
	{ "ENOTSUP", ENOTSUP },
	{ "EWOULDBLOCK", EWOULDBLOCK },
	{ "EDEADLOCK", EDEADLOCK },
};

#define ERRNO_SCAN_MAX 256

const char *proto_errno_name(int errnum)
{
	const char *name;

	if (errnum < 0 && errnum != INT_MIN)
		errnum = -errnum;
	name = errnum > 0 ? strerrorname_np(errnum) : NULL;
	return name ? name : "EIO";
}

int proto_errno_value(const char *name)
{
	size_t i;
	int v;

	if (!name || name[0] != 'E')
		return 0;
	for (v = 1; v < ERRNO_SCAN_MAX; v++) {
		const char *n = strerrorname_np(v);

		if (n && strcmp(n, name) == 0)
			return v;
	}
	for (i = 0; i < sizeof(errno_aliases) / sizeof(errno_aliases[0]); i++)
		if (strcmp(errno_aliases[i].name, name) == 0)
			return errno_aliases[i].value;
	return 0;
}
