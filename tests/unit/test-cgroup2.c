/* test-cgroup2.c - the pure parts of guest-agent/cgroup2.c: the values
 * written to cpu.max, memory.max and pids.max, and the flat-keyed parser
 * behind the OOM-kill counter (memory.events) and cgroup.events.
 *
 * The live cgroup paths (create, CLONE_INTO_CGROUP, cgroup.kill, the
 * fallback kill, remove) run in the 'native' suite against the host's
 * cgroup2 mount; the controllers' files (cpu.max, memory.max, pids.max,
 * memory.events) exist only where cpu/memory/pids are bound to cgroup v2,
 * which is the guest: they are exercised end to end inside the microVM by
 * the agent's own tests (this project's hosts run those controllers on
 * cgroup v1). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cgroup2.h"

static void expect_cpu(uint64_t millis, const char *want)
{
	char buf[64];
	int n = cgroup2_format_cpu_max(millis, buf, sizeof(buf));

	cr_assert_eq(n, (int)strlen(want), "cpu %llu: n=%d",
		     (unsigned long long)millis, n);
	cr_assert_str_eq(buf, want);
}

Test(cgroup2, cpu_max_values)
{
	expect_cpu(0, "max 100000");
	expect_cpu(1000, "100000 100000");
	expect_cpu(500, "50000 100000");
	expect_cpu(2500, "250000 100000");
	expect_cpu(11, "1100 100000");
	/* Below the kernel's 1 ms minimum quota: raised to it. */
	expect_cpu(1, "1000 100000");
	expect_cpu(10, "1000 100000");
}

Test(cgroup2, cpu_max_beyond_the_kernel_and_short_buffer)
{
	char buf[64];

	/* The kernel's largest quota, (2^44 - 1) us, is 175921860444.43
	 * millicpus: the last value that still writes a number. */
	expect_cpu(175921860444ULL, "17592186044400 100000");
	expect_cpu(175921860445ULL, "max 100000");
	expect_cpu(UINT64_MAX / 100 + 1, "max 100000");
	expect_cpu(UINT64_MAX, "max 100000");
	cr_assert_eq(cgroup2_format_cpu_max(1000, buf, 13), -ENOSPC);
	cr_assert_eq(cgroup2_format_cpu_max(1000, buf, 14), 13);
}

Test(cgroup2, limit_values)
{
	char buf[32];

	cr_assert_eq(cgroup2_format_limit(0, buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "max");
	cr_assert_eq(cgroup2_format_limit(134217728, buf, sizeof(buf)), 9);
	cr_assert_str_eq(buf, "134217728");
	cr_assert_eq(cgroup2_format_limit(UINT64_MAX, buf, sizeof(buf)), 20);
	cr_assert_str_eq(buf, "18446744073709551615");
	cr_assert_eq(cgroup2_format_limit(64, buf, 2), -ENOSPC);
}

/* As the kernel writes memory.events (mm/memcontrol.c). */
static const char memory_events[] = "low 0\n"
				    "high 7\n"
				    "max 12\n"
				    "oom 3\n"
				    "oom_kill 2\n"
				    "oom_group_kill 0\n";

Test(cgroup2, memory_events_oom_kill)
{
	uint64_t v = 99;

	cr_assert_eq(cgroup2_parse_keyed(memory_events, strlen(memory_events),
					 "oom_kill", &v),
		     0);
	cr_assert_eq(v, 2, "oom_kill must not match oom or oom_group_kill");
	cr_assert_eq(cgroup2_parse_keyed(memory_events, strlen(memory_events),
					 "oom", &v),
		     0);
	cr_assert_eq(v, 3);
	cr_assert_eq(cgroup2_parse_keyed(memory_events, strlen(memory_events),
					 "oom_group_kill", &v),
		     0);
	cr_assert_eq(v, 0);
	cr_assert_eq(cgroup2_parse_keyed(memory_events, strlen(memory_events),
					 "high", &v),
		     0);
	cr_assert_eq(v, 7);
}

Test(cgroup2, keyed_absent_and_malformed)
{
	static const char no_kill[] = "low 0\nhigh 0\nmax 0\noom 0\n";
	static const char bad[] = "oom 1\noom_kill x1\n";
	static const char huge[] = "oom_kill 18446744073709551616\n";
	static const char empty_value[] = "oom_kill \n";
	uint64_t v = 5;

	cr_assert_eq(
	    cgroup2_parse_keyed(no_kill, strlen(no_kill), "oom_kill", &v),
	    -ENOENT);
	cr_assert_eq(cgroup2_parse_keyed(bad, strlen(bad), "oom_kill", &v),
		     -EINVAL);
	cr_assert_eq(cgroup2_parse_keyed(huge, strlen(huge), "oom_kill", &v),
		     -EINVAL);
	cr_assert_eq(cgroup2_parse_keyed(empty_value, strlen(empty_value),
					 "oom_kill", &v),
		     -EINVAL);
	cr_assert_eq(cgroup2_parse_keyed("", 0, "oom_kill", &v), -ENOENT);
	cr_assert_eq(v, 5, "value untouched on errors");
}

Test(cgroup2, keyed_edges)
{
	static const char events[] = "populated 1\nfrozen 0\n";
	static const char no_newline[] = "populated 0";
	static const char max[] = "oom_kill 18446744073709551615\n";
	uint64_t v = 9;

	cr_assert_eq(
	    cgroup2_parse_keyed(events, strlen(events), "populated", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(cgroup2_parse_keyed(events, strlen(events), "frozen", &v),
		     0);
	cr_assert_eq(v, 0);
	cr_assert_eq(cgroup2_parse_keyed(no_newline, strlen(no_newline),
					 "populated", &v),
		     0);
	cr_assert_eq(v, 0);
	cr_assert_eq(cgroup2_parse_keyed(max, strlen(max), "oom_kill", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	/* The length bounds the parse: a key past it is not seen. */
	cr_assert_eq(cgroup2_parse_keyed(events, 12, "frozen", &v), -ENOENT);
	/* A key that is a prefix of the line's key does not match. */
	cr_assert_eq(cgroup2_parse_keyed(events, strlen(events), "pop", &v),
		     -ENOENT);
}
