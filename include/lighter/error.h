/* error.h - the error contract shared by every lighter component.
 *
 * Fallible functions return a negative errno and, when handed a
 * `struct lerr`, fill it with a one-line message that carries context
 * (file names in quotes, the field or flag at fault).  Library code never
 * prints; the caller that decides to give up prints `e.msg` once. */
#ifndef LIGHTER_ERROR_H
#define LIGHTER_ERROR_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct lerr {
	int code;       /* positive errno, 0 when unset */
	char msg[512];  /* one line, no trailing newline */
};

/* Messages quote what they reject (a file name, a spec value, a JSON
 * string): control characters in it become '?' so that hostile input
 * cannot break the one line or smuggle terminal escapes into a log. */
static inline void lerr_sanitize(char *msg)
{
	for (; *msg; msg++) {
		if ((unsigned char)*msg < 0x20 || *msg == 0x7f)
			*msg = '?';
	}
}

/* Record an error and return -errnum so callers can `return lerr_set(...)`.
 * When errnum is non-zero, ": strerror(errnum)" is appended.  e may be NULL. */
__attribute__((format(printf, 3, 4))) static inline int
lerr_set(struct lerr *e, int errnum, const char *fmt, ...)
{
	if (errnum < 0)
		errnum = -errnum;
	if (e) {
		va_list ap;
		int n;

		va_start(ap, fmt);
		n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		if (errnum && n >= 0 && (size_t)n < sizeof(e->msg))
			snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s",
				 strerror(errnum));
		lerr_sanitize(e->msg);
		e->code = errnum;
	}
	return errnum ? -errnum : -EINVAL;
}

/* Like lerr_set() but without the ": strerror" suffix, for faults the
 * message already explains (a bad field, a malformed file): e->code still
 * records errnum, and -errnum is returned. */
__attribute__((format(printf, 3, 4))) static inline int
lerr_fail(struct lerr *e, int errnum, const char *fmt, ...)
{
	if (errnum < 0)
		errnum = -errnum;
	if (!errnum)
		errnum = EINVAL;
	if (e) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		lerr_sanitize(e->msg);
		e->code = errnum;
	}
	return -errnum;
}

#endif
