/* state.h - a group's state.json: the JSON form of struct
 * lighter_group_state (lighter.h) both ways (state-json.c), and the file
 * itself (state-file.c): replaced atomically (a temporary file in the
 * group directory, then rename) while holding an exclusive flock on the
 * group's lock file, and read under a shared one, so readers never see
 * a torn or half-updated state.
 *
 * In state.json, times are RFC 3339 strings with nanoseconds (null when
 * unset), exit codes and pids null when unknown, and "timings" holds one
 * {"mono_ns","wall"} object per phase reached plus the agent's
 * "unpack_us" and "layer_bytes". */
#ifndef LIGHTER_TOOLS_STATE_H
#define LIGHTER_TOOLS_STATE_H

#include <jansson.h>

#include <lighter/error.h>
#include <lighter/lighter.h>

#define STATE_FILE "state.json"
#define STATE_TMP_FILE "state.json.tmp"
#define STATE_LOCK_FILE "lock"

/* A new object; NULL when out of memory. */
json_t *state_to_json(const struct lighter_group_state *st);

/* Fill st (zeroed first; safe to free after a failure) from j.  `what`
 * names the document in messages ('"RUN/web/state.json": containers[0].
 * state: "napping": not a container state'). */
int state_from_json(const json_t *j, struct lighter_group_state *st,
		    const char *what, struct lerr *e);

int lighter_group_status_parse(const char *s, enum lighter_group_status *out);
int lighter_container_status_parse(const char *s,
				   enum lighter_container_status *out);

/* The lock of the group whose directory is dir_fd: flock(how: LOCK_SH or
 * LOCK_EX) on its lock file (created when missing).  Returns the fd
 * holding the lock (close it to unlock) or -errno. */
int state_lock(int dir_fd, int how, struct lerr *e);

/* Write st as state.json atomically; the caller holds the lock
 * exclusively.  `what` names the directory in messages. */
int state_write_locked(int dir_fd, const struct lighter_group_state *st,
		       const char *what, struct lerr *e);

/* state_lock(LOCK_EX) + state_write_locked() + unlock. */
int state_write(int dir_fd, const struct lighter_group_state *st,
		const char *what, struct lerr *e);

/* Read state.json; the caller holds the lock (either way). */
int state_read_locked(int dir_fd, struct lighter_group_state *st,
		      const char *what, struct lerr *e);

/* state_lock(LOCK_SH) + state_read_locked() + unlock. */
int state_read(int dir_fd, struct lighter_group_state *st, const char *what,
	       struct lerr *e);

/* The group has ended: containers not exited yet are marked exited
 * (finished at now if they had started), with no exit code. */
void state_finish_containers(struct lighter_group_state *st, int64_t now);

/* ---- events (state-life.c) ---- */

/* Record that type happened to container ("" or NULL: the group) at now:
 * an event with the same container, type and message is counted again,
 * takes the next seq and moves last; past LIGHTER_EVENTS_MAX the oldest
 * goes.  0 or -ENOMEM (the state unchanged). */
int state_event_add(struct lighter_group_state *st, int64_t now,
		    const char *container, const char *type,
		    const char *message);
/* The events as a JSON array (state.json "events"); NULL when out of
 * memory. */
json_t *state_events_to_json(const struct lighter_group_state *st);
/* "events" back (arr may be NULL: none); what names the document. */
int state_events_from_json(const json_t *arr, struct lighter_group_state *st,
			   const char *what, struct lerr *e);
void state_events_free(struct lighter_group_state *st);

/* The index of the container called name, or -1. */
int state_container_index(const struct lighter_group_state *st,
			  const char *name);

#endif
