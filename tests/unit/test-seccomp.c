/* test-seccomp.c - the per-thread seccomp allowlists on the real kernel:
 * a child process compiles them (vmm_seccomp_setup), enters one role's
 * filter and makes system calls; the test reads its wait status.  Allowed
 * calls (with the argument values the VMM uses) go through, anything
 * else -- another call, a checked argument with another value, another
 * ABI -- ends the child by SIGSYS.  Also: a filter binds only the thread
 * that entered it, --no-seccomp mode loads nothing, the test hook's
 * values, and the size of each list. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp-thread.h"
#include "vcpu.h"

/* What the child's body needs, opened before the filter. */
struct child_fds {
	int null;  /* /dev/null, read-write */
	int file;  /* a scratch file, read-write */
	int event; /* an eventfd */
	void *page; /* an anonymous read-write page */
};

typedef void (*child_body)(const struct child_fds *fds);

/* End the child without libc: exit(2) for a thread role (its list has
 * exit, not exit_group), exit_group for main. */
static void __attribute__((noreturn))
child_end(enum seccomp_role role, int code)
{
	syscall(role == SECCOMP_ROLE_MAIN ? SYS_exit_group : SYS_exit, code);
	__builtin_unreachable();
}

/* A failed expectation inside the child: its exit code says which. */
#define CHILD_EXPECT(role, cond, code)                                         \
	do {                                                                   \
		if (!(cond))                                                   \
			child_end(role, code);                                 \
	} while (0)

/* Fork; the child sets up with enforcement, enters role, runs body and
 * exits 0.  Returns the wait status. */
static int run_in_role(enum seccomp_role role, child_body body)
{
	int status = -1;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct child_fds fds;
		char path[] = "/tmp/lighter-seccomp-test.XXXXXX";
		struct lerr e = { 0 };

		fds.null = open("/dev/null", O_RDWR | O_CLOEXEC);
		fds.file = mkstemp(path);
		fds.event = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		fds.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fds.null < 0 || fds.file < 0 || fds.event < 0 ||
		    fds.page == MAP_FAILED)
			_exit(120);
		unlink(path);
		unsetenv(SECCOMP_HOOK_ENV);
		if (vmm_seccomp_setup(true, &e) < 0) {
			fprintf(stderr, "setup: %s\n", e.msg);
			_exit(121);
		}
		seccomp_thread_enter(role);
		body(&fds);
		child_end(role, 0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_exit0(int status, const char *what)
{
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "%s: wait status 0x%x (exit %d, signal %d), want exit 0",
		  what, status, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void expect_sigsys(int status, const char *what)
{
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		  "%s: wait status 0x%x (exit %d, signal %d), want SIGSYS",
		  what, status, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* ---- what each role does at run time passes ---------------------- */

static void vcpu_allowed(const struct child_fds *fds)
{
	const enum seccomp_role r = SECCOMP_ROLE_VCPU;
	uint64_t one = 1;
	struct timespec ts;
	sigset_t usr1;

	/* not KVM fds: the kernel answers ENOTTY, the filter lets it by */
	CHILD_EXPECT(r, ioctl(fds->null, KVM_RUN, 0) < 0 && errno == ENOTTY, 1);
	CHILD_EXPECT(r, ioctl(fds->null, KVM_GET_REGS, NULL) < 0, 2);
	CHILD_EXPECT(r, ioctl(fds->null, KVM_IRQ_LINE, NULL) < 0, 3);
	CHILD_EXPECT(r, write(fds->event, &one, sizeof(one)) == sizeof(one), 4);
	CHILD_EXPECT(r, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == 0,
		     5);
	/* the kick, pending here since it is blocked (the child has one
	 * thread: its id is the pid) */
	sigemptyset(&usr1);
	sigaddset(&usr1, VCPU_KICK_SIGNAL);
	CHILD_EXPECT(r, sigprocmask(SIG_BLOCK, &usr1, NULL) == 0, 6);
	CHILD_EXPECT(r, syscall(SYS_tgkill, getpid(), getpid(),
				VCPU_KICK_SIGNAL) == 0, 7);
}

static void device_allowed(const struct child_fds *fds)
{
	const enum seccomp_role r = SECCOMP_ROLE_DEVICE;
	char buf[16];
	void *p;
	int s, on = 1;

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHILD_EXPECT(r, s >= 0, 1);
	CHILD_EXPECT(r, ioctl(s, FIONBIO, &on) == 0, 2);
	CHILD_EXPECT(r, close(s) == 0, 3);
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHILD_EXPECT(r, p != MAP_FAILED, 4);
	CHILD_EXPECT(r, munmap(p, 1 << 20) == 0, 5);
	CHILD_EXPECT(r, syscall(SYS_brk, 0) > 0, 6);
	CHILD_EXPECT(r, getrandom(buf, sizeof(buf), 0) == sizeof(buf), 7);
	CHILD_EXPECT(r, read(fds->event, buf, 8) < 0 && errno == EAGAIN, 8);
}

static void blk_allowed(const struct child_fds *fds)
{
	const enum seccomp_role r = SECCOMP_ROLE_BLK;
	char out[512], in[512];
	struct iovec wv = { out, sizeof(out) }, rv = { in, sizeof(in) };
	uint64_t one = 1;

	memset(out, 0x5a, sizeof(out));
	CHILD_EXPECT(r, pwritev(fds->file, &wv, 1, 4096) == sizeof(out), 1);
	CHILD_EXPECT(r, fdatasync(fds->file) == 0, 2);
	CHILD_EXPECT(r, preadv(fds->file, &rv, 1, 4096) == sizeof(in), 3);
	CHILD_EXPECT(r, memcmp(in, out, sizeof(in)) == 0, 4);
	CHILD_EXPECT(r, write(fds->event, &one, sizeof(one)) == sizeof(one), 5);
}

static void main_allowed(const struct child_fds *fds)
{
	const enum seccomp_role r = SECCOMP_ROLE_MAIN;
	struct timespec zero = { 0, 0 };
	sigset_t term;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	CHILD_EXPECT(r, sigprocmask(SIG_BLOCK, &term, NULL) == 0, 1);
	CHILD_EXPECT(r, sigtimedwait(&term, NULL, &zero) < 0 &&
				errno == EAGAIN, 2);
	CHILD_EXPECT(r, unlink("/nonexistent/lighter-seccomp") < 0 &&
				errno == ENOENT, 3);
	CHILD_EXPECT(r, write(fds->null, "x", 1) == 1, 4);
	CHILD_EXPECT(r, close(fds->event) == 0, 5);
}

Test(seccomp, each_role_can_do_its_work)
{
	expect_exit0(run_in_role(SECCOMP_ROLE_VCPU, vcpu_allowed), "vcpu");
	expect_exit0(run_in_role(SECCOMP_ROLE_DEVICE, device_allowed),
		     "device");
	expect_exit0(run_in_role(SECCOMP_ROLE_BLK, blk_allowed), "blk");
	expect_exit0(run_in_role(SECCOMP_ROLE_MAIN, main_allowed), "main");
}

/* ---- what no role may do ----------------------------------------- */

static void do_execve(const struct child_fds *fds)
{
	char *const argv[] = { (char *)"/bin/true", NULL };
	char *const envp[] = { NULL };

	syscall(SYS_execve, "/bin/true", argv, envp);
}

static void do_openat(const struct child_fds *fds)
{
	syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
}

static void do_socket_inet(const struct child_fds *fds)
{
	syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
}

static void do_clone_thread(const struct child_fds *fds)
{
	/* the flags pthread_create passes; no role creates threads */
	syscall(SYS_clone, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			   CLONE_THREAD | CLONE_SYSVSEM,
		NULL, NULL, NULL, 0);
}

static void do_x32_getpid(const struct child_fds *fds)
{
	/* the x32 ABI's getpid: another ABI, killed as a bad architecture */
	syscall(0x40000000 | SYS_getpid);
}

Test(seccomp, forbidden_calls_kill_every_role)
{
	static const struct {
		const char *name;
		child_body body;
	} calls[] = {
		{ "execve", do_execve },
		{ "openat", do_openat },
		{ "socket(AF_INET)", do_socket_inet },
		{ "clone", do_clone_thread },
		{ "x32 getpid", do_x32_getpid },
	};

	for (int role = 0; role < SECCOMP_ROLE_COUNT; role++) {
		for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
			char what[64];

			snprintf(what, sizeof(what), "%s: %s",
				 seccomp_role_name((enum seccomp_role)role),
				 calls[i].name);
			expect_sigsys(run_in_role((enum seccomp_role)role,
						  calls[i].body),
				      what);
		}
	}
}

/* ---- argument checks --------------------------------------------- */

static void vcpu_create_vm(const struct child_fds *fds)
{
	ioctl(fds->null, KVM_CREATE_VM, 0);
}

static void vcpu_sigterm(const struct child_fds *fds)
{
	syscall(SYS_tgkill, getpid(), getpid(), SIGTERM);
}

static void device_inet6(const struct child_fds *fds)
{
	syscall(SYS_socket, AF_INET6, SOCK_DGRAM, 0);
}

static void device_exec_mmap(const struct child_fds *fds)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	     -1, 0);
}

static void device_exec_mprotect(const struct child_fds *fds)
{
	mprotect(fds->page, 4096, PROT_READ | PROT_EXEC);
}

static void device_tun_set_iff(const struct child_fds *fds)
{
	/* TUNSETIFF belongs to setup, before the filters */
	ioctl(fds->null, _IOW('T', 202, int), NULL);
}

static void blk_madvise_other(const struct child_fds *fds)
{
	madvise(fds->page, 4096, MADV_DONTFORK);
}

static void blk_pread_plain(const struct child_fds *fds)
{
	char b[8];

	/* pread64, not the preadv the workers use */
	pread(fds->file, b, sizeof(b), 0);
}

static void main_ioctl(const struct child_fds *fds)
{
	ioctl(fds->null, KVM_RUN, 0);
}

Test(seccomp, checked_arguments)
{
	static const struct {
		enum seccomp_role role;
		const char *name;
		child_body body;
	} cases[] = {
		{ SECCOMP_ROLE_VCPU, "vcpu: ioctl KVM_CREATE_VM", vcpu_create_vm },
		{ SECCOMP_ROLE_VCPU, "vcpu: tgkill SIGTERM", vcpu_sigterm },
		{ SECCOMP_ROLE_DEVICE, "device: socket(AF_INET6)", device_inet6 },
		{ SECCOMP_ROLE_DEVICE, "device: mmap PROT_EXEC", device_exec_mmap },
		{ SECCOMP_ROLE_DEVICE, "device: mprotect PROT_EXEC",
		  device_exec_mprotect },
		{ SECCOMP_ROLE_DEVICE, "device: ioctl TUNSETIFF",
		  device_tun_set_iff },
		{ SECCOMP_ROLE_BLK, "blk: madvise MADV_DONTFORK",
		  blk_madvise_other },
		{ SECCOMP_ROLE_BLK, "blk: pread64", blk_pread_plain },
		{ SECCOMP_ROLE_MAIN, "main: ioctl", main_ioctl },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_sigsys(run_in_role(cases[i].role, cases[i].body),
			      cases[i].name);
}

/* ---- one thread's filter is that thread's alone ------------------- */

static void *blk_thread(void *arg)
{
	seccomp_thread_enter(SECCOMP_ROLE_BLK);
	return arg;
}

Test(seccomp, filter_binds_only_the_thread_that_entered_it)
{
	int status = -1;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct lerr e = { 0 };
		pthread_t t;
		int fd;

		unsetenv(SECCOMP_HOOK_ENV);
		if (vmm_seccomp_setup(true, &e) < 0)
			_exit(121);
		/* the worker's filter ends with the worker... */
		if (pthread_create(&t, NULL, blk_thread, NULL) ||
		    pthread_join(t, NULL))
			_exit(122);
		/* ...and never covered this thread */
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		_exit(fd >= 0 ? 0 : 123);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	expect_exit0(status, "main after a blk thread ended");
}

/* ---- --no-seccomp ------------------------------------------------- */

Test(seccomp, without_enforcement_nothing_is_loaded)
{
	int status = -1;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct lerr e = { 0 };
		int fd;

		unsetenv(SECCOMP_HOOK_ENV);
		if (vmm_seccomp_setup(false, &e) < 0)
			_exit(121);
		seccomp_thread_enter(SECCOMP_ROLE_VCPU);
		fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0)
			_exit(122);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	expect_exit0(status, "--no-seccomp vcpu thread");
}

/* ---- the test hook's values --------------------------------------- */

Test(seccomp, hook_values)
{
	static const char *const good[] = {
		"vcpu:execve", "device:openat", "blk:socket", "main:execve",
	};
	static const char *const bad[] = {
		"", "vcpu", "vcpu:", ":execve", "cpu:execve", "vcpu:open",
		"vcpu:execve:", "VCPU:execve", "vcpu:execve ",
	};
	struct lerr e;

	if (!LIGHTER_SECCOMP_TEST_HOOK)
		cr_skip_test("built with -Dseccomp_test_hook=false: values are ignored");
	cr_expect_eq(seccomp_hook_parse(NULL, &e), 0);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(seccomp_hook_parse(good[i], &e), 0, "%s",
			     good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		cr_expect_eq(seccomp_hook_parse(bad[i], &e), -EINVAL,
			     "\"%s\" accepted", bad[i]);
		cr_expect(strstr(e.msg, SECCOMP_HOOK_ENV ": \"") == e.msg,
			  "\"%s\": message \"%s\"", bad[i], e.msg);
	}
}

/* ---- list sizes ---------------------------------------------------- */

Test(seccomp, list_sizes)
{
	for (int role = 0; role < SECCOMP_ROLE_COUNT; role++) {
		unsigned int rules = seccomp_role_rules((enum seccomp_role)role);
		unsigned int calls =
			seccomp_role_syscalls((enum seccomp_role)role);

		cr_log_info("%s: %u rules over %u system calls",
			    seccomp_role_name((enum seccomp_role)role), rules,
			    calls);
		cr_expect_gt(calls, 0);
		cr_expect_geq(rules, calls);
		/* Firecracker's x86 filters: 76 (vmm), 36 (api), 49 (vcpu) */
		cr_expect_leq(rules, 49, "%s: %u rules",
			      seccomp_role_name((enum seccomp_role)role),
			      rules);
	}
}
