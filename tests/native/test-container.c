/* test-container.c - the container launcher on the real kernel, as root:
 * overlay roots (guest-agent/container-root.c) and container_spawn()
 * (container.c, container-child.c) running a tiny image made from
 * Debian's static busybox, checked through the container's own stdout and
 * stderr.
 *
 * Each test runs in its own process (criterion) inside a private mount
 * namespace with a tmpfs over its scratch directory, so nothing it mounts
 * or writes outlives it.  Cgroups here: the host binds cpu, memory and
 * pids to cgroup v1, so containers run with cgroup_dir NULL except in
 * test-cgroup2-live.c, which covers what the host's cgroup2 mount allows;
 * the controllers' files are exercised inside the guest.
 *
 * Exits 77 (skip) with the reason when not root, without
 * /bin/busybox, or when the kernel refuses an overlay in a private mount
 * namespace. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container-root.h"
#include "container.h"
#include "native.h"

static char lower[PATH_MAX];
static char state1[PATH_MAX];
static char state2[PATH_MAX];

static void setup(void)
{
	native_enter_scratch();
	native_path(lower, sizeof(lower), "lower");
	native_path(state1, sizeof(state1), "c1");
	native_path(state2, sizeof(state2), "c2");
	native_make_image(lower);
}

TestSuite(container, .init = setup, .fini = native_leave_scratch,
	  .timeout = 60);

/* A spec for the test image with one layer, rooted at state1 (a fresh
 * one: whatever an earlier call of the same test left is torn down). */
static struct container_spec spec_for(char *const *argv, char *rootfs)
{
	const char *layers[] = {lower};
	struct lerr e = {0};
	struct container_spec s = {
	    .name = "app",
	    .hostname = "web",
	    .rootfs = rootfs,
	    .argv = argv,
	    .stdout_fd = -1,
	    .stderr_fd = -1,
	};

	cr_assert_eq(container_root_teardown(state1, &e), 0, "%s", e.msg);
	cr_assert_eq(
	    container_root_prepare(layers, 1, state1, rootfs, PATH_MAX, &e), 0,
	    "%s", e.msg);
	return s;
}

/* Runs s: it must exit 0 (its stderr shown if not) and print exactly
 * want. */
static void expect_out(struct container_spec *s, const char *want)
{
	struct native_run r;

	native_run(s, &r);
	cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, want);
	native_run_free(&r);
}

/* expect_out() of argv in the test image, nothing else set. */
static void expect_argv_out(char *const *argv, const char *want)
{
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);

	expect_out(&s, want);
}

Test(container, is_pid_1_and_sees_only_its_pids)
{
	char *argv[] = {"sh", "-c", "echo $$; ls /proc", NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct native_run r;
	char *line, *save = NULL;
	int pids = 0;

	native_run(&s, &r);
	cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
	line = strtok_r(r.out, "\n", &save);
	cr_assert_str_eq(line, "1");
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (line[0] < '0' || line[0] > '9')
			continue;
		/* sh is 1; ls is 1 (exec'd) or 2 (forked). */
		cr_assert(atoi(line) <= 2, "foreign pid %s in /proc", line);
		pids++;
	}
	cr_assert_geq(pids, 1);
	native_run_free(&r);
}

Test(container, hostname_and_default_hosts)
{
	char *argv[] = {"sh", "-c", "hostname; cat /etc/hosts", NULL};

	expect_argv_out(argv, "web\n"
			      "127.0.0.1\tlocalhost web\n"
			      "::1\tlocalhost ip6-localhost ip6-loopback\n");
}

Test(container, given_hosts_and_resolv_conf_replace_image_links)
{
	char *argv[] = {"sh", "-c",
			"cat /etc/hosts /etc/resolv.conf; cat /etc/group",
			NULL};
	char rootfs[PATH_MAX], link[PATH_MAX];
	struct container_spec s;

	/* An image whose resolv.conf is an absolute symlink: the write must
	 * replace the link, not go through it. */
	native_path(link, sizeof(link), "lower/etc/resolv.conf");
	cr_assert_eq(symlink("/etc/group", link), 0);
	s = spec_for(argv, rootfs);
	s.hosts = "10.0.0.2\tweb\n";
	s.resolv_conf = "nameserver 10.0.0.1\n";
	expect_out(&s, "10.0.0.2\tweb\n"
		       "nameserver 10.0.0.1\n" NATIVE_IMAGE_GROUP);
}

Test(container, env_and_created_workdir)
{
	char *argv[] = {"sh", "-c", "echo \"$FOO\"; pwd; env | sort", NULL};
	char *envp[] = {"FOO=bar baz", "PATH=/bin", NULL};
	char rootfs[PATH_MAX], made[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct stat st;

	s.envp = envp;
	s.workdir = "/work/sub";
	/* sh adds PWD, SHLVL and its own PATH is the given one. */
	expect_out(&s, "bar baz\n/work/sub\n"
		       "FOO=bar baz\nPATH=/bin\nPWD=/work/sub\n"
		       "SHLVL=1\n");
	native_path(made, sizeof(made), "c1/upper/work/sub");
	cr_assert_eq(stat(made, &st), 0, "workdir not in the upper dir");
	cr_assert(S_ISDIR(st.st_mode));
}

Test(container, exact_environment)
{
	char *argv[] = {"env", NULL};
	char *envp[] = {"A=1", "B=two words", NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);

	s.envp = envp;
	expect_out(&s, "A=1\nB=two words\n");
}

static void expect_id(const char *user, const char *want)
{
	char *argv[] = {"id", NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);

	s.user = user;
	expect_out(&s, want);
}

Test(container, user_numeric)
{
	expect_id("1000:1000", "uid=1000(app) gid=1000(app)\n");
}

Test(container, user_name_with_supplementary_groups)
{
	expect_id("app", "uid=1000(app) gid=1000(app) groups=50(staff)\n");
}

Test(container, user_name_and_group)
{
	expect_id("app:app", "uid=1000(app) gid=1000(app)\n");
}

Test(container, user_root_default)
{
	expect_id(NULL, "uid=0(root) gid=0(root)\n");
}

Test(container, user_unknown_fails_before_exec)
{
	char *argv[] = {"id", NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct container_proc p;
	struct lerr e = {0};

	s.user = "bob";
	cr_assert_eq(container_spawn(&s, &p, &e), -ENOENT);
	cr_assert_str_eq(e.msg, "container \"app\": user \"bob\": no such user "
				"in /etc/passwd: No such file or directory");
	cr_assert_eq(p.failed_stage, CONTAINER_STAGE_SETUP);
	cr_assert_eq(container_spawn_exit_code(p.failed_stage, e.code), 125);
	cr_assert_eq(p.pid, 0);
	cr_assert_eq(p.pidfd, -1);
}

Test(container, hostile_passwd_does_not_hang_the_spawn)
{
	char *argv[] = {"id", NULL};
	char *status[] = {"grep", "-E",
			  "^(Uid|Gid|Groups):", "/proc/self/status", NULL};
	static const char ids[] = "Uid:\t1000\t1000\t1000\t1000\n"
				  "Gid:\t1000\t1000\t1000\t1000\n"
				  "Groups:";
	char rootfs[PATH_MAX], passwd[PATH_MAX], group[PATH_MAX];
	struct container_spec s;
	struct container_proc p;
	struct native_run r;
	struct lerr e = {0};
	char *saved;

	/* A fifo would block the open, /dev/zero would never end. */
	native_path(passwd, sizeof(passwd), "lower/etc/passwd");
	native_path(group, sizeof(group), "lower/etc/group");
	saved = native_read_file(passwd);
	cr_assert_eq(unlink(passwd), 0);
	cr_assert_eq(mkfifo(passwd, 0644), 0);
	cr_assert_eq(unlink(group), 0);
	cr_assert_eq(symlink("/dev/zero", group), 0);
	s = spec_for(argv, rootfs);
	s.user = "app";
	cr_assert_eq(container_spawn(&s, &p, &e), -EINVAL);
	cr_assert_str_eq(e.msg, "container \"app\": \"/etc/passwd\" is not a "
				"regular file: Invalid argument");

	cr_assert_eq(unlink(passwd), 0);
	native_write(passwd, saved);
	free(saved);
	s = spec_for(argv, rootfs);
	s.user = "app:staff";
	cr_assert_eq(container_spawn(&s, &p, &e), -EINVAL);
	cr_assert_str_eq(e.msg, "container \"app\": \"/etc/group\" is not a "
				"regular file: Invalid argument");

	/* Numeric ids do not read the files at all. */
	s = spec_for(status, rootfs);
	s.user = "1000:1000";
	native_run(&s, &r);
	cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
	/* No supplementary groups: nothing but blanks after "Groups:". */
	cr_assert_eq(strncmp(r.out, ids, strlen(ids)), 0, "%s", r.out);
	cr_assert_eq(strspn(r.out + strlen(ids), "\t \n"),
		     strlen(r.out + strlen(ids)), "%s", r.out);
	native_run_free(&r);
}

Test(container, user_workdir_permissions_apply)
{
	/* /root is 0700 root in the image: user app cannot enter it. */
	char *argv[] = {"pwd", NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct container_proc p;
	struct lerr e = {0};

	s.user = "app";
	s.workdir = "/root";
	cr_assert_eq(container_spawn(&s, &p, &e), -EACCES, "%s", e.msg);
	cr_assert_str_eq(e.msg, "container \"app\": chdir \"/root\": "
				"Permission denied");
}

/* cmd fails to exec with err, reported as `exec "CMD": why`, exit code
 * code. */
static void expect_exec_failure(const char *cmd, int err, const char *why,
				int code)
{
	char *argv[] = {(char *)cmd, NULL};
	char rootfs[PATH_MAX], msg[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct container_proc p;
	struct lerr e = {0};

	NATIVE_FMT(msg, "container \"app\": exec \"%s\": %s", cmd, why);
	cr_assert_eq(container_spawn(&s, &p, &e), -err, "%s", e.msg);
	cr_assert_eq(e.code, err);
	cr_assert_str_eq(e.msg, msg);
	cr_assert_eq(p.failed_stage, CONTAINER_STAGE_EXEC);
	cr_assert_eq(container_spawn_exit_code(p.failed_stage, e.code), code);
	/* The failed child was reaped by spawn. */
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
}

Test(container, command_not_found_is_127)
{
	expect_exec_failure("nosuch", ENOENT, "No such file or directory",
			    127);
	expect_exec_failure("/bin/nosuch", ENOENT, "No such file or directory",
			    127);
}

Test(container, not_executable_is_126)
{
	/* A 0644 file in PATH, and a 0755 file that is not a program. */
	expect_exec_failure("data", EACCES, "Permission denied", 126);
	expect_exec_failure("/bin/data", EACCES, "Permission denied", 126);
	expect_exec_failure("garbage", ENOEXEC, "Exec format error", 126);
}

Test(container, path_from_the_environment)
{
	char *argv[] = {"hello", NULL};
	char *envp[] = {"PATH=/nowhere::/opt/tools", NULL};
	char *default_path[] = {"hello", NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct container_proc p;
	struct lerr e = {0};

	s.envp = envp;
	expect_out(&s, "hello from /opt/tools\n");

	/* Without PATH the default one applies, and it has no /opt/tools. */
	s.envp = NULL;
	s.argv = default_path;
	cr_assert_eq(container_spawn(&s, &p, &e), -ENOENT);
	cr_assert_str_eq(e.msg, "container \"app\": exec \"hello\": No such "
				"file or directory");
}

Test(container, exit_code_propagates)
{
	char *argv[] = {"sh", "-c", "exit 3", NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct native_run r;

	native_run(&s, &r);
	cr_assert(WIFEXITED(r.status));
	cr_assert_eq(WEXITSTATUS(r.status), 3);
	cr_assert_eq(r.exit_code, 3);
	native_run_free(&r);
}

Test(container, stdout_and_stderr_apart)
{
	char *argv[] = {"sh", "-c", "echo out; echo err >&2; echo out2", NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct native_run r;

	native_run(&s, &r);
	cr_assert_eq(r.exit_code, 0);
	cr_assert_str_eq(r.out, "out\nout2\n");
	cr_assert_str_eq(r.err, "err\n");
	native_run_free(&r);
}

Test(container, stdin_is_dev_null_and_no_fds_leak)
{
	/* native_run's pipes are not close-on-exec on purpose. */
	char *argv[] = {"sh", "-c", "cat; ls /proc/self/fd", NULL};

	/* 3 is ls's own directory stream. */
	expect_argv_out(argv, "0\n1\n2\n3\n");
}

Test(container, signal_state_is_clean)
{
	/* grep itself is the init: a shell would ignore SIGQUIT on its own. */
	char *argv[] = {"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status",
			NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	sigset_t block;

	/* What an agent with a signalfd loop looks like. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	cr_assert_neq(signal(SIGPIPE, SIG_IGN), SIG_ERR);
	cr_assert_neq(signal(SIGQUIT, SIG_IGN), SIG_ERR);
	expect_out(&s, "SigBlk:\t0000000000000000\n"
		       "SigIgn:\t0000000000000000\n");
}

Test(container, dev_proc_sys)
{
	char *argv[] = {
	    "sh", "-c",
	    "ls /dev; echo x > /dev/null; "
	    "head -c 4 /dev/zero | od -An -tx1; "
	    "grep -E ' /(proc|dev|dev/pts|dev/shm|sys) ' /proc/mounts "
	    "| cut -d' ' -f1-4 | cut -d, -f1; "
	    "readlink /dev/ptmx; readlink /dev/fd; "
	    "cat /proc/self/oom_score_adj",
	    NULL};

	expect_argv_out(argv, "fd\nfull\nnull\nptmx\npts\nrandom\nshm\n"
			      "stderr\nstdin\nstdout\ntty\nurandom\nzero\n"
			      " 00 00 00 00\n"
			      "proc /proc proc rw\n"
			      "tmpfs /dev tmpfs rw\n"
			      "devpts /dev/pts devpts rw\n"
			      "shm /dev/shm tmpfs rw\n"
			      "sysfs /sys sysfs ro\n"
			      "pts/ptmx\n/proc/self/fd\n"
			      "0\n");
}

Test(container, sys_is_read_only)
{
	char *argv[] = {"sh", "-c", ": > /sys/kernel/lighter", NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct native_run r;

	native_run(&s, &r);
	cr_assert_neq(r.exit_code, 0);
	cr_assert(strstr(r.err, "Read-only file system"), "stderr: %s", r.err);
	native_run_free(&r);
}

Test(container, root_shows_only_the_image)
{
	char *argv[] = {"ls", "-a", "/", NULL};

	/* The image's dirs and the mount points the child made: nothing of
	 * the host, nor a directory where the old root was parked. */
	expect_argv_out(argv, ".\n..\nbin\ndev\netc\nopt\nproc\nroot\nsys\n");
}

Test(container, writes_land_in_upper_not_lower)
{
	char *argv[] = {"sh", "-c",
			"echo hi > /newfile; echo changed > /etc/motd", NULL};
	char rootfs[PATH_MAX], path[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct native_run r;
	char *text;

	native_run(&s, &r);
	cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
	native_run_free(&r);
	native_path(path, sizeof(path), "c1/upper/newfile");
	text = native_read_file(path);
	cr_assert_str_eq(text, "hi\n");
	free(text);
	native_path(path, sizeof(path), "c1/upper/etc/motd");
	text = native_read_file(path);
	cr_assert_str_eq(text, "changed\n");
	free(text);
	native_path(path, sizeof(path), "lower/newfile");
	cr_assert_eq(access(path, F_OK), -1);
	native_path(path, sizeof(path), "lower/etc/motd");
	text = native_read_file(path);
	cr_assert_str_eq(text, "image\n");
	free(text);
}

Test(container, two_containers_do_not_see_each_other)
{
	const char *layers[] = {lower};
	char *write1[] = {"sh", "-c", "echo one > /only-c1", NULL};
	char *look2[] = {"sh", "-c",
			 "ls /only-c1 2>&1; echo two > /only-c2; ls /", NULL};
	char *look1[] = {"sh", "-c", "ls /only-c2 2>&1; cat /only-c1", NULL};
	char root1[PATH_MAX], root2[PATH_MAX];
	struct container_spec s = spec_for(write1, root1);
	struct native_run r;
	struct lerr e = {0};

	native_run(&s, &r);
	cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
	native_run_free(&r);

	cr_assert_eq(
	    container_root_prepare(layers, 1, state2, root2, sizeof(root2), &e),
	    0, "%s", e.msg);
	s.rootfs = root2;
	s.name = "sidecar";
	s.argv = look2;
	native_run(&s, &r);
	cr_assert_str_eq(r.out,
			 "ls: /only-c1: No such file or directory\n"
			 "bin\ndev\netc\nonly-c2\nopt\nproc\nroot\nsys\n");
	native_run_free(&r);

	s.rootfs = root1;
	s.argv = look1;
	native_run(&s, &r);
	cr_assert_str_eq(r.out, "ls: /only-c2: No such file or directory\n"
				"one\n");
	native_run_free(&r);
}

Test(container, signals_reach_the_init)
{
	char *argv[] = {"sleep", "100", NULL};
	char *trap[] = {"sh", "-c",
			"trap 'echo term; exit 7' TERM; echo ready; "
			"while :; do sleep 0.05; done",
			NULL};
	char rootfs[PATH_MAX];
	struct container_spec s = spec_for(argv, rootfs);
	struct container_proc p;
	struct lerr e = {0};
	int status;

	cr_assert_eq(container_spawn(&s, &p, &e), 0, "%s", e.msg);
	cr_assert_geq(p.pidfd, 0);
	/* PID 1 without a handler: the kernel drops SIGTERM. */
	cr_assert_eq(container_signal(&p, SIGTERM, &e), 0, "%s", e.msg);
	usleep(200 * 1000);
	cr_assert_eq(waitpid(p.pid, &status, WNOHANG), 0,
		     "init died of an unhandled SIGTERM");
	cr_assert_eq(container_signal(&p, SIGKILL, &e), 0, "%s", e.msg);
	cr_assert_eq(waitpid(p.pid, &status, 0), p.pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cr_assert_eq(container_exit_code(status), 137);
	cr_assert_eq(container_signal(&p, SIGKILL, &e), -ESRCH);
	container_proc_release(&p);
	cr_assert_eq(p.pidfd, -1);

	/* With a handler, the stop signal does its job. */
	s.argv = trap;
	native_run_signal(&s, "ready\n", SIGTERM, &status);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7, "status %#x",
		  status);
}

Test(container, signal_names)
{
	cr_assert_eq(container_signal_from_name("SIGTERM"), SIGTERM);
	cr_assert_eq(container_signal_from_name("TERM"), SIGTERM);
	cr_assert_eq(container_signal_from_name("sigint"), SIGINT);
	cr_assert_eq(container_signal_from_name("KILL"), SIGKILL);
	cr_assert_eq(container_signal_from_name("SIGUSR1"), SIGUSR1);
	cr_assert_eq(container_signal_from_name("15"), 15);
	cr_assert_eq(container_signal_from_name("0"), -EINVAL);
	cr_assert_eq(container_signal_from_name("65"), -EINVAL);
	cr_assert_eq(container_signal_from_name("15x"), -EINVAL);
	cr_assert_eq(container_signal_from_name("SIGNOPE"), -EINVAL);
	cr_assert_eq(container_signal_from_name(""), -EINVAL);
	cr_assert_eq(container_exit_code(3 << 8), 3);
	cr_assert_eq(container_spawn_exit_code(CONTAINER_STAGE_EXEC, ENOTDIR),
		     127);
	cr_assert_eq(container_spawn_exit_code(CONTAINER_STAGE_EXEC, -EACCES),
		     126);
	cr_assert_eq(container_spawn_exit_code(CONTAINER_STAGE_SETUP, ENOENT),
		     125);
}

Test(container, bad_specs)
{
	char *argv[] = {"true", NULL};
	char *no_cmd[] = {NULL};
	struct container_spec s = {.name = "app",
				   .rootfs = "/nonexistent",
				   .argv = argv,
				   .stdout_fd = -1,
				   .stderr_fd = -1};
	struct container_proc p;
	struct lerr e = {0};

	s.workdir = "relative";
	cr_assert_eq(container_spawn(&s, &p, &e), -EINVAL);
	cr_assert_str_eq(e.msg, "container \"app\": workdir \"relative\" is "
				"not an absolute path");
	s.workdir = NULL;
	s.argv = no_cmd;
	cr_assert_eq(container_spawn(&s, &p, &e), -EINVAL);
	cr_assert_str_eq(e.msg, "container \"app\": no command");
	s.argv = argv;
	s.hostname =
	    "a-hostname-that-is-longer-than-the-kernel-allows-which-is-"
	    "64-bytes";
	cr_assert_eq(container_spawn(&s, &p, &e), -EINVAL);
	s.hostname = NULL;
	/* A root that does not exist fails in the child, before exec. */
	cr_assert_eq(container_spawn(&s, &p, &e), -ENOENT);
	cr_assert_str_eq(e.msg, "container \"app\": bind \"/nonexistent\": "
				"No such file or directory");
	cr_assert_eq(p.failed_stage, CONTAINER_STAGE_SETUP);
}

int main(int argc, char *argv[])
{
	return native_main(argc, argv);
}
