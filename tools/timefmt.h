/* timefmt.h - the clocks the host side records and how it writes them:
 * wall-clock times as RFC 3339 with nanoseconds in UTC
 * ("2026-11-28T09:15:02.123456789Z", the CRI log and state.json form),
 * CLOCK_MONOTONIC for phase timings, and the human "3 minutes" of
 * `lighter ps`. */
#ifndef LIGHTER_TOOLS_TIMEFMT_H
#define LIGHTER_TOOLS_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define NSEC_PER_SEC 1000000000LL

/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" and its NUL. */
#define TIME_RFC3339_LEN 31

/* CLOCK_REALTIME and CLOCK_MONOTONIC in ns. */
int64_t time_wall_ns(void);
int64_t time_mono_ns(void);

/* ns since the epoch (>= 0, before year 10000) into out, always with nine
 * fraction digits; a negative or too large value writes "". */
void time_format_rfc3339(int64_t ns, char out[TIME_RFC3339_LEN]);

/* The first len bytes of s as "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (0 to 9
 * fraction digits, 'Z' or "+00:00") into ns since the epoch.  0, or
 * -EINVAL for anything else (another offset, a field out of range, a
 * time before 1970). */
int time_parse_rfc3339(const char *s, size_t len, int64_t *ns);

/* A duration as `docker ps` words it: "Less than a second", "1 second",
 * "5 minutes", "About an hour", "3 days", ...; negative is "0 seconds". */
void time_format_human(int64_t ns, char *out, size_t n);

#endif
