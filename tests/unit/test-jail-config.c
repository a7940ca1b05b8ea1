/* test-jail-config.c - the --jail* flags through vmm_config_parse()
 * (defaults, every flag, what --jail requires, a table of bad values whose
 * messages name the flag) and the supervisor's exit status and death line
 * (jail-status.c). */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "config.h"
#include "fixture.h"
#include "jail-status.h"

#define MiB (1ULL << 20)

static struct vmm_config c;

static void teardown(void)
{
	vmm_config_free(&c);
}

TestSuite(jail_config, .fini = teardown);

#define PARSE(e, ...)                                                          \
	fix_config_parse(&c, e, (const char *const[]){ __VA_ARGS__, NULL })

Test(jail_config, off_by_default)
{
	struct lerr e;

	cr_assert_eq(PARSE(&e, "--kernel", "k"), 0, "%s", e.msg);
	cr_expect(!c.jail.enabled);
	cr_expect_null(c.jail.root);
	cr_expect_eq(c.jail.uid, 0);
}

Test(jail_config, minimal_with_defaults)
{
	struct lerr e;

	cr_assert_eq(PARSE(&e, "--kernel", "k", "--jail", "--jail-root",
			   "/run/j", "--jail-uid", "1000", "--jail-gid", "1001"),
		     0, "%s", e.msg);
	cr_expect(c.jail.enabled);
	cr_expect_str_eq(c.jail.root, "/run/j");
	cr_expect_eq(c.jail.uid, 1000);
	cr_expect_eq(c.jail.gid, 1001);
	cr_expect_null(c.jail.id, "chosen at entry: vmm-<pid>");
	cr_expect_null(c.jail.cgroup, "chosen at entry: lighter/<id>");
	cr_expect_null(c.jail.netns);
	cr_expect_eq(c.jail.mem_overhead, 64 * MiB);
	cr_expect_eq(c.jail.memory_limit, 0);
}

Test(jail_config, every_flag)
{
	struct lerr e;

	cr_assert_eq(PARSE(&e, "--jail", "--kernel", "k", "--jail-root=/j",
			   "--jail-uid", "4294967294", "--jail-gid=7",
			   "--jail-id", "web-1.a_b", "--jail-netns",
			   "/run/netns/web", "--jail-cgroup", "lighter/web@x:1",
			   "--jail-mem-overhead", "0", "--jail-memory-limit",
			   "96M"),
		     0, "%s", e.msg);
	cr_expect_eq(c.jail.uid, 4294967294u);
	cr_expect_eq(c.jail.gid, 7);
	cr_expect_str_eq(c.jail.id, "web-1.a_b");
	cr_expect_str_eq(c.jail.netns, "/run/netns/web");
	cr_expect_str_eq(c.jail.cgroup, "lighter/web@x:1");
	cr_expect_eq(c.jail.mem_overhead, 0, "an explicit 0 stays");
	cr_expect_eq(c.jail.memory_limit, 96 * MiB);
}

Test(jail_config, later_flag_wins)
{
	struct lerr e;

	cr_assert_eq(PARSE(&e, "--jail", "--kernel", "k", "--jail-root", "/a",
			   "--jail-root", "/b", "--jail-uid", "5", "--jail-gid",
			   "5"),
		     0, "%s", e.msg);
	cr_expect_str_eq(c.jail.root, "/b");
}

/* A flag value that looks like a jail flag is still the value. */
Test(jail_config, value_that_looks_like_a_flag)
{
	struct lerr e;

	cr_assert_eq(PARSE(&e, "--kernel", "k", "--cmdline", "--jail"), 0,
		     "%s", e.msg);
	cr_expect(!c.jail.enabled);
	cr_expect_str_eq(c.cmdline, "--jail");
}

struct bad_case {
	const char *args[12];
	const char *needle; /* must appear in the message */
};

static const struct bad_case bad_cases[] = {
	{ { "--jail-uid", "5" }, "--jail-uid: needs --jail" },
	{ { "--jail-root", "/j" }, "--jail-root: needs --jail" },
	{ { "--jail-memory-limit", "96M" }, "--jail-memory-limit: needs --jail" },
	{ { "--jail" }, "--jail: needs --jail-root" },
	{ { "--jail", "--jail-root", "/j", "--jail-gid", "5" },
	  "--jail: needs --jail-uid" },
	{ { "--jail", "--jail-root", "/j", "--jail-uid", "5" },
	  "--jail: needs --jail-gid" },
	{ { "--jail", "--jail-uid", "0" }, "--jail-uid: 0 is root" },
	{ { "--jail", "--jail-gid", "0" }, "--jail-gid: 0 is root" },
	{ { "--jail", "--jail-uid", "abc" }, "--jail-uid: \"abc\" is not a number" },
	{ { "--jail", "--jail-uid", "12x" }, "--jail-uid: \"12x\" is not a number" },
	{ { "--jail", "--jail-uid", "-1" }, "--jail-uid: \"-1\" is not a number" },
	{ { "--jail", "--jail-uid", "4294967295" }, "out of range" },
	{ { "--jail", "--jail-uid", "" }, "--jail-uid: empty value" },
	{ { "--jail", "--jail-root", "rel/dir" }, "not an absolute path" },
	{ { "--jail", "--jail-root", "/" }, "not an absolute path below /" },
	{ { "--jail", "--jail-id", "a/b" }, "--jail-id: \"a/b\"" },
	{ { "--jail", "--jail-id", ".." }, "--jail-id" },
	{ { "--jail", "--jail-id",
	    "x1234567890123456789012345678901234567890123456789012345678901234" },
	  "--jail-id" },
	{ { "--jail", "--jail-cgroup", "/abs" }, "--jail-cgroup: \"/abs\"" },
	{ { "--jail", "--jail-cgroup", "a/../b" }, "--jail-cgroup" },
	{ { "--jail", "--jail-cgroup", "a//b" }, "--jail-cgroup" },
	{ { "--jail", "--jail-cgroup", "a/." }, "--jail-cgroup" },
	{ { "--jail", "--jail-cgroup", "a b" }, "--jail-cgroup" },
	{ { "--jail", "--jail-mem-overhead", "12Q" },
	  "--jail-mem-overhead: \"12Q\" is not a size" },
	{ { "--jail", "--jail-memory-limit", "1M" }, "is below 4M" },
	{ { "--jail", "--jail-memory-limit", "99999999T" }, "too large" },
	{ { "--jail=yes" }, "--jail" },
};

Test(jail_config, bad_values_name_the_flag)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		const char *args[FIX_MAX_ARGS + 1] = { "--kernel", "k" };
		struct lerr e;
		size_t n = 2;

		for (size_t k = 0; b->args[k]; k++)
			args[n++] = b->args[k];
		args[n] = NULL;
		cr_expect_lt(fix_config_parse(&c, &e, args), 0,
			     "case %zu (%s) accepted", i, b->needle);
		cr_expect(strstr(e.msg, b->needle), "case %zu: \"%s\" lacks \"%s\"",
			  i, e.msg, b->needle);
		cr_expect_null(strchr(e.msg, '\n'), "case %zu: one line", i);
		vmm_config_free(&c);
	}
}

Test(jail_status, exit_passes_through)
{
	struct jail_death d = { 0 };
	char line[128] = "stale";

	cr_expect_eq(jail_exit_status(0, &d, line, sizeof(line)), 0);
	cr_expect_str_empty(line);
	cr_expect_eq(jail_exit_status(2 << 8, &d, line, sizeof(line)), 2);
	cr_expect_eq(jail_exit_status(3 << 8, &d, line, sizeof(line)), 3);
	cr_expect_str_empty(line);
}

Test(jail_status, seccomp)
{
	struct jail_death d = { 0 };
	char line[128];

	cr_expect_eq(jail_exit_status(SIGSYS, &d, line, sizeof(line)),
		     128 + SIGSYS);
	cr_expect_str_eq(line, "killed by seccomp (SIGSYS)");
	/* with a core dump flag too */
	cr_expect_eq(jail_exit_status(SIGSYS | 0x80, &d, line, sizeof(line)),
		     128 + SIGSYS);
	cr_expect_str_eq(line, "killed by seccomp (SIGSYS)");
}

Test(jail_status, memory_limit)
{
	struct jail_death d = { .oom_killed = true,
				.memory_limit = 96 * MiB,
				.memory_cgroup = "/sys/fs/cgroup/memory/lighter/x" };
	char line[160];

	cr_expect_eq(jail_exit_status(SIGKILL, &d, line, sizeof(line)), 137);
	cr_expect_str_eq(line, "killed: memory limit of 96 MiB reached "
			       "(cgroup /sys/fs/cgroup/memory/lighter/x)");
	/* the OOM counter only explains a SIGKILL */
	cr_expect_eq(jail_exit_status(SIGSEGV, &d, line, sizeof(line)),
		     128 + SIGSEGV);
	cr_expect_str_eq(line, "killed by signal 11 (SIGSEGV)");
}

Test(jail_status, other_signals)
{
	struct jail_death d = { 0 };
	char line[128];

	cr_expect_eq(jail_exit_status(SIGKILL, &d, line, sizeof(line)), 137);
	cr_expect_str_eq(line, "killed by signal 9 (SIGKILL)");
	cr_expect_eq(jail_exit_status(SIGABRT, &d, line, sizeof(line)), 134);
	cr_expect_str_eq(line, "killed by signal 6 (SIGABRT)");
}
