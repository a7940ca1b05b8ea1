/* jail-root.h - the jailed VMM's file system: a tmpfs holding only the
 * files, directories and device nodes the VM uses, made the root with
 * pivot_root(2), with the VMM configuration's paths rewritten to their
 * names inside it. */
#ifndef LIGHTER_VMM_JAIL_ROOT_H
#define LIGHTER_VMM_JAIL_ROOT_H

#include <stdbool.h>
#include <sys/types.h>

#include <lighter/error.h>

#include "config.h"

/* One host path the jail binds in. */
struct jail_file {
	const char *what;  /* "kernel", "drive 2", ... for messages */
	char *host;        /* the path outside, as configured */
	char *inside;      /* its name in the jail: "/kernel", "/drive2" */
	char **cfg_path;   /* the config field rewritten to inside */
	bool dir;          /* the vsock socket's directory */
	bool rw;           /* bound read-write */
	int access;        /* what the jail's uid needs: R_OK, W_OK, X_OK */
};

#define JAIL_FILES_MAX (3 + VMM_MAX_DRIVES)

struct jail_files {
	struct jail_file f[JAIL_FILES_MAX];
	unsigned int n;
	char *vsock_name;  /* the socket's base name */
};

/* What cfg needs inside the jail: kernel, initrd, drives, the console
 * file and the directory of the vsock socket.  0 or -ENOMEM. */
int jail_files_plan(struct jail_files *fs, struct vmm_config *cfg,
		    struct lerr *e);

void jail_files_free(struct jail_files *fs);

/* The entry for the vsock directory or the console file, or NULL. */
const struct jail_file *jail_files_find(const struct jail_files *fs,
					const char *what);

/* In the VMM child, inside its own mount namespace, as root: mount a
 * tmpfs on root (an existing empty directory), bind every planned file
 * into it, create the device nodes (/dev/kvm, and /dev/net/tun when cfg
 * has a net device, owned by uid:gid; /dev/null and /dev/urandom),
 * pivot_root into it, detach the old root, make the new one read-only and
 * rewrite cfg's paths to the names inside.  -errno with e naming the step
 * ("jail: bind kernel ..."); the mounts die with the namespace. */
int jail_root_enter(const char *root, struct jail_files *fs,
		    struct vmm_config *cfg, uid_t uid, gid_t gid,
		    struct lerr *e);

/* After the switch to the jail's ids: can they use every planned file
 * the way the VMM will?  Names the host path of the first that fails. */
int jail_files_check(const struct jail_files *fs, uid_t uid,
		     struct lerr *e);

#endif
