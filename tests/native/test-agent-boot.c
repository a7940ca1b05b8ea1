/* test-agent-boot.c - the agent's boot steps for serving a group, on this
 * machine's kernel as root, each in a child with namespaces of its own:
 *
 *   netif.c   lo is down in a new network namespace; agent_netif_up()
 *             brings it up and TCP over 127.0.0.1 works;
 *   reroot.c  from inside a chroot laid out like the initramfs (/init,
 *             /dev, /proc, /sys mounted), agent_reroot() leaves the agent
 *             on a new tmpfs root holding a copy of /init, the moved
 *             mounts and /run and /tmp, with the old /init unlinked; and
 *             pivot_root works from there in a new mount namespace, which
 *             is what containers need.
 *
 * Exits 77 (skip) under native_main()'s conditions. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "native.h"

TestSuite(boot, .init = native_enter_scratch, .fini = native_leave_scratch,
	  .timeout = 60);

/* Run fn in a child; it returns NULL for success or a message, which
 * becomes the assertion's. */
static void in_child(const char *(*fn)(void))
{
	char msg[512] = "";
	int pipefd[2], status;
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		const char *why = fn();

		if (why && write(pipefd[1], why, strlen(why)) < 0)
			_exit(2);
		_exit(why ? 1 : 0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], msg, sizeof(msg) - 1) < 0)
		msg[0] = '\0';
	close(pipefd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s",
		  msg[0] ? msg : "the child failed");
}

static char why_buf[512];

__attribute__((format(printf, 1, 2))) static const char *why(const char *fmt,
							     ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	return why_buf;
}

static const char *lo_up(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	struct lerr e = {0};
	int srv, cli;

	if (unshare(CLONE_NEWNET) < 0)
		return why("unshare(CLONE_NEWNET): %s", strerror(errno));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(srv, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(srv, 1) < 0 ||
	    getsockname(srv, (struct sockaddr *)&addr, &len) < 0)
		return why("listen on 127.0.0.1: %s", strerror(errno));
	cli = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cli, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return why("127.0.0.1 reachable before lo came up");
	close(cli);
	if (agent_netif_up("lo", &e) < 0)
		return why("%s", e.msg);
	if (agent_netif_up("lo", &e) < 0)
		return why("again: %s", e.msg);
	cli = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cli, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return why("connect to 127.0.0.1: %s", strerror(errno));
	if (agent_netif_up("nosuch0", &e) == 0 || !strstr(e.msg, "nosuch0"))
		return why("a missing interface: \"%s\"", e.msg);
	return NULL;
}

Test(boot, lo_comes_up)
{
	in_child(lo_up);
}

static char old_root[PATH_MAX];

static const char *mount_early(const char *root)
{
	static const char *const dirs[] = {"dev", "proc", "sys"};
	char path[PATH_MAX + 16];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		if (mkdir(path, 0755) < 0)
			return why("mkdir %s: %s", path, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/dev", root);
	if (mount("/dev", path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return why("bind /dev: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/proc", root);
	if (mount("proc", path, "proc", 0, NULL) < 0)
		return why("mount proc: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/sys", root);
	if (mount("sysfs", path, "sysfs", 0, NULL) < 0)
		return why("mount sysfs: %s", strerror(errno));
	return NULL;
}

static const char *reroot_and_pivot(void)
{
	struct stat before, init, run, tmp, proc;
	struct lerr e = {0};
	const char *w;
	char path[PATH_MAX + 16];
	int old;

	/* An initramfs-like root: /init and the early mounts. */
	snprintf(path, sizeof(path), "%s/init", old_root);
	native_write(path, "#!/bin/sh\n");
	if (chmod(path, 0755) < 0)
		return why("chmod %s: %s", path, strerror(errno));
	w = mount_early(old_root);
	if (w)
		return w;
	old = open(old_root, O_RDONLY | O_DIRECTORY);
	if (old < 0 || fstat(old, &before) < 0)
		return why("open %s: %s", old_root, strerror(errno));
	if (chroot(old_root) < 0 || chdir("/") < 0)
		return why("chroot %s: %s", old_root, strerror(errno));

	if (agent_reroot(&e) < 0)
		return why("%s", e.msg);

	if (stat("/init", &init) < 0)
		return why("no /init in the new root: %s", strerror(errno));
	if (init.st_dev == before.st_dev)
		return why("/init is still on the old root");
	if ((init.st_mode & 07777) != 0755)
		return why("/init mode %o", init.st_mode & 07777);
	if (stat("/run", &run) < 0 || (run.st_mode & 07777) != 0755 ||
	    stat("/tmp", &tmp) < 0 || (tmp.st_mode & 07777) != 01777)
		return why("/run or /tmp missing or with the wrong mode");
	if (stat("/proc/self", &proc) < 0 || access("/dev/null", W_OK) < 0 ||
	    access("/sys/kernel", F_OK) < 0)
		return why("/proc, /dev or /sys did not move along");
	if (faccessat(old, "init", F_OK, 0) == 0)
		return why("the old /init is still there");
	if (faccessat(old, "proc/self", F_OK, 0) == 0)
		return why("/proc is still mounted on the old root");

	/* What containers do: a new mount namespace, pivot_root. */
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return why("new mount namespace: %s", strerror(errno));
	if (mkdir("/tmp/c", 0755) < 0 ||
	    mount("tmpfs", "/tmp/c", "tmpfs", 0, NULL) < 0 ||
	    mkdir("/tmp/c/old", 0755) < 0)
		return why("container root: %s", strerror(errno));
	if (syscall(SYS_pivot_root, "/tmp/c", "/tmp/c/old") < 0)
		return why("pivot_root after reroot: %s", strerror(errno));
	return NULL;
}

Test(boot, reroot_onto_a_tmpfs)
{
	native_path(old_root, sizeof(old_root), "initramfs");
	cr_assert_eq(mkdir(old_root, 0755), 0);
	in_child(reroot_and_pivot);
}

int main(int argc, char *argv[])
{
	return native_main(argc, argv);
}
