/* test-protocol-io.c - the protocol's incremental reader and fd helpers:
 * a conversation's worth of frames (a 1 MiB DATA frame among them) fed
 * byte by byte, in random chunkings and all at once, sticky header
 * errors, and real sockets: writes through signals and short writes to a
 * slow reader, reads through signals, resumed writes on a non-blocking
 * socket, end of file between and inside frames, EPIPE instead of
 * SIGPIPE, pipes. */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-protocol.h"

TestSuite(protocol_io);

/* ---- the reader ---- */

struct sent {
	uint16_t type, flags;
	uint32_t id;
	uint8_t *body;
	size_t len;
};

#define MAX_SENT 16

struct stream {
	uint8_t *bytes;
	size_t len;
	struct sent f[MAX_SENT];
	size_t n;
};

static void stream_add(struct stream *s, struct proto_out *o)
{
	struct sent *f = &s->f[s->n++];
	struct proto_header h;
	uint8_t *buf;
	size_t len;
	struct lerr e = { 0 };

	cr_assert_eq(proto_out_flatten(o, &buf, &len, &e), 0);
	proto_out_free(o);
	proto_header_parse(buf, &h);
	f->type = h.type;
	f->flags = h.flags;
	f->id = h.id;
	f->len = h.length;
	f->body = malloc(f->len + 1);
	memcpy(f->body, buf + PROTO_HEADER_SIZE, f->len);
	s->bytes = realloc(s->bytes, s->len + len);
	memcpy(s->bytes + s->len, buf, len);
	s->len += len;
	free(buf);
}

static void stream_json(struct stream *s, uint16_t type, uint32_t id,
			const char *text)
{
	struct proto_out o;
	struct lerr e = { 0 };
	json_t *j = tp_json(text);

	cr_assert_eq(proto_out_json(&o, type, id, j, &e), 0, "%s", e.msg);
	json_decref(j);
	stream_add(s, &o);
}

static void stream_raw(struct stream *s, uint16_t type, uint16_t flags,
		       uint32_t id, const void *body, size_t len)
{
	struct iovec v = { (void *)body, len };
	struct proto_out o;
	struct lerr e = { 0 };

	cr_assert_eq(proto_out_raw(&o, type, flags, id, &v, 1, &e), 0, "%s",
		     e.msg);
	stream_add(s, &o);
}

/* A conversation's worth of frames, a maximal DATA frame among them. */
static void make_stream(struct stream *s)
{
	uint8_t *big = malloc(PROTO_MAX_BODY);
	struct proto_out o;
	struct lerr e = { 0 };
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < PROTO_MAX_BODY; i++)
		big[i] = (uint8_t)(i * 7 + (i >> 12));
	stream_json(s, PROTO_HELLO, 1,
		    "{\"version\":1,\"client\":\"t\",\"time_ns\":5}");
	stream_json(s, PROTO_SPEC, 2, "{\"name\":\"g\"}");
	stream_json(s, PROTO_LAYER, 3, "{\"size\":1048579}");
	stream_raw(s, PROTO_DATA, 0, 3, big, PROTO_MAX_BODY);
	stream_raw(s, PROTO_DATA, 0, 3, "", 0);
	stream_raw(s, PROTO_DATA, 0, 3, "abc", 3);
	stream_json(s, PROTO_LAYER_END, 3, "{}");
	cr_assert_eq(
	    proto_out_output(&o, 77, 1, PROTO_OUT_STDOUT, "out\n", 4, &e), 0);
	stream_add(s, &o);
	cr_assert_eq(proto_out_output(&o, 78, 1,
				      PROTO_OUT_STDERR | PROTO_OUT_EOF, NULL, 0,
				      &e),
		     0);
	stream_add(s, &o);
	stream_json(s, PROTO_EVENT, 0,
		    "{\"event\":\"started\",\"container\":\"a\"}");
	stream_json(s, PROTO_ERROR, 0, "{\"code\":\"EIO\",\"message\":\"\"}");
	stream_json(s, PROTO_OK, 0xffffffff, "{}");
	free(big);
}

static void stream_free(struct stream *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->f[i].body);
	free(s->bytes);
}

static void expect_frame(const struct stream *s, size_t k,
			 const struct proto_frame *f)
{
	cr_assert_lt(k, s->n, "more frames than sent");
	cr_expect_eq(f->h.type, s->f[k].type, "frame %zu", k);
	cr_expect_eq(f->h.flags, s->f[k].flags, "frame %zu", k);
	cr_expect_eq(f->h.id, s->f[k].id, "frame %zu", k);
	cr_assert_eq(f->h.length, s->f[k].len, "frame %zu", k);
	cr_expect_eq(memcmp(f->body, s->f[k].body, s->f[k].len), 0,
		     "frame %zu body", k);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Feeds s to a fresh reader in chunks (0: one byte at a time, else
 * random sizes from that seed) and checks every frame comes out whole. */
static void feed_stream(const struct stream *s, uint64_t seed)
{
	struct proto_reader r;
	struct proto_frame f;
	struct lerr e = { 0 };
	size_t off = 0, k = 0;
	int rc;

	rng_state = seed;
	cr_assert_eq(proto_reader_init(&r, &e), 0);
	while (off < s->len) {
		size_t n = 1, took;
		bool got = false;

		if (seed)
			n = 1 + rng() % ((size_t)1 << (rng() % 22));
		if (n > s->len - off)
			n = s->len - off;
		took = proto_reader_feed(&r, s->bytes + off, n);
		off += took;
		while ((rc = proto_reader_next(&r, &f, &e)) == 1) {
			expect_frame(s, k++, &f);
			got = true;
		}
		cr_assert_eq(rc, 0, "%s", e.msg);
		cr_assert(took > 0 || got, "reader took nothing, gave nothing");
		cr_assert_leq(proto_reader_buffered(&r), PROTO_MAX_FRAME);
	}
	cr_expect_eq(k, s->n, "seed %llu: %zu of %zu frames",
		     (unsigned long long)seed, k, s->n);
	cr_expect_eq(proto_reader_buffered(&r), 0);
	proto_reader_free(&r);
}

Test(protocol_io, reader_byte_by_byte)
{
	struct stream s;

	make_stream(&s);
	feed_stream(&s, 0);
	stream_free(&s);
}

Test(protocol_io, reader_random_chunks)
{
	struct stream s;
	uint64_t seed;

	make_stream(&s);
	for (seed = 1; seed <= 40; seed++)
		feed_stream(&s, seed * 0x9e3779b97f4a7c15ULL);
	stream_free(&s);
}

Test(protocol_io, reader_whole_stream_at_once)
{
	struct proto_reader r;
	struct proto_frame f;
	struct lerr e = { 0 };
	struct stream s;
	size_t off = 0, k = 0;
	int rc;

	make_stream(&s);
	cr_assert_eq(proto_reader_init(&r, &e), 0);
	/* more than one maximal frame offered: the reader takes what fits */
	while (off < s.len) {
		size_t took = proto_reader_feed(&r, s.bytes + off, s.len - off);

		cr_assert_leq(took, PROTO_MAX_FRAME);
		off += took;
		while ((rc = proto_reader_next(&r, &f, &e)) == 1)
			expect_frame(&s, k++, &f);
		cr_assert_eq(rc, 0, "%s", e.msg);
	}
	cr_expect_eq(k, s.n);
	proto_reader_free(&r);
	stream_free(&s);
}

Test(protocol_io, reader_bad_header_is_sticky)
{
	struct proto_header good = { 2, PROTO_START, 0, 4 };
	struct proto_header bad = { PROTO_MAX_BODY + 1, PROTO_DATA, 0, 9 };
	uint8_t b[2 * PROTO_HEADER_SIZE + 2];
	struct proto_reader r;
	struct proto_frame f;
	struct lerr e = { 0 };

	proto_header_encode(&good, b);
	memcpy(b + PROTO_HEADER_SIZE, "{}", 2);
	proto_header_encode(&bad, b + PROTO_HEADER_SIZE + 2);
	cr_assert_eq(proto_reader_init(&r, &e), 0);
	/* the good frame, then the bad header alone: no body is awaited */
	cr_assert_eq(proto_reader_feed(&r, b, sizeof(b) - 1), sizeof(b) - 1);
	cr_assert_eq(proto_reader_next(&r, &f, &e), 1);
	cr_expect_eq(f.h.type, PROTO_START);
	cr_assert_eq(proto_reader_next(&r, &f, &e), 0);
	cr_assert_eq(proto_reader_feed(&r, b + sizeof(b) - 1, 1), 1);
	cr_assert_eq(proto_reader_next(&r, &f, &e), -EMSGSIZE);
	cr_expect_eq(f.h.id, 9, "the id to answer with");
	cr_expect_str_eq(e.msg, "frame header: DATA body of 1048577 bytes "
				"exceeds the limit of 1048576 bytes");
	memset(&e, 0, sizeof(e));
	cr_expect_eq(proto_reader_next(&r, &f, &e), -EMSGSIZE);
	cr_expect_eq(e.code, EMSGSIZE);
	cr_expect_eq(f.h.id, 9);
	cr_expect_eq(proto_reader_feed(&r, b, 4), 0);
	proto_reader_reset(&r);
	cr_assert_eq(proto_reader_feed(&r, b, PROTO_HEADER_SIZE + 2),
		     PROTO_HEADER_SIZE + 2);
	cr_assert_eq(proto_reader_next(&r, &f, &e), 1);
	proto_reader_free(&r);
}

/* ---- file descriptors ---- */

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

/* SIGALRM every ms milliseconds, interrupting system calls (no
 * SA_RESTART); ms 0 stops it. */
static void tick(int ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, ms * 1000 }, { 0, ms * 1000 } };

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
}

/* The child end: read every frame of s from fd and exit 0 when all match
 * (criterion's asserts abort the child, which the parent sees). */
static void child_read(int fd, const struct stream *s, int delay_ms)
{
	struct proto_reader r;
	struct proto_frame f;
	struct lerr e = { 0 };
	size_t k = 0;
	int rc;

	usleep((useconds_t)delay_ms * 1000);
	if (proto_reader_init(&r, &e) < 0)
		_exit(2);
	while ((rc = proto_read_frame(&r, fd, &f, &e)) == 1) {
		if (k >= s->n || f.h.type != s->f[k].type ||
		    f.h.length != s->f[k].len ||
		    memcmp(f.body, s->f[k].body, f.h.length) != 0)
			_exit(3);
		k++;
	}
	_exit(rc == 0 && k == s->n ? 0 : 4);
}

static void expect_child_ok(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "reader child: status 0x%x", status);
}

Test(protocol_io, send_through_signals_and_short_writes)
{
	struct stream s;
	size_t i;
	int sv[2];
	pid_t pid;

	make_stream(&s);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		child_read(sv[1], &s, 200);
	}
	close(sv[1]);
	tick(5);
	for (i = 0; i < s.n; i++) {
		struct lerr e = { 0 };
		const struct sent *f = &s.f[i];
		int rc;

		if (proto_type_is_json(f->type)) {
			json_t *j =
			    json_loadb((const char *)f->body, f->len, 0, NULL);

			rc = proto_send_json(sv[0], f->type, f->id, j, &e);
			json_decref(j);
		} else {
			rc = proto_send_raw(sv[0], f->type, f->flags, f->id,
					    f->body, f->len, &e);
		}
		cr_assert_eq(rc, 0, "frame %zu: %s", i, e.msg);
	}
	tick(0);
	cr_expect_gt(alarms, 0, "no signal arrived during the writes");
	close(sv[0]);
	expect_child_ok(pid);
	stream_free(&s);
}

Test(protocol_io, read_through_signals)
{
	struct proto_reader r;
	struct proto_frame f;
	struct lerr e = { 0 };
	int sv[2];
	pid_t pid;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		json_t *j = json_pack("{s:i}", "grace_ms", 10);

		close(sv[0]);
		usleep(100 * 1000);
		_exit(proto_send_json(sv[1], PROTO_STOP, 5, j, NULL) == 0 ? 0
									  : 1);
	}
	close(sv[1]);
	cr_assert_eq(proto_reader_init(&r, &e), 0);
	tick(5);
	cr_assert_eq(proto_read_frame(&r, sv[0], &f, &e), 1, "%s", e.msg);
	tick(0);
	cr_expect_gt(alarms, 0);
	cr_expect_eq(f.h.type, PROTO_STOP);
	cr_expect_eq(f.h.id, 5);
	/* the writer closed: end of file between frames */
	cr_expect_eq(proto_read_frame(&r, sv[0], &f, &e), 0, "%s", e.msg);
	expect_child_ok(pid);
	close(sv[0]);
	proto_reader_free(&r);
}

Test(protocol_io, eof_inside_a_frame)
{
	struct proto_header h = { 100, PROTO_DATA, 0, 1 };
	uint8_t b[PROTO_HEADER_SIZE + 10];
	struct proto_reader r;
	struct proto_frame f;
	struct lerr e = { 0 };
	int sv[2];

	proto_header_encode(&h, b);
	memset(b + PROTO_HEADER_SIZE, 'x', 10);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[1], b, sizeof(b)), (ssize_t)sizeof(b));
	close(sv[1]);
	cr_assert_eq(proto_reader_init(&r, &e), 0);
	cr_expect_eq(proto_read_frame(&r, sv[0], &f, &e), -ECONNRESET);
	cr_expect_str_eq(e.msg, "protocol reader: connection closed inside a "
				"frame (22 bytes of it received)");
	close(sv[0]);
	proto_reader_free(&r);
}

/* A non-blocking socket with a small buffer: proto_out_write() stops with
 * 0, keeps its place, and resumes until the frame is out intact. */
Test(protocol_io, nonblocking_write_resumes)
{
	struct proto_reader r;
	struct proto_frame f;
	struct proto_out o;
	struct lerr e = { 0 };
	struct iovec v[3];
	uint8_t *a = malloc(300000), *b = malloc(400000);
	int sv[2], buf = 4096, rc, stalls = 0;
	size_t i;

	for (i = 0; i < 300000; i++)
		a[i] = (uint8_t)i;
	for (i = 0; i < 400000; i++)
		b[i] = (uint8_t)(i * 3);
	v[0] = (struct iovec){ a, 300000 };
	v[1] = (struct iovec){ "mid", 3 };
	v[2] = (struct iovec){ b, 400000 };
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	cr_assert_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(proto_reader_init(&r, &e), 0);
	cr_assert_eq(proto_out_raw(&o, PROTO_DATA, 0, 8, v, 3, &e), 0);
	for (;;) {
		ssize_t n;

		rc = proto_out_write(&o, sv[0], &e);
		cr_assert_geq(rc, 0, "%s", e.msg);
		if (rc == 0)
			stalls++;
		n = proto_reader_fill(&r, sv[1], &e);
		cr_assert(n > 0 || n == -EAGAIN, "%s", e.msg);
		if (rc == 1 && n == -EAGAIN)
			break;
	}
	cr_expect_gt(stalls, 0, "the socket never filled up");
	cr_assert_eq(proto_reader_next(&r, &f, &e), 1, "%s", e.msg);
	cr_assert_eq(f.h.length, 700003);
	cr_expect_eq(memcmp(f.body, a, 300000), 0);
	cr_expect_eq(memcmp(f.body + 300000, "mid", 3), 0);
	cr_expect_eq(memcmp(f.body + 300003, b, 400000), 0);
	/* nothing to read: -EAGAIN, and read_frame waits rather than fails */
	cr_expect_eq(proto_reader_fill(&r, sv[1], &e), -EAGAIN);
	proto_out_free(&o);
	proto_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
	free(a);
	free(b);
}

Test(protocol_io, write_to_a_closed_peer_is_epipe)
{
	struct lerr e = { 0 };
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	/* SIGPIPE would kill this process; MSG_NOSIGNAL makes it -EPIPE */
	cr_expect_eq(proto_send_raw(sv[0], PROTO_DATA, 0, 1, "x", 1, &e),
		     -EPIPE);
	close(sv[0]);
}

Test(protocol_io, pipes_work_too)
{
	struct proto_reader r;
	struct proto_frame f;
	struct lerr e = { 0 };
	json_t *j = json_object();
	int p[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(proto_send_json(p[1], PROTO_POWEROFF, 3, j, &e), 0, "%s",
		     e.msg);
	close(p[1]);
	json_decref(j);
	cr_assert_eq(proto_reader_init(&r, &e), 0);
	cr_assert_eq(proto_read_frame(&r, p[0], &f, &e), 1, "%s", e.msg);
	cr_expect_eq(f.h.type, PROTO_POWEROFF);
	cr_expect_eq(f.h.length, 2);
	cr_expect_eq(memcmp(f.body, "{}", 2), 0);
	cr_expect_eq(proto_read_frame(&r, p[0], &f, &e), 0);
	close(p[0]);
	proto_reader_free(&r);
}
