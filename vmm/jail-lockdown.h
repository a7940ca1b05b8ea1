/* jail-lockdown.h - the last steps of entering the jail, inside the VMM
 * child: resource limits, a cleared environment, the unprivileged ids, no
 * capabilities (bounding set included), no_new_privs, no inherited file
 * descriptors. */
#ifndef LIGHTER_VMM_JAIL_LOCKDOWN_H
#define LIGHTER_VMM_JAIL_LOCKDOWN_H

#include <stdint.h>
#include <sys/types.h>

#include <lighter/error.h>

#define JAIL_NOFILE 4096
/* RLIMIT_FSIZE floor: the console log may grow to this, then writes fail
 * (SIGXFSZ is ignored) while the guest keeps running. */
#define JAIL_FSIZE_MIN (1ULL << 30)

/* rlimits (RLIMIT_NOFILE JAIL_NOFILE, RLIMIT_CORE 0, RLIMIT_FSIZE
 * fsize_max), SIGXFSZ ignored, environment cleared and exec's block of
 * it zeroed (/proc/PID/environ then holds no variable, only NULs). */
int jail_limit_resources(uint64_t fsize_max, struct lerr *e);

/* Drop the bounding set, switch to uid:gid with no supplementary
 * groups, clear every capability set, set no_new_privs and the
 * parent-death signal (cleared by the id change) again; verify that it
 * all took. */
int jail_drop_privileges(uid_t uid, gid_t gid, struct lerr *e);

/* Close every descriptor from 3 up. */
void jail_close_fds(void);

#endif
