/* container-user.c - the container user string resolved against the
 * container's own /etc/passwd and /etc/group (see container-user.h for the
 * rules).  Allocation-free: it runs in the cloned child between clone and
 * exec, so files are read through a fixed line buffer on the stack and
 * lines longer than that buffer are skipped as malformed. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container-user.h"

#define LINE_MAX_BYTES 8192
#define NAME_MAX_BYTES 256

struct line_reader {
	int fd;
	size_t start, end;  /* unread bytes are buf[start, end) */
	bool eof, skipping; /* skipping: inside an overlong line */
	int err;	    /* positive errno of a failed read */
	char buf[LINE_MAX_BYTES + 1];
};

static void line_reader_init(struct line_reader *r, int fd)
{
	r->fd = fd;
	r->start = r->end = 0;
	r->eof = fd < 0;
	r->skipping = false;
	r->err = 0;
}

/* The next line, NUL-terminated and without its newline, or NULL at the
 * end of the file or on a read error (r->err). */
static char *line_next(struct line_reader *r)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		ssize_t n;

		if (nl) {
			char *line = r->buf + r->start;

			*nl = '\0';
			r->start = (size_t)(nl - r->buf) + 1;
			if (r->skipping) {
				r->skipping = false;
				continue;
			}
			return line;
		}
		if (r->eof) {
			char *line = r->buf + r->start;

			if (r->start == r->end || r->skipping)
				return NULL;
			r->buf[r->end] = '\0';
			r->start = r->end;
			return line;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->end == LINE_MAX_BYTES) {
			/* Overlong line: drop what we have, skip to its end. */
			r->skipping = true;
			r->end = 0;
		}
		n = read(r->fd, r->buf + r->end, LINE_MAX_BYTES - r->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->err = errno;
			return NULL;
		}
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
}

/* Split a passwd/group line at ':' into at most max fields; returns the
 * number found.  The line is modified in place. */
static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *colon = strchr(line, ':');

		fields[n++] = line;
		if (!colon)
			break;
		*colon = '\0';
		line = colon + 1;
	}
	return n;
}

/* Decimal id 0..4294967294, the whole string; false otherwise. */
static bool parse_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!s[0] || strlen(s) > 10)
		return false;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool member_of(const char *members, const char *name)
{
	size_t len = strlen(name);
	const char *p = members;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == len && memcmp(p, name, len) == 0)
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}

static int add_group(struct container_ids *ids, gid_t gid)
{
	size_t i;

	for (i = 0; i < ids->ngroups; i++)
		if (ids->groups[i] == gid)
			return 0;
	if (ids->ngroups == CONTAINER_MAX_GROUPS)
		return -E2BIG;
	ids->groups[ids->ngroups++] = gid;
	return 0;
}

/* Look the user up in passwd: by name when by_name, else by uid.  Returns
 * 0 with uid/gid filled, -ENOENT when absent, or -errno of a read. */
static int passwd_lookup(int fd, const char *name, bool by_name, uid_t uid,
			 uid_t *uid_out, gid_t *gid_out)
{
	struct line_reader r;
	char *line;

	line_reader_init(&r, fd);
	while ((line = line_next(&r))) {
		char *f[7];
		uint32_t u, g;

		if (split_fields(line, f, 7) < 4)
			continue;
		if (!parse_id(f[2], &u) || !parse_id(f[3], &g))
			continue;
		if (by_name ? strcmp(f[0], name) != 0 : u != uid)
			continue;
		*uid_out = u;
		*gid_out = g;
		return 0;
	}
	return r.err ? -r.err : -ENOENT;
}

/* One pass over /etc/group: the gid of group_name (when non-NULL) and,
 * when member is non-NULL, every group listing member.  -ENOENT when
 * group_name is not there. */
static int group_scan(int fd, const char *group_name, gid_t *gid_out,
		      const char *member, struct container_ids *ids)
{
	struct line_reader r;
	bool found = false;
	char *line;
	int ret;

	line_reader_init(&r, fd);
	while ((line = line_next(&r))) {
		char *f[4];
		uint32_t g;

		if (split_fields(line, f, 4) < 3 || !parse_id(f[2], &g))
			continue;
		if (group_name && !found && strcmp(f[0], group_name) == 0) {
			*gid_out = g;
			found = true;
		}
		if (member && f[3] && member_of(f[3], member)) {
			ret = add_group(ids, g);
			if (ret < 0)
				return ret;
		}
	}
	if (r.err)
		return -r.err;
	return group_name && !found ? -ENOENT : 0;
}

__attribute__((format(printf, 4, 5))) static int
fail(int err, char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

int container_user_resolve(const char *user, int passwd_fd, int group_fd,
			   struct container_ids *ids, char *why, size_t why_len)
{
	char uname[NAME_MAX_BYTES], gname[NAME_MAX_BYTES];
	const char *colon;
	bool numeric_user, has_group;
	uint32_t id;
	int ret;

	if (why_len)
		why[0] = '\0';
	ids->uid = 0;
	ids->gid = 0;
	ids->ngroups = 0;
	if (!user || !user[0])
		user = "0";

	colon = strchr(user, ':');
	has_group = colon != NULL;
	if ((colon ? (size_t)(colon - user) : strlen(user)) >= sizeof(uname) ||
	    (colon && strlen(colon + 1) >= sizeof(gname)))
		return fail(-EINVAL, why, why_len,
			    "user \"%.64s...\": too long", user);
	snprintf(uname, sizeof(uname), "%.*s",
		 (int)(colon ? (size_t)(colon - user) : strlen(user)), user);
	snprintf(gname, sizeof(gname), "%s", colon ? colon + 1 : "");
	if (!uname[0] || (has_group && (!gname[0] || strchr(gname, ':'))))
		return fail(-EINVAL, why, why_len,
			    "user \"%s\": expected uid, uid:gid, name or "
			    "name:group",
			    user);

	numeric_user = parse_id(uname, &id);
	if (numeric_user) {
		ids->uid = id;
		/* Without a group part the passwd entry, if any, gives the
		 * gid; a missing file or entry leaves it 0. */
		if (!has_group) {
			uid_t u;
			gid_t g;

			ret = passwd_lookup(passwd_fd, NULL, false, id, &u, &g);
			if (ret == 0)
				ids->gid = g;
			else if (ret != -ENOENT)
				return fail(ret, why, why_len,
					    "user \"%s\": read /etc/passwd",
					    user);
		}
	} else if (uname[0] >= '0' && uname[0] <= '9' &&
		   strspn(uname, "0123456789") == strlen(uname)) {
		return fail(-EINVAL, why, why_len,
			    "user \"%s\": uid out of range", user);
	} else {
		ret = passwd_lookup(passwd_fd, uname, true, 0, &ids->uid,
				    &ids->gid);
		if (ret == -ENOENT)
			return fail(ret, why, why_len,
				    "user \"%s\": no such user in /etc/passwd",
				    uname);
		if (ret < 0)
			return fail(ret, why, why_len,
				    "user \"%s\": read /etc/passwd", uname);
	}

	if (has_group && parse_id(gname, &id)) {
		ids->gid = id;
		return 0;
	}
	if (has_group && strspn(gname, "0123456789") == strlen(gname))
		return fail(-EINVAL, why, why_len,
			    "group \"%s\": gid out of range", gname);
	if (!has_group && numeric_user)
		return 0;

	ret = group_scan(group_fd, has_group ? gname : NULL, &ids->gid,
			 has_group ? NULL : uname, ids);
	if (ret == -ENOENT)
		return fail(ret, why, why_len,
			    "group \"%s\": no such group in /etc/group", gname);
	if (ret == -E2BIG)
		return fail(ret, why, why_len,
			    "user \"%s\": more than %d supplementary groups in "
			    "/etc/group",
			    uname, CONTAINER_MAX_GROUPS);
	if (ret < 0)
		return fail(ret, why, why_len, "user \"%s\": read /etc/group",
			    user);
	return 0;
}

static bool all_digits(const char *s, size_t len)
{
	return len > 0 && strspn(s, "0123456789") >= len;
}

void container_user_files(const char *user, bool *passwd, bool *group)
{
	const char *colon;
	size_t ulen;
	bool named;

	if (!user || !user[0])
		user = "0";
	colon = strchr(user, ':');
	ulen = colon ? (size_t)(colon - user) : strlen(user);
	named = !all_digits(user, ulen);
	/* A name, or a bare uid whose passwd entry gives the gid. */
	*passwd = named || !colon;
	/* A group name, or a user name's supplementary groups. */
	*group = colon ? !all_digits(colon + 1, strlen(colon + 1)) : named;
}
