/* ini-scan.h - where each section header and key of an INI file is, and
 * its value as written.
 *
 * iniparser (include/lighter/ini-util.h) parses and checks the syntax but
 * keeps no line numbers, and version 4.1 cuts a value at the first ';' or
 * '#' even inside quotes and drops one pair of quotes: a command line
 * such as `sh -c "sleep 1; echo done"` would come back mangled.  This scan
 * reads the same text with iniparser's line rules (trailing blanks
 * stripped, a trailing backslash joins the next line, '#' or ';' first
 * means a comment, '[...]' a section, the first '=' splits key from
 * value, names are lower-cased) and records for every entry its line and
 * its raw value, in which ';' and '#' begin a comment only outside quotes
 * and after a blank.  Duplicate sections and keys are errors here:
 * iniparser would merge or overwrite them silently. */
#ifndef LIGHTER_TOOLS_INI_SCAN_H
#define LIGHTER_TOOLS_INI_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include <lighter/ini-util.h>

struct ini_entry {
	unsigned int line; /* 1-based, the first physical line */
	bool is_section;
	char *section;     /* lower-cased section; NULL for a key before any */
	char *name;        /* section name or key as written (case kept) */
	char *key;         /* lower-cased key; NULL for a section header */
	char *value;       /* raw value, comment and outer blanks removed;
			    * NULL for a section header */
};

struct ini_scan {
	struct ini_entry *entries; /* in file order */
	size_t nr_entries;
};

/* Scan len bytes of text.  Returns 0, or -EINVAL with f naming the line
 * (a line that is neither comment, section nor key = value, an empty
 * section name, a duplicate section or key, a NUL byte), or -ENOMEM.
 * s is always left safe for ini_scan_free(). */
int ini_scan_text(struct ini_scan *s, const char *text, size_t len,
		  struct ini_fault *f);

/* The section header (key NULL) or key entry, or NULL.  section and key
 * are compared lower-cased, as iniparser stores them. */
const struct ini_entry *ini_scan_find(const struct ini_scan *s,
				      const char *section, const char *key);

void ini_scan_free(struct ini_scan *s);

#endif
