/* fuzz-unpack.c - libFuzzer harness for the guest agent's layer unpacker
 * (guest-agent/unpack.c, layer-stream.c, layer-path.c).  The input is a
 * layer blob (tar, tar+gzip, tar+zstd, or anything at all), handed over
 * in a memfd and unpacked into a fresh SENTINEL/a/root, SENTINEL a
 * per-process directory on tmpfs (/dev/shm, else $TMPDIR or /tmp).
 *
 * Invariants (unpack.h): unpack_layer() returns 0 or -errno with a
 * one-line message; nothing appears beside the root one or two levels up
 * (SENTINEL holds only "a", "a" only "root"); the working directory is
 * what it was; the tree holds no device but 0:0 whiteouts; the stream
 * and entry limits hold; a successful uncompressed unpack's diff_id is
 * the SHA-256 of the input itself.  The tree is then removed fd-relative,
 * never following a symlink.  Run as root to reach the whiteout (mknod)
 * and trusted.* xattr paths; without root they fail cleanly. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <lighter/digest.h>

#include "fuzz-input.h"
#include "remove-tree.h"
#include "unpack.h"

/* Small enough to keep each input fast and the tree shallow (the removal
 * holds one fd per level). */
static const struct unpack_limits limits = {
	.max_entries = 2048,
	.max_bytes = 8 << 20,
	.max_path = 1024,
	.max_name = 255,
	.max_xattrs = 16,
};

static char sentinel[PATH_MAX], outer[PATH_MAX + 8], root[PATH_MAX + 16];
static char cwd[PATH_MAX];
static int blob_fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a layer may leave: no device but a 0:0 whiteout, no tree deeper
 * than the path limit allows. */
static void check_entry(const struct stat *st, int depth)
{
	FUZZ_CHECK(!S_ISBLK(st->st_mode));
	FUZZ_CHECK(!S_ISCHR(st->st_mode) || st->st_rdev == makedev(0, 0));
	FUZZ_CHECK(!S_ISDIR(st->st_mode) || depth < 1000);
}

/* The only entry of dir must be want. */
static void check_only(const char *dir, const char *want)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	FUZZ_CHECK(dp);
	while ((d = readdir(dp))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (strcmp(d->d_name, want) != 0)
			fprintf(stderr, "escaped: \"%s/%s\"\n", dir, d->d_name);
		FUZZ_CHECK(strcmp(d->d_name, want) == 0);
		n++;
	}
	closedir(dp);
	FUZZ_CHECK(n <= 1);
}

static void remove_sentinel(void)
{
	if (sentinel[0])
		FUZZ_CHECK(remove_tree_at(AT_FDCWD, sentinel, NULL) == 0);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode))
		tmp = "/dev/shm";
	else if (!tmp)
		tmp = "/tmp";
	snprintf(sentinel, sizeof(sentinel), "%s/fuzz-unpack.XXXXXX", tmp);
	FUZZ_CHECK(mkdtemp(sentinel));
	snprintf(outer, sizeof(outer), "%s/a", sentinel);
	snprintf(root, sizeof(root), "%s/root", outer);
	FUZZ_CHECK(mkdir(outer, 0755) == 0);
	FUZZ_CHECK(getcwd(cwd, sizeof(cwd)));
	blob_fd = memfd_create("fuzz-layer", MFD_CLOEXEC);
	FUZZ_CHECK(blob_fd >= 0);
	atexit(remove_sentinel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char here[PATH_MAX], want[LDIGEST_STR_LEN];
	struct unpack_stats st;
	struct lerr e = { 0 };
	struct ldigest d;
	int r;

	if (blob_fd < 0)
		setup();
	FUZZ_CHECK(ftruncate(blob_fd, 0) == 0);
	FUZZ_CHECK(pwrite(blob_fd, data, size, 0) == (ssize_t)size);
	FUZZ_CHECK(lseek(blob_fd, 0, SEEK_SET) == 0);
	FUZZ_CHECK(mkdir(root, 0755) == 0);

	r = unpack_layer(blob_fd, root, "fuzz", NULL, &limits, &st, &e);

	FUZZ_CHECK(r == 0 || r < 0);
	if (r < 0) {
		FUZZ_CHECK(e.code == -r && e.msg[0]);
		FUZZ_CHECK(memchr(e.msg, '\n', sizeof(e.msg)) == NULL);
		FUZZ_CHECK(strncmp(e.msg, "layer 'fuzz': ", 14) == 0);
	} else {
		FUZZ_CHECK(ldigest_valid(st.diff_id));
		if (strcmp(st.compression, "none") == 0) {
			FUZZ_CHECK(st.tar_bytes == size);
			ldigest_init(&d);
			ldigest_update(&d, data, size);
			ldigest_final(&d, want);
			FUZZ_CHECK(strcmp(want, st.diff_id) == 0);
		}
	}
	FUZZ_CHECK(st.tar_bytes <= limits.max_bytes);
	FUZZ_CHECK(st.entries <= limits.max_entries + 1);
	FUZZ_CHECK(st.files + st.dirs + st.symlinks + st.hardlinks +
			   st.fifos + st.whiteouts <=
		   st.entries);
	FUZZ_CHECK(getcwd(here, sizeof(here)) && strcmp(here, cwd) == 0);

	check_only(sentinel, "a");
	check_only(outer, "root");
	FUZZ_CHECK(remove_tree_at(AT_FDCWD, root, check_entry) == 0);
	return 0;
}
