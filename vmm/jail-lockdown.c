/* jail-lockdown.c - the process-wide restrictions of the jailed VMM (see
 * jail-lockdown.h).
 *
 * These run in the VMM child after its root is built and before the VMM
 * opens anything or starts a thread: capabilities, the bounding set and
 * no_new_privs are per-thread attributes that a thread passes on only to
 * threads it creates later, so dropping them before the first
 * pthread_create() is what makes them hold for every vCPU, device and
 * I/O thread.
 *
 * Resource limits (soft = hard; never above a lower hard limit the
 * launcher set): RLIMIT_NOFILE 4096 (the VMM needs a few dozen plus one
 * per vsock connection), RLIMIT_CORE 0 (a core file would hold guest
 * memory).  RLIMIT_FSIZE bounds the files the VMM writes: drives are
 * written in place and never grow (virtio-blk refuses requests past their
 * end), but the limit applies to any write ending past it, so it is the
 * largest writable drive's size or JAIL_FSIZE_MIN, whichever is larger;
 * what it really stops is a guest filling the host's disk through the
 * console log.  SIGXFSZ is ignored so such a write fails (the UART drops
 * output it cannot write) instead of killing the VM. */
#include <cap-ng.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jail-lockdown.h"

/* Soft and hard limit v, or the hard limit the launcher set if that is
 * lower (raising it would take CAP_SYS_RESOURCE). */
static int set_limit(int resource, const char *name, rlim_t v,
		     struct lerr *e)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) < 0)
		return lerr_set(e, errno, "jail: getrlimit %s", name);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < v)
		v = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = v;
	if (setrlimit(resource, &rl) < 0)
		return lerr_set(e, errno, "jail: setrlimit %s %llu", name,
				(unsigned long long)v);
	return 0;
}

/* clearenv() only forgets the strings; /proc/PID/environ shows the
 * block the kernel placed on the stack at exec.  Zero that block (the
 * strings lie back to back from environ[0]) so it holds no variable, and
 * no secret of the launcher's lingers in the VMM's memory.  (Shrinking
 * the block itself takes PR_SET_MM and CAP_SYS_RESOURCE, which not every
 * launcher has.)  Run while environ is still exec's array. */
static int wipe_environment(struct lerr *e)
{
	char *start, *end;

	if (environ && environ[0]) {
		start = end = environ[0];
		for (char **p = environ; *p; p++) {
			char *s_end = *p + strlen(*p) + 1;

			if (*p < start)
				start = *p;
			if (s_end > end)
				end = s_end;
		}
		memset(start, 0, (size_t)(end - start));
	}
	if (clearenv() != 0)
		return lerr_fail(e, ENOMEM, "jail: clearenv failed");
	return 0;
}

int jail_limit_resources(uint64_t fsize_max, struct lerr *e)
{
	int r;

	if (fsize_max < JAIL_FSIZE_MIN)
		fsize_max = JAIL_FSIZE_MIN;
	r = set_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", JAIL_NOFILE, e);
	if (r == 0)
		r = set_limit(RLIMIT_CORE, "RLIMIT_CORE", 0, e);
	if (r == 0)
		r = set_limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", (rlim_t)fsize_max,
			      e);
	if (r < 0)
		return r;
	signal(SIGXFSZ, SIG_IGN);
	return wipe_environment(e);
}

/* Read back, with the kernel's own interfaces rather than libcap-ng's
 * state, that nothing is left: no permitted, effective, inheritable or
 * ambient capability and an empty bounding set. */
static bool capabilities_gone(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	for (int i = 0; i < 2; i++) {
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return false;
	}
	/* PR_CAPBSET_READ fails (EINVAL) past the kernel's last one */
	for (unsigned long cap = 0;; cap++) {
		int in_bounds = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in_bounds < 0)
			return cap > 0;
		if (in_bounds ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0)
			return false;
	}
}

int jail_drop_privileges(uid_t uid, gid_t gid, struct lerr *e)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	/* The bounding set first: emptying it takes CAP_SETPCAP, which the
	 * id change below takes away. */
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
		return lerr_fail(e, EPERM,
				 "jail: drop the capability bounding set failed");
	if (setgroups(0, NULL) < 0)
		return lerr_set(e, errno, "jail: setgroups to none");
	if (setresgid(gid, gid, gid) < 0)
		return lerr_set(e, errno, "jail: setresgid %u", (unsigned int)gid);
	if (setresuid(uid, uid, uid) < 0)
		return lerr_set(e, errno, "jail: setresuid %u", (unsigned int)uid);
	/* Leaving uid 0 cleared the permitted, effective and ambient sets;
	 * the inheritable one is cleared here. */
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0)
		return lerr_fail(e, EPERM, "jail: clear the capability sets failed");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return lerr_set(e, errno, "jail: PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return lerr_set(e, errno, "jail: PR_SET_PDEATHSIG");

	/* Trust, but verify: a partial drop must not launch a VM. */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid || getgroups(0, NULL) != 0)
		return lerr_fail(e, EPERM, "jail: the ids did not change");
	if (!capabilities_gone())
		return lerr_fail(e, EPERM, "jail: capabilities remain after the drop");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return lerr_fail(e, EPERM, "jail: no_new_privs did not stick");
	return 0;
}

void jail_close_fds(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
#endif
	/* before Linux 5.9 */
	for (int fd = 3; fd < JAIL_NOFILE; fd++)
		close(fd);
}
