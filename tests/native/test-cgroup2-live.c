/* test-cgroup2-live.c - guest-agent/cgroup2.c against the host's cgroup2
 * mount: parent and per-container cgroups, a container born in its
 * cgroup (CLONE_INTO_CGROUP), cgroup.events, cgroup.kill and the
 * cgroup.procs fallback, removal, and errors that name their file.
 *
 * What this host cannot show: its cpu, memory and pids controllers are on
 * cgroup v1, so cpu.max, memory.max, pids.max and memory.events do not
 * exist in its cgroup2 tree.  Those writes and the OOM-kill counter are
 * exercised end to end inside the guest (the agent wires them; its e2e
 * tests run there); here only their error paths run, and the values are
 * unit-tested (tests/unit/test-cgroup2.c).  No controller is enabled on
 * the host: the tests work in a fresh cgroup of their own and remove it.
 *
 * Exits 77 without a cgroup2 mount (or for the reasons of native.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup2.h"
#include "container-root.h"
#include "native.h"

static char cg_root[PATH_MAX];	 /* the cgroup2 mount point */
static char cg_parent[PATH_MAX]; /* this test's parent cgroup */

/* The first cgroup2 mount whose root is the hierarchy's root. */
static bool find_cgroup2(char *out, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char root[512], point[512];
		const char *sep = strstr(line, " - ");

		if (!sep || strncmp(sep, " - cgroup2 ", 11) != 0)
			continue;
		if (sscanf(line, "%*d %*d %*s %511s %511s", root, point) != 2)
			continue;
		if (strcmp(root, "/") != 0)
			continue;
		snprintf(out, size, "%s", point);
		found = true;
	}
	fclose(f);
	return found;
}

static void setup(void)
{
	struct lerr e = {0};

	native_enter_scratch();
	cr_assert(find_cgroup2(cg_root, sizeof(cg_root)));
	NATIVE_FMT(cg_parent, "%s/lighter-test-%d", cg_root, (int)getpid());
	cr_assert_eq(cgroup2_prepare_parent(cg_root, cg_parent, "", &e), 0,
		     "%s", e.msg);
}

static void teardown(void)
{
	struct lerr e = {0};

	native_leave_scratch(); /* kills containers left running */
	if (cgroup2_remove(cg_parent, &e) < 0)
		fprintf(stderr, "cleanup: %s\n", e.msg);
}

TestSuite(cgroup2_live, .init = setup, .fini = teardown, .timeout = 60);

static void wait_unpopulated(const char *dir)
{
	struct lerr e = {0};
	bool populated = true;
	int i;

	for (i = 0; i < 500 && populated; i++) {
		cr_assert_eq(cgroup2_populated(dir, &populated, &e), 0, "%s",
			     e.msg);
		if (populated)
			usleep(10 * 1000);
	}
	cr_assert(!populated, "%s still populated after 5 s", dir);
}

/* Start `sh -c script` from the busybox image in cgroup `cg`; returns
 * once the container printed "ready", with its whole output so far. */
static void start_in(const char *cg, const char *script,
		     struct container_proc *p, char *out, size_t size)
{
	static char lower[PATH_MAX], state[PATH_MAX], rootfs[PATH_MAX];
	const char *layers[] = {lower};
	char *argv[] = {"sh", "-c", (char *)script, NULL};
	struct container_spec s = {.name = "app",
				   .hostname = "web",
				   .argv = argv,
				   .cgroup_dir = cg,
				   .stderr_fd = -1};
	struct lerr e = {0};
	size_t len = 0;
	int pipefd[2];

	native_path(lower, sizeof(lower), "lower");
	native_path(state, sizeof(state), "c1");
	native_make_image(lower);
	cr_assert_eq(container_root_prepare(layers, 1, state, rootfs,
					    sizeof(rootfs), &e),
		     0, "%s", e.msg);
	s.rootfs = rootfs;
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	s.stdout_fd = pipefd[1];
	cr_assert_eq(container_spawn(&s, p, &e), 0, "%s", e.msg);
	native_track(p->pid);
	close(pipefd[1]);
	out[0] = '\0';
	while (!strstr(out, "ready\n")) {
		ssize_t n = read(pipefd[0], out + len, size - 1 - len);

		cr_assert_gt(n, 0, "container ended early: %s", out);
		len += (size_t)n;
		out[len] = '\0';
	}
	close(pipefd[0]);
}

static int count_lines(const char *dir, const char *file)
{
	char path[PATH_MAX];
	char *text;
	int n = 0;
	const char *p;

	NATIVE_FMT(path, "%s/%s", dir, file);
	text = native_read_file(path);
	for (p = text; *p; p++)
		n += *p == '\n';
	free(text);
	return n;
}

Test(cgroup2_live, born_in_its_cgroup_then_killed_and_removed)
{
	char cg[PATH_MAX], out[1024], want[PATH_MAX + 32];
	struct container_proc p;
	struct lerr e = {0};
	bool populated = false;
	int status;

	cr_assert_eq(cgroup2_create(cg_parent, "app", NULL, cg, sizeof(cg), &e),
		     0, "%s", e.msg);
	start_in(cg,
		 "grep ^0:: /proc/self/cgroup; sleep 100 & sleep 100 & "
		 "echo ready; wait",
		 &p, out, sizeof(out));
	/* The init's very first cgroup was the container's. */
	NATIVE_FMT(want, "0::%s\nready\n", cg + strlen(cg_root));
	cr_assert_str_eq(out, want);
	cr_assert_eq(count_lines(cg, "cgroup.procs"), 3);
	cr_assert_eq(count_lines(cg_parent, "cgroup.procs"), 0);
	cr_assert_eq(cgroup2_populated(cg, &populated, &e), 0, "%s", e.msg);
	cr_assert(populated);

	/* Removal of a live cgroup is refused, and says so. */
	cr_assert_eq(cgroup2_remove(cg, &e), -EBUSY);
	NATIVE_FMT(want, "cgroup \"%s\": still has live processes", cg);
	cr_assert_str_eq(e.msg, want);

	cr_assert_eq(cgroup2_kill(cg, &e), 0, "%s", e.msg);
	cr_assert_eq(waitpid(p.pid, &status, 0), p.pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	container_proc_release(&p);
	wait_unpopulated(cg);
	cr_assert_eq(cgroup2_remove(cg, &e), 0, "%s", e.msg);
	cr_assert_eq(access(cg, F_OK), -1);
}

Test(cgroup2_live, kill_fallback_through_cgroup_procs)
{
	char cg[PATH_MAX], out[256], sub[PATH_MAX];
	struct container_proc p;
	struct lerr e = {0};
	int status;

	cr_assert_eq(cgroup2_create(cg_parent, "app", NULL, cg, sizeof(cg), &e),
		     0, "%s", e.msg);
	start_in(cg, "sleep 100 & sleep 100 & echo ready; wait", &p, out,
		 sizeof(out));
	cr_assert_eq(count_lines(cg, "cgroup.procs"), 3);
	cr_assert_eq(cgroup2_kill_procs(cg, &e), 0, "%s", e.msg);
	cr_assert_eq(waitpid(p.pid, &status, 0), p.pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	container_proc_release(&p);
	wait_unpopulated(cg);

	/* Nested cgroups go first, deepest first. */
	NATIVE_FMT(sub, "%s/sub", cg);
	cr_assert_eq(mkdir(sub, 0755), 0);
	NATIVE_FMT(sub, "%s/sub/deeper", cg);
	cr_assert_eq(mkdir(sub, 0755), 0);
	cr_assert_eq(cgroup2_remove(cg, &e), 0, "%s", e.msg);
	cr_assert_eq(access(cg, F_OK), -1);
	cr_assert_eq(cgroup2_remove(cg, &e), 0, "a missing cgroup is fine");
}

Test(cgroup2_live, errors_name_their_file)
{
	struct cgroup2_limits limits = {
	    .cpu_millis = 500, .memory_bytes = 64 << 20, .pids_max = 100};
	char cg[PATH_MAX], want[PATH_MAX + 128];
	struct lerr e = {0};
	uint64_t kills;
	bool populated;

	/* No controller is enabled in our parent: cpu.max is not there, and
	 * the cgroup made for it is removed again. */
	cr_assert_eq(
	    cgroup2_create(cg_parent, "app", &limits, cg, sizeof(cg), &e),
	    -ENOENT);
	NATIVE_FMT(want,
		   "cgroup \"%s/app/cpu.max\": open: No such "
		   "file or directory",
		   cg_parent);
	cr_assert_str_eq(e.msg, want);
	NATIVE_FMT(cg, "%s/app", cg_parent);
	cr_assert_eq(access(cg, F_OK), -1, "half-made cgroup left behind");

	cr_assert_eq(cgroup2_create(cg_parent, "app", NULL, cg, sizeof(cg), &e),
		     0, "%s", e.msg);
	cr_assert_eq(cgroup2_oom_kills(cg, &kills, &e), -ENOENT);
	NATIVE_FMT(want,
		   "cgroup \"%s/memory.events\": open: No "
		   "such file or directory",
		   cg);
	cr_assert_str_eq(e.msg, want);
	cr_assert_eq(cgroup2_populated(cg, &populated, &e), 0, "%s", e.msg);
	cr_assert(!populated);

	cr_assert_eq(
	    cgroup2_prepare_parent(cg_root, cg_parent, "nosuchctl", &e),
	    -ENOENT);
	NATIVE_FMT(want,
		   "controller \"nosuchctl\" is not "
		   "available in \"%s/cgroup.controllers\"",
		   cg_root);
	cr_assert_str_eq(e.msg, want);
	cr_assert_eq(cgroup2_prepare_parent(cg_root, "/elsewhere/x", "", &e),
		     -EINVAL);
	cr_assert_eq(
	    cgroup2_create(cg_parent, "../escape", NULL, cg, sizeof(cg), &e),
	    -EINVAL);
	cr_assert_str_eq(e.msg, "cgroup name \"../escape\" is not a single "
				"path component");
}

Test(cgroup2_live, spawn_into_missing_cgroup_fails_cleanly)
{
	char *argv[] = {"true", NULL};
	char missing[PATH_MAX], want[PATH_MAX + 64];
	struct container_spec s = {.name = "app",
				   .rootfs = "/",
				   .argv = argv,
				   .stdout_fd = -1,
				   .stderr_fd = -1};
	struct container_proc p;
	struct lerr e = {0};

	NATIVE_FMT(missing, "%s/nope", cg_parent);
	s.cgroup_dir = missing;
	cr_assert_eq(container_spawn(&s, &p, &e), -ENOENT);
	NATIVE_FMT(want,
		   "container \"app\": cgroup \"%s\": No "
		   "such file or directory",
		   missing);
	cr_assert_str_eq(e.msg, want);
	cr_assert_eq(p.pid, 0);
}

int main(int argc, char *argv[])
{
	char root[PATH_MAX];

	if (!find_cgroup2(root, sizeof(root))) {
		printf("SKIP: no cgroup2 mount in /proc/self/mountinfo\n");
		return 77;
	}
	return native_main(argc, argv);
}
