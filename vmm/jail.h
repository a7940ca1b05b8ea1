/* jail.h - lighter-vmm --jail: the VMM runs in its own namespaces, root,
 * cgroups and ids, watched by a supervisor that stays outside. */
#ifndef LIGHTER_VMM_JAIL_H
#define LIGHTER_VMM_JAIL_H

#include <lighter/error.h>

#include "config.h"

/* How the jailed VMM ended, for the supervisor's caller. */
struct jail_exit {
	int status;        /* the VMM's exit status; 128 + signal if killed */
	char line[512];    /* why it was killed, "" if it exited (the VMM
			    * said why itself) */
	char cleanup[512]; /* a cleanup step that failed, "" if none */
};

/* Enter the jail configured in cfg->jail (cfg->jail.enabled must be set).
 * Call before anything is opened and before any thread exists, with the
 * signals the VMM waits for already blocked.
 *
 * Returns, in the VMM process: 0 once jailed (cfg's paths now name the
 * files inside the jail), or -errno with e naming the failed step (the
 * caller reports it and exits; the supervisor cleans up).  In the
 * supervisor: 1 once the VMM has ended and everything the jail made is
 * gone again (out filled: exit with out->status), or -errno with e filled
 * when the launch failed before the VMM existed, nothing left behind. */
int jail_enter(struct vmm_config *cfg, struct jail_exit *out, struct lerr *e);

#endif
