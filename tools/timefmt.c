/* timefmt.c - clocks, RFC 3339 timestamps with nanoseconds and human
 * durations (see timefmt.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

int64_t time_wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int64_t time_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* 9999-12-31T23:59:59Z */
#define TIME_MAX_SEC 253402300799LL

void time_format_rfc3339(int64_t ns, char out[TIME_RFC3339_LEN])
{
	time_t sec = (time_t)(ns / NSEC_PER_SEC);
	char buf[80]; /* room for what the compiler cannot rule out */
	struct tm tm;

	out[0] = '\0';
	if (ns < 0 || ns / NSEC_PER_SEC > TIME_MAX_SEC || !gmtime_r(&sec, &tm))
		return;
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ns % NSEC_PER_SEC));
	memcpy(out, buf, TIME_RFC3339_LEN - 1);
	out[TIME_RFC3339_LEN - 1] = '\0';
}

/* n decimal digits at s[*pos] into *v. */
static bool take_digits(const char *s, size_t len, size_t *pos, int n, int *v)
{
	int x = 0;

	if (*pos + (size_t)n > len)
		return false;
	for (int i = 0; i < n; i++) {
		char c = s[*pos + (size_t)i];

		if (c < '0' || c > '9')
			return false;
		x = x * 10 + (c - '0');
	}
	*pos += (size_t)n;
	*v = x;
	return true;
}

static bool take_char(const char *s, size_t len, size_t *pos, char c)
{
	if (*pos >= len || s[*pos] != c)
		return false;
	(*pos)++;
	return true;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31 };

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

int time_parse_rfc3339(const char *s, size_t len, int64_t *ns)
{
	int year, mon, day, hour, min, sec;
	int64_t frac = 0;
	size_t pos = 0;
	struct tm tm = { 0 };
	time_t t;
	int digits = 0;

	if (!take_digits(s, len, &pos, 4, &year) ||
	    !take_char(s, len, &pos, '-') ||
	    !take_digits(s, len, &pos, 2, &mon) ||
	    !take_char(s, len, &pos, '-') ||
	    !take_digits(s, len, &pos, 2, &day) ||
	    !take_char(s, len, &pos, 'T') ||
	    !take_digits(s, len, &pos, 2, &hour) ||
	    !take_char(s, len, &pos, ':') ||
	    !take_digits(s, len, &pos, 2, &min) ||
	    !take_char(s, len, &pos, ':') ||
	    !take_digits(s, len, &pos, 2, &sec))
		return -EINVAL;
	if (take_char(s, len, &pos, '.')) {
		while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
			if (++digits > 9)
				return -EINVAL;
			frac = frac * 10 + (s[pos++] - '0');
		}
		if (digits == 0)
			return -EINVAL;
		for (int i = digits; i < 9; i++)
			frac *= 10;
	}
	if (pos + 1 == len && s[pos] == 'Z')
		pos++;
	else if (pos + 6 == len && memcmp(s + pos, "+00:00", 6) == 0)
		pos += 6;
	else
		return -EINVAL;
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 ||
	    day > days_in_month(year, mon) || hour > 23 || min > 59 ||
	    sec > 59)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*ns = (int64_t)t * NSEC_PER_SEC + frac;
	return 0;
}

void time_format_human(int64_t ns, char *out, size_t n)
{
	int64_t s = ns / NSEC_PER_SEC;
	static const struct {
		int64_t limit, unit;
		const char *name;
	} steps[] = {
		{ 60, 1, "second" },
		{ 3600, 60, "minute" },
		{ 48 * 3600, 3600, "hour" },
		{ 14 * 86400, 86400, "day" },
		{ 60 * 86400, 7 * 86400, "week" },
		{ 2 * 365 * 86400, 30 * 86400, "month" },
		{ INT64_MAX, 365 * 86400, "year" },
	};

	if (ns < 0) {
		snprintf(out, n, "0 seconds");
		return;
	}
	if (s < 1) {
		snprintf(out, n, "Less than a second");
		return;
	}
	if (s >= 60 && s < 120) {
		snprintf(out, n, "About a minute");
		return;
	}
	if (s >= 3600 && s < 7200) {
		snprintf(out, n, "About an hour");
		return;
	}
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (s < steps[i].limit) {
			int64_t v = s / steps[i].unit;

			snprintf(out, n, "%lld %s%s", (long long)v,
				 steps[i].name, v == 1 ? "" : "s");
			return;
		}
	}
}
