/* test-unpack.c - the guest agent's layer unpacker (guest-agent/unpack.c,
 * layer-path.c, layer-stream.c) on real files: layers written by
 * libarchive's own writer (plain, gzip, zstd), unpacked into a root inside
 * a sentinel directory.  A normal tree keeps its modes, owners, times,
 * links and xattrs; whiteouts become overlayfs devices and xattrs; every
 * hostile entry is refused with a message naming it, and nothing appears
 * beside the root; the diff_id is checked against sha256sum(1).
 *
 * Needs root (mknod, chown, trusted.* xattrs); skipped without it. */
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer-fixture.h"
#include "unpack.h"

#define LAYER "test-layer"

static struct lsent sent;
static struct lfix fix;

static void setup(void)
{
	fix.tar_fd = -1;
	sent.dir[0] = '\0';
	if (geteuid() != 0)
		return;
	lsent_make(&sent);
	lfix_begin(&fix);
}

static void teardown(void)
{
	lfix_free(&fix);
	lsent_remove(&sent);
}

TestSuite(unpack, .init = setup, .fini = teardown);

#define NEED_ROOT()                                                            \
	do {                                                                   \
		if (geteuid() != 0)                                            \
			cr_skip_test("needs root (mknod, chown, trusted.* "    \
				     "xattrs)");                               \
	} while (0)

/* Start over with a fresh sentinel and layer (for tables of cases). */
static void reset(void)
{
	teardown();
	setup();
}

static int run(enum lfix_comp comp, const char *expect,
	       const struct unpack_limits *lim, struct unpack_stats *st,
	       struct lerr *e)
{
	int fd = lfix_blob(&fix, comp), r;

	memset(e, 0, sizeof(*e));
	r = unpack_layer(fd, sent.root, LAYER, expect, lim, st, e);
	close(fd);
	if (r < 0) {
		cr_assert_eq(e->code, -r, "code %d for r %d (%s)", e->code, r,
			     e->msg);
		cr_assert(e->msg[0] && !strchr(e->msg, '\n'));
	}
	return r;
}

static const char *in_root(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	return lsent_path(&sent, rel, buf[i], sizeof(buf[i]));
}

static struct stat lstat_in(const char *rel)
{
	struct stat st;

	cr_assert_eq(lstat(in_root(rel), &st), 0, "lstat %s: %m", rel);
	return st;
}

static bool exists_in(const char *rel)
{
	struct stat st;

	return lstat(in_root(rel), &st) == 0;
}

static void assert_content(const char *rel, const char *want)
{
	char buf[256] = { 0 };
	int fd = open(in_root(rel), O_RDONLY | O_NOFOLLOW);

	cr_assert(fd >= 0, "open %s: %m", rel);
	cr_assert_geq(read(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	cr_assert_str_eq(buf, want, "%s", rel);
}

static void assert_link(const char *rel, const char *want)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(in_root(rel), buf, sizeof(buf) - 1);

	cr_assert_geq(n, 0, "readlink %s: %m", rel);
	buf[n] = '\0';
	cr_assert_str_eq(buf, want, "%s", rel);
}

static void assert_xattr(const char *rel, const char *name, const char *want)
{
	char buf[64] = { 0 };
	ssize_t n = lgetxattr(in_root(rel), name, buf, sizeof(buf) - 1);

	cr_assert_geq(n, 0, "%s: getxattr %s: %m", rel, name);
	cr_assert_str_eq(buf, want, "%s: %s", rel, name);
}

static void assert_whiteout(const char *rel)
{
	struct stat st = lstat_in(rel);

	cr_assert(S_ISCHR(st.st_mode), "%s is not a character device", rel);
	cr_assert_eq(st.st_rdev, makedev(0, 0), "%s is not 0:0", rel);
}

/* The sorted names in the sentinel dir must be want: "root" and what the
 * test put there itself, nothing the unpacker wrote. */
static void assert_sentinel(const char *want)
{
	char names[512];

	lsent_names(&sent, names, sizeof(names));
	cr_assert_str_eq(names, want, "something was written beside the root");
}

/* The layer so far must be refused naming entry (as the tar has it), with
 * why in the message; the sentinel must hold exactly names after. */
static void expect_refused(const char *entry, const char *why,
			   const char *names)
{
	char want[256];
	struct lerr e;

	lfix_end(&fix);
	cr_assert_lt(run(LFIX_NONE, NULL, NULL, NULL, &e), 0,
		     "layer with '%s' accepted", entry);
	snprintf(want, sizeof(want), "layer '%s': entry '%s': ", LAYER, entry);
	cr_assert(strstr(e.msg, want), "\"%s\" does not name entry '%s'", e.msg,
		  entry);
	cr_assert(strstr(e.msg, why), "\"%s\" lacks \"%s\"", e.msg, why);
	assert_sentinel(names ? names : "root");
}

/* ---- a normal tree ---------------------------------------------------- */

static void build_tree(void)
{
	LFIX_DIR(&fix, "./", .perm = 0751, .mtime = 1600000000);
	LFIX_DIR(&fix, "./bin/");
	LFIX_FILE(&fix, "./bin/busybox", "#!busybox\n", .perm = 0755);
	LFIX(&fix, .path = "./bin/sh", .symlink = "busybox");
	LFIX(&fix, .path = "./bin/ls", .type = AE_IFREG,
	     .hardlink = "./bin/busybox");
	LFIX_FILE(&fix, "bin/su", "su\n", .perm = 04755);
	LFIX_FILE(&fix, "bin/wall", "wall\n", .perm = 02755, .gid = 5);
	LFIX_DIR(&fix, "tmp", .perm = 01777);
	LFIX(&fix, .path = "lib", .symlink = "/usr/lib");
	LFIX(&fix, .path = "up", .symlink = "../../..");
	LFIX_DIR(&fix, "home//u/", .perm = 0700, .uid = 1000, .gid = 1000,
		 .mtime = 1234567890);
	LFIX_FILE(&fix, "home/u/./notes", "hello\n", .perm = 0600, .uid = 1000,
		  .gid = 1001, .mtime = 1234567890,
		  .xattr_name = "user.lighter", .xattr_value = "yes");
	LFIX(&fix, .path = "run/fifo", .type = AE_IFIFO, .perm = 0620);
	LFIX_DIR(&fix, "ro", .perm = 0555);
	LFIX_FILE(&fix, "ro/inside", "x", .perm = 0444);
	LFIX_FILE(&fix, "caf\xc3\xa9/\xe6\x97\xa5", "utf8");
	lfix_end(&fix);
}

static void check_tree(enum lfix_comp comp, const char *comp_name)
{
	struct unpack_stats st;
	struct lerr e;
	struct stat s, s2;
	char diff_id[LDIGEST_STR_LEN];

	build_tree();
	lfix_diff_id(&fix, diff_id);
	cr_assert_eq(run(comp, diff_id, NULL, &st, &e), 0, "%s", e.msg);

	s = lstat_in(".");
	cr_assert_eq(s.st_mode & 07777, 0751);
	cr_assert_eq(s.st_mtime, 1600000000);
	assert_content("bin/busybox", "#!busybox\n");
	cr_assert_eq(lstat_in("bin/busybox").st_mode & 07777, 0755);
	assert_link("bin/sh", "busybox");
	s = lstat_in("bin/busybox");
	s2 = lstat_in("bin/ls");
	cr_assert_eq(s.st_ino, s2.st_ino, "bin/ls is not a hardlink");
	cr_assert_eq(s.st_nlink, 2);
	cr_assert_eq(lstat_in("bin/su").st_mode & 07777, 04755);
	s = lstat_in("bin/wall");
	cr_assert_eq(s.st_mode & 07777, 02755);
	cr_assert_eq(s.st_gid, 5);
	cr_assert_eq(lstat_in("tmp").st_mode & 07777, 01777);
	assert_link("lib", "/usr/lib");
	assert_link("up", "../../..");
	s = lstat_in("home/u");
	cr_assert_eq(s.st_mode & 07777, 0700);
	cr_assert_eq(s.st_uid, 1000);
	cr_assert_eq(s.st_gid, 1000);
	cr_assert_eq(s.st_mtime, 1234567890);
	s = lstat_in("home/u/notes");
	cr_assert_eq(s.st_mode & 07777, 0600);
	cr_assert_eq(s.st_uid, 1000);
	cr_assert_eq(s.st_gid, 1001);
	cr_assert_eq(s.st_mtime, 1234567890);
	assert_content("home/u/notes", "hello\n");
	assert_xattr("home/u/notes", "user.lighter", "yes");
	s = lstat_in("run/fifo");
	cr_assert(S_ISFIFO(s.st_mode));
	cr_assert_eq(s.st_mode & 07777, 0620);
	cr_assert(S_ISDIR(lstat_in("run").st_mode));
	cr_assert_eq(lstat_in("ro").st_mode & 07777, 0555);
	assert_content("ro/inside", "x");
	assert_content("caf\xc3\xa9/\xe6\x97\xa5", "utf8");

	cr_assert_eq(st.entries, 16);
	cr_assert_eq(st.files, 6);
	cr_assert_eq(st.dirs, 5);
	cr_assert_eq(st.symlinks, 3);
	cr_assert_eq(st.hardlinks, 1);
	cr_assert_eq(st.fifos, 1);
	cr_assert_eq(st.whiteouts + st.opaques, 0);
	cr_assert_eq(st.warnings, 0, "%s", st.warning);
	cr_assert_str_eq(st.compression, comp_name);
	cr_assert_eq(st.tar_bytes, (uint64_t)lseek(fix.tar_fd, 0, SEEK_END));
	cr_assert_str_eq(st.diff_id, diff_id);
	if (comp == LFIX_NONE)
		cr_assert_eq(st.blob_bytes, st.tar_bytes);
	else
		cr_assert_lt(st.blob_bytes, st.tar_bytes);
	assert_sentinel("root");
}

Test(unpack, tree_plain)
{
	NEED_ROOT();
	check_tree(LFIX_NONE, "none");
}

Test(unpack, tree_gzip)
{
	NEED_ROOT();
	check_tree(LFIX_GZIP, "gzip");
}

Test(unpack, tree_zstd)
{
	NEED_ROOT();
	check_tree(LFIX_ZSTD, "zstd");
}

Test(unpack, cwd_restored)
{
	char before[PATH_MAX], after[PATH_MAX];
	struct lerr e;

	NEED_ROOT();
	cr_assert(getcwd(before, sizeof(before)));
	LFIX_FILE(&fix, "f", "x");
	LFIX_FILE(&fix, "../g", "x");
	lfix_end(&fix);
	cr_assert_lt(run(LFIX_NONE, NULL, NULL, NULL, &e), 0);
	cr_assert(getcwd(after, sizeof(after)));
	cr_assert_str_eq(after, before);
}

/* ---- whiteouts -------------------------------------------------------- */

Test(unpack, whiteouts_and_opaque_dirs)
{
	struct unpack_stats st;
	struct lerr e;

	NEED_ROOT();
	LFIX_DIR(&fix, "a");
	LFIX_FILE(&fix, "a/.wh.b", "");
	LFIX_FILE(&fix, "a/kept", "k");
	LFIX_DIR(&fix, "c");
	LFIX_FILE(&fix, "c/.wh..wh..opq", "");
	LFIX_FILE(&fix, "c/keep", "k");
	LFIX_FILE(&fix, ".wh.top", "");
	/* NAME of this very layer stays: the whiteout hides lower ones. */
	LFIX_FILE(&fix, "x", "x");
	LFIX_FILE(&fix, ".wh.x", "");
	/* a directory of this layer with a whiteout of the same name, in
	 * either order: the directory stays, opaque */
	LFIX_FILE(&fix, ".wh.y", "");
	LFIX_DIR(&fix, "y");
	LFIX_FILE(&fix, "y/new", "n");
	LFIX_DIR(&fix, "d");
	LFIX_FILE(&fix, ".wh.d", "");
	/* whiteout in a directory the layer does not list */
	LFIX_FILE(&fix, "new/deep/.wh.z", "");
	lfix_end(&fix);
	cr_assert_eq(run(LFIX_GZIP, NULL, NULL, &st, &e), 0, "%s", e.msg);

	assert_whiteout("a/b");
	cr_assert(!exists_in("a/.wh.b"));
	assert_content("a/kept", "k");
	assert_xattr("c", "trusted.overlay.opaque", "y");
	cr_assert(!exists_in("c/.wh..wh..opq"));
	assert_content("c/keep", "k");
	assert_whiteout("top");
	assert_content("x", "x");
	cr_assert(S_ISDIR(lstat_in("y").st_mode));
	assert_xattr("y", "trusted.overlay.opaque", "y");
	assert_content("y/new", "n");
	assert_xattr("d", "trusted.overlay.opaque", "y");
	assert_whiteout("new/deep/z");
	cr_assert_eq(lgetxattr(in_root("a"), "trusted.overlay.opaque", NULL, 0),
		     -1, "a must not be opaque");
	cr_assert_eq(st.whiteouts, 6);
	cr_assert_eq(st.opaques, 3);
	assert_sentinel("root");
}

Test(unpack, opaque_root)
{
	struct lerr e;

	NEED_ROOT();
	LFIX_FILE(&fix, ".wh..wh..opq", "");
	LFIX_FILE(&fix, "f", "f");
	lfix_end(&fix);
	cr_assert_eq(run(LFIX_ZSTD, NULL, NULL, NULL, &e), 0, "%s", e.msg);
	assert_xattr(".", "trusted.overlay.opaque", "y");
	assert_content("f", "f");
}

Test(unpack, bogus_whiteouts)
{
	static const struct {
		const char *path, *why;
	} cases[] = {
	    {".wh.", "bogus whiteout name '.wh.'"},
	    {"a/.wh..", "bogus whiteout name '.wh..'"},
	    {".wh...", "bogus whiteout name '.wh...'"},
	    {".wh..wh.plnk", "bogus whiteout name '.wh..wh.plnk'"},
	    {"a/.wh..wh..opq2", "bogus whiteout name"},
	    {".wh.dir/x", "'.wh.' directory component refused"},
	    {"a/.wh.b/.wh.c", "'.wh.' directory component refused"},
	};
	size_t i;

	NEED_ROOT();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset();
		LFIX_FILE(&fix, cases[i].path, "");
		expect_refused(cases[i].path, cases[i].why, NULL);
	}
}

/* ---- hostile paths ---------------------------------------------------- */

Test(unpack, dotdot_refused)
{
	NEED_ROOT();
	LFIX_FILE(&fix, "ok", "fine");
	LFIX_FILE(&fix, "../x", "pwned");
	expect_refused("../x", "'..' component refused", NULL);
}

Test(unpack, dotdot_inside_refused)
{
	NEED_ROOT();
	LFIX_DIR(&fix, "a");
	LFIX_FILE(&fix, "a/../../x", "pwned");
	expect_refused("a/../../x", "'..' component refused", NULL);
	cr_assert(!exists_in("x"));
}

Test(unpack, absolute_refused)
{
	char path[64];

	NEED_ROOT();
	snprintf(path, sizeof(path), "/tmp/lighter-unpack-abs-%d", getpid());
	LFIX_FILE(&fix, path, "pwned");
	expect_refused(path, "absolute path refused", NULL);
	cr_assert_neq(access(path, F_OK), 0, "%s was written", path);
}

Test(unpack, through_symlink_to_slash_refused)
{
	char path[80];

	NEED_ROOT();
	snprintf(path, sizeof(path), "evil/tmp/lighter-unpack-sym-%d",
		 getpid());
	LFIX(&fix, .path = "evil", .symlink = "/");
	LFIX_FILE(&fix, path, "pwned");
	expect_refused(path, "'evil' is a symlink (to '/')", NULL);
	cr_assert_neq(access(path + 4, F_OK), 0, "%s was written", path + 4);
}

Test(unpack, through_symlink_to_dotdot_refused)
{
	NEED_ROOT();
	LFIX(&fix, .path = "evil", .symlink = "..");
	LFIX_FILE(&fix, "evil/x", "pwned");
	expect_refused("evil/x", "'evil' is a symlink (to '..')", NULL);
}

Test(unpack, through_nested_symlink_refused)
{
	NEED_ROOT();
	LFIX_DIR(&fix, "a");
	LFIX(&fix, .path = "a/b", .symlink = "../..");
	LFIX_DIR(&fix, "a/b/c");
	expect_refused("a/b/c/", "'a/b' is a symlink (to '../..')", NULL);
}

/* Stricter than "outside the root": no entry goes through any symlink of
 * the layer (layer writers never produce one; libarchive's second wall
 * refuses them too). */
Test(unpack, through_inner_symlink_refused)
{
	NEED_ROOT();
	LFIX_DIR(&fix, "usr/lib");
	LFIX(&fix, .path = "lib", .symlink = "usr/lib");
	LFIX_FILE(&fix, "lib/libc.so", "elf");
	expect_refused("lib/libc.so", "'lib' is a symlink (to 'usr/lib')",
		       NULL);
}

Test(unpack, dir_replaced_by_symlink_refused)
{
	NEED_ROOT();
	LFIX_DIR(&fix, "d");
	LFIX(&fix, .path = "d", .symlink = "/tmp");
	LFIX_FILE(&fix, "d/y", "pwned");
	expect_refused("d/y", "'d' is a symlink (to '/tmp')", NULL);
}

Test(unpack, through_file_refused)
{
	NEED_ROOT();
	LFIX_FILE(&fix, "f", "f");
	LFIX_FILE(&fix, "f/x", "x");
	expect_refused("f/x", "'f' is not a directory", NULL);
}

/* The deferred chmod/utimes of a directory must not follow the symlink
 * that replaced it (libarchive's fixups, CVE-2021-31566's kind). */
Test(unpack, dir_fixup_not_through_symlink)
{
	char outside[PATH_MAX];
	struct stat before, after;
	struct lerr e;

	NEED_ROOT();
	snprintf(outside, sizeof(outside), "%s/outside", sent.dir);
	cr_assert_eq(mkdir(outside, 0750), 0);
	cr_assert_eq(stat(outside, &before), 0);
	LFIX_DIR(&fix, "d", .perm = 0777, .mtime = 1000);
	LFIX(&fix, .path = "d", .symlink = outside);
	lfix_end(&fix);
	cr_assert_eq(run(LFIX_NONE, NULL, NULL, NULL, &e), 0, "%s", e.msg);
	assert_link("d", outside);
	cr_assert_eq(stat(outside, &after), 0);
	cr_assert_eq(after.st_mode, before.st_mode);
	cr_assert_eq(after.st_mtime, before.st_mtime);
	assert_sentinel("outside,root");
}

/* A regular file over a symlink replaces the symlink, never writes
 * through it. */
Test(unpack, file_over_symlink_replaces_it)
{
	char outside[PATH_MAX];
	struct lerr e;
	int fd;

	NEED_ROOT();
	snprintf(outside, sizeof(outside), "%s/outside", sent.dir);
	fd = open(outside, O_CREAT | O_WRONLY, 0644);
	cr_assert(fd >= 0 && write(fd, "orig", 4) == 4);
	close(fd);
	LFIX_FILE(&fix, "f", "first");
	LFIX(&fix, .path = "f", .symlink = outside);
	LFIX_FILE(&fix, "f", "new");
	LFIX(&fix, .path = "g", .symlink = outside);
	LFIX(&fix, .path = "g", .type = AE_IFREG, .hardlink = "f");
	lfix_end(&fix);
	cr_assert_eq(run(LFIX_NONE, NULL, NULL, NULL, &e), 0, "%s", e.msg);
	assert_content("f", "new");
	assert_content("g", "new");
	fd = open(outside, O_RDONLY);
	{
		char buf[8] = { 0 };

		cr_assert_eq(read(fd, buf, sizeof(buf)), 4);
		cr_assert_str_eq(buf, "orig");
	}
	close(fd);
	assert_sentinel("outside,root");
}

/* ---- hostile hardlinks ------------------------------------------------ */

Test(unpack, hardlink_absolute_refused)
{
	struct stat before, after;

	NEED_ROOT();
	cr_assert_eq(stat("/etc/passwd", &before), 0);
	LFIX(&fix, .path = "h", .type = AE_IFREG, .hardlink = "/etc/passwd");
	expect_refused("h", "hardlink target: absolute path refused", NULL);
	cr_assert_eq(stat("/etc/passwd", &after), 0);
	cr_assert_eq(after.st_nlink, before.st_nlink);
	cr_assert(!exists_in("h"));
}

Test(unpack, hardlink_dotdot_refused)
{
	char outside[PATH_MAX];
	struct stat st;
	int fd;

	NEED_ROOT();
	snprintf(outside, sizeof(outside), "%s/x", sent.dir);
	fd = open(outside, O_CREAT | O_WRONLY, 0644);
	cr_assert(fd >= 0);
	close(fd);
	LFIX(&fix, .path = "h", .type = AE_IFREG, .hardlink = "../x");
	expect_refused("h", "hardlink target: '..' component refused",
		       "root,x");
	cr_assert_eq(stat(outside, &st), 0);
	cr_assert_eq(st.st_nlink, 1);
}

Test(unpack, hardlink_through_symlink_refused)
{
	NEED_ROOT();
	LFIX(&fix, .path = "s", .symlink = "/etc");
	LFIX(&fix, .path = "h", .type = AE_IFREG, .hardlink = "s/passwd");
	expect_refused("h", "'s' is a symlink (to '/etc')", NULL);
}

Test(unpack, hardlink_missing_or_later_refused)
{
	NEED_ROOT();
	LFIX(&fix, .path = "h", .type = AE_IFREG, .hardlink = "later");
	LFIX_FILE(&fix, "later", "x");
	expect_refused("h",
		       "hardlink target 'later' does not exist earlier in "
		       "this layer",
		       NULL);
	reset();
	LFIX(&fix, .path = "h", .type = AE_IFREG, .hardlink = "no/such/dir");
	expect_refused("h", "does not exist earlier in this layer", NULL);
}

Test(unpack, hardlink_to_dir_or_whiteout_refused)
{
	NEED_ROOT();
	LFIX_DIR(&fix, "d");
	LFIX(&fix, .path = "h", .type = AE_IFREG, .hardlink = "d");
	expect_refused("h", "is a directory, device or whiteout", NULL);
	reset();
	LFIX_FILE(&fix, ".wh.w", "");
	LFIX(&fix, .path = "h", .type = AE_IFREG, .hardlink = "w");
	expect_refused("h", "is a directory, device or whiteout", NULL);
	reset();
	LFIX_FILE(&fix, "f", "");
	LFIX(&fix, .path = "h", .type = AE_IFREG, .hardlink = ".wh.f");
	expect_refused("h", "hardlink target '.wh.f' refused", NULL);
}

/* ---- devices, types, xattrs ------------------------------------------- */

Test(unpack, char_device_refused)
{
	NEED_ROOT();
	LFIX_DIR(&fix, "dev");
	LFIX(&fix, .path = "dev/null", .type = AE_IFCHR, .rdev_major = 1,
	     .rdev_minor = 3);
	expect_refused("dev/null", "character device refused", NULL);
	cr_assert(!exists_in("dev/null"));
}

Test(unpack, whiteout_shaped_char_device_refused)
{
	NEED_ROOT();
	LFIX(&fix, .path = "w", .type = AE_IFCHR);
	expect_refused("w", "character device refused", NULL);
}

Test(unpack, block_device_refused)
{
	NEED_ROOT();
	LFIX(&fix, .path = "dev/sda", .type = AE_IFBLK, .rdev_major = 8);
	expect_refused("dev/sda", "block device refused", NULL);
	cr_assert(!exists_in("dev/sda"));
}

Test(unpack, overlay_xattr_refused)
{
	NEED_ROOT();
	LFIX_DIR(&fix, "d", .xattr_name = "trusted.overlay.redirect",
		 .xattr_value = "/etc");
	expect_refused("d/", "xattr 'trusted.overlay.redirect' is overlayfs's",
		       NULL);
}

Test(unpack, root_must_be_dir)
{
	NEED_ROOT();
	LFIX_FILE(&fix, ".", "x");
	expect_refused(".", "the layer root must be a directory", NULL);
	reset();
	LFIX(&fix, .path = ".", .symlink = "/");
	expect_refused(".", "the layer root must be a directory", NULL);
}

/* ---- limits ----------------------------------------------------------- */

Test(unpack, limits)
{
	struct unpack_limits lim = {.max_entries = 3};
	char longname[300], longpath[4200];
	struct lerr e;
	size_t i;

	NEED_ROOT();
	for (i = 0; i < 4; i++) {
		char p[8];

		snprintf(p, sizeof(p), "f%zu", i);
		LFIX_FILE(&fix, p, "x");
	}
	lfix_end(&fix);
	cr_assert_lt(run(LFIX_NONE, NULL, &lim, NULL, &e), 0);
	cr_assert(strstr(e.msg, "entry 'f3': more than 3 entries"), "%s",
		  e.msg);

	reset();
	lim = (struct unpack_limits){.max_bytes = 4096};
	LFIX_FILE(&fix, "small", "x");
	{
		static char big[8192];

		memset(big, 'b', sizeof(big) - 1);
		LFIX_FILE(&fix, "big", big);
	}
	lfix_end(&fix);
	cr_assert_eq(run(LFIX_ZSTD, NULL, &lim, NULL, &e), -EFBIG, "%s", e.msg);
	cr_assert(strstr(e.msg, "layer '" LAYER "': "), "%s", e.msg);
	cr_assert(strstr(e.msg, "longer than the 4096-byte limit"), "%s",
		  e.msg);

	reset();
	memset(longname, 'n', 256);
	longname[256] = '\0';
	LFIX_FILE(&fix, longname, "x");
	lfix_end(&fix);
	cr_assert_lt(run(LFIX_NONE, NULL, NULL, NULL, &e), 0);
	cr_assert(strstr(e.msg, "nnnn...': component longer than 255 bytes "
				"refused"),
		  "%s", e.msg);
	assert_sentinel("root");

	reset();
	for (i = 0; i < 4090; i += 10)
		memcpy(longpath + i, "ddddddddd/", 10);
	strcpy(longpath + i, "filefilefile"); /* 4102 bytes */
	LFIX_FILE(&fix, longpath, "x");
	lfix_end(&fix);
	cr_assert_lt(run(LFIX_NONE, NULL, NULL, NULL, &e), 0);
	cr_assert(strstr(e.msg, "path longer than 4095 bytes refused"), "%s",
		  e.msg);
	assert_sentinel("root");

	reset();
	lim = (struct unpack_limits){.max_path = 16, .max_name = 4};
	LFIX(&fix, .path = "s", .symlink = "/a/long/symlink/target");
	lfix_end(&fix);
	cr_assert_lt(run(LFIX_NONE, NULL, &lim, NULL, &e), 0);
	cr_assert(strstr(e.msg, "symlink target longer than 16 bytes"), "%s",
		  e.msg);
}

/* ---- the stream and the diff_id --------------------------------------- */

Test(unpack, diff_id_match_every_compression)
{
	static const enum lfix_comp comps[] = {LFIX_NONE, LFIX_GZIP, LFIX_ZSTD};
	char diff_id[LDIGEST_STR_LEN];
	struct unpack_stats st;
	struct lerr e;
	size_t i;

	NEED_ROOT();
	LFIX_FILE(&fix, "a", "alpha");
	LFIX_FILE(&fix, "b/c", "gamma");
	lfix_end(&fix);
	/* bytes after the end marker belong to the diff_id too */
	lfix_append(&fix, "trailing bytes", 14);
	lfix_diff_id(&fix, diff_id);
	for (i = 0; i < 3; i++) {
		lsent_remove(&sent);
		lsent_make(&sent);
		cr_assert_eq(run(comps[i], diff_id, NULL, &st, &e), 0, "%s",
			     e.msg);
		cr_assert_str_eq(st.diff_id, diff_id);
		assert_content("b/c", "gamma");
	}
}

Test(unpack, diff_id_mismatch)
{
	static const char wrong[] = "sha256:"
				    "00000000000000000000000000000000"
				    "00000000000000000000000000000000";
	char diff_id[LDIGEST_STR_LEN], want[256];
	struct unpack_stats st;
	struct lerr e;

	NEED_ROOT();
	LFIX_FILE(&fix, "a", "alpha");
	lfix_end(&fix);
	lfix_diff_id(&fix, diff_id);
	cr_assert_eq(run(LFIX_GZIP, wrong, NULL, &st, &e), -EBADMSG, "%s",
		     e.msg);
	snprintf(want, sizeof(want),
		 "layer '%s': diff_id mismatch: expected %s, got %s", LAYER,
		 wrong, diff_id);
	cr_assert_str_eq(e.msg, want);
	cr_assert_str_eq(st.diff_id, diff_id);
}

Test(unpack, bad_expected_digest)
{
	struct lerr e;

	NEED_ROOT();
	LFIX_FILE(&fix, "a", "alpha");
	lfix_end(&fix);
	cr_assert_eq(run(LFIX_NONE, "sha256:abc", NULL, NULL, &e), -EINVAL);
	cr_assert(strstr(e.msg, "expected diff_id"), "%s", e.msg);
	cr_assert(!exists_in("a"), "unpacked despite a bad expected digest");
}

static int blob_of(const void *buf, size_t len)
{
	char path[] = "/tmp/lighter-blob.XXXXXX";
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	unlink(path);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static int unpack_bytes(const void *buf, size_t len, struct lerr *e)
{
	int fd = blob_of(buf, len), r;

	memset(e, 0, sizeof(*e));
	r = unpack_layer(fd, sent.root, LAYER, NULL, NULL, NULL, e);
	close(fd);
	return r;
}

Test(unpack, not_a_tar)
{
	static const char text[] = "this is not a tar archive at all, "
				   "just some text that goes on for a while";
	struct lerr e;

	NEED_ROOT();
	cr_assert_lt(unpack_bytes(text, sizeof(text), &e), 0);
	cr_assert(strstr(e.msg, "layer '" LAYER "': tar: "), "%s", e.msg);
	cr_assert_lt(unpack_bytes("", 0, &e), 0);
	cr_assert(strstr(e.msg, "layer '" LAYER "': "), "%s", e.msg);
	assert_sentinel("root");
}

Test(unpack, truncated_streams)
{
	static const enum lfix_comp comps[] = {LFIX_NONE, LFIX_GZIP, LFIX_ZSTD};
	static char data[6000];
	char buf[4096];
	struct lerr e;
	ssize_t n;
	size_t i;
	int fd;

	NEED_ROOT();
	memset(data, 'z', sizeof(data) - 1);
	LFIX_FILE(&fix, "a", data);
	lfix_end(&fix);
	for (i = 0; i < 3; i++) {
		fd = lfix_blob(&fix, comps[i]);
		n = read(fd, buf, comps[i] == LFIX_NONE ? 2048 : 40);
		close(fd);
		cr_assert_gt(n, 0);
		lsent_remove(&sent);
		lsent_make(&sent);
		cr_assert_lt(unpack_bytes(buf, (size_t)n, &e), 0,
			     "truncated blob %zu accepted", i);
		cr_assert(strstr(e.msg, "layer '" LAYER "': "), "%s", e.msg);
	}
}

Test(unpack, root_not_empty)
{
	char path[PATH_MAX];
	struct lerr e;
	int fd;

	NEED_ROOT();
	fd = open(lsent_path(&sent, "stale", path, sizeof(path)),
		  O_CREAT | O_WRONLY, 0644);
	cr_assert(fd >= 0);
	close(fd);
	LFIX_FILE(&fix, "a", "alpha");
	lfix_end(&fix);
	cr_assert_eq(run(LFIX_NONE, NULL, NULL, NULL, &e), -ENOTEMPTY);
	cr_assert(strstr(e.msg, "is not empty"), "%s", e.msg);
}

/* ---- the static build ------------------------------------------------- */

/* The unpacker as the agent links it (unpack-static.c: static glibc in
 * the C locale, static libarchive/zstd/nettle) on a zstd layer whose pax
 * path records are UTF-8 (as Go's archive/tar writes them). */
Test(unpack, static_build)
{
	const char *prog = getenv("LIGHTER_UNPACK_STATIC");
	char diff_id[LDIGEST_STR_LEN], cmd[PATH_MAX + 256], out[512] = "";
	FILE *p;
	int fd;

	NEED_ROOT();
	if (!prog)
		cr_skip_test("LIGHTER_UNPACK_STATIC unset: run through "
			     "meson test");
	cr_assert(setlocale(LC_CTYPE, "C.UTF-8"), "no C.UTF-8 locale");
	LFIX_FILE(&fix, "caf\xc3\xa9/\xe6\x97\xa5", "utf8");
	LFIX_FILE(&fix, "bin/su", "su", .perm = 04755);
	LFIX_FILE(&fix, "home/notes", "n", .uid = 1000,
		  .xattr_name = "user.lighter", .xattr_value = "yes");
	LFIX_DIR(&fix, "a");
	LFIX_FILE(&fix, "a/.wh.b", "");
	LFIX_FILE(&fix, "c/.wh..wh..opq", "");
	lfix_end(&fix);
	setlocale(LC_CTYPE, "C");
	lfix_diff_id(&fix, diff_id);
	fd = lfix_blob(&fix, LFIX_ZSTD);
	snprintf(cmd, sizeof(cmd), "%s /proc/self/fd/%d %s %s", prog, fd,
		 sent.root, diff_id);
	p = popen(cmd, "r");
	cr_assert(p, "popen: %m");
	cr_assert(fgets(out, sizeof(out), p), "no output from %s", prog);
	cr_assert_eq(pclose(p), 0, "%s failed: %s", prog, out);
	close(fd);
	cr_assert(strncmp(out, diff_id, strlen(diff_id)) == 0, "%s", out);
	cr_assert(strstr(out, " entries=6 files=3 whiteouts=1 opaques=1 "
			      "compression=zstd warnings=0\n"),
		  "%s", out);
	assert_content("caf\xc3\xa9/\xe6\x97\xa5", "utf8");
	cr_assert_eq(lstat_in("bin/su").st_mode & 07777, 04755);
	cr_assert_eq(lstat_in("home/notes").st_uid, 1000);
	assert_xattr("home/notes", "user.lighter", "yes");
	assert_whiteout("a/b");
	assert_xattr("c", "trusted.overlay.opaque", "y");
	assert_sentinel("root");
}
