/* process.h - what one container runs: the image config merged with the
 * group spec, with Docker's semantics:
 *  - args: the spec's entrypoint replaces the image's Entrypoint and
 *    drops the image's Cmd; the spec's command replaces Cmd; args are
 *    entrypoint + cmd and must not be empty;
 *  - env: the image's Env, then HOSTNAME=<group name>, then the spec's
 *    env, each NAME replacing an earlier one in place; PATH gets the
 *    usual default when nobody set it;
 *  - cwd: the spec's workdir, else the image's WorkingDir, else "/";
 *  - user: the spec's, else the image's User, else "0". */
#ifndef LIGHTER_TOOLS_PROCESS_H
#define LIGHTER_TOOLS_PROCESS_H

#include <lighter/error.h>

#include "oci-image.h"
#include "spec.h"

#define PROCESS_DEFAULT_PATH \
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct process {
	char **args; /* NULL-terminated, at least one */
	char **env;  /* NAME=VALUE, NULL-terminated */
	char *cwd;
	char *user;
};

/* Merge for container c of group s running img.  -EINVAL when there is
 * no command ('[container.app]: no command: ...'), -ENOMEM; p is zeroed
 * first and safe to free in every case. */
int process_merge(struct process *p, const struct spec *s,
		  const struct spec_container *c, const struct oci_image *img,
		  struct lerr *e);

void process_free(struct process *p);

#endif
