/* serve.h - the agent as the group's supervisor: one single-threaded
 * epoll loop that serves the host over the wire protocol (PROTOCOL.md),
 * receives the group spec and its layers, runs the containers, streams
 * their output and reports their lifecycle, until it is time to power off.
 *
 * The loop is a library (agent_serve) so the static agent and the native
 * tests run the same code: in the guest it listens on AF_VSOCK port 1024
 * and manages cgroups under /sys/fs/cgroup/lighter; a test hands it a Unix
 * socket (listening or already connected), a scratch run directory and no
 * cgroup parent.
 *
 * Nothing here prints: events worth a console line go to cfg->log. */
#ifndef LIGHTER_AGENT_SERVE_H
#define LIGHTER_AGENT_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include <lighter/error.h>

/* Power off this long after the group exited when no host is connected. */
#define SERVE_IDLE_POWEROFF_MS 10000
/* The nameserver containers get when the kernel command line names none. */
#define SERVE_DEFAULT_DNS "10.0.2.3"

struct serve_config {
	/* A listening stream socket (AF_VSOCK in the guest, AF_UNIX in the
	 * tests), or -1.  Taken over: closed by agent_serve(). */
	int listen_fd;
	/* An already connected host (a socketpair end), or -1.  Taken over
	 * like listen_fd.  With both -1 nobody can ever connect. */
	int conn_fd;
	/* A listening socket for the exec port (PROTO_EXEC_VSOCK_PORT:
	 * exec sessions and STATS), or -1.  Taken over like listen_fd. */
	int exec_listen_fd;
	/* Absolute; holds blobs/, layers/<hex of diff_id>/ and
	 * containers/<name>/, created when missing ("/run/lighter"). */
	const char *run_dir;
	/* The cgroup v2 mount and the directory the per-container cgroups
	 * go under (CGROUP2_ROOT, CGROUP2_PARENT).  cgroup_parent NULL is
	 * the native tests' knob: containers run in the agent's own cgroup,
	 * without limits, and oom_killed is always false (this project's
	 * development hosts bind cpu and memory to cgroup v1). */
	const char *cgroup_root;
	const char *cgroup_parent;
	/* The nameserver line of every container's /etc/resolv.conf. */
	const char *dns;
	/* Set CLOCK_REALTIME from HELLO's time_ns (the guest; never a test
	 * running on the host). */
	bool set_clock;
	/* 0 takes SERVE_IDLE_POWEROFF_MS. */
	uint32_t idle_poweroff_ms;
	/* A console line (no trailing newline), or NULL for silence. */
	void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};

/* Serve until the VM should power off: the host sent POWEROFF (answered
 * and flushed before returning), or the group has exited for good and
 * the host closed its connection or none was connected for
 * idle_poweroff_ms, or SIGTERM, SIGINT or SIGPWR arrived (containers are
 * stopped with a 10 s grace first).  Containers still running are killed
 * and filesystems synced before it returns 0; the caller powers off.
 * SIGCHLD, SIGTERM, SIGINT and SIGPWR are blocked for the loop's signalfd
 * and SIGPIPE is ignored, for the rest of the process's life.  A setup
 * failure (epoll, signalfd, run_dir) returns -errno with e filled. */
int agent_serve(const struct serve_config *cfg, struct lerr *e);

#endif
