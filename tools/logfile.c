/* logfile.c - CRI log entries: formatting, parsing, appending a
 * container's output, reading a growing file, and --tail's logical lines
 * (see logfile.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lighter/fd-io.h>

#include "logfile.h"

static const char *const stream_names[] = { "stdout", "stderr" };

size_t log_line_format(char *out, int64_t time_ns, enum log_stream s,
		       bool partial, const void *text, size_t len)
{
	size_t n;

	time_format_rfc3339(time_ns, out);
	n = strlen(out);
	out[n++] = ' ';
	memcpy(out + n, stream_names[s], 6);
	n += 6;
	out[n++] = ' ';
	out[n++] = partial ? 'P' : 'F';
	out[n++] = ' ';
	memcpy(out + n, text, len);
	n += len;
	out[n++] = '\n';
	return n;
}

int log_line_parse(const char *line, size_t len, struct log_entry *out)
{
	const char *sp = memchr(line, ' ', len);
	size_t tlen, rest;

	if (!sp)
		return -EINVAL;
	tlen = (size_t)(sp - line);
	if (time_parse_rfc3339(line, tlen, &out->time_ns) < 0)
		return -EINVAL;
	rest = len - tlen - 1;
	line = sp + 1;
	/* "stdout F " at least */
	if (rest < 9 || line[6] != ' ' || line[8] != ' ')
		return -EINVAL;
	if (memcmp(line, "stdout", 6) == 0)
		out->stream = LOG_STDOUT;
	else if (memcmp(line, "stderr", 6) == 0)
		out->stream = LOG_STDERR;
	else
		return -EINVAL;
	if (line[7] == 'F')
		out->partial = false;
	else if (line[7] == 'P')
		out->partial = true;
	else
		return -EINVAL;
	out->text = line + 9;
	out->len = rest - 9;
	return 0;
}

/* Entries are gathered and written in batches of about this much. */
#define LOG_WRITE_BATCH (64U * 1024)

int log_write(int fd, int64_t time_ns, enum log_stream s, const void *data,
	      size_t len, struct lerr *e)
{
	const char *p = data, *end = p + len;
	char *buf = malloc(LOG_WRITE_BATCH + LOG_LINE_MAX);
	size_t used = 0;
	int r = 0;

	if (!buf)
		return lerr_fail(e, ENOMEM, "log: out of memory");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bool partial = !nl;

		if (n > LOG_ENTRY_MAX) {
			n = LOG_ENTRY_MAX;
			partial = true;
			nl = NULL;
		}
		used += log_line_format(buf + used, time_ns, s, partial, p, n);
		p += n + (nl ? 1 : 0);
		if (used >= LOG_WRITE_BATCH) {
			r = lfd_write_all(fd, buf, used);
			used = 0;
			if (r < 0)
				break;
		}
	}
	if (r == 0 && used)
		r = lfd_write_all(fd, buf, used);
	free(buf);
	if (r < 0)
		return lerr_set(e, r, "log: write");
	return 0;
}

/* ---- reading ---- */

#define LOG_READ_BUF (2 * LOG_LINE_MAX)

int log_reader_init(struct log_reader *r, int fd, off_t offset,
		    struct lerr *e)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->offset = offset;
	r->buf = malloc(LOG_READ_BUF);
	if (!r->buf)
		return lerr_fail(e, ENOMEM, "log: out of memory");
	return 0;
}

void log_reader_free(struct log_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* More bytes into the buffer: the count, 0 at (current) end of file. */
static ssize_t reader_fill(struct log_reader *r, struct lerr *e)
{
	ssize_t n;

	if (r->start == r->end) {
		r->start = r->end = 0;
	} else if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	do {
		n = pread(r->fd, r->buf + r->end, LOG_READ_BUF - r->end,
			  r->offset);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return lerr_set(e, errno, "log: read");
	r->end += (size_t)n;
	r->offset += n;
	return n;
}

int log_reader_next(struct log_reader *r, struct log_entry *out,
		    struct lerr *e)
{
	for (;;) {
		char *line = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = memchr(line, '\n', avail);
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - line);
			bool skipped = r->skipping;

			r->start += len + 1;
			r->skipping = false;
			if (!skipped && log_line_parse(line, len, out) == 0)
				return 1;
			r->bad_lines++;
			continue;
		}
		if (avail == LOG_READ_BUF) {
			/* no newline in a full buffer: not an entry */
			r->start = r->end;
			r->skipping = true;
		}
		n = reader_fill(r, e);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
	}
}

/* ---- tail ---- */

/* A line being assembled from P entries, one per stream. */
struct pending {
	struct log_line l;
	bool open;
};

static int pending_add(struct pending *p, const struct log_entry *en)
{
	size_t room = LOG_TAIL_LINE_MAX - p->l.len;
	size_t n = en->len < room ? en->len : room;
	char *t;

	if (!p->open) {
		memset(&p->l, 0, sizeof(p->l));
		p->l.time_ns = en->time_ns;
		p->l.stream = en->stream;
		p->open = true;
	}
	t = realloc(p->l.text, p->l.len + n + 1);
	if (!t)
		return -ENOMEM;
	memcpy(t + p->l.len, en->text, n);
	p->l.len += n;
	t[p->l.len] = '\0';
	p->l.text = t;
	return 0;
}

/* The last n lines in a ring, ring[(head + i) % cap]: it grows up to n
 * (head stays 0 until then), then the oldest line makes room. */
struct ring {
	struct log_line *v;
	size_t n, cap, head, count;
};

static int ring_push(struct ring *rg, struct log_line *l)
{
	if (rg->n == 0) {
		free(l->text);
	} else if (rg->count == rg->n) {
		free(rg->v[rg->head].text);
		rg->v[rg->head] = *l;
		rg->head = (rg->head + 1) % rg->cap;
	} else {
		if (rg->count == rg->cap) {
			size_t cap = rg->cap ? 2 * rg->cap : 64;
			struct log_line *v;

			if (cap > rg->n)
				cap = rg->n;
			v = realloc(rg->v, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			rg->v = v;
			rg->cap = cap;
		}
		rg->v[rg->count++] = *l;
	}
	memset(l, 0, sizeof(*l));
	return 0;
}

static void ring_free(struct ring *rg)
{
	for (size_t i = 0; i < rg->count; i++)
		free(rg->v[(rg->head + i) % rg->cap].text);
	free(rg->v);
}

void log_lines_free(struct log_line *lines, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(lines[i].text);
	free(lines);
}

int log_tail(struct log_reader *r, size_t n, struct log_line **lines,
	     size_t *nr, struct lerr *e)
{
	struct ring rg = { .n = n };
	struct pending pend[2] = { 0 };
	struct log_entry en;
	int ret;

	*lines = NULL;
	*nr = 0;
	while ((ret = log_reader_next(r, &en, e)) == 1) {
		struct pending *p = &pend[en.stream];

		if (pending_add(p, &en) < 0) {
			ret = -ENOMEM;
			break;
		}
		if (en.partial)
			continue;
		p->l.complete = true;
		p->open = false;
		if (ring_push(&rg, &p->l) < 0) {
			ret = -ENOMEM;
			break;
		}
	}
	/* lines still open at the end of the file come last */
	for (int s = 0; ret == 0 && s < 2; s++) {
		if (pend[s].open) {
			pend[s].open = false;
			if (ring_push(&rg, &pend[s].l) < 0)
				ret = -ENOMEM;
		}
	}
	free(pend[0].l.text);
	free(pend[1].l.text);
	if (ret == 0 && rg.count) {
		struct log_line *out = calloc(rg.count, sizeof(*out));

		if (!out) {
			ret = -ENOMEM;
		} else {
			for (size_t i = 0; i < rg.count; i++)
				out[i] = rg.v[(rg.head + i) % rg.cap];
			*lines = out;
			*nr = rg.count;
			rg.count = 0;
		}
	}
	ring_free(&rg);
	if (ret == -ENOMEM)
		return lerr_fail(e, ENOMEM, "log: out of memory");
	return ret;
}
