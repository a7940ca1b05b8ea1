/* test-logfile.c - CRI log lines (tools/logfile.c) and the timestamps
 * they carry (tools/timefmt.c): the exact line format, parsing good and
 * bad lines, a container's output split into F and P entries (lines cut
 * in the middle, over-long lines, empty lines), a reader on a file that
 * grows (an unfinished last line waits), and --tail's logical lines. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "logfile.h"
#include "timefmt.h"
#include "tmpdir.h"

#define T0 1764300000123456789LL /* 2025-11-28T03:20:00.123456789Z */

static int fd = -1;

static void setup(void)
{
	char *p;

	tmpdir_make();
	p = tmpdir_join("main.log");
	fd = open(p, O_RDWR | O_CREAT | O_APPEND, 0644);
	free(p);
	cr_assert_geq(fd, 0);
}

static void teardown(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	tmpdir_remove();
}

TestSuite(logfile, .init = setup, .fini = teardown);

/* The whole file as a string (malloc'd). */
static char *file_text(void)
{
	off_t n = lseek(fd, 0, SEEK_END);
	char *s = malloc((size_t)n + 1);

	cr_assert_eq(pread(fd, s, (size_t)n, 0), n);
	s[n] = '\0';
	return s;
}

Test(logfile, rfc3339_round_trip)
{
	static const struct {
		const char *text;
		int64_t ns;
	} cases[] = {
		{ "1970-01-01T00:00:00.000000000Z", 0 },
		{ "2025-11-28T03:20:00.123456789Z", T0 },
		{ "2024-02-29T23:59:59.999999999Z", 1709251199999999999LL },
		{ "2262-04-11T23:47:16.854775807Z", INT64_MAX },
	};
	char buf[TIME_RFC3339_LEN];
	int64_t ns;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_format_rfc3339(cases[i].ns, buf);
		cr_expect_str_eq(buf, cases[i].text);
		cr_assert_eq(time_parse_rfc3339(cases[i].text,
						strlen(cases[i].text), &ns),
			     0, "%s", cases[i].text);
		cr_expect_eq(ns, cases[i].ns, "%s", cases[i].text);
	}
}

Test(logfile, rfc3339_other_forms_and_garbage)
{
	static const char *const good[] = {
		"2025-11-28T03:20:00Z",
		"2025-11-28T03:20:00.1Z",
		"2025-11-28T03:20:00.123456+00:00",
	};
	static const char *const bad[] = {
		"", "2025-11-28", "2025-11-28T03:20:00", "2025-11-28 03:20:00Z",
		"2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z",
		"2023-02-29T00:00:00Z", "2025-11-28T24:00:00Z",
		"2025-11-28T03:20:00.Z", "2025-11-28T03:20:00.1234567891Z",
		"2025-11-28T03:20:00+01:00", "1969-12-31T23:59:59Z",
		"2025-11-28T03:20:00Zjunk", "+025-11-28T03:20:00Z",
	};
	int64_t ns;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(time_parse_rfc3339(good[i], strlen(good[i]), &ns),
			     0, "%s", good[i]);
	cr_expect_eq(time_parse_rfc3339(good[1], strlen(good[1]), &ns), 0);
	cr_expect_eq(ns % NSEC_PER_SEC, 100000000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(time_parse_rfc3339(bad[i], strlen(bad[i]), &ns),
			     -EINVAL, "\"%s\"", bad[i]);
}

Test(logfile, human_durations)
{
	static const struct {
		int64_t s;
		const char *text;
	} cases[] = {
		{ 0, "Less than a second" }, { 1, "1 second" },
		{ 59, "59 seconds" },	     { 60, "About a minute" },
		{ 125, "2 minutes" },	     { 3600, "About an hour" },
		{ 7200, "2 hours" },	     { 47 * 3600, "47 hours" },
		{ 3 * 86400, "3 days" },     { 15 * 86400, "2 weeks" },
		{ 90 * 86400, "3 months" },  { 800 * 86400, "2 years" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_format_human(cases[i].s * NSEC_PER_SEC, buf, sizeof(buf));
		cr_expect_str_eq(buf, cases[i].text, "%lld s",
				 (long long)cases[i].s);
	}
}

Test(logfile, line_format_is_cri)
{
	char buf[LOG_LINE_MAX];
	size_t n;

	n = log_line_format(buf, T0, LOG_STDOUT, false, "hello world", 11);
	cr_assert_eq(n, strlen("2025-11-28T03:20:00.123456789Z stdout F "
			       "hello world\n"));
	cr_expect(memcmp(buf, "2025-11-28T03:20:00.123456789Z stdout F "
			      "hello world\n", n) == 0);
	n = log_line_format(buf, T0, LOG_STDERR, true, "", 0);
	cr_expect(memcmp(buf, "2025-11-28T03:20:00.123456789Z stderr P \n",
			 n) == 0);
}

Test(logfile, parse_good_and_bad_lines)
{
	static const char *const bad[] = {
		"",
		"hello",
		"2025-11-28T03:20:00.123456789Z",
		"2025-11-28T03:20:00.123456789Z stdout",
		"2025-11-28T03:20:00.123456789Z stdout F",
		"2025-11-28T03:20:00.123456789Z stdin F x",
		"2025-11-28T03:20:00.123456789Z stdout X x",
		"2025-11-28T03:20:00.123456789Z stdoutF x",
		"yesterday stdout F x",
	};
	const char *l = "2025-11-28T03:20:00.123456789Z stderr P  two  spaces ";
	struct log_entry en;

	cr_assert_eq(log_line_parse(l, strlen(l), &en), 0);
	cr_expect_eq(en.time_ns, T0);
	cr_expect_eq(en.stream, LOG_STDERR);
	cr_expect(en.partial);
	cr_expect_eq(en.len, strlen(" two  spaces "));
	cr_expect(memcmp(en.text, " two  spaces ", en.len) == 0);
	l = "2025-11-28T03:20:00Z stdout F ";
	cr_assert_eq(log_line_parse(l, strlen(l), &en), 0, "empty text");
	cr_expect_eq(en.len, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(log_line_parse(bad[i], strlen(bad[i]), &en),
			     -EINVAL, "\"%s\"", bad[i]);
}

Test(logfile, output_becomes_full_and_partial_entries)
{
	struct lerr e = { 0 };
	char *text;

	cr_assert_eq(log_write(fd, T0, LOG_STDOUT, "one\ntwo\n\nthree", 14,
			       &e),
		     0, "%s", e.msg);
	cr_assert_eq(log_write(fd, T0 + 1, LOG_STDOUT, " more\n", 6, &e), 0);
	cr_assert_eq(log_write(fd, T0 + 2, LOG_STDERR, "oops", 4, &e), 0);
	text = file_text();
	cr_expect_str_eq(text,
			 "2025-11-28T03:20:00.123456789Z stdout F one\n"
			 "2025-11-28T03:20:00.123456789Z stdout F two\n"
			 "2025-11-28T03:20:00.123456789Z stdout F \n"
			 "2025-11-28T03:20:00.123456789Z stdout P three\n"
			 "2025-11-28T03:20:00.123456790Z stdout F  more\n"
			 "2025-11-28T03:20:00.123456791Z stderr P oops\n");
	free(text);
}

Test(logfile, long_lines_are_split_into_partial_entries)
{
	size_t len = 2 * LOG_ENTRY_MAX + 100;
	char *data = malloc(len + 1);
	struct log_reader r;
	struct log_entry en;
	struct lerr e = { 0 };
	size_t total = 0, entries = 0;

	memset(data, 'x', len);
	data[len] = '\n';
	cr_assert_eq(log_write(fd, T0, LOG_STDOUT, data, len + 1, &e), 0);
	cr_assert_eq(log_reader_init(&r, fd, 0, &e), 0);
	while (log_reader_next(&r, &en, &e) == 1) {
		entries++;
		total += en.len;
		cr_expect_leq(en.len, LOG_ENTRY_MAX);
		cr_expect_eq(en.partial, entries < 3, "entry %zu", entries);
	}
	cr_expect_eq(entries, 3);
	cr_expect_eq(total, len);
	log_reader_free(&r);
	free(data);
}

/* Writes text to the test's log file and opens a reader at its start. */
static void reader_over(struct log_reader *r, const char *text)
{
	struct lerr e = { 0 };

	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(log_reader_init(r, fd, 0, &e), 0, "%s", e.msg);
}

Test(logfile, reader_waits_for_an_unfinished_line)
{
	const char *a = "2025-11-28T03:20:00.123456789Z stdout F first\n"
			"2025-11-28T03:20:00.123456789Z stdout F sec";
	struct log_reader r;
	struct log_entry en;
	struct lerr e = { 0 };

	reader_over(&r, a);
	cr_assert_eq(log_reader_next(&r, &en, &e), 1);
	cr_expect(en.len == 5 && memcmp(en.text, "first", 5) == 0);
	cr_expect_eq(log_reader_next(&r, &en, &e), 0, "half a line");
	cr_assert_eq(write(fd, "ond\n", 4), 4);
	cr_assert_eq(log_reader_next(&r, &en, &e), 1, "the rest came");
	cr_expect(en.len == 6 && memcmp(en.text, "second", 6) == 0);
	cr_expect_eq(log_reader_next(&r, &en, &e), 0);
	cr_expect_eq(r.bad_lines, 0);
	log_reader_free(&r);
}

Test(logfile, reader_skips_malformed_lines)
{
	const char *a = "garbage\n"
			"2025-11-28T03:20:00.123456789Z stdout F ok\n"
			"2025-11-28T03:20:00.123456789Z stdin F no\n";
	struct log_reader r;
	struct log_entry en;
	struct lerr e = { 0 };

	reader_over(&r, a);
	cr_assert_eq(log_reader_next(&r, &en, &e), 1);
	cr_expect(en.len == 2 && memcmp(en.text, "ok", 2) == 0);
	cr_expect_eq(log_reader_next(&r, &en, &e), 0);
	cr_expect_eq(r.bad_lines, 2);
	log_reader_free(&r);
}

/* Lines 0..n-1 ("line N"), odd ones written in two pieces. */
static void write_lines(int n)
{
	struct lerr e = { 0 };
	char buf[32];

	for (int i = 0; i < n; i++) {
		int len = snprintf(buf, sizeof(buf), "line %d\n", i);

		if (i % 2) {
			cr_assert_eq(log_write(fd, T0 + i, LOG_STDOUT, buf, 3,
					       &e),
				     0);
			cr_assert_eq(log_write(fd, T0 + i, LOG_STDOUT, buf + 3,
					       (size_t)len - 3, &e),
				     0);
		} else {
			cr_assert_eq(log_write(fd, T0 + i, LOG_STDOUT, buf,
					       (size_t)len, &e),
				     0);
		}
	}
}

static void expect_tail(size_t n, size_t want_count, int first)
{
	struct log_reader r;
	struct log_line *lines;
	struct lerr e = { 0 };
	size_t nr;

	cr_assert_eq(log_reader_init(&r, fd, 0, &e), 0);
	cr_assert_eq(log_tail(&r, n, &lines, &nr, &e), 0, "%s", e.msg);
	cr_assert_eq(nr, want_count, "tail %zu", n);
	for (size_t i = 0; i < nr; i++) {
		char want[32];

		snprintf(want, sizeof(want), "line %d", first + (int)i);
		cr_expect(lines[i].complete);
		cr_expect_eq(lines[i].len, strlen(want));
		cr_expect_str_eq(lines[i].text, want, "tail %zu, line %zu", n,
				 i);
		cr_expect_eq(lines[i].time_ns, T0 + first + (int)i);
	}
	log_lines_free(lines, nr);
	cr_expect_eq(r.offset, lseek(fd, 0, SEEK_END), "left at the end");
	log_reader_free(&r);
}

Test(logfile, tail_counts_logical_lines)
{
	write_lines(200);
	expect_tail(3, 3, 197);
	expect_tail(1, 1, 199);
	expect_tail(0, 0, 0);
	expect_tail(150, 150, 50);
	expect_tail(1000, 200, 0);
}

Test(logfile, tail_keeps_an_unfinished_line_last)
{
	struct log_reader r;
	struct log_line *lines;
	struct lerr e = { 0 };
	size_t nr;

	write_lines(4);
	cr_assert_eq(log_write(fd, T0 + 10, LOG_STDERR, "err ", 4, &e), 0);
	cr_assert_eq(log_write(fd, T0 + 11, LOG_STDOUT, "tail", 4, &e), 0);
	cr_assert_eq(log_write(fd, T0 + 12, LOG_STDERR, "done\n", 5, &e), 0);
	cr_assert_eq(log_reader_init(&r, fd, 0, &e), 0);
	cr_assert_eq(log_tail(&r, 2, &lines, &nr, &e), 0);
	cr_assert_eq(nr, 2);
	/* the stderr line, split around a stdout piece, is whole */
	cr_expect_str_eq(lines[0].text, "err done");
	cr_expect_eq(lines[0].stream, LOG_STDERR);
	cr_expect_eq(lines[0].time_ns, T0 + 10);
	cr_expect(lines[0].complete);
	cr_expect_str_eq(lines[1].text, "tail");
	cr_expect_eq(lines[1].stream, LOG_STDOUT);
	cr_expect_not(lines[1].complete);
	log_lines_free(lines, nr);
	log_reader_free(&r);
}
