/* blk-probe.c - guest side of the virtio-blk end-to-end tests and
 * benchmark, and its host-side helper (the same static binary).
 *
 * In the guest (run by lighter-agent via lighter_run=/bin/blk-probe) the
 * mode comes from the kernel command line, blk_mode=:
 *   rw       /dev/vda is writable and its serial is blk_serial=; write a
 *            seeded pattern with O_DIRECT, fsync (a FLUSH), read it back
 *            with O_DIRECT and compare pattern and checksum; the last
 *            sector too; a read past the end gets nothing
 *   ro       /sys/block/vda/ro is 1, writes fail, the host-filled
 *            pattern reads back
 *   durable  write the pattern through the page cache, fsync, print
 *            "blk-probe: flushed" and wait for the host to kill the VMM
 *   bench    O_DIRECT 4 KiB random reads, then 1 MiB sequential reads,
 *            blk_secs= seconds each (default 5)
 * Parameters: blk_seed= (pattern seed, default 1), blk_bytes= (pattern
 * length, default 8 MiB).  One "blk-probe: ok ..." or "blk-probe: FAIL ..."
 * line; exit status 0 on success.
 *
 * On the host: blk-probe --fill FILE SEED BYTES | --verify FILE SEED BYTES
 * | --bench FILE SECS (page-cache reads of an image file). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define DEV "/dev/vda"
#define CHUNK (256U << 10)

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	printf("blk-probe: FAIL ");
	vprintf(fmt, ap);
	printf(" (%s)\n", strerror(err));
	va_end(ap);
	return 1;
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The pattern at byte offset off (a multiple of 8) of a seeded disk. */
static void pattern(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = splitmix(seed * 0x100000001b3ULL + off / 8 + i);
}

static uint64_t fnv(uint64_t h, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

static int cmdline_value(const char *key, char *out, size_t n)
{
	static char line[4096];
	size_t klen = strlen(key);
	char *p;
	FILE *f;

	if (!line[0]) {
		f = fopen("/proc/cmdline", "r");
		if (!f || !fgets(line, sizeof(line), f))
			return 0;
		fclose(f);
	}
	for (p = line; (p = strstr(p, key)); p += klen) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			size_t len = strcspn(p + klen + 1, " \n");

			if (len >= n)
				return 0;
			memcpy(out, p + klen + 1, len);
			out[len] = '\0';
			return 1;
		}
	}
	return 0;
}

static uint64_t cmdline_u64(const char *key, uint64_t dflt)
{
	char v[32];

	return cmdline_value(key, v, sizeof(v)) ? strtoull(v, NULL, 0) : dflt;
}

static int read_sys(const char *path, char *out, size_t n)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, out, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	out[r] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static void *aligned(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, len))
		return NULL;
	return p;
}

static int full_io(int fd, void *buf, size_t len, uint64_t off, int write_it)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write_it ? pwrite(fd, (char *)buf + done, len - done,
					      (off_t)(off + done)) :
				       pread(fd, (char *)buf + done, len - done,
					     (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Write (write_it) or check bytes [0, bytes) of fd against the pattern;
 * *sum gets the checksum of what was written or read. */
static int pattern_io(int fd, uint64_t seed, uint64_t bytes, int write_it,
		      uint64_t *sum, const char **what)
{
	uint8_t *buf = aligned(CHUNK), *want = aligned(CHUNK);
	uint64_t h = FNV_INIT;
	int r = 0;

	*what = "out of memory";
	if (!buf || !want)
		return -1;
	for (uint64_t off = 0; off < bytes && r == 0; off += CHUNK) {
		size_t len = bytes - off < CHUNK ? bytes - off : CHUNK;

		pattern(seed, off, want, len);
		if (write_it) {
			memcpy(buf, want, len);
			if (full_io(fd, buf, len, off, 1) < 0) {
				*what = "write";
				r = -1;
			}
		} else if (full_io(fd, buf, len, off, 0) < 0) {
			*what = "read";
			r = -1;
		} else if (memcmp(buf, want, len) != 0) {
			*what = "pattern mismatch";
			errno = EILSEQ;
			r = -1;
		}
		h = fnv(h, buf, len);
	}
	*sum = h;
	free(buf);
	free(want);
	return r;
}

/* The checksum the pattern should have, computed without any I/O. */
static uint64_t pattern_sum(uint64_t seed, uint64_t bytes)
{
	static uint8_t buf[CHUNK];
	uint64_t h = FNV_INIT;

	for (uint64_t off = 0; off < bytes; off += CHUNK) {
		size_t len = bytes - off < CHUNK ? bytes - off : CHUNK;

		pattern(seed, off, buf, len);
		h = fnv(h, buf, len);
	}
	return h;
}

static int mode_rw(uint64_t seed, uint64_t bytes)
{
	char serial[64] = "", want_serial[64] = "", ro[8] = "";
	uint64_t size = 0, wsum, rsum, last[512 / 8];
	uint8_t *sec;
	const char *what;
	int fd;

	if (read_sys("/sys/block/vda/ro", ro, sizeof(ro)) < 0 ||
	    strcmp(ro, "0") != 0)
		return fail("/sys/block/vda/ro is \"%s\", want 0", ro);
	if (cmdline_value("blk_serial", want_serial, sizeof(want_serial)) &&
	    (read_sys("/sys/block/vda/serial", serial, sizeof(serial)) < 0 ||
	     strcmp(serial, want_serial) != 0))
		return fail("serial is \"%s\"", serial);
	fd = open(DEV, O_RDWR | O_DIRECT);
	if (fd < 0)
		return fail("open %s", DEV);
	if (ioctl(fd, BLKGETSIZE64, &size) < 0 || size < bytes)
		return fail("%s is too small", DEV);
	if (pattern_io(fd, seed, bytes, 1, &wsum, &what) < 0)
		return fail("%s", what);
	if (fsync(fd) < 0)
		return fail("fsync %s", DEV);
	close(fd);

	/* read back through a new descriptor, bypassing the page cache */
	fd = open(DEV, O_RDONLY | O_DIRECT);
	if (fd < 0)
		return fail("reopen %s", DEV);
	if (pattern_io(fd, seed, bytes, 0, &rsum, &what) < 0)
		return fail("read back: %s", what);
	if (rsum != wsum || rsum != pattern_sum(seed, bytes))
		return fail("%s", "checksum differs");

	/* the last sector, and nothing beyond it */
	sec = aligned(4096);
	pattern(seed + 1, 0, last, sizeof(last));
	close(fd);
	fd = open(DEV, O_RDWR | O_DIRECT);
	if (fd < 0 || !sec)
		return fail("reopen %s", DEV);
	memcpy(sec, last, 512);
	if (full_io(fd, sec, 512, size - 512, 1) < 0)
		return fail("%s", "write of the last sector");
	memset(sec, 0, 512);
	if (full_io(fd, sec, 512, size - 512, 0) < 0 ||
	    memcmp(sec, last, 512) != 0)
		return fail("%s", "read-back of the last sector");
	if (pread(fd, sec, 512, (off_t)size) != 0)
		return fail("%s", "read past the end returned data");
	close(fd);
	printf("blk-probe: ok rw %s: %" PRIu64 " bytes, serial \"%s\", wrote and read back %" PRIu64
	       " bytes, checksum %016" PRIx64 "\n",
	       DEV, size, serial, bytes, rsum);
	return 0;
}

static int mode_ro(uint64_t seed, uint64_t bytes)
{
	char ro[8] = "";
	uint8_t *buf = aligned(4096);
	const char *what, *how;
	uint64_t sum;
	int fd;

	if (read_sys("/sys/block/vda/ro", ro, sizeof(ro)) < 0 ||
	    strcmp(ro, "1") != 0)
		return fail("/sys/block/vda/ro is \"%s\", want 1", ro);
	fd = open(DEV, O_RDWR | O_DIRECT);
	if (fd >= 0) {
		memset(buf, 0, 4096);
		if (pwrite(fd, buf, 4096, 0) >= 0)
			return fail("%s", "a write to the read-only disk succeeded");
		how = "write failed";
		close(fd);
	} else {
		how = "open for writing failed";
	}
	printf("blk-probe: %s: %s\n", how, strerror(errno));
	fd = open(DEV, O_RDONLY | O_DIRECT);
	if (fd < 0)
		return fail("open %s", DEV);
	if (pattern_io(fd, seed, bytes, 0, &sum, &what) < 0)
		return fail("read: %s", what);
	close(fd);
	printf("blk-probe: ok ro %s: read-only, %s, %" PRIu64
	       " bytes read back, checksum %016" PRIx64 "\n",
	       DEV, how, bytes, sum);
	return 0;
}

static int mode_durable(uint64_t seed, uint64_t bytes)
{
	const char *what;
	uint64_t sum;
	int fd = open(DEV, O_RDWR);

	if (fd < 0)
		return fail("open %s", DEV);
	if (pattern_io(fd, seed, bytes, 1, &sum, &what) < 0)
		return fail("%s", what);
	if (fsync(fd) < 0)
		return fail("fsync %s", DEV);
	printf("blk-probe: flushed %" PRIu64 " bytes, checksum %016" PRIx64 "\n",
	       bytes, sum);
	fflush(stdout);
	for (;;)
		pause(); /* the host kills the VMM now */
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Read `bs`-byte blocks for `secs` seconds: random 4 KiB-aligned offsets
 * or sequential (wrapping); prints one "blk-bench:" line. */
static int bench_one(int fd, uint64_t size, size_t bs, int random_off,
		     double secs, const char *name)
{
	uint8_t *buf = aligned(bs);
	uint64_t ops = 0, off = 0, rng = 0x2545f4914f6cdd1dULL;
	uint64_t blocks = size / bs;
	double start, t;

	if (!buf || blocks == 0)
		return fail("%s", "bench setup");
	start = now();
	do {
		for (int i = 0; i < 16; i++) {
			if (random_off) {
				rng ^= rng << 13;
				rng ^= rng >> 7;
				rng ^= rng << 17;
				off = (rng % blocks) * bs;
			}
			if (full_io(fd, buf, bs, off, 0) < 0)
				return fail("%s", "bench read");
			ops++;
			if (!random_off)
				off = off + bs >= blocks * bs ? 0 : off + bs;
		}
		t = now() - start;
	} while (t < secs);
	printf("blk-bench: %s ops=%" PRIu64 " secs=%.3f iops=%.0f mbps=%.1f\n",
	       name, ops, t, (double)ops / t, (double)ops * bs / t / 1e6);
	free(buf);
	return 0;
}

/* direct: O_DIRECT (the guest's view: every read reaches the device);
 * else through the page cache (the host's view of an image both VMMs
 * read through the page cache). */
static int bench(const char *path, double secs, int direct)
{
	uint64_t size = 0;
	off_t end;
	int fd = open(path, O_RDONLY | (direct ? O_DIRECT : 0));

	if (fd < 0)
		return fail("open %s", path);
	if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
		end = lseek(fd, 0, SEEK_END);
		size = end > 0 ? (uint64_t)end : 0;
	}
	if (bench_one(fd, size, 4096, 1, secs, "randread4k") ||
	    bench_one(fd, size, 1U << 20, 0, secs, "seqread1m"))
		return 1;
	close(fd);
	printf("blk-probe: ok bench %s\n", path);
	return 0;
}

static int host_main(int argc, char **argv)
{
	const char *what;
	uint64_t seed, bytes, sum;
	int fd, fill;

	if (argc == 4 && strcmp(argv[1], "--bench") == 0)
		return bench(argv[2], atof(argv[3]), 0);
	if (argc != 5)
		goto usage;
	fill = strcmp(argv[1], "--fill") == 0;
	if (!fill && strcmp(argv[1], "--verify") != 0)
		goto usage;
	seed = strtoull(argv[3], NULL, 0);
	bytes = strtoull(argv[4], NULL, 0);
	fd = open(argv[2], fill ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return fail("open %s", argv[2]);
	if (pattern_io(fd, seed, bytes, fill, &sum, &what) < 0)
		return fail("%s", what);
	if (fill && fsync(fd) < 0)
		return fail("fsync %s", argv[2]);
	close(fd);
	printf("blk-probe: ok %s %s: %" PRIu64 " bytes, checksum %016" PRIx64
	       "\n",
	       fill ? "filled" : "verified", argv[2], bytes, sum);
	return 0;
usage:
	fprintf(stderr, "usage: blk-probe --fill|--verify FILE SEED BYTES | --bench FILE SECS\n");
	return 2;
}

int main(int argc, char **argv)
{
	char mode[16] = "";
	uint64_t seed, bytes;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1)
		return host_main(argc, argv);
	seed = cmdline_u64("blk_seed", 1);
	bytes = cmdline_u64("blk_bytes", 8U << 20);
	if (!cmdline_value("blk_mode", mode, sizeof(mode)))
		return fail("%s", "no blk_mode= on the kernel command line");
	if (strcmp(mode, "rw") == 0)
		return mode_rw(seed, bytes);
	if (strcmp(mode, "ro") == 0)
		return mode_ro(seed, bytes);
	if (strcmp(mode, "durable") == 0)
		return mode_durable(seed, bytes);
	if (strcmp(mode, "bench") == 0)
		return bench(DEV, (double)cmdline_u64("blk_secs", 5), 1);
	return fail("unknown blk_mode \"%s\"", mode);
}
