/* output.c - each container's stdout and stderr: a pipe per stream, read
 * as data arrives into OUTPUT frames (timestamped at read time, the
 * container's index, the stream's flag) on the send queue, and a last
 * frame with the EOF flag when the pipe's writers are all gone.
 *
 * No byte is dropped: while STREAM_QUEUE_MAX bytes of a stream's frames
 * wait in the queue (a slow host, or none), its pipe leaves the epoll set;
 * the pipe fills and the container's writes block until the host catches
 * up.  A stream is read again once half of that has been sent. */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "serve-internal.h"

static struct stream *stream_of(struct agent *a, int index)
{
	return &a->ctrs[index / 2].out[index % 2];
}

static void pause_if_full(struct agent *a, struct stream *st)
{
	if (st->open && !st->paused && st->queued >= STREAM_QUEUE_MAX) {
		st->paused = true;
		ev_watch(a, &st->src, 0);
	}
}

static void push_output(struct agent *a, struct stream *st, uint16_t flags,
			const void *data, size_t len)
{
	struct proto_out o;
	struct lerr e = {0};
	int r;

	r = proto_out_output(&o, now_realtime_ns(), (uint16_t)(st->index / 2),
			     flags, data, len, &e);
	if (r == 0)
		r = sendq_push(a, &o, SENDQ_OUTPUT, st->index, false);
	if (r < 0)
		agent_note(a, "error: container %d output lost: %s",
			   st->index / 2, e.msg[0] ? e.msg : strerror(-r));
}

static void stream_eof(struct agent *a, struct stream *st)
{
	push_output(a, st, st->flag | PROTO_OUT_EOF, NULL, 0);
	ev_close(a, &st->src);
	st->open = false;
	st->paused = false;
	supervise_stream_eof(a, st->index / 2);
}

static void on_readable(struct agent *a, struct ev_source *s, uint32_t events)
{
	/* One buffer for every stream: each read is queued (copied) before
	 * the next. */
	static uint8_t buf[OUTPUT_READ_MAX];
	struct stream *st = (struct stream *)s; /* src is the first member */
	ssize_t n;

	if (!st->open || st->paused)
		return;
	n = read(s->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) {
		agent_note(a, "error: container %d %s pipe: %s", st->index / 2,
			   st->flag == PROTO_OUT_STDOUT ? "stdout" : "stderr",
			   strerror(errno));
		n = 0;
	}
	if (n == 0) {
		stream_eof(a, st);
		return;
	}
	push_output(a, st, st->flag, buf, (size_t)n);
	pause_if_full(a, st);
}

int output_open(struct agent *a, int c, int wfd[2], struct lerr *e)
{
	int i, p[2];

	wfd[0] = wfd[1] = -1;
	for (i = 0; i < 2; i++) {
		struct stream *st = &a->ctrs[c].out[i];
		const char *what = i == 0 ? "stdout" : "stderr";
		int r;

		if (pipe2(p, O_CLOEXEC) < 0) {
			r = lerr_set(e, errno, "%s pipe", what);
			goto fail;
		}
		if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
			r = lerr_set(e, errno, "%s pipe: O_NONBLOCK", what);
			close(p[0]);
			close(p[1]);
			goto fail;
		}
		ev_init(&st->src, on_readable);
		st->index = c * 2 + i;
		st->flag = i == 0 ? PROTO_OUT_STDOUT : PROTO_OUT_STDERR;
		st->paused = false;
		/* queued keeps counting frames of an earlier run still
		 * waiting in the queue. */
		r = ev_open(a, &st->src, p[0], EPOLLIN, e);
		if (r < 0) {
			close(p[1]);
			goto fail;
		}
		st->open = true;
		wfd[i] = p[1];
		pause_if_full(a, st);
		continue;
	fail:
		output_close(a, c);
		if (wfd[0] >= 0)
			close(wfd[0]);
		wfd[0] = -1;
		return r;
	}
	return 0;
}

void output_sent(struct agent *a, int index, size_t bytes)
{
	struct stream *st = stream_of(a, index);

	st->queued -= bytes < st->queued ? bytes : st->queued;
	if (st->open && st->paused && st->queued <= STREAM_QUEUE_MAX / 2) {
		st->paused = false;
		ev_watch(a, &st->src, EPOLLIN);
	}
}

void output_close(struct agent *a, int c)
{
	int i;

	for (i = 0; i < 2; i++) {
		ev_close(a, &a->ctrs[c].out[i].src);
		a->ctrs[c].out[i].open = false;
		a->ctrs[c].out[i].paused = false;
	}
}
