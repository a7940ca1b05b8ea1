/* test-group.c - the pure and file-level parts of running a group: the
 * hybrid vsock answer, lighter-vmm's command line, the reason a VMM's
 * end is reported with (real wait statuses of real children, real log
 * files), layers.json both ways, the monitor lock as liveness, Unix
 * sockets deeper than sockaddr_un allows, process identity and removing
 * a group's tree. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-client.h"
#include "group-dir.h"
#include "vmm-launch.h"
#include "tmpdir.h"

TestSuite(group, .init = tmpdir_make, .fini = tmpdir_remove);

Test(group, hybrid_vsock_answer)
{
	static const struct {
		const char *line;
		bool ok;
	} cases[] = {
		{ "OK 1024", true },	     { "OK 1073741824", true },
		{ "OK 0", true },	     { "OK", false },
		{ "OK ", false },	     { "ok 1024", false },
		{ "OK 10a", false },	     { "OK -1", false },
		{ "OK 1024 ", false },	     { "OK  1024", false },
		{ "FAILURE 1024", false },   { "OK 12345678901", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(agent_ok_line_valid(cases[i].line,
						 strlen(cases[i].line)),
			     cases[i].ok, "\"%s\"", cases[i].line);
}

Test(group, vmm_command_line)
{
	struct vmm_params p = {
		.vmm = "/b/vmm/lighter-vmm",
		.kernel = "/k/vmlinux",
		.initrd = "/b/rootfs/initramfs.cpio",
		.cpus = 2,
		.mem_bytes = 512ULL << 20,
		.vsock_uds = "vsock.sock",
		.console = "console.log",
	};
	static const char *const want[] = {
		"/b/vmm/lighter-vmm", "--kernel", "/k/vmlinux", "--initrd",
		"/b/rootfs/initramfs.cpio", "--cpus", "2", "--memory",
		"536870912", "--vsock-uds", "vsock.sock", "--vsock-cid", "3",
		"--console", "console.log", "--cmdline",
		"console=ttyS0 quiet panic=-1 reboot=t", NULL,
	};
	struct vmm_argv_bufs bufs;
	const char *argv[VMM_ARGV_MAX];
	size_t i;

	vmm_build_argv(&p, &bufs, argv);
	for (i = 0; want[i]; i++)
		cr_expect_str_eq(argv[i], want[i], "argv[%zu]", i);
	cr_expect_null(argv[i]);
}

/* The wait status of a child that ends as `how` says. */
static int status_of(const char *how)
{
	int ws;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (strcmp(how, "kill9") == 0)
			raise(SIGKILL);
		_exit(atoi(how));
	}
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	return ws;
}

static char *log_with(const char *text)
{
	char *p = tmpdir_join("vmm.log");
	FILE *f = fopen(p, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

Test(group, vmm_exit_reasons)
{
	char out[512];
	char *log = log_with(
		"lighter-vmm: boot-timer: 81234 us\n"
		"lighter-vmm: guest panic: Kernel panic - not syncing: "
		"Attempted to kill init! exitcode=0x00000100\n");

	vmm_exit_reason(status_of("2"), log, out, sizeof(out));
	cr_expect_str_eq(out, "guest panic: Kernel panic - not syncing: "
			      "Attempted to kill init! exitcode=0x00000100");
	vmm_exit_reason(status_of("kill9"), log, out, sizeof(out));
	cr_expect_str_eq(out, "lighter-vmm killed by signal 9");
	free(log);

	log = log_with("lighter-vmm: --memory: \"12Q\" is not a size\n");
	vmm_exit_reason(status_of("1"), log, out, sizeof(out));
	cr_expect_str_eq(out, "lighter-vmm exited with status 1: --memory: "
			      "\"12Q\" is not a size");
	free(log);

	log = log_with("lighter-vmm: boot-timer: 5 us\n"
		       "lighter-vmm: guest triple fault\n");
	vmm_exit_reason(status_of("2"), log, out, sizeof(out));
	cr_expect_str_eq(out, "lighter-vmm exited with status 2: guest triple "
			      "fault");
	free(log);

	log = log_with("lighter-vmm: boot-timer: 5 us\n"
		       "lighter-vmm: guest powered off\n");
	vmm_exit_reason(status_of("0"), log, out, sizeof(out));
	cr_expect_str_eq(out, "guest powered off");
	free(log);

	vmm_exit_reason(status_of("3"), "/nonexistent/vmm.log", out,
			sizeof(out));
	cr_expect_str_eq(out, "lighter-vmm exited with status 3");
}

Test(group, layers_json_round_trip)
{
	struct group_layer in[2] = {
		{ .size = 1084187,
		  .media_type = "application/vnd.oci.image.layer.v1.tar+gzip",
		  .path = "/var/lib/lighter/blobs/sha256/aa" },
		{ .size = 0,
		  .media_type = "application/vnd.oci.image.layer.v1.tar",
		  .path = "/x" },
	};
	struct group_layer *out;
	struct lerr e = { 0 };
	json_t *j, *bad;
	size_t n;

	memset(in[0].diff_id, 0, sizeof(in[0].diff_id));
	snprintf(in[0].diff_id, sizeof(in[0].diff_id), "sha256:%064d", 1);
	snprintf(in[0].digest, sizeof(in[0].digest), "sha256:%064d", 2);
	snprintf(in[1].diff_id, sizeof(in[1].diff_id), "sha256:%064d", 3);
	snprintf(in[1].digest, sizeof(in[1].digest), "sha256:%064d", 4);
	j = group_layers_to_json(in, 2);
	cr_assert_not_null(j);
	cr_assert_eq(group_layers_from_json(j, &out, &n, "layers.json", &e), 0,
		     "%s", e.msg);
	cr_assert_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		cr_expect_str_eq(out[i].diff_id, in[i].diff_id);
		cr_expect_str_eq(out[i].digest, in[i].digest);
		cr_expect_str_eq(out[i].media_type, in[i].media_type);
		cr_expect_str_eq(out[i].path, in[i].path);
		cr_expect_eq(out[i].size, in[i].size);
	}
	group_layers_free(out, n);
	json_decref(j);

	bad = json_loads("[{\"diff_id\":\"sha256:../../etc\",\"digest\":\"x\","
			 "\"media_type\":\"m\",\"size\":1,\"path\":\"/p\"}]",
			 0, NULL);
	cr_expect_eq(group_layers_from_json(bad, &out, &n, "layers.json", &e),
		     -EINVAL);
	cr_expect_str_eq(e.msg, "layers.json: [0]: not a layer");
	json_decref(bad);
}

Test(group, json_files_are_replaced_whole)
{
	int dir = open(tmpdir_path, O_RDONLY | O_DIRECTORY);
	json_t *j = json_pack("{s:i}", "a", 1), *back;
	struct lerr e = { 0 };

	cr_assert_eq(group_json_write(dir, "x.json", j, "D", &e), 0, "%s",
		     e.msg);
	cr_assert_eq(group_json_read(dir, "x.json", &back, "D", &e), 0);
	cr_expect(json_equal(j, back));
	cr_expect_neq(faccessat(dir, "x.json.tmp", F_OK, 0), 0);
	json_decref(back);
	cr_expect_eq(group_json_read(dir, "missing.json", &back, "D", &e),
		     -ENOENT);
	cr_expect(strncmp(e.msg, "\"D/missing.json\"", 16) == 0, "%s", e.msg);
	json_decref(j);
	close(dir);
}

Test(group, monitor_lock_means_alive)
{
	int dir = open(tmpdir_path, O_RDONLY | O_DIRECTORY), lock, status;
	struct lerr e = { 0 };
	pid_t child;

	cr_expect_eq(group_monitor_alive(dir), 0, "no lock file: no monitor");
	lock = group_monitor_lock(dir, &e);
	cr_assert_geq(lock, 0, "%s", e.msg);
	/* another process sees it held, and cannot take it */
	child = fork();
	if (child == 0) {
		struct lerr ce = { 0 };

		close(lock);
		_exit(group_monitor_alive(dir) == 1 &&
			      group_monitor_lock(dir, &ce) == -EBUSY
		      ? 0
		      : 1);
	}
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(lock);
	cr_expect_eq(group_monitor_alive(dir), 0, "released with the fd");
	close(dir);
}

Test(group, sockets_deeper_than_sun_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char rel[300] = "";
	struct lerr e = { 0 };
	int dir, srv, cli, acc;
	char *deep;

	/* a directory whose path is far longer than sun_path's 108 bytes */
	for (int i = 0; i < 8; i++)
		strcat(rel, i ? "/0123456789abcdef0123456789" :
				"0123456789abcdef0123456789");
	tmpdir_mkdirs(rel);
	deep = tmpdir_join(rel);
	cr_assert_gt(strlen(deep), sizeof(sa.sun_path));
	dir = open(deep, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(dir, 0);
	/* bind it from inside, the way the monitor does */
	cr_assert_eq(fchdir(dir), 0);
	strcpy(sa.sun_path, "ctl.sock");
	srv = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(srv, 1), 0);
	cr_assert_eq(chdir("/"), 0);
	cli = group_unix_connect(dir, "ctl.sock", "test", &e);
	cr_assert_geq(cli, 0, "%s", e.msg);
	acc = accept(srv, NULL, NULL);
	cr_assert_geq(acc, 0);
	cr_assert_eq(write(cli, "x", 1), 1);
	cr_expect_eq(read(acc, rel, 1), 1);
	close(acc);
	close(cli);
	close(srv);
	cr_expect_eq(group_unix_connect(dir, "nope.sock", "test", &e), -ENOENT);
	cr_expect(strncmp(e.msg, "test: connect to \"nope.sock\"", 28) == 0,
		  "%s", e.msg);
	close(dir);
	free(deep);
}

Test(group, process_identity)
{
	int status;
	pid_t child = fork();
	uint64_t ticks;

	if (child == 0) {
		pause();
		_exit(0);
	}
	ticks = pid_start_ticks(child);
	cr_expect_gt(ticks, 0);
	cr_expect_geq(ticks, pid_start_ticks(getpid()), "started after us");
	/* a different start time: not the same process, left alone */
	kill_verified(child, ticks + 1);
	cr_expect_eq(waitpid(child, &status, WNOHANG), 0, "still there");
	kill_verified(child, ticks);
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cr_expect_eq(pid_start_ticks(child), 0, "gone");
	cr_expect_eq(pid_start_ticks(0), 0);
}

Test(group, remove_tree_takes_everything_but_follows_no_link)
{
	int run = open(tmpdir_path, O_RDONLY | O_DIRECTORY);
	struct lerr e = { 0 };
	char *keep, *link;

	tmpdir_mkdirs("g/logs/deeper");
	tmpdir_mkdirs("outside");
	keep = tmpdir_join("outside/keep");
	close(open(keep, O_WRONLY | O_CREAT, 0644));
	close(open(tmpdir_join("g/state.json"), O_WRONLY | O_CREAT, 0444));
	close(open(tmpdir_join("g/logs/deeper/a.log"), O_WRONLY | O_CREAT,
		   0644));
	link = tmpdir_join("g/logs/escape");
	cr_assert_eq(symlink("../../outside", link), 0);
	cr_expect_eq(group_remove_tree(run, "g", "G", &e), 0, "%s", e.msg);
	cr_expect_neq(faccessat(run, "g", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	cr_expect_eq(access(keep, F_OK), 0, "what the link pointed at stays");
	cr_expect_eq(group_remove_tree(run, "g", "G", &e), 0, "already gone");
	free(keep);
	free(link);
	close(run);
}
