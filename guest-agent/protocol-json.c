/* protocol-json.c - the building blocks of the protocol's message codecs:
 * JSON field readers that check presence, type, length and range and name
 * the field at fault, builders whose failures surface in the validating
 * decode every encoder ends with, the syntax of names, hostnames and user
 * specs, and errno names for ERROR frames.
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

int pj_keys(const struct pj *c, const json_t *obj, const char *at,
	    const char *const *keys)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return pj_fail(c, EINVAL, at, NULL, "not a JSON object");
	json_object_foreach((json_t *)obj, key, v)
	{
		const char *const *k;
		char clean[48];

		for (k = keys; *k; k++)
			if (strcmp(*k, key) == 0)
				break;
		if (!*k)
			return pj_fail(c, EINVAL, at,
				       pj_clean(clean, sizeof(clean), key),
				       "unknown field");
	}
	return 0;
}

int pj_str_value(const struct pj *c, const json_t *v, const char *at,
		 const char *key, size_t min, size_t max, const char **out)
{
	const char *s;
	size_t len;

	*out = NULL;
	if (!json_is_string(v))
		return pj_fail(c, EINVAL, at, key, "not a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (strlen(s) != len)
		return pj_fail(c, EINVAL, at, key, "contains a NUL character");
	if (len > max)
		return pj_fail(c, E2BIG, at, key,
			       "%zu bytes, over the limit of %zu", len, max);
	if (len < min) {
		if (len == 0)
			return pj_fail(c, EINVAL, at, key, "empty");
		return pj_fail(c, EINVAL, at, key,
			       "%zu bytes, shorter than %zu", len, min);
	}
	*out = s;
	return 0;
}

int pj_str(const struct pj *c, const json_t *obj, const char *at,
	   const char *key, size_t min, size_t max, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	if (!v) {
		*out = NULL;
		return pj_fail(c, EINVAL, at, key, "missing");
	}
	return pj_str_value(c, v, at, key, min, max, out);
}

int pj_dup(const struct pj *c, const char *key, const char *s, char **out)
{
	*out = strdup(s);
	if (!*out)
		return lerr_set(c->e, ENOMEM, "%s: %s", c->msg, key);
	return 0;
}

int pj_name(const struct pj *c, const json_t *obj, const char *at,
	    const char *key, char *out)
{
	const char *s;
	char clean[80];
	int rc;

	out[0] = '\0';
	rc = pj_str(c, obj, at, key, 0, PROTO_STRING_MAX, &s);
	if (rc < 0)
		return rc;
	if (!proto_name_valid(s))
		return pj_fail(
		    c, EINVAL, at, key,
		    "invalid name \"%s\" (1-%d characters of "
		    "[a-zA-Z0-9_.-], starting with a letter or digit)",
		    pj_clean(clean, sizeof(clean), s), PROTO_NAME_MAX);
	strcpy(out, s);
	return 0;
}

static int int_value(const struct pj *c, const json_t *v, const char *at,
		     const char *key, int64_t min, int64_t max, int64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return pj_fail(c, EINVAL, at, key, "not an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return pj_fail(c, ERANGE, at, key,
			       "%lld out of range %lld..%lld", (long long)n,
			       (long long)min, (long long)max);
	*out = n;
	return 0;
}

int pj_int(const struct pj *c, const json_t *obj, const char *at,
	   const char *key, int64_t min, int64_t max, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	*out = 0;
	if (!v)
		return pj_fail(c, EINVAL, at, key, "missing");
	return int_value(c, v, at, key, min, max, out);
}

int pj_opt_int(const struct pj *c, const json_t *obj, const char *at,
	       const char *key, int64_t min, int64_t max, int64_t *out,
	       bool *present)
{
	const json_t *v = json_object_get(obj, key);

	*out = 0;
	*present = v != NULL;
	if (!v)
		return 0;
	return int_value(c, v, at, key, min, max, out);
}

int pj_opt_bool(const struct pj *c, const json_t *obj, const char *at,
		const char *key, bool *out, bool *present)
{
	const json_t *v = json_object_get(obj, key);

	*out = false;
	*present = v != NULL;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return pj_fail(c, EINVAL, at, key, "not a boolean");
	*out = json_is_true(v);
	return 0;
}

int pj_array(const struct pj *c, const json_t *obj, const char *at,
	     const char *key, size_t min, size_t max, const json_t **out)
{
	const json_t *v = json_object_get(obj, key);
	size_t n;

	*out = NULL;
	if (!v)
		return pj_fail(c, EINVAL, at, key, "missing");
	if (!json_is_array(v))
		return pj_fail(c, EINVAL, at, key, "not an array");
	n = json_array_size(v);
	if (n > max)
		return pj_fail(c, E2BIG, at, key,
			       "%zu entries, over the limit of %zu", n, max);
	if (n < min)
		return pj_fail(c, EINVAL, at, key,
			       "%zu entries, at least %zu needed", n, min);
	*out = v;
	return 0;
}

int pj_object_value(const struct pj *c, const json_t *v, const char *at,
		    const char *key)
{
	if (!json_is_object(v))
		return pj_fail(c, EINVAL, at, key, "not an object");
	return 0;
}

json_t *pj_new_str(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;

	return v ? v : json_null();
}

int pj_put(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -ENOMEM;
	return json_object_set_new(obj, key, v) == 0 ? 0 : -ENOMEM;
}

int pj_append(json_t *arr, json_t *v)
{
	if (!v)
		return -ENOMEM;
	return json_array_append_new(arr, v) == 0 ? 0 : -ENOMEM;
}

int pj_built(const char *msg, json_t *built, int rc, struct lerr *e)
{
	if (built && rc == 0)
		return 0;
	json_decref(built);
	return lerr_fail(e, ENOMEM, "%s: out of memory building the body", msg);
}

int pj_checked(json_t *j, int rc, json_t **out)
{
	if (rc < 0) {
		json_decref(j);
		return rc;
	}
	*out = j;
	return 0;
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
