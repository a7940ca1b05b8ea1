/* container-user.h - turning a container's user string ("uid", "uid:gid",
 * "name", "name:group", any mix) into the ids its process runs as, read
 * from the container's own /etc/passwd and /etc/group.
 *
 * The resolver runs in the freshly cloned container process, after it has
 * entered its root and before it drops privileges, so it allocates nothing
 * (the agent's heap may be mid-update in a copy of a multi-threaded test
 * harness) and reads the files through descriptors with a bounded line
 * buffer.  Errors come back as a negative errno plus a one-line reason. */
#ifndef LIGHTER_CONTAINER_USER_H
#define LIGHTER_CONTAINER_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* More supplementary groups than this is a malformed /etc/group. */
#define CONTAINER_MAX_GROUPS 256

struct container_ids {
	uid_t uid;
	gid_t gid;
	size_t ngroups; /* supplementary groups */
	gid_t groups[CONTAINER_MAX_GROUPS];
};

/* Resolve `user` into ids.  passwd_fd and group_fd are the container's
 * /etc/passwd and /etc/group opened for reading, or -1 when missing; each
 * is read at most once from its current offset.
 *
 * Rules (docker's, as far as they go):
 *  - NULL or "" means "0": root.
 *  - A numeric user needs no files: uid as given; without a group part,
 *    the gid comes from the passwd entry with that uid when there is one,
 *    else 0.  No supplementary groups.
 *  - A user name must exist in /etc/passwd: uid and gid from its entry;
 *    supplementary groups are the /etc/group entries listing the name as a
 *    member, except when a group part is given (then none).
 *  - A group part is a number or a name that must exist in /etc/group.
 *  - Ids are decimal 0..4294967294; (uid_t)-1 is rejected.
 *
 * Returns 0, or -ENOENT (unknown user or group), -EINVAL (malformed
 * string), -E2BIG (too many groups) or a read error, with a reason such
 * as `user "bob": no such user in /etc/passwd` in why (always
 * NUL-terminated when why_len > 0). */
int container_user_resolve(const char *user, int passwd_fd, int group_fd,
			   struct container_ids *ids, char *why,
			   size_t why_len);

/* Which files container_user_resolve() reads for `user`, so the caller
 * opens only those (an odd /etc/group must not break "1000:1000"). */
void container_user_files(const char *user, bool *passwd, bool *group);

#endif
