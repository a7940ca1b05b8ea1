/* ini-util.h - loading an INI file with iniparser without letting the
 * library print: its complaints arrive through its error callback, are
 * kept (the first one, made one line), and are handed back as a line
 * number plus a message for the caller to prefix with the file name in
 * its own style ('"vm.ini": line 3: ...' in lighter-vmm,
 * 'web.ini:3: ...' in the group spec).
 *
 * Header-only: lighter-vmm's config and the host tool's spec loader both
 * include it; each translation unit gets its own capture buffer, and every
 * ini_util_load() installs the callback before it parses. */
#ifndef LIGHTER_INI_UTIL_H
#define LIGHTER_INI_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iniparser.h>

/* Why iniparser refused a file. */
struct ini_fault {
	unsigned int line; /* 1-based; 0 when iniparser named no line */
	char msg[320];     /* e.g. 'syntax error: "TEXT"', one line */
};

static __thread char ini_util_first_error[384];

__attribute__((format(printf, 1, 2))) static inline int
ini_util_error_cb(const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (ini_util_first_error[0])
		return 0; /* the first complaint names the first bad line */
	va_start(ap, fmt);
	vsnprintf(ini_util_first_error, sizeof(ini_util_first_error), fmt, ap);
	va_end(ap);
	for (n = 0; ini_util_first_error[n]; n++) {
		if (ini_util_first_error[n] == '\n' ||
		    ini_util_first_error[n] == '\r')
			ini_util_first_error[n] = ' ';
	}
	while (n && ini_util_first_error[n - 1] == ' ')
		ini_util_first_error[--n] = '\0';
	return 0;
}

/* Long messages are cut, which is fine for a one-line diagnostic. */
__attribute__((format(printf, 2, 3))) static inline void
ini_util_msg(struct ini_fault *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

/* iniparser 4.1 says 'iniparser: WHAT in PATH (LINE)' optionally followed
 * by ': -> TEXT' (syntax errors quote the line).  Turn that into
 * line = LINE, msg = 'WHAT: "TEXT"' (or 'WHAT'); anything else is kept
 * whole with line 0. */
static inline void ini_util_fault(struct ini_fault *f, const char *path,
				  const char *raw)
{
	static const char prefix[] = "iniparser: ";
	const char *p = raw, *in, *text;
	size_t plen = strlen(path);
	unsigned int line;
	int used = 0;

	f->line = 0;
	if (!raw[0]) {
		ini_util_msg(f, "cannot parse");
		return;
	}
	ini_util_msg(f, "%s", raw);
	if (strncmp(p, prefix, sizeof(prefix) - 1) != 0)
		return;
	p += sizeof(prefix) - 1;
	ini_util_msg(f, "%s", p);
	/* The path may itself contain " in ": find " in PATH (" exactly. */
	for (in = strstr(p, " in "); in; in = strstr(in + 1, " in ")) {
		if (strncmp(in + 4, path, plen) == 0 &&
		    sscanf(in + 4 + plen, " (%u)%n", &line, &used) == 1 && used)
			break;
	}
	if (!in)
		return;
	text = strstr(in + 4 + plen + used, "-> ");
	f->line = line;
	if (text)
		ini_util_msg(f, "%.*s: \"%s\"", (int)(in - p),
			 p, text + 3);
	else
		ini_util_msg(f, "%.*s", (int)(in - p), p);
}

/* Load path.  Returns 0 with *out set (free with iniparser_freedict), or
 * -errno when the file cannot be opened (iniparser cannot tell "missing"
 * from "unreadable", so this asks first; f->msg is strerror), or -EINVAL
 * with f filled when iniparser rejects the contents. */
static inline int ini_util_load(const char *path, dictionary **out,
				struct ini_fault *f)
{
	dictionary *d;
	FILE *file;

	*out = NULL;
	file = fopen(path, "r");
	if (!file) {
		int err = errno;

		f->line = 0;
		ini_util_msg(f, "%s", strerror(err));
		return -err;
	}
	fclose(file);

	ini_util_first_error[0] = '\0';
	iniparser_set_error_callback(ini_util_error_cb);
	d = iniparser_load(path);
	if (!d || ini_util_first_error[0]) {
		if (d)
			iniparser_freedict(d);
		ini_util_fault(f, path, ini_util_first_error);
		return -EINVAL;
	}
	*out = d;
	return 0;
}

static inline void ini_util_freedictp(dictionary **d)
{
	if (*d)
		iniparser_freedict(*d);
}

#define _cleanup_dict_ __attribute__((cleanup(ini_util_freedictp)))

#endif
