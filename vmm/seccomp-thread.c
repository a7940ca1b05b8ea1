/* seccomp-thread.c - the thread side of lighter-vmm's seccomp filters: the
 * compiled program of each role, loading it on the calling thread
 * (seccomp_thread_enter), the thread's name, and the test hook that
 * issues a forbidden system call once the filter is in force.
 *
 * No libseccomp here: the filters are compiled once by
 * vmm_seccomp_setup() (seccomp-filters.c) on the main thread, and a
 * thread only makes the seccomp(2) call, so this file can sit with the
 * device code that unit tests link without the VMM's setup. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include "seccomp-thread.h"

/* Set by vmm/meson.build (option seccomp_test_hook); builds that compile
 * this file on their own (the fuzz harnesses) go without the hook. */
#ifndef LIGHTER_SECCOMP_TEST_HOOK
#define LIGHTER_SECCOMP_TEST_HOOK 0
#endif

enum hook_call {
	HOOK_NONE,
	HOOK_EXECVE,
	HOOK_OPENAT,
	HOOK_SOCKET,
};

static const char *const role_names[SECCOMP_ROLE_COUNT] = {
	[SECCOMP_ROLE_VCPU] = "vcpu",
	[SECCOMP_ROLE_DEVICE] = "device",
	[SECCOMP_ROLE_BLK] = "blk",
	[SECCOMP_ROLE_MAIN] = "main",
};

/* Written by the main thread before any other thread exists (setup),
 * read-only afterwards. */
static struct {
	bool armed;
	struct sock_fprog prog[SECCOMP_ROLE_COUNT]; /* .filter NULL: none */
	int hook_role;                              /* -1: no hook */
	enum hook_call hook_call;
} sc = { .hook_role = -1 };

const char *seccomp_role_name(enum seccomp_role role)
{
	return role < SECCOMP_ROLE_COUNT ? role_names[role] : "?";
}

void seccomp_arm(enum seccomp_role role, const struct sock_fprog *prog)
{
	if (role >= SECCOMP_ROLE_COUNT)
		return;
	sc.armed = true;
	if (prog)
		sc.prog[role] = *prog;
	else
		memset(&sc.prog[role], 0, sizeof(sc.prog[role]));
}

#if LIGHTER_SECCOMP_TEST_HOOK
int seccomp_hook_parse(const char *value, struct lerr *e)
{
	static const struct {
		const char *name;
		enum hook_call call;
	} calls[] = {
		{ "execve", HOOK_EXECVE },
		{ "openat", HOOK_OPENAT },
		{ "socket", HOOK_SOCKET },
	};
	const char *colon;
	size_t n;
	int role = -1;

	sc.hook_role = -1;
	sc.hook_call = HOOK_NONE;
	if (!value)
		return 0;
	colon = strchr(value, ':');
	n = colon ? (size_t)(colon - value) : 0;
	for (int r = 0; colon && r < SECCOMP_ROLE_COUNT; r++) {
		if (strlen(role_names[r]) == n &&
		    strncmp(value, role_names[r], n) == 0)
			role = r;
	}
	for (size_t i = 0; role >= 0 && i < sizeof(calls) / sizeof(calls[0]);
	     i++) {
		if (strcmp(colon + 1, calls[i].name) == 0) {
			sc.hook_role = role;
			sc.hook_call = calls[i].call;
			return 0;
		}
	}
	return lerr_fail(e, EINVAL,
			 SECCOMP_HOOK_ENV
			 ": \"%s\" is not ROLE:SYSCALL (ROLE vcpu, device, blk or main; SYSCALL execve, openat or socket)",
			 value);
}

/* The forbidden call, made harmless for runs without a filter: nothing
 * to execute or open at that path, a socket closed at once. */
static void hook_fire(enum hook_call call)
{
	static const char path[] = "/nonexistent/lighter-seccomp-test-hook";
	char *const argv[] = { (char *)path, NULL };
	char *const envp[] = { NULL };
	long fd;

	switch (call) {
	case HOOK_EXECVE:
		syscall(SYS_execve, path, argv, envp);
		break;
	case HOOK_OPENAT:
		fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close((int)fd);
		break;
	case HOOK_SOCKET:
		fd = syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
			     0);
		if (fd >= 0)
			close((int)fd);
		break;
	case HOOK_NONE:
	default:
		break;
	}
}
#else
int seccomp_hook_parse(const char *value, struct lerr *e)
{
	(void)value;
	(void)e;
	return 0;
}

static void hook_fire(enum hook_call call)
{
	(void)call;
}
#endif

static int load_filter(const struct sock_fprog *prog)
{
	/* Inherited from the main thread already (setup sets it before any
	 * thread exists); a no-op then, but the kernel refuses a filter
	 * without it (or CAP_SYS_ADMIN), so make sure. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return -errno;
	return 0;
}

void seccomp_thread_enter(enum seccomp_role role)
{
	int r;

	if (!sc.armed || role >= SECCOMP_ROLE_COUNT)
		return;
	/* The role shows in /proc/PID/task/TID/comm, ps -L and strace -Y;
	 * the main thread keeps the process's name. */
	if (role != SECCOMP_ROLE_MAIN)
		prctl(PR_SET_NAME, role_names[role], 0, 0, 0);
	if (sc.prog[role].filter) {
		r = load_filter(&sc.prog[role]);
		if (r < 0) {
			fprintf(stderr,
				"lighter-vmm: seccomp: cannot load the %s thread's filter: %s\n",
				role_names[role], strerror(-r));
			_exit(1);
		}
	}
	if (sc.hook_role == (int)role)
		hook_fire(sc.hook_call);
}
