/* group-agent.h - what the CLI asks of a running group's agent directly,
 * on the agent's exec port (PROTO_EXEC_VSOCK_PORT) through the VMM's
 * hybrid vsock socket, beside the monitor's own connection: exec sessions
 * (group-exec.c, lighter_group_exec() in lighter.h) and counters for
 * `lighter stats` (group-stats.c).
 *
 * Why not through the monitor: an exec is a long bidirectional byte
 * stream (a terminal) with its own flow control; relaying it through the
 * monitor's single libuv loop and its one agent connection would put
 * every keystroke and every output chunk through a second process and
 * multiplex sessions by request id for nothing.  The agent serves any
 * number of exec-port connections without touching the main one, and the
 * monitor keeps owning the group's life. */
#ifndef LIGHTER_TOOLS_GROUP_AGENT_H
#define LIGHTER_TOOLS_GROUP_AGENT_H

#include <lighter/lighter.h>

#include "protocol.h"

/* A blocking socket to group name's agent on the exec port, past the
 * hybrid vsock's "CONNECT 1025" / "OK" handshake.  -ENOTCONN (with e)
 * when the group is not running or its agent does not answer. */
int group_agent_connect(const struct lighter_paths *p, const char *name,
			struct lerr *e);

/* STATS on fd (a group_agent_connect() socket; any number in turn): the
 * OK's counters. */
int group_agent_stats(int fd, const char *name, struct proto_stats *st,
		      struct lerr *e);

#endif
