/* jail-status.h - how the jail's supervisor turns the VMM's wait status
 * into lighter-vmm's exit status and, for a death by signal, the one line
 * that says why (pure, unit-tested). */
#ifndef LIGHTER_VMM_JAIL_STATUS_H
#define LIGHTER_VMM_JAIL_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the supervisor knows besides the wait status. */
struct jail_death {
	bool oom_killed;           /* the memory cgroup's OOM kills went up */
	uint64_t memory_limit;     /* bytes */
	const char *memory_cgroup; /* its directory */
};

/* An exit passes its status through and leaves line empty (the VMM said
 * why it stopped).  A death by signal returns 128 + signal and describes
 * it: seccomp's SIGSYS, a SIGKILL by the memory limit, any other signal
 * by number and name. */
int jail_exit_status(int wstatus, const struct jail_death *d, char *line,
		     size_t n);

#endif
