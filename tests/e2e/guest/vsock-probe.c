/* vsock-probe.c - both ends of the vsock end-to-end test, one static
 * binary: run without arguments (as /bin/vsock-probe in the guest) it
 * reads its parameters from /proc/cmdline; with arguments it is the host
 * side, over lighter's hybrid Unix sockets or, for the QEMU vhost-vsock
 * comparison, over AF_VSOCK.
 *
 * Guest (kernel command line: vsock_listen=P1 vsock_echo=P3 vsock_sink=P2
 * vsock_bytes=N):
 *   1. listen on P1;
 *   2. connect to host port P3, send 256 KiB, shut down writing, read the
 *      echo back and compare;
 *   3. connect to host port P2, send N bytes of the stream of seed 2, shut
 *      down writing, read the host's "<count> <hash>" and compare;
 *   4. accept on P1 and echo until EOF;
 *   5. accept on P1, read until EOF checking every byte against the stream
 *      of seed 1, answer "<count> <hash>".
 * Prints "vsock-probe: ok ..." per step, exits 0 only if all passed.
 *
 * Host:
 *   vsock-probe echo-server ADDR        accept one connection, echo until EOF
 *   vsock-probe sink ADDR SEED          accept one, verify the stream,
 *                                       answer "<count> <hash>", print MB/s
 *   vsock-probe echo-client ADDR        connect, send, compare the echo
 *   vsock-probe source ADDR BYTES SEED  connect, send the stream, check the
 *                                       answer, print MB/s
 * ADDR: unix:PATH (listen or connect), hybrid:UDS:PORT (connect through lighter's
 * CONNECT handshake, retried until the guest listens), vsock:PORT
 * (listen, AF_VSOCK) or vsock:CID:PORT (connect, AF_VSOCK, retried).
 * Connects are retried for $VSOCK_PROBE_RETRY seconds (default 120).
 *
 * The stream of seed S is xorshift64* words, little-endian; every byte is
 * checked by the receiver, and both ends hash it (a 64-bit multiply-rotate
 * hash) so the sender checks the receiver's count and hash too. */
#include <errno.h>
#include <inttypes.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "probe-io.h"

#define CHUNK (256 << 10)
#define ECHO_BYTES (256 << 10)
#define RETRY_SECONDS 120

static uint8_t buf[CHUNK + 8];

struct stream {
	uint64_t state, hash, count;
	uint8_t carry[8]; /* received bytes not yet a whole word */
	unsigned int carry_len;
	uint64_t bad_at; /* first mismatching byte + 1, 0 if none */
};

static void stream_init(struct stream *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->state = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	s->hash = 0xcbf29ce484222325ULL;
}

static uint64_t stream_word(struct stream *s)
{
	uint64_t x = s->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static void hash_word(struct stream *s, uint64_t w)
{
	uint64_t h = s->hash ^ w;

	s->hash = ((h << 29) | (h >> 35)) * 0x9e3779b97f4a7c15ULL;
}

/* Fill p with len (a multiple of 8) stream bytes. */
static void stream_fill(struct stream *s, uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = stream_word(s);

		memcpy(p + i, &w, 8);
		hash_word(s, w);
	}
	s->count += len;
}

static void check_word(struct stream *s, uint64_t got)
{
	uint64_t want = stream_word(s);

	if (got != want && !s->bad_at) {
		for (unsigned int b = 0; b < 8; b++) {
			if (((got ^ want) >> (8 * b)) & 0xff) {
				s->bad_at = s->count + b + 1;
				break;
			}
		}
	}
	hash_word(s, got);
	s->count += 8;
}

/* Check received bytes against the stream, whatever their alignment. */
static void stream_check(struct stream *s, const uint8_t *p, size_t len)
{
	uint64_t w;

	while (len && s->carry_len) {
		s->carry[s->carry_len++] = *p++;
		len--;
		if (s->carry_len == 8) {
			memcpy(&w, s->carry, 8);
			check_word(s, w);
			s->carry_len = 0;
		}
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		check_word(s, w);
	}
	while (len--)
		s->carry[s->carry_len++] = *p++;
}

static uint64_t stream_total(const struct stream *s)
{
	return s->count + s->carry_len;
}

static int say_fail(const char *who, const char *what)
{
	printf("%s: FAIL %s%s%s\n", who, what, errno ? ": " : "",
	       errno ? strerror(errno) : "");
	fflush(stdout);
	return -1;
}

/* ---- addresses ---- */

static int listen_addr(const char *addr)
{
	int fd;

	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(addr + 5) >= sizeof(sa.sun_path))
			return -1;
		strcpy(sa.sun_path, addr + 5);
		unlink(sa.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return -1;
	} else if (strncmp(addr, "vsock:", 6) == 0) {
		struct sockaddr_vm sa = { .svm_family = AF_VSOCK,
					  .svm_cid = VMADDR_CID_ANY };

		sa.svm_port = (unsigned int)strtoul(addr + 6, NULL, 10);
		fd = socket(AF_VSOCK, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return -1;
	} else {
		errno = EINVAL;
		return -1;
	}
	return listen(fd, 16) < 0 ? -1 : fd;
}

static int connect_vsock(unsigned int cid, unsigned int port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = cid,
				  .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* lighter's hybrid handshake: CONNECT <port>, then "OK <n>". */
static int connect_hybrid(const char *uds, unsigned int port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[64];
	int fd;

	if (strlen(uds) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, uds);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (write_all(fd, line, strlen(line)) < 0 ||
	    read_line(fd, line, sizeof(line)) < 0)
		goto fail;
	if (strncmp(line, "OK ", 3) != 0) {
		errno = EPROTO;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Connect, retrying while the far end is not listening yet. */
static int connect_addr(const char *addr)
{
	const char *env = getenv("VSOCK_PROBE_RETRY");
	double end = now_s() + (env ? atof(env) : RETRY_SECONDS);

	for (;;) {
		int fd = -1;

		if (strncmp(addr, "hybrid:", 7) == 0) {
			char uds[128];
			const char *colon = strrchr(addr + 7, ':');

			if (!colon || (size_t)(colon - addr - 7) >= sizeof(uds)) {
				errno = EINVAL;
				return -1;
			}
			memcpy(uds, addr + 7, (size_t)(colon - addr - 7));
			uds[colon - addr - 7] = '\0';
			fd = connect_hybrid(uds, (unsigned int)atoi(colon + 1));
		} else if (strncmp(addr, "unix:", 5) == 0) {
			struct sockaddr_un sa = { .sun_family = AF_UNIX };

			if (strlen(addr + 5) >= sizeof(sa.sun_path)) {
				errno = EINVAL;
				return -1;
			}
			strcpy(sa.sun_path, addr + 5);
			fd = socket(AF_UNIX, SOCK_STREAM, 0);
			if (fd >= 0 &&
			    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				close(fd);
				fd = -1;
			}
		} else if (strncmp(addr, "vsock:", 6) == 0) {
			unsigned int cid, port;

			if (sscanf(addr + 6, "%u:%u", &cid, &port) != 2) {
				errno = EINVAL;
				return -1;
			}
			fd = connect_vsock(cid, port);
		} else {
			errno = EINVAL;
			return -1;
		}
		if (fd >= 0 || now_s() > end)
			return fd;
		usleep(100 * 1000);
	}
}

/* ---- the four roles, each over a connected fd ---- */

static int do_echo_server(const char *who, int fd)
{
	for (;;) {
		ssize_t n = recv(fd, buf, CHUNK, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return say_fail(who, "echo read");
		if (n == 0)
			break;
		if (write_all(fd, buf, (size_t)n) < 0)
			return say_fail(who, "echo write");
	}
	close(fd);
	return 0;
}

static int do_echo_client(const char *who, int fd)
{
	static uint8_t back[ECHO_BYTES];
	struct stream s;
	size_t got = 0;

	stream_init(&s, 3);
	stream_fill(&s, buf, ECHO_BYTES);
	if (write_all(fd, buf, ECHO_BYTES) < 0)
		return say_fail(who, "echo send");
	shutdown(fd, SHUT_WR);
	while (got < ECHO_BYTES) {
		ssize_t n = recv(fd, back + got, ECHO_BYTES - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	errno = 0;
	if (got != ECHO_BYTES || memcmp(back, buf, ECHO_BYTES) != 0)
		return say_fail(who, "echo came back different");
	printf("%s: ok echo %d bytes\n", who, ECHO_BYTES);
	return 0;
}

/* Receive a stream until EOF, verify it, answer count and hash. */
static int do_sink(const char *who, int fd, uint64_t seed)
{
	struct stream s;
	char line[64];
	double t0 = 0, t1;

	stream_init(&s, seed);
	for (;;) {
		ssize_t n = recv(fd, buf, CHUNK, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return say_fail(who, "sink read");
		if (n == 0)
			break;
		if (!t0)
			t0 = now_s();
		stream_check(&s, buf, (size_t)n);
	}
	t1 = now_s();
	snprintf(line, sizeof(line), "%" PRIu64 " %016" PRIx64 "\n",
		 stream_total(&s), s.hash);
	if (write_all(fd, line, strlen(line)) < 0)
		return say_fail(who, "sink answer");
	close(fd);
	errno = 0;
	if (s.bad_at || s.carry_len) {
		printf("%s: FAIL stream differs at byte %" PRIu64 " of %" PRIu64
		       "\n", who, s.bad_at ? s.bad_at - 1 : s.count,
		       stream_total(&s));
		return -1;
	}
	printf("%s: ok received %" PRIu64 " bytes verified, %.1f MB/s\n", who,
	       s.count, t1 > t0 ? (double)s.count / (t1 - t0) / 1e6 : 0.0);
	fflush(stdout);
	return 0;
}

/* Send `bytes` of the stream, then check the far end's count and hash. */
static int do_source(const char *who, int fd, uint64_t bytes, uint64_t seed)
{
	struct stream s;
	char line[64], want[64];
	double t0 = now_s(), t1;

	if (bytes % 8) {
		errno = EINVAL;
		return say_fail(who, "BYTES must be a multiple of 8");
	}
	stream_init(&s, seed);
	while (s.count < bytes) {
		size_t len = bytes - s.count < CHUNK ? bytes - s.count : CHUNK;

		stream_fill(&s, buf, len);
		if (write_all(fd, buf, len) < 0)
			return say_fail(who, "source write");
	}
	shutdown(fd, SHUT_WR);
	if (read_line(fd, line, sizeof(line)) < 0)
		return say_fail(who, "no answer from the sink");
	t1 = now_s();
	close(fd);
	snprintf(want, sizeof(want), "%" PRIu64 " %016" PRIx64, s.count,
		 s.hash);
	errno = 0;
	if (strcmp(line, want) != 0) {
		printf("%s: FAIL sink says \"%s\", sent \"%s\"\n", who, line,
		       want);
		return -1;
	}
	printf("%s: ok sent %" PRIu64 " bytes, hash %016" PRIx64
	       " confirmed, %.1f MB/s\n", who, s.count, s.hash,
	       (double)s.count / (t1 - t0) / 1e6);
	fflush(stdout);
	return 0;
}

/* ---- guest ---- */

static unsigned long long cmdline_num(const char *cmdline, const char *key,
				      unsigned long long def)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = strstr(cmdline, pat); p; p = strstr(p + 1, pat))
		if (p == cmdline || p[-1] == ' ')
			return strtoull(p + strlen(pat), NULL, 0);
	return def;
}

static int guest_main(void)
{
	static char cmdline[4096];
	const char *who = "vsock-probe";
	char addr[32];
	unsigned int lport, echo_port, sink_port;
	unsigned long long bytes;
	int lfd, fd, failed = 0;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f || !fgets(cmdline, sizeof(cmdline), f))
		return say_fail(who, "no /proc/cmdline") ? 1 : 1;
	fclose(f);
	lport = (unsigned int)cmdline_num(cmdline, "vsock_listen", 1234);
	echo_port = (unsigned int)cmdline_num(cmdline, "vsock_echo", 5001);
	sink_port = (unsigned int)cmdline_num(cmdline, "vsock_sink", 5002);
	bytes = cmdline_num(cmdline, "vsock_bytes", 1ULL << 30);

	snprintf(addr, sizeof(addr), "vsock:%u", lport);
	lfd = listen_addr(addr);
	if (lfd < 0)
		return say_fail(who, "listen") ? 1 : 1;
	printf("%s: listening on port %u\n", who, lport);
	fflush(stdout);

	fd = connect_vsock(VMADDR_CID_HOST, echo_port);
	if (fd < 0 || do_echo_client("vsock-probe guest->host", fd) < 0)
		failed |= say_fail(who, "guest->host echo") < 0;
	fd = connect_vsock(VMADDR_CID_HOST, sink_port);
	if (fd < 0 || do_source("vsock-probe guest->host", fd, bytes, 2) < 0)
		failed |= say_fail(who, "guest->host stream") < 0;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0 || do_echo_server("vsock-probe host->guest", fd) < 0)
		failed |= say_fail(who, "host->guest echo") < 0;
	else
		printf("%s: ok host->guest echo served\n", who);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0 || do_sink("vsock-probe host->guest", fd, 1) < 0)
		failed |= say_fail(who, "host->guest stream") < 0;
	close(lfd);
	if (failed)
		return 1;
	printf("%s: ok all\n", who);
	return 0;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 2)
		return guest_main();
	if (argc == 3 && strcmp(argv[1], "echo-server") == 0) {
		int lfd = listen_addr(argv[2]);

		if (lfd < 0 || (fd = accept(lfd, NULL, NULL)) < 0)
			return say_fail("echo-server", argv[2]) ? 1 : 1;
		return do_echo_server("echo-server", fd) ? 1 : 0;
	}
	if (argc == 4 && strcmp(argv[1], "sink") == 0) {
		int lfd = listen_addr(argv[2]);

		if (lfd < 0 || (fd = accept(lfd, NULL, NULL)) < 0)
			return say_fail("sink", argv[2]) ? 1 : 1;
		return do_sink("sink", fd, strtoull(argv[3], NULL, 0)) ? 1 : 0;
	}
	if (argc == 3 && strcmp(argv[1], "echo-client") == 0) {
		fd = connect_addr(argv[2]);
		if (fd < 0)
			return say_fail("echo-client", argv[2]) ? 1 : 1;
		return do_echo_client("echo-client", fd) ? 1 : 0;
	}
	if (argc == 5 && strcmp(argv[1], "source") == 0) {
		fd = connect_addr(argv[2]);
		if (fd < 0)
			return say_fail("source", argv[2]) ? 1 : 1;
		return do_source("source", fd, strtoull(argv[3], NULL, 0),
				 strtoull(argv[4], NULL, 0))
			       ? 1
			       : 0;
	}
	fprintf(stderr, "usage: vsock-probe [echo-server ADDR | sink ADDR SEED |"
			" echo-client ADDR | source ADDR BYTES SEED]\n");
	return 2;
}
