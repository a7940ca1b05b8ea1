/* container-child.h - the interface between container_spawn() (the
 * agent's side, container.c) and the cloned child that builds the
 * container's world and execs its program (container-child.c).  Internal
 * to the agent_container library. */
#ifndef LIGHTER_CONTAINER_CHILD_H
#define LIGHTER_CONTAINER_CHILD_H

#include <stdint.h>

#include "container.h"

/* Everything the child needs, prepared by the parent before clone: the
 * child allocates nothing (it is a copy of a possibly multi-threaded
 * process whose heap locks may be held by threads that did not follow). */
struct container_child {
	const struct container_spec *spec;
	const char *hosts; /* /etc/hosts content: the spec's or the default */
	int devnull_fd;	   /* the agent's /dev/null, for stdin (and -1 fds) */
	int report_fd;	   /* write end of the close-on-exec report pipe */
	int mount_fds[CONTAINER_MAX_MOUNTS]; /* the child's open_tree()s */
};

/* What a child that failed before exec writes to the report pipe, in one
 * write (smaller than PIPE_BUF, hence atomic).  No bytes at all means the
 * exec succeeded. */
struct container_report {
	int32_t err;	/* positive errno */
	int32_t stage;	/* enum container_stage */
	char what[448]; /* the step, e.g. `exec "nosuch"`; NUL-terminated */
};

/* Run in the child right after clone; never returns (execs or _exits). */
__attribute__((noreturn)) void container_child_main(struct container_child *c);

#endif
