/* group-dir.h - the layout of a group's directory RUN/<group>/ and the
 * file operations on it (group-dir.c): opening it, JSON files replaced
 * atomically, layers.json, the monitor's liveness lock, Unix sockets
 * reached however long the run dir's path is, process identity checks
 * and removal of the whole tree. */
#ifndef LIGHTER_TOOLS_GROUP_DIR_H
#define LIGHTER_TOOLS_GROUP_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <lighter/digest.h>
#include <lighter/error.h>
#include <lighter/lighter.h>

#define GROUP_SPEC_FILE "spec.json"	/* the SPEC body for the agent */
#define GROUP_LAYERS_FILE "layers.json" /* struct group_layer[] */
#define GROUP_LOGS_DIR "logs"		/* <container>.log */
#define GROUP_CTL_SOCK "ctl.sock"	/* the monitor's control socket */
#define GROUP_VSOCK_SOCK "vsock.sock"	/* the VMM's hybrid vsock */
#define GROUP_CONSOLE_LOG "console.log" /* the guest's serial console */
#define GROUP_VMM_LOG "vmm.log"		/* lighter-vmm's stderr */
#define GROUP_MONITOR_LOG "monitor.log" /* the monitor's stdout/stderr */
/* Held (flock LOCK_EX) by the monitor for as long as it lives: taken by
 * `start` before the fork and inherited, so there is never a moment when
 * a live group's lock is free. */
#define GROUP_MONITOR_LOCK "monitor.lock"

/* One distinct layer of the group, in the order the SPEC first names
 * it. */
struct group_layer {
	char diff_id[LDIGEST_STR_LEN];
	char digest[LDIGEST_STR_LEN]; /* of the blob as stored */
	char *media_type;
	uint64_t size; /* of the blob */
	char *path;    /* the blob in the content store */
};

/* RUN itself: opened (O_DIRECTORY), created with its parents when
 * create is set. */
int group_run_dir_open(const char *run_dir, bool create, struct lerr *e);

/* RUN/<name> (O_DIRECTORY).  -ENOENT 'no such group "name"' when it or
 * its state.json is missing; -EINVAL for a name that cannot be one. */
int group_dir_open(const struct lighter_paths *p, const char *name,
		   struct lerr *e);

/* "RUN/<name>", malloc'd (NULL when out of memory). */
char *group_dir_path(const struct lighter_paths *p, const char *name);

/* Write j to dir_fd/file atomically (file.tmp, then rename). */
int group_json_write(int dir_fd, const char *file, const json_t *j,
		     const char *what, struct lerr *e);

/* Read dir_fd/file (at most 4 MiB) as JSON. */
int group_json_read(int dir_fd, const char *file, json_t **out,
		    const char *what, struct lerr *e);

json_t *group_layers_to_json(const struct group_layer *l, size_t n);
int group_layers_from_json(const json_t *j, struct group_layer **out,
			   size_t *n, const char *what, struct lerr *e);
void group_layers_free(struct group_layer *l, size_t n);

/* 1 when a monitor holds dir_fd's monitor lock, 0 when none does. */
int group_monitor_alive(int dir_fd);

/* Take the monitor lock without waiting (retrying briefly, as a reader
 * may hold it shared for an instant): the fd holding it, -EBUSY when a
 * monitor has it. */
int group_monitor_lock(int dir_fd, struct lerr *e);

/* A connected SOCK_STREAM socket to dir_fd/name, even when the full path
 * would not fit a sockaddr_un (through /proc/self/fd). */
int group_unix_connect(int dir_fd, const char *name, const char *what,
		       struct lerr *e);

/* /proc/PID/stat's starttime (clock ticks since boot): with the pid, the
 * identity of a process.  0 when there is no such process. */
uint64_t pid_start_ticks(pid_t pid);

/* SIGKILL pid if it is still the process that started at ticks. */
void kill_verified(pid_t pid, uint64_t ticks);

/* rm -rf of parent_fd/name (never following symlinks). */
int group_remove_tree(int parent_fd, const char *name, const char *what,
		      struct lerr *e);

#endif
