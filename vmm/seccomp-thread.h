/* seccomp-thread.h - per-thread system call allowlists for lighter-vmm.
 *
 * Each thread of the VMM has a role, and each role its own seccomp filter
 * (allowlists in seccomp-filters.c); a system call outside the calling
 * thread's list kills the whole process (SIGSYS, SCMP_ACT_KILL_PROCESS):
 *
 *   vcpu    KVM_RUN loop (vcpu.c)
 *   device  the libuv device loop (device-loop.c): vsock sockets, TAP,
 *           eventfds, getrandom, RWF_NOWAIT block reads
 *   blk     virtio-blk I/O workers (virtio-blk-io.c)
 *   main    the controlling thread once every other thread exists: waits
 *           for signals, joins, tears down
 *
 * Order: vmm_seccomp_setup() runs on the main thread before any other
 * thread exists.  It compiles the four filters to BPF (libseccomp) and
 * sets no_new_privs, which every thread created later inherits (and
 * limits malloc to one arena, whose growth needs no file access).  Each
 * thread then calls seccomp_thread_enter() first thing, so its filter is
 * in force before it does any work; the main thread calls it after the
 * last thread was created, since a filter is inherited by the threads its
 * thread creates.  No filtered thread creates threads (no clone in any
 * list).
 *
 * Test hook: LIGHTER_TEST_FORBIDDEN_SYSCALL=ROLE:SYSCALL (ROLE vcpu,
 * device, blk or main; SYSCALL execve, openat or socket) makes threads of
 * that role issue that call right after seccomp_thread_enter() installed
 * their filter, so that tests can watch the filter kill the VMM.  It is
 * harmless: the call is execve or openat of a path that does not exist
 * ("/nonexistent/...") or an AF_INET socket closed at once, and with the
 * filter in force the process is killed before the call runs.  Building
 * with -Dseccomp_test_hook=false compiles it out (the variable is then
 * ignored). */
#ifndef LIGHTER_VMM_SECCOMP_THREAD_H
#define LIGHTER_VMM_SECCOMP_THREAD_H

#include <stdbool.h>

#include <linux/filter.h>

#include <lighter/error.h>

enum seccomp_role {
	SECCOMP_ROLE_VCPU,
	SECCOMP_ROLE_DEVICE,
	SECCOMP_ROLE_BLK,
	SECCOMP_ROLE_MAIN,
	SECCOMP_ROLE_COUNT,
};

/* "vcpu", "device", "blk", "main". */
const char *seccomp_role_name(enum seccomp_role role);

/* Main thread, before any other thread exists: read the test hook from
 * the environment and, when enforce is set, build every role's filter and
 * set no_new_privs.  Without enforce the threads run unfiltered (the
 * --no-seccomp debug mode) but still take their names and the test hook.
 * -errno with e naming the cause (a kernel without seccomp or without
 * SECCOMP_RET_KILL_PROCESS, a bad hook value). */
int vmm_seccomp_setup(bool enforce, struct lerr *e);

/* Number of libseccomp rules (a system call, with or without one
 * argument condition) in role's allowlist, and of distinct system calls. */
unsigned int seccomp_role_rules(enum seccomp_role role);
unsigned int seccomp_role_syscalls(enum seccomp_role role);

/* First thing in a thread of this role (the main thread: once all others
 * exist): name the thread after its role (threads other than main), load
 * its filter, then fire the test hook if it names this role.  Nothing at
 * all unless vmm_seccomp_setup() ran, so unit tests that start device
 * threads run unfiltered.  A thread that cannot load its filter ends the
 * process with exit status 1 and one "lighter-vmm: " line on stderr:
 * running unconfined is not an option, and the thread has nobody to
 * return an error to. */
void seccomp_thread_enter(enum seccomp_role role);

/* For vmm_seccomp_setup(): from now on seccomp_thread_enter() acts;
 * role's threads load prog (kept, with its BPF array, for the life of
 * the process), or run unfiltered when prog is NULL. */
void seccomp_arm(enum seccomp_role role, const struct sock_fprog *prog);

/* For vmm_seccomp_setup(): the test hook from the value of
 * LIGHTER_TEST_FORBIDDEN_SYSCALL (NULL: none).  -EINVAL with e naming the
 * variable when the value is not ROLE:SYSCALL; a build without the hook
 * ignores the value. */
int seccomp_hook_parse(const char *value, struct lerr *e);

#define SECCOMP_HOOK_ENV "LIGHTER_TEST_FORBIDDEN_SYSCALL"

#endif
