/* test-container-user.c - guest-agent/container-user.c: user strings
 * resolved against passwd and group files (memfds with the files'
 * contents, read the way the container's init reads them). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "container-user.h"

static const char passwd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:2:2:daemon:/sbin:/sbin/nologin\n"
    "+nisuser\n"
    "broken:x:notanumber:1::/:/bin/sh\n"
    "app:x:1000:1000:app:/home/app:/bin/sh\n"
    "shared:x:1000:77::/:/bin/sh\n"
    "last:x:2000:2000::/:/bin/sh"; /* no newline at the end */

static const char group[] = "root:x:0:\n"
			    "wheel:x:10:other,app\n"
			    "audio:x:29:application,apps\n"
			    "staff:x:50:app\n"
			    "users:x:100:\n"
			    "app:x:1000:\n"
			    "bad:x:zz:app\n"
			    "short:x\n";

static int file_fd(const char *content, size_t len)
{
	int fd = memfd_create("etc", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, len), (ssize_t)len);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Resolve with fresh passwd and group files; why is the reason. */
static int resolve(const char *user, struct container_ids *ids, char *why,
		   size_t why_len)
{
	int pfd = file_fd(passwd, strlen(passwd));
	int gfd = file_fd(group, strlen(group));
	int r = container_user_resolve(user, pfd, gfd, ids, why, why_len);

	close(pfd);
	close(gfd);
	return r;
}

static void expect_ids(const char *user, uid_t uid, gid_t gid, size_t ngroups,
		       const gid_t *groups)
{
	struct container_ids ids;
	char why[256];
	size_t i;
	int r = resolve(user, &ids, why, sizeof(why));

	cr_assert_eq(r, 0, "user \"%s\": %d %s", user ? user : "(null)", r,
		     why);
	cr_assert_eq(ids.uid, uid, "user \"%s\" uid %u", user, ids.uid);
	cr_assert_eq(ids.gid, gid, "user \"%s\" gid %u", user, ids.gid);
	cr_assert_eq(ids.ngroups, ngroups, "user \"%s\" %zu groups", user,
		     ids.ngroups);
	for (i = 0; i < ngroups; i++)
		cr_assert_eq(ids.groups[i], groups[i]);
}

static void expect_error(const char *user, int err, const char *why_want)
{
	struct container_ids ids;
	char why[256];
	int r = resolve(user, &ids, why, sizeof(why));

	cr_assert_eq(r, -err, "user \"%s\": %d", user, r);
	cr_assert_str_eq(why, why_want);
}

Test(container_user, root_by_default)
{
	expect_ids(NULL, 0, 0, 0, NULL);
	expect_ids("", 0, 0, 0, NULL);
	expect_ids("0", 0, 0, 0, NULL);
	expect_ids("root", 0, 0, 0, NULL);
}

Test(container_user, numeric)
{
	/* Primary gid from the passwd entry when there is one, else 0. */
	expect_ids("1000", 1000, 1000, 0, NULL);
	expect_ids("1234", 1234, 0, 0, NULL);
	expect_ids("2000", 2000, 2000, 0, NULL); /* last line, no newline */
	expect_ids("1000:50", 1000, 50, 0, NULL);
	expect_ids("1234:5678", 1234, 5678, 0, NULL);
	expect_ids("1234:staff", 1234, 50, 0, NULL);
	expect_ids("4294967294:4294967294", 4294967294u, 4294967294u, 0, NULL);
}

Test(container_user, numeric_needs_no_files)
{
	struct container_ids ids;
	char why[128];

	cr_assert_eq(
	    container_user_resolve("1000:1000", -1, -1, &ids, why, sizeof(why)),
	    0);
	cr_assert_eq(ids.uid, 1000);
	cr_assert_eq(ids.gid, 1000);
	cr_assert_eq(
	    container_user_resolve("1000", -1, -1, &ids, why, sizeof(why)), 0);
	cr_assert_eq(ids.uid, 1000);
	cr_assert_eq(ids.gid, 0);
	cr_assert_eq(ids.ngroups, 0);
}

Test(container_user, name_with_supplementary_groups)
{
	/* Member lists match whole names: not "application" nor "apps". */
	static const gid_t app_groups[] = {10, 50};

	expect_ids("app", 1000, 1000, 2, app_groups);
	expect_ids("daemon", 2, 2, 0, NULL);
}

Test(container_user, name_and_group)
{
	expect_ids("app:app", 1000, 1000, 0, NULL);
	expect_ids("app:staff", 1000, 50, 0, NULL);
	expect_ids("app:100", 1000, 100, 0, NULL);
	expect_ids("daemon:0", 2, 0, 0, NULL);
}

Test(container_user, unknown_names)
{
	expect_error("bob", ENOENT,
		     "user \"bob\": no such user in /etc/passwd");
	expect_error("app:nogroup", ENOENT,
		     "group \"nogroup\": no such group in /etc/group");
	expect_error("1000:nogroup", ENOENT,
		     "group \"nogroup\": no such group in /etc/group");
	/* Lines that do not parse never match. */
	expect_error("broken", ENOENT,
		     "user \"broken\": no such user in /etc/passwd");
	expect_error("+nisuser", ENOENT,
		     "user \"+nisuser\": no such user in /etc/passwd");
	expect_error("app:short", ENOENT,
		     "group \"short\": no such group in /etc/group");
}

Test(container_user, names_without_files)
{
	struct container_ids ids;
	char why[128];

	cr_assert_eq(
	    container_user_resolve("app", -1, -1, &ids, why, sizeof(why)),
	    -ENOENT);
	cr_assert_str_eq(why, "user \"app\": no such user in /etc/passwd");
	cr_assert_eq(
	    container_user_resolve("1000:app", -1, -1, &ids, why, sizeof(why)),
	    -ENOENT);
	cr_assert_str_eq(why, "group \"app\": no such group in /etc/group");
}

Test(container_user, malformed_strings)
{
	const char *bad_form = "expected uid, uid:gid, name or name:group";
	char want[128];

	snprintf(want, sizeof(want), "user \":\": %s", bad_form);
	expect_error(":", EINVAL, want);
	snprintf(want, sizeof(want), "user \"app:\": %s", bad_form);
	expect_error("app:", EINVAL, want);
	snprintf(want, sizeof(want), "user \":50\": %s", bad_form);
	expect_error(":50", EINVAL, want);
	snprintf(want, sizeof(want), "user \"a:b:c\": %s", bad_form);
	expect_error("a:b:c", EINVAL, want);
	expect_error("4294967295", EINVAL,
		     "user \"4294967295\": uid out of range");
	expect_error("99999999999", EINVAL,
		     "user \"99999999999\": uid out of range");
	expect_error("app:4294967295", EINVAL,
		     "group \"4294967295\": gid out of range");
}

Test(container_user, overlong_line_skipped)
{
	size_t pad = 20000, len;
	char *text = malloc(pad + 256);
	struct container_ids ids;
	char why[128];
	int pfd, r;

	cr_assert_not_null(text);
	/* A 20 kB line that starts like app's entry, then the real one. */
	memcpy(text, "app:x:1:1:", 10);
	memset(text + 10, 'x', pad);
	len = 10 + pad;
	len += (size_t)sprintf(text + len, "\napp:x:1000:1000::/:/bin/sh\n");
	pfd = file_fd(text, len);
	r = container_user_resolve("app", pfd, -1, &ids, why, sizeof(why));
	close(pfd);
	free(text);
	cr_assert_eq(r, 0, "%s", why);
	cr_assert_eq(ids.uid, 1000);
	cr_assert_eq(ids.gid, 1000);
}

Test(container_user, too_many_groups)
{
	size_t cap = 64 * 1024, len = 0;
	char *text = malloc(cap);
	struct container_ids ids;
	char why[128];
	int pfd, gfd, r, i;

	cr_assert_not_null(text);
	for (i = 0; i < CONTAINER_MAX_GROUPS + 1; i++)
		len += (size_t)snprintf(text + len, cap - len, "g%d:x:%d:app\n",
					i, 3000 + i);
	pfd = file_fd(passwd, strlen(passwd));
	gfd = file_fd(text, len);
	r = container_user_resolve("app", pfd, gfd, &ids, why, sizeof(why));
	close(pfd);
	close(gfd);
	free(text);
	cr_assert_eq(r, -E2BIG);
	cr_assert_str_eq(why, "user \"app\": more than 256 supplementary "
			      "groups in /etc/group");
}

Test(container_user, read_error_is_reported)
{
	struct container_ids ids;
	char why[128];
	int dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	cr_assert_geq(dfd, 0);
	r = container_user_resolve("app", dfd, -1, &ids, why, sizeof(why));
	close(dfd);
	cr_assert_eq(r, -EISDIR);
	cr_assert_str_eq(why, "user \"app\": read /etc/passwd");
}

static void expect_files(const char *user, bool passwd_want, bool group_want)
{
	bool p = !passwd_want, g = !group_want;

	container_user_files(user, &p, &g);
	cr_assert_eq(p, passwd_want, "user \"%s\": passwd", user);
	cr_assert_eq(g, group_want, "user \"%s\": group", user);
}

Test(container_user, files_read_only_when_needed)
{
	expect_files(NULL, true, false);
	expect_files("", true, false);
	expect_files("1000", true, false);
	expect_files("1000:1000", false, false);
	expect_files("1000:staff", false, true);
	expect_files("app", true, true);
	expect_files("app:staff", true, true);
	expect_files("app:50", true, false);
}
