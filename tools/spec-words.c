/* spec-words.c - the spec's two list syntaxes: command and entrypoint as
 * shell-like words, env as a comma-separated NAME=VALUE list.
 *
 * Words: blanks separate; '...' is literal; inside "..." a backslash
 * escapes only " \ $ and ` (as in POSIX sh); elsewhere a backslash
 * escapes any character; adjacent pieces join into one word; "" is an
 * empty word.  Nothing is expanded: $, ;, |, * are ordinary characters.
 * Env: entries are split at commas outside quotes, each entry's outer
 * blanks dropped and its quotes and backslashes read as above (blanks
 * inside an entry are kept), and each must be NAME=VALUE with NAME
 * [A-Za-z_][A-Za-z0-9_.-]*, every NAME once. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lighter/cleanup.h>

#include "spec.h"
#include "strv.h"

/* One quoted or escaped piece of a word at *pp, appended to out (which
 * has room: output never outgrows input).  Returns the number of bytes
 * appended, or -EINVAL with e filled. */
static int read_quoted(const char **pp, char *out, struct lerr *e)
{
	const char *p = *pp;
	char quote = *p++;
	int n = 0;

	for (;;) {
		if (!*p)
			return lerr_fail(e, EINVAL, "unterminated %s quote",
					 quote == '"' ? "double" : "single");
		if (*p == quote)
			break;
		if (quote == '"' && *p == '\\' && p[1] &&
		    strchr("\"\\$`", p[1]))
			p++;
		out[n++] = *p++;
	}
	*pp = p + 1;
	return n;
}

/* Read one token up to an unquoted stop character (a blank, or ',' when
 * comma is set).  keep_blanks keeps unquoted blanks inside the token
 * (env entries); trailing unquoted blanks are dropped either way.  The
 * token is written to out; *pp moves past it. */
static int read_token(const char **pp, bool comma, bool keep_blanks,
		      char *out, size_t *outlen, struct lerr *e)
{
	const char *p = *pp;
	size_t n = 0, solid = 0; /* solid: length up to the last non-blank */
	int r;

	while (*p) {
		if (comma && *p == ',')
			break;
		if (isblank((unsigned char)*p)) {
			if (!keep_blanks)
				break;
			out[n++] = *p++;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			r = read_quoted(&p, out + n, e);
			if (r < 0)
				return r;
			n += (size_t)r;
		} else if (*p == '\\') {
			if (!p[1])
				return lerr_fail(e, EINVAL,
						 "trailing backslash");
			out[n++] = p[1];
			p += 2;
		} else {
			out[n++] = *p++;
		}
		solid = n;
	}
	*pp = p;
	*outlen = keep_blanks ? solid : n;
	return 0;
}

int spec_split_words(const char *s, char ***out, struct lerr *e)
{
	_cleanup_free_ char *buf = malloc(strlen(s) + 1);
	_cleanup_strv_ char **v = strv_new();
	const char *p = s;
	size_t n;
	int r;

	*out = NULL;
	if (!buf || !v)
		return lerr_fail(e, ENOMEM, "out of memory");
	for (;;) {
		while (isblank((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (strv_len(v) >= SPEC_WORDS_MAX)
			return lerr_fail(e, E2BIG, "more than %d words",
					 SPEC_WORDS_MAX);
		r = read_token(&p, false, false, buf, &n, e);
		if (r < 0)
			return r;
		if (strv_push_take(&v, strndup(buf, n)) < 0)
			return lerr_fail(e, ENOMEM, "out of memory");
	}
	*out = TAKE_PTR(v);
	return 0;
}

bool spec_env_name_valid(const char *s, size_t len)
{
	size_t i;

	if (!len || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	}
	return true;
}

/* Index of the entry in v whose name is the len bytes at name, or -1. */
static long env_find(char *const *v, const char *name, size_t len)
{
	size_t i;

	for (i = 0; v && v[i]; i++) {
		if (strncmp(v[i], name, len) == 0 && v[i][len] == '=')
			return (long)i;
	}
	return -1;
}

int spec_split_env(const char *s, char ***out, struct lerr *e)
{
	_cleanup_free_ char *buf = malloc(strlen(s) + 1);
	_cleanup_strv_ char **v = strv_new();
	const char *p = s;
	unsigned int nr = 0;
	size_t n;
	int r;

	*out = NULL;
	if (!buf || !v)
		return lerr_fail(e, ENOMEM, "out of memory");
	while (isblank((unsigned char)*p))
		p++;
	if (!*p) {
		*out = TAKE_PTR(v);
		return 0;
	}
	for (;;) {
		const char *eq;

		nr++;
		if (nr > SPEC_ENV_MAX)
			return lerr_fail(e, E2BIG, "more than %d entries",
					 SPEC_ENV_MAX);
		while (isblank((unsigned char)*p))
			p++;
		r = read_token(&p, true, true, buf, &n, e);
		if (r < 0)
			return r;
		if (!n)
			return lerr_fail(e, EINVAL, "entry %u is empty", nr);
		eq = memchr(buf, '=', n);
		if (!eq)
			return lerr_fail(e, EINVAL,
					 "entry %u \"%.*s\" is not NAME=VALUE",
					 nr, (int)n, buf);
		if (!spec_env_name_valid(buf, (size_t)(eq - buf)))
			return lerr_fail(e, EINVAL,
					 "entry %u: \"%.*s\" is not a variable "
					 "name ([A-Za-z_][A-Za-z0-9_.-]*)",
					 nr, (int)(eq - buf), buf);
		if (env_find(v, buf, (size_t)(eq - buf)) >= 0)
			return lerr_fail(e, EINVAL,
					 "entry %u: \"%.*s\" is set twice", nr,
					 (int)(eq - buf), buf);
		if (strv_push_take(&v, strndup(buf, n)) < 0)
			return lerr_fail(e, ENOMEM, "out of memory");
		if (!*p)
			break;
		p++; /* the comma */
	}
	*out = TAKE_PTR(v);
	return 0;
}
