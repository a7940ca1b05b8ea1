/* seccomp-filters.c - the allowlist of each lighter-vmm thread role and
 * their compilation to BPF with libseccomp (vmm_seccomp_setup).
 *
 * The lists hold what the threads were seen to call under strace -f:
 * real guests in the KVM test host (tests/seccomp/trace-e2e: boot on 1-4
 * vCPUs, both boot protocols, vsock streams both ways, blk, net, rng,
 * poweroff, panic) and the smoke payloads natively (the UART, signals);
 * tests/seccomp/syscalls-by-role turns such traces into a list per role.
 * A few calls are there for paths rarer than any trace: the vDSO's
 * clock_gettime fallback, restart_syscall, sched_yield.  Arguments are
 * checked where a value makes the difference: the ioctl request numbers
 * each role uses, no PROT_EXEC in mmap (and no mprotect at all), AF_UNIX
 * sockets only, MADV_DONTNEED only, only the two signals the VMM sends
 * to its own threads.  Anything else kills the process
 * (SCMP_ACT_KILL_PROCESS), as does a system call of another ABI (x32,
 * i386). */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>

#include <seccomp.h>

#include <lighter/cleanup.h>

#include "seccomp-thread.h"
#include "vcpu.h"

struct sc_rule {
	const char *name;
	int nr;
	unsigned int nargs; /* 0: any arguments */
	struct scmp_arg_cmp cmp[1];
};

#define ANY(sys) { #sys, SCMP_SYS(sys), 0, { { 0 } } }
/* argument i equals v */
#define EQ(sys, i, v)                                                          \
	{ #sys, SCMP_SYS(sys), 1,                                              \
	  { { .arg = (i), .op = SCMP_CMP_EQ, .datum_a = (v) } } }
/* argument i has none of the bits in m */
#define NONE_OF(sys, i, m)                                                     \
	{ #sys, SCMP_SYS(sys), 1,                                              \
	  { { .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = (m),            \
	      .datum_b = 0 } } }

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Every thread: locks, signal masks and the return from the vCPU kick
 * handler (SIGUSR1 may land on any thread that does not block it), and
 * the restart of a wait a signal interrupted. */
static const struct sc_rule rules_common[] = {
	ANY(futex),
	ANY(rt_sigprocmask),
	ANY(rt_sigreturn),
	ANY(restart_syscall),
};

/* A thread that ends (glibc's thread exit frees its stack pages, then
 * exit(2)); the main thread ends the process with exit_group instead. */
static const struct sc_rule rules_thread_end[] = {
	EQ(madvise, 2, MADV_DONTNEED),
	ANY(exit),
};

/* malloc and free with one arena (see vmm_seccomp_setup): the heap
 * grows and shrinks with brk, large blocks are mapped on their own; never
 * executable memory. */
static const struct sc_rule rules_malloc[] = {
	NONE_OF(mmap, 2, PROT_EXEC),
	ANY(munmap),
	ANY(brk),
};

/* pthread_kill: VCPU_KICK_SIGNAL to a vCPU, VM_STOPPED_SIGNAL to the
 * controller; no other signal, no other process (glibc asks getpid). */
static const struct sc_rule rules_signal_threads[] = {
	ANY(getpid),
	EQ(tgkill, 2, VCPU_KICK_SIGNAL),
	EQ(tgkill, 2, VM_STOPPED_SIGNAL),
};

static const struct sc_rule rules_vcpu[] = {
	EQ(ioctl, 1, KVM_RUN),
	EQ(ioctl, 1, KVM_GET_REGS),  /* the rip of a fault, for the message */
	EQ(ioctl, 1, KVM_IRQ_LINE),  /* the UART's interrupt */
	ANY(write),                  /* console, eventfds, stderr */
	ANY(clock_gettime),          /* boot timer (vDSO fallback) */
};

static const struct sc_rule rules_device[] = {
	ANY(epoll_wait),
	ANY(epoll_ctl),
	ANY(read),
	ANY(write),
	ANY(readv),                  /* TAP frames */
	ANY(writev),
	ANY(recvfrom),               /* vsock: the CONNECT line */
	ANY(sendto),                 /* vsock: the OK line */
	ANY(sendmsg),                /* vsock: guest data to the host */
	ANY(accept4),
	EQ(socket, 0, AF_UNIX),
	ANY(connect),
	ANY(shutdown),
	ANY(close),
	EQ(ioctl, 1, FIONBIO),       /* libuv: non-blocking new sockets */
	EQ(ioctl, 1, TUNSETOFFLOAD), /* offloads the guest negotiated */
	ANY(getrandom),
	ANY(preadv2),                /* RWF_NOWAIT reads from the cache */
	ANY(clock_gettime),
	ANY(sched_yield),            /* libuv: waits out a racing async send */
};

static const struct sc_rule rules_blk[] = {
	ANY(preadv),
	ANY(pwritev),
	ANY(fdatasync),
	ANY(write), /* the completion eventfd */
};

static const struct sc_rule rules_main[] = {
	ANY(rt_sigtimedwait), /* sigwaitinfo */
	ANY(write),           /* stderr, console flush, loop wakeup */
	ANY(read),            /* an eventfd the closing loop finds ready */
	ANY(epoll_wait),      /* the loop's last run, closing handles */
	ANY(epoll_ctl),
	ANY(close),
	ANY(unlink),          /* the vsock socket */
	ANY(munmap),          /* guest RAM, kvm_run, large blocks freed */
	ANY(brk),             /* the heap trimmed by free */
	ANY(exit_group),
	ANY(clock_gettime),
	ANY(sched_yield),     /* libuv: closing the loop's async handles */
};

struct sc_group {
	const struct sc_rule *rules;
	unsigned int n;
};

#define GROUP(a) { a, COUNT(a) }
#define MAX_GROUPS 6

static const struct sc_group role_groups[SECCOMP_ROLE_COUNT][MAX_GROUPS] = {
	[SECCOMP_ROLE_VCPU] = { GROUP(rules_common), GROUP(rules_thread_end),
				GROUP(rules_signal_threads),
				GROUP(rules_vcpu) },
	[SECCOMP_ROLE_DEVICE] = { GROUP(rules_common),
				  GROUP(rules_thread_end),
				  GROUP(rules_malloc), GROUP(rules_device) },
	[SECCOMP_ROLE_BLK] = { GROUP(rules_common), GROUP(rules_thread_end),
			       GROUP(rules_blk) },
	[SECCOMP_ROLE_MAIN] = { GROUP(rules_common),
				GROUP(rules_signal_threads),
				GROUP(rules_main) },
};

unsigned int seccomp_role_rules(enum seccomp_role role)
{
	unsigned int n = 0;

	for (unsigned int g = 0; role < SECCOMP_ROLE_COUNT && g < MAX_GROUPS;
	     g++)
		n += role_groups[role][g].n;
	return n;
}

unsigned int seccomp_role_syscalls(enum seccomp_role role)
{
	int seen[64];
	unsigned int n = 0;

	for (unsigned int g = 0; role < SECCOMP_ROLE_COUNT && g < MAX_GROUPS;
	     g++) {
		const struct sc_group *grp = &role_groups[role][g];

		for (unsigned int i = 0; i < grp->n; i++) {
			unsigned int k = 0;

			while (k < n && seen[k] != grp->rules[i].nr)
				k++;
			if (k == n && n < COUNT(seen))
				seen[n++] = grp->rules[i].nr;
		}
	}
	return n;
}

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* BPF out of libseccomp: export to a memory file, read it back. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog,
		      const char *role, struct lerr *e)
{
	_cleanup_close_ int fd = memfd_create("lighter-seccomp", MFD_CLOEXEC);
	_cleanup_free_ struct sock_filter *insns = NULL;
	off_t size;
	int r;

	if (fd < 0)
		return lerr_set(e, errno, "seccomp: %s filter: memfd_create",
				role);
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return lerr_set(e, r, "seccomp: %s filter: export", role);
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return lerr_fail(e, E2BIG,
				 "seccomp: %s filter: %lld bytes of BPF", role,
				 (long long)size);
	insns = malloc((size_t)size);
	if (!insns)
		return lerr_fail(e, ENOMEM, "out of memory");
	errno = EIO; /* for a short read */
	if (pread(fd, insns, (size_t)size, 0) != size)
		return lerr_set(e, errno, "seccomp: %s filter: reading it back",
				role);
	prog->len = (unsigned short)(size / sizeof(struct sock_filter));
	prog->filter = TAKE_PTR(insns);
	return 0;
}

static int role_compile(enum seccomp_role role, struct sock_fprog *prog,
			struct lerr *e)
{
	__attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = NULL;
	const char *name = seccomp_role_name(role);
	int r;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return lerr_fail(e, ENOMEM, "seccomp: %s filter: seccomp_init",
				 name);
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS);
	/* a binary tree of system call numbers, not a linear scan */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return lerr_set(e, r, "seccomp: %s filter: attributes", name);
	for (unsigned int g = 0; g < MAX_GROUPS; g++) {
		const struct sc_group *grp = &role_groups[role][g];

		for (unsigned int i = 0; i < grp->n; i++) {
			const struct sc_rule *rule = &grp->rules[i];

			r = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW,
							 rule->nr, rule->nargs,
							 rule->cmp);
			if (r < 0)
				return lerr_set(e, r,
						"seccomp: %s filter: rule for %s",
						name, rule->name);
		}
	}
	return export_bpf(ctx, prog, name, e);
}

/* The kernel must have seccomp filters and the kill-process action
 * (Linux 4.14). */
static int kernel_check(struct lerr *e)
{
	uint32_t action = SECCOMP_RET_KILL_PROCESS;

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
		return lerr_set(e, errno,
				"seccomp: the kernel has no seccomp support (--no-seccomp runs without)");
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
		return lerr_set(e, errno,
				"seccomp: the kernel cannot kill a process on a filter violation (--no-seccomp runs without)");
	return 0;
}

int vmm_seccomp_setup(bool enforce, struct lerr *e)
{
	struct sock_fprog prog[SECCOMP_ROLE_COUNT] = { { 0 } };
	int r;

	r = seccomp_hook_parse(getenv(SECCOMP_HOOK_ENV), e);
	if (r < 0)
		return r;
	/* One malloc arena for every thread, in both modes.  The first time
	 * glibc shrinks the heap of a thread's own arena it opens
	 * /proc/sys/vm/overcommit_memory -- an openat no filter allows --
	 * whereas the main arena grows and shrinks with brk.  The threads
	 * allocate little, so they do not contend, and the memory of
	 * per-thread arenas is saved. */
	mallopt(M_ARENA_MAX, 1);
	if (!enforce) {
		for (int role = 0; role < SECCOMP_ROLE_COUNT; role++)
			seccomp_arm((enum seccomp_role)role, NULL);
		return 0;
	}
	r = kernel_check(e);
	for (int role = 0; r == 0 && role < SECCOMP_ROLE_COUNT; role++)
		r = role_compile((enum seccomp_role)role, &prog[role], e);
	/* Threads created from now on inherit it; the kernel requires it
	 * (or CAP_SYS_ADMIN) of a thread that loads a filter. */
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = lerr_set(e, errno, "seccomp: PR_SET_NO_NEW_PRIVS");
	if (r < 0) {
		for (int role = 0; role < SECCOMP_ROLE_COUNT; role++)
			free(prog[role].filter);
		return r;
	}
	for (int role = 0; role < SECCOMP_ROLE_COUNT; role++)
		seccomp_arm((enum seccomp_role)role, &prog[role]);
	return 0;
}
