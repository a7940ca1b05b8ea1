/* test-store.c - the content store (tools/store.c): blobs written under
 * their digest only after size and digest check out, read-only, no
 * temporary files left after a refusal; bad digests and data dirs. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "tmpdir.h"

static struct store st;

static void setup(void)
{
	struct lerr e = { 0 };
	char *data;

	tmpdir_make();
	data = tmpdir_join("a/b/data"); /* parents are created */
	cr_assert_eq(store_open(&st, data, &e), 0, "%s", e.msg);
	free(data);
}

static void teardown(void)
{
	store_close(&st);
	tmpdir_remove();
}

TestSuite(store, .init = setup, .fini = teardown);

static void digest_of(const char *s, char out[LDIGEST_STR_LEN])
{
	struct ldigest d;

	ldigest_init(&d);
	ldigest_update(&d, s, strlen(s));
	ldigest_final(&d, out);
}

/* An fd reading s (a memfd). */
static int fd_of(const char *s)
{
	int fd = memfd_create("blob", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static size_t count_entries(void)
{
	DIR *d = opendir(st.blob_dir);
	struct dirent *de;
	size_t n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.' || strncmp(de->d_name, ".tmp-", 5) == 0;
	closedir(d);
	return n;
}

Test(store, put_stat_read)
{
	static const char content[] = "hello, store\n";
	char digest[LDIGEST_STR_LEN], *path, *buf;
	struct lerr e = { 0 };
	struct stat sb;
	uint64_t size = 0;
	size_t len;
	int fd = fd_of(content);

	digest_of(content, digest);
	cr_expect_eq(store_stat(&st, digest, &size, &e), 0, "absent first");
	cr_assert_eq(store_put_fd(&st, digest, strlen(content), fd, &e), 0,
		     "%s", e.msg);
	close(fd);
	cr_expect_eq(store_stat(&st, digest, &size, &e), 1);
	cr_expect_eq(size, strlen(content));
	path = store_blob_path(&st, digest);
	cr_assert_not_null(path);
	cr_expect(strstr(path, "/a/b/data/blobs/sha256/") != NULL, "%s", path);
	cr_expect_str_eq(strrchr(path, '/') + 1, ldigest_hex(digest));
	cr_assert_eq(stat(path, &sb), 0);
	cr_expect_eq(sb.st_mode & 07777, 0444);
	cr_assert_eq(store_read(&st, digest, 1024, &buf, &len, &e), 0, "%s",
		     e.msg);
	cr_expect_eq(len, strlen(content));
	cr_expect_str_eq(buf, content);
	free(buf);
	cr_expect_eq(store_read(&st, digest, 4, &buf, &len, &e), -EFBIG);
	cr_expect_null(buf);
	cr_expect_eq(count_entries(), 1);
	free(path);
}

Test(store, refuses_wrong_content)
{
	char digest[LDIGEST_STR_LEN], other[LDIGEST_STR_LEN];
	struct lerr e = { 0 };
	uint64_t size;
	int fd;

	digest_of("expected", digest);
	digest_of("actually", other);

	fd = fd_of("actually");
	cr_expect_eq(store_put_fd(&st, digest, 8, fd, &e), -EIO);
	close(fd);
	cr_expect(strncmp(e.msg, "digest mismatch: content is ", 28) == 0,
		  "%s", e.msg);
	cr_expect(strstr(e.msg, other) != NULL, "%s", e.msg);

	fd = fd_of("expected plus more");
	cr_expect_eq(store_put_fd(&st, digest, 8, fd, &e), -EFBIG);
	close(fd);
	cr_expect_str_eq(e.msg, "size mismatch: more than the 8 bytes its "
				"descriptor says");

	fd = fd_of("expec");
	cr_expect_eq(store_put_fd(&st, digest, 8, fd, &e), -EIO);
	close(fd);
	cr_expect_str_eq(e.msg,
			 "size mismatch: 5 bytes, its descriptor says 8");

	cr_expect_eq(store_stat(&st, digest, &size, &e), 0);
	cr_expect_eq(count_entries(), 0, "nothing stored, no temp files left");
}

Test(store, writer_in_pieces)
{
	static const char content[] = "piece one, piece two";
	char digest[LDIGEST_STR_LEN];
	struct store_writer w;
	struct lerr e = { 0 };
	uint64_t size;

	digest_of(content, digest);
	cr_assert_eq(store_writer_begin(&st, &w, digest, strlen(content), &e),
		     0, "%s", e.msg);
	cr_assert_eq(store_writer_write(&w, content, 10, &e), 0);
	cr_assert_eq(store_writer_write(&w, content + 10, strlen(content) - 10,
					&e),
		     0);
	cr_assert_eq(store_writer_commit(&w, &e), 0, "%s", e.msg);
	store_writer_abort(&w); /* harmless after commit */
	cr_expect_eq(store_stat(&st, digest, &size, &e), 1);

	/* An abandoned writer leaves nothing behind. */
	digest_of("abandoned", digest);
	cr_assert_eq(store_writer_begin(&st, &w, digest, 9, &e), 0);
	cr_assert_eq(store_writer_write(&w, "aband", 5, &e), 0);
	store_writer_abort(&w);
	cr_expect_eq(count_entries(), 1);
}

Test(store, bad_digests)
{
	static const char *const bad[] = {
		"sha256:../../etc/passwd",
		"sha256:0123",
		"sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/",
		"",
	};
	struct store_writer w;
	struct lerr e = { 0 };
	uint64_t size;
	char *buf;
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_null(store_blob_path(&st, bad[i]), "%s", bad[i]);
		cr_expect_eq(store_stat(&st, bad[i], &size, &e), -EINVAL, "%s",
			     bad[i]);
		cr_expect_eq(store_read(&st, bad[i], 10, &buf, &len, &e),
			     -EINVAL);
		cr_expect_eq(store_writer_begin(&st, &w, bad[i], 1, &e),
			     -EINVAL, "%s", bad[i]);
		store_writer_abort(&w);
	}
	cr_expect_eq(count_entries(), 0);
}

Test(store, data_dir_problems)
{
	struct store other;
	struct lerr e = { 0 };
	char *file = tmpdir_write_str("plainfile", "x"), *under;

	cr_assert(asprintf(&under, "%s/data", file) > 0);
	cr_expect_eq(store_open(&other, file, &e), -ENOTDIR);
	cr_expect(strstr(e.msg, "plainfile\" is not a directory") != NULL,
		  "%s", e.msg);
	store_close(&other);
	cr_expect_lt(store_open(&other, under, &e), 0);
	cr_expect(strstr(e.msg, "plainfile") != NULL, "%s", e.msg);
	store_close(&other);
	free(under);
	free(file);
}
