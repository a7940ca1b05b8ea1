/* test-unpack-overlay.c - three layers unpacked by the guest agent's
 * unpacker (guest-agent/unpack.c) stack under a real overlayfs the way the
 * agent will mount them (lowerdir=top:middle:bottom): whiteouts hide
 * files and whole directories, an opaque directory hides the lower
 * contents but keeps its own, a file whited out below comes back above.
 * The merged view must be exactly the expected set of paths.
 *
 * Runs in a private mount namespace (unshare(CLONE_NEWNS), MS_PRIVATE)
 * on a tmpfs; needs root, skipped without it. */
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer-fixture.h"
#include "unpack.h"

static char base[64];
static char listing[4096];
static size_t merged_prefix;

/* nftw collects "path" or "path/" (directories) relative to merged/. */
static char *seen[256];
static size_t nseen;

static int collect(const char *path, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	char buf[PATH_MAX];

	(void)flag;
	if (ftw->level == 0)
		return 0;
	cr_assert_lt(nseen, 256);
	snprintf(buf, sizeof(buf), "%s%s", path + merged_prefix,
		 S_ISDIR(st->st_mode) ? "/" : "");
	seen[nseen++] = strdup(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *merged_listing(const char *merged)
{
	size_t i, o = 0;

	nseen = 0;
	merged_prefix = strlen(merged) + 1;
	cr_assert_eq(nftw(merged, collect, 16, FTW_PHYS), 0, "nftw: %m");
	qsort(seen, nseen, sizeof(seen[0]), cmp);
	listing[0] = '\0';
	for (i = 0; i < nseen; i++) {
		o += (size_t)snprintf(listing + o, sizeof(listing) - o, "%s%s",
				      i ? " " : "", seen[i]);
		free(seen[i]);
	}
	return listing;
}

static void unpack_into(struct lfix *l, enum lfix_comp comp, const char *dir,
			const char *name)
{
	char diff_id[LDIGEST_STR_LEN];
	struct lerr e = { 0 };
	int fd;

	lfix_end(l);
	lfix_diff_id(l, diff_id);
	fd = lfix_blob(l, comp);
	cr_assert_eq(mkdir(dir, 0755), 0, "mkdir %s: %m", dir);
	cr_assert_eq(unpack_layer(fd, dir, name, diff_id, NULL, NULL, &e), 0,
		     "%s", e.msg);
	close(fd);
	lfix_free(l);
}

static void assert_file(const char *path, const char *want)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0, "open %s: %m", path);
	cr_assert_geq(read(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	cr_assert_str_eq(buf, want, "%s", path);
}

static void cleanup(void)
{
	char p[128];

	if (!base[0])
		return;
	snprintf(p, sizeof(p), "%s/merged", base);
	umount2(p, MNT_DETACH);
	umount2(base, MNT_DETACH);
	rmdir(base);
}

TestSuite(unpack_overlay, .fini = cleanup);

Test(unpack_overlay, three_layers_merge)
{
	char l1[128], l2[128], l3[128], merged[128], opts[512], p[256];
	struct lfix l;

	if (geteuid() != 0)
		cr_skip_test("needs root (mount namespaces, overlayfs, mknod)");
	if (unshare(CLONE_NEWNS) < 0)
		cr_skip_test("unshare(CLONE_NEWNS): %m");
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0,
		     "make / private: %m");
	snprintf(base, sizeof(base), "/tmp/lighter-overlay.XXXXXX");
	cr_assert(mkdtemp(base), "mkdtemp: %m");
	cr_assert_eq(mount("tmpfs", base, "tmpfs", 0, "mode=0755"), 0,
		     "mount tmpfs: %m");
	snprintf(l1, sizeof(l1), "%s/l1", base);
	snprintf(l2, sizeof(l2), "%s/l2", base);
	snprintf(l3, sizeof(l3), "%s/l3", base);
	snprintf(merged, sizeof(merged), "%s/merged", base);
	cr_assert_eq(mkdir(merged, 0755), 0);

	/* bottom */
	lfix_begin(&l);
	LFIX_DIR(&l, "etc");
	LFIX_FILE(&l, "etc/passwd", "root:l1");
	LFIX_FILE(&l, "etc/group", "l1");
	LFIX_FILE(&l, "etc/hosts", "hosts");
	LFIX_DIR(&l, "usr/bin");
	LFIX_FILE(&l, "usr/bin/a", "a");
	LFIX_FILE(&l, "usr/bin/b", "b");
	LFIX_DIR(&l, "var/cache/app");
	LFIX_FILE(&l, "var/cache/app/x", "x");
	LFIX_FILE(&l, "var/cache/y", "y");
	LFIX_FILE(&l, "opt/keep", "k");
	LFIX_FILE(&l, "tmpdir/f", "f");
	unpack_into(&l, LFIX_NONE, l1, "bottom");

	/* middle: a whiteout, an override, an opaque dir, an emptied dir */
	lfix_begin(&l);
	LFIX_DIR(&l, "etc");
	LFIX_FILE(&l, "etc/.wh.group", "");
	LFIX_FILE(&l, "etc/passwd", "root:l2");
	LFIX_DIR(&l, "var/cache");
	LFIX_FILE(&l, "var/cache/.wh..wh..opq", "");
	LFIX_FILE(&l, "var/cache/new", "n");
	LFIX_FILE(&l, "usr/bin/c", "c");
	LFIX_FILE(&l, "opt/.wh.keep", "");
	unpack_into(&l, LFIX_GZIP, l2, "middle");

	/* top: a whiteout of a file, of a whole dir, a file back again */
	lfix_begin(&l);
	LFIX_FILE(&l, "usr/bin/.wh.a", "");
	LFIX_FILE(&l, ".wh.tmpdir", "");
	LFIX_FILE(&l, "etc/group", "l3");
	unpack_into(&l, LFIX_ZSTD, l3, "top");

	snprintf(opts, sizeof(opts), "lowerdir=%s:%s:%s", l3, l2, l1);
	cr_assert_eq(mount("overlay", merged, "overlay", MS_RDONLY, opts), 0,
		     "mount overlay (%s): %m", opts);
	cr_assert_str_eq(merged_listing(merged),
			 "etc/ etc/group etc/hosts etc/passwd opt/ usr/ "
			 "usr/bin/ usr/bin/b usr/bin/c var/ var/cache/ "
			 "var/cache/new");
	snprintf(p, sizeof(p), "%s/etc/group", merged);
	assert_file(p, "l3");
	snprintf(p, sizeof(p), "%s/etc/passwd", merged);
	assert_file(p, "root:l2");
	snprintf(p, sizeof(p), "%s/var/cache/new", merged);
	assert_file(p, "n");
}
