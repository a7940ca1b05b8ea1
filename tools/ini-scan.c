/* ini-scan.c - line numbers and raw values of an INI file's sections and
 * keys, read with iniparser 4.1's line rules (see ini-scan.h for why). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <lighter/cleanup.h>

#include "ini-scan.h"

__attribute__((format(printf, 3, 4))) static int
scan_fail(struct ini_fault *f, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	f->line = line;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int scan_oom(struct ini_fault *f)
{
	f->line = 0;
	snprintf(f->msg, sizeof(f->msg), "out of memory");
	return -ENOMEM;
}

static char *lowered(const char *s)
{
	char *l = strdup(s), *p;

	for (p = l; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

/* Strip blanks at both ends of [*start, *end) in place. */
static void strip(char **start, char **end)
{
	while (*start < *end && isspace((unsigned char)**start))
		(*start)++;
	while (*end > *start && isspace((unsigned char)(*end)[-1]))
		(*end)--;
}

/* Cut a value at its comment: ';' or '#' at the start or after a blank,
 * outside '...' and "..." (a backslash protects the next character,
 * except inside single quotes, as in the word syntax of spec-words.c). */
static void cut_comment(char *v)
{
	bool after_blank = true;
	char quote = 0, *p;

	for (p = v; *p; p++) {
		if (quote == '\'') {
			if (*p == '\'')
				quote = 0;
			continue;
		}
		if (*p == '\\' && p[1]) {
			p++;
			after_blank = false;
			continue;
		}
		if (quote) {
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if ((*p == ';' || *p == '#') && after_blank) {
			*p = '\0';
			break;
		}
		after_blank = isblank((unsigned char)*p);
	}
}

static int push(struct ini_scan *s, size_t *cap, struct ini_fault *f,
		struct ini_entry *ent)
{
	if (s->nr_entries == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		struct ini_entry *n = realloc(s->entries, ncap * sizeof(*n));

		if (!n)
			return scan_oom(f);
		s->entries = n;
		*cap = ncap;
	}
	s->entries[s->nr_entries++] = *ent;
	return 0;
}

static void entry_free(struct ini_entry *ent)
{
	free(ent->section);
	free(ent->name);
	free(ent->key);
	free(ent->value);
}

/* Takes ent: adds it, or, when it repeats dup (a section, or a key of
 * its section), frees it and fails naming both lines. */
static int add_unique(struct ini_scan *s, size_t *cap, struct ini_entry *ent,
		      const struct ini_entry *dup, struct ini_fault *f)
{
	int r = 0;

	if (dup && ent->is_section)
		r = scan_fail(f, ent->line,
			      "[%s]: duplicate section (first at line %u)",
			      ent->name, dup->line);
	else if (dup)
		r = scan_fail(f, ent->line,
			      "[%s] %s: duplicate key (first at line %u)",
			      ent->section, ent->name, dup->line);
	else if (push(s, cap, f, ent) < 0)
		r = -ENOMEM;
	if (r < 0)
		entry_free(ent);
	return r;
}

static int scan_section(struct ini_scan *s, size_t *cap, char *b, char *end,
			unsigned int line, struct ini_fault *f)
{
	struct ini_entry ent = { .line = line, .is_section = true };
	char *close = memchr(b + 1, ']', (size_t)(end - b - 1));
	char *nb = b + 1, *ne = close;

	strip(&nb, &ne);
	if (nb == ne)
		return scan_fail(f, line, "empty section name");
	*ne = '\0';
	if (strchr(nb, ':'))
		return scan_fail(f, line, "[%s]: ':' in a section name", nb);
	ent.name = strdup(nb);
	ent.section = lowered(nb);
	if (!ent.name || !ent.section) {
		entry_free(&ent);
		return scan_oom(f);
	}
	return add_unique(s, cap, &ent, ini_scan_find(s, ent.section, NULL), f);
}

static int scan_key(struct ini_scan *s, size_t *cap, char *b, char *end,
		    const char *section, unsigned int line,
		    struct ini_fault *f)
{
	struct ini_entry ent = { .line = line };
	char *eq = memchr(b, '=', (size_t)(end - b));
	char *kb = b, *ke = eq, *vb = eq + 1, *ve = end;

	strip(&kb, &ke);
	if (kb == ke)
		return scan_fail(f, line, "syntax error: no key before '='");
	*ke = '\0';
	*ve = '\0';
	cut_comment(vb);
	ve = vb + strlen(vb);
	strip(&vb, &ve);
	*ve = '\0';
	ent.name = strdup(kb);
	ent.key = lowered(kb);
	ent.value = strdup(vb);
	ent.section = section ? strdup(section) : NULL;
	if (!ent.name || !ent.key || !ent.value || (section && !ent.section)) {
		entry_free(&ent);
		return scan_oom(f);
	}
	return add_unique(s, cap, &ent,
			  section ? ini_scan_find(s, section, ent.key) : NULL,
			  f);
}

/* One logical line (continuations joined), NUL-terminated at end. */
static int scan_logical(struct ini_scan *s, size_t *cap, char *b, char *end,
			unsigned int line, struct ini_fault *f)
{
	const char *section = NULL;
	size_t i;

	strip(&b, &end);
	*end = '\0';
	if (b == end || *b == '#' || *b == ';')
		return 0;
	if (*b == '[' && end[-1] == ']')
		return scan_section(s, cap, b, end, line, f);
	if (!memchr(b, '=', (size_t)(end - b)))
		return scan_fail(f, line, "syntax error: \"%s\"", b);
	for (i = s->nr_entries; i > 0; i--) {
		if (s->entries[i - 1].is_section) {
			section = s->entries[i - 1].section;
			break;
		}
	}
	return scan_key(s, cap, b, end, section, line, f);
}

int ini_scan_text(struct ini_scan *s, const char *text, size_t len,
		  struct ini_fault *f)
{
	_cleanup_free_ char *logical = malloc(len + 1);
	size_t pos = 0, llen = 0, cap = 0;
	unsigned int lineno = 0, first = 0;
	int r;

	s->entries = NULL;
	s->nr_entries = 0;
	if (!logical)
		return scan_oom(f);
	if (memchr(text, '\0', len)) {
		const char *nul = memchr(text, '\0', len), *p;

		lineno = 1;
		for (p = text; p < nul; p++)
			lineno += *p == '\n';
		return scan_fail(f, lineno, "NUL byte");
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t plen = nl ? (size_t)(nl - text) - pos : len - pos;

		lineno++;
		if (!llen)
			first = lineno;
		memcpy(logical + llen, text + pos, plen);
		llen += plen;
		pos += plen + (nl ? 1 : 0);
		while (llen && isspace((unsigned char)logical[llen - 1]))
			llen--;
		if (llen && logical[llen - 1] == '\\') {
			llen--; /* the next line continues this one */
			if (pos >= len)
				return scan_fail(f, lineno,
						 "continuation at end of file");
			continue;
		}
		logical[llen] = '\0';
		r = scan_logical(s, &cap, logical, logical + llen, first, f);
		if (r < 0)
			return r;
		llen = 0;
	}
	return 0;
}

const struct ini_entry *ini_scan_find(const struct ini_scan *s,
				      const char *section, const char *key)
{
	size_t i;

	if (!section)
		return NULL;
	for (i = 0; i < s->nr_entries; i++) {
		const struct ini_entry *ent = &s->entries[i];

		if (!ent->section || strcasecmp(ent->section, section) != 0)
			continue;
		if (!key ? ent->is_section
			 : (!ent->is_section && strcasecmp(ent->key, key) == 0))
			return ent;
	}
	return NULL;
}

void ini_scan_free(struct ini_scan *s)
{
	size_t i;

	for (i = 0; i < s->nr_entries; i++)
		entry_free(&s->entries[i]);
	free(s->entries);
	s->entries = NULL;
	s->nr_entries = 0;
}
