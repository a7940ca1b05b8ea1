/* host-tool.h - running a program of the host (host-tool.c) for the
 * volumes: git and tar for gitrepo, mkfs.ext4 for persistent. */
#ifndef LIGHTER_TOOLS_HOST_TOOL_H
#define LIGHTER_TOOLS_HOST_TOOL_H

#include <lighter/error.h>

/* Run argv[0] (a PATH lookup, then /usr/sbin and /sbin) with argv, in cwd
 * (NULL: ours), stdin on /dev/null, stdout on out_fd (-1: /dev/null),
 * GIT_TERMINAL_PROMPT=0 and LC_ALL=C.  0 when it exits with 0; else
 * -ENOENT (not installed) or -EIO, with e saying `what: exited with
 * status N: <its last line of stderr>`. */
int host_tool_run(const char *const *argv, const char *cwd, int out_fd,
		  const char *what, struct lerr *e);

#endif
