/* native.c - shared helpers of the native tests (see native.h): the skip
 * probe, the per-test scratch tmpfs in a private mount namespace, the
 * busybox test image and captured container runs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "native.h"

#define BUSYBOX "/bin/busybox"
#define MAX_TRACKED 64

static char scratch[PATH_MAX];
static pid_t tracked[MAX_TRACKED];
static size_t ntracked;

/* In a child: can this kernel give us a private mount namespace with an
 * overlay on a tmpfs, and a PID namespace?  0, or the errno of the first
 * step that failed (with the step in *step). */
static int probe(char *dir, const char **step)
{
	static const char *const subdirs[] = {"l", "u", "w", "m"};
	char path[PATH_MAX], target[PATH_MAX];
	size_t i;

	*step = "unshare(CLONE_NEWNS | CLONE_NEWPID)";
	if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0)
		return errno;
	*step = "make / private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return errno;
	*step = "mount a tmpfs";
	if (mount("tmpfs", dir, "tmpfs", 0, "mode=0700") < 0)
		return errno;
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		if (mkdir(path, 0755) < 0)
			return errno;
	}
	snprintf(path, sizeof(path), "lowerdir=%s/l,upperdir=%s/u,workdir=%s/w",
		 dir, dir, dir);
	*step = "mount an overlay on tmpfs";
	snprintf(target, sizeof(target), "%s/m", dir);
	if (mount("overlay", target, "overlay", 0, path) < 0)
		return errno;
	return 0;
}

static bool can_run(char *why, size_t len)
{
	char dir[] = "/tmp/lighter-probe-XXXXXX";
	int status, pipefd[2];
	char step[128] = "";
	pid_t pid;

	if (geteuid() != 0) {
		snprintf(why, len, "needs root (mounts and namespaces)");
		return false;
	}
	if (access(BUSYBOX, X_OK) < 0) {
		snprintf(why, len, "needs %s (Debian's busybox-static)",
			 BUSYBOX);
		return false;
	}
	if (!mkdtemp(dir) || pipe(pipefd) < 0) {
		snprintf(why, len, "cannot make a scratch directory: %s",
			 strerror(errno));
		return false;
	}
	pid = fork();
	if (pid == 0) {
		const char *what;
		int err = probe(dir, &what);

		if (err)
			dprintf(pipefd[1], "%s: %s", what, strerror(err));
		_exit(err ? 1 : 0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], step, sizeof(step) - 1) < 0)
		step[0] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	rmdir(dir);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, len, "the kernel refused: %s", step);
		return false;
	}
	return true;
}

int native_main(int argc, char *argv[])
{
	struct criterion_test_set *tests;
	char why[256];
	int result = 0;

	if (!can_run(why, sizeof(why))) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	tests = criterion_initialize();
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return result;
}

void native_enter_scratch(void)
{
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(scratch, sizeof(scratch), "/tmp/lighter-native-XXXXXX");
	cr_assert_not_null(mkdtemp(scratch));
	cr_assert_eq(mount("tmpfs", scratch, "tmpfs", 0, "mode=0755"), 0,
		     "mount tmpfs: %s", strerror(errno));
	ntracked = 0;
}

void native_leave_scratch(void)
{
	size_t i;

	for (i = 0; i < ntracked; i++) {
		/* Only our own child that has not been reaped yet. */
		if (waitpid(tracked[i], NULL, WNOHANG) == 0) {
			kill(tracked[i], SIGKILL);
			waitpid(tracked[i], NULL, 0);
		}
	}
	ntracked = 0;
	if (scratch[0]) {
		umount2(scratch, MNT_DETACH);
		rmdir(scratch);
		scratch[0] = '\0';
	}
}

void native_track(pid_t pid)
{
	if (ntracked < MAX_TRACKED)
		tracked[ntracked++] = pid;
}

void native_path(char *buf, size_t size, const char *rel)
{
	int n = snprintf(buf, size, "%s/%s", scratch, rel);

	cr_assert(n > 0 && (size_t)n < size, "path %s/%s too long", scratch,
		  rel);
}

static void write_file(const char *dir, const char *rel, const char *content,
		       mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(fd, 0, "create %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, content, strlen(content)),
		     (ssize_t)strlen(content));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void make_dir(const char *dir, const char *rel, mode_t mode)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	cr_assert(mkdir(path, mode) == 0 || errno == EEXIST, "mkdir %s: %s",
		  path, strerror(errno));
	cr_assert_eq(chmod(path, mode), 0);
}

static void copy_busybox(const char *dst)
{
	int in = open(BUSYBOX, O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	char buf[65536];
	ssize_t n;

	cr_assert(in >= 0 && out >= 0, "copy busybox: %s", strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	cr_assert_eq(n, 0);
	close(in);
	close(out);
}

void native_make_image(const char *dir)
{
	static const char *const applets[] = {
	    "sh",   "cat",  "ls",    "id",  "hostname",
	    "pwd",  "echo", "sleep", "env", "sort",
	    "grep", "head", "od",    "cut", "readlink",
	};
	char path[PATH_MAX];
	size_t i;

	make_dir(dir, "", 0755);
	make_dir(dir, "bin", 0755);
	make_dir(dir, "etc", 0755);
	make_dir(dir, "opt", 0755);
	make_dir(dir, "opt/tools", 0755);
	make_dir(dir, "root", 0700);
	snprintf(path, sizeof(path), "%s/bin/busybox", dir);
	copy_busybox(path);
	for (i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
		snprintf(path, sizeof(path), "%s/bin/%s", dir, applets[i]);
		cr_assert_eq(symlink("busybox", path), 0);
	}
	write_file(dir, "bin/data", "data\n", 0644);
	write_file(dir, "bin/garbage", "garbage\n\x01\x02\x03", 0755);
	write_file(dir, "opt/tools/hello",
		   "#!/bin/sh\necho hello from /opt/tools\n", 0755);
	write_file(dir, "etc/passwd",
		   "root:x:0:0:root:/root:/bin/sh\n"
		   "app:x:1000:1000:app:/home/app:/bin/sh\n",
		   0644);
	write_file(dir, "etc/group", NATIVE_IMAGE_GROUP, 0644);
	write_file(dir, "etc/motd", "image\n", 0644);
}

void native_write(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	cr_assert_geq(fd, 0, "create %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, content, strlen(content)),
		     (ssize_t)strlen(content));
	close(fd);
}

char *native_read_file(const char *path)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert_not_null(buf);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
	}
	cr_assert_eq(n, 0);
	close(fd);
	buf[len] = '\0';
	return buf;
}

static char *read_all(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return native_read_file(path);
}

void native_run(struct container_spec *s, struct native_run *r)
{
	struct container_proc p;
	struct lerr e = {0};
	int out[2], err[2];

	cr_assert_eq(pipe(out), 0);
	cr_assert_eq(pipe(err), 0);
	s->stdout_fd = out[1];
	s->stderr_fd = err[1];
	cr_assert_eq(container_spawn(s, &p, &e), 0, "spawn: %s", e.msg);
	native_track(p.pid);
	close(out[1]);
	close(err[1]);
	s->stdout_fd = s->stderr_fd = -1;
	r->out = read_all(out[0]);
	r->err = read_all(err[0]);
	close(out[0]);
	close(err[0]);
	cr_assert_eq(waitpid(p.pid, &r->status, 0), p.pid);
	r->exit_code = container_exit_code(r->status);
	container_proc_release(&p);
}

void native_run_free(struct native_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void native_run_signal(struct container_spec *s, const char *ready, int sig,
		       int *status)
{
	struct container_proc p;
	struct lerr e = {0};
	char buf[256];
	size_t len = 0;
	int out[2];

	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	s->stdout_fd = out[1];
	cr_assert_eq(container_spawn(s, &p, &e), 0, "spawn: %s", e.msg);
	native_track(p.pid);
	close(out[1]);
	s->stdout_fd = -1;
	while (len < sizeof(buf) - 1) {
		ssize_t n = read(out[0], buf + len, sizeof(buf) - 1 - len);

		cr_assert_gt(n, 0, "container ended before \"%s\"", ready);
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, ready))
			break;
	}
	cr_assert_eq(container_signal(&p, sig, &e), 0, "%s", e.msg);
	cr_assert_eq(waitpid(p.pid, status, 0), p.pid);
	close(out[0]);
	container_proc_release(&p);
}
