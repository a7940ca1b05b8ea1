/* logs.c - lighter_group_logs(): a group's CRI log files (logfile.h)
 * written out as the containers wrote them: stdout entries to out_fd,
 * stderr entries to err_fd, several containers merged by time with
 * "name | " before each line, optionally the time before each line and
 * only the last N lines of each container.  Following watches the logs
 * directory and the group directory (state.json) with inotify through
 * libuv, with a slow timer as a safety net, and ends once the group has
 * ended and every log is drained (the monitor writes the last output
 * before the final state). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <uv.h>

#include <lighter/cleanup.h>

#include "group-dir.h"
#include "logfile.h"
#include "state.h"

#define FOLLOW_POLL_MS 250

struct log_source {
	char name[LIGHTER_NAME_MAX + 1];
	int fd; /* -1 until the file exists */
	struct log_reader rd;
	bool peeked;
	struct log_entry peek;
	bool mid[2]; /* inside a line, per stream: no prefix */
};

struct logs {
	const struct lighter_paths *p;
	const struct lighter_log_opts *o;
	const char *group;
	int dir_fd;
	char *dir_path;
	struct log_source *src;
	size_t nr;
	bool prefix;
	int name_width;
	int err;
	struct lerr *e;
	/* following */
	uv_loop_t loop;
	uv_fs_event_t logs_watch, dir_watch;
	uv_timer_t timer;
	uv_signal_t sigint, sigterm;
	bool done;
};

static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* One piece of output: prefix and time when a line starts here. */
static int print(struct logs *L, struct log_source *s, enum log_stream st,
		 int64_t time_ns, const char *text, size_t len, bool partial)
{
	char pre[LIGHTER_NAME_MAX + 8], ts[TIME_RFC3339_LEN + 1];
	struct iovec iov[4];
	int n = 0;

	if (!s->mid[st]) {
		if (L->prefix) {
			int k = snprintf(pre, sizeof(pre), "%-*s | ",
					 L->name_width, s->name);

			iov[n++] = (struct iovec){ pre, (size_t)k };
		}
		if (L->o->timestamps) {
			time_format_rfc3339(time_ns, ts);
			strcat(ts, " ");
			iov[n++] = (struct iovec){ ts, strlen(ts) };
		}
	}
	iov[n++] = (struct iovec){ (void *)text, len };
	if (!partial)
		iov[n++] = (struct iovec){ "\n", 1 };
	s->mid[st] = partial;
	return write_all(st == LOG_STDERR ? L->o->err_fd : L->o->out_fd, iov,
			 n);
}

static int open_source(struct logs *L, struct log_source *s, off_t offset)
{
	char path[LIGHTER_NAME_MAX + 16];

	if (s->fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.log", GROUP_LOGS_DIR, s->name);
	s->fd = openat(L->dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (s->fd < 0)
		return errno == ENOENT ? 0 : lerr_set(L->e, errno, "\"%s/%s\"",
						      L->dir_path, path);
	return log_reader_init(&s->rd, s->fd, offset, L->e);
}

/* Print every complete entry there is now, merged by time. */
static int drain(struct logs *L)
{
	for (;;) {
		struct log_source *best = NULL;
		int r;

		for (size_t i = 0; i < L->nr; i++) {
			struct log_source *s = &L->src[i];

			r = open_source(L, s, 0);
			if (r < 0)
				return r;
			if (s->fd < 0)
				continue;
			if (!s->peeked) {
				r = log_reader_next(&s->rd, &s->peek, L->e);
				if (r < 0)
					return r;
				s->peeked = r == 1;
			}
			if (s->peeked &&
			    (!best || s->peek.time_ns < best->peek.time_ns))
				best = s;
		}
		if (!best)
			return 0;
		best->peeked = false;
		r = print(L, best, best->peek.stream, best->peek.time_ns,
			  best->peek.text, best->peek.len, best->peek.partial);
		if (r < 0)
			return lerr_set(L->e, r, "write");
	}
}

struct tail_line {
	struct log_line l;
	struct log_source *s;
};

static int cmp_tail(const void *a, const void *b)
{
	const struct tail_line *x = a, *y = b;

	return x->l.time_ns < y->l.time_ns ? -1 : x->l.time_ns > y->l.time_ns;
}

/* The last N lines of each container, merged by time; the readers are
 * left at the ends of their files. */
static int print_tail(struct logs *L, size_t n)
{
	struct tail_line *all = NULL;
	size_t count = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i < L->nr; i++) {
		struct log_source *s = &L->src[i];
		struct log_line *lines;
		size_t k;
		struct tail_line *na;

		r = open_source(L, s, 0);
		if (r < 0 || s->fd < 0)
			continue;
		r = log_tail(&s->rd, n, &lines, &k, L->e);
		if (r < 0)
			break;
		na = k ? realloc(all, (count + k) * sizeof(*all)) : all;
		if (k && !na) {
			log_lines_free(lines, k);
			r = lerr_fail(L->e, ENOMEM, "out of memory");
			break;
		}
		all = na;
		for (size_t j = 0; j < k; j++)
			all[count++] = (struct tail_line){ lines[j], s };
		free(lines); /* the texts now belong to all[] */
	}
	if (r == 0 && count)
		qsort(all, count, sizeof(*all), cmp_tail);
	for (size_t i = 0; r == 0 && i < count; i++) {
		r = print(L, all[i].s, all[i].l.stream, all[i].l.time_ns,
			  all[i].l.text, all[i].l.len, !all[i].l.complete);
		if (r < 0)
			r = lerr_set(L->e, r, "write");
	}
	for (size_t i = 0; i < count; i++)
		free(all[i].l.text);
	free(all);
	return r;
}

/* ---- following ---- */

/* Over: exited, failed (a dead monitor is settled so by the load), or
 * never started. */
static bool group_over(struct logs *L)
{
	struct lighter_group_state st;
	struct lerr e = { 0 };
	bool over;

	if (lighter_group_load(L->p, L->group, &st, &e) < 0)
		return true;
	over = st.state == LIGHTER_GROUP_EXITED ||
	       st.state == LIGHTER_GROUP_FAILED ||
	       st.state == LIGHTER_GROUP_CREATED;
	if (L->o->until_container_exits && L->o->container) {
		int i = state_container_index(&st, L->o->container);

		if (i >= 0 &&
		    st.containers[i].state == LIGHTER_CONTAINER_EXITED)
			over = true;
	}
	lighter_group_state_free(&st);
	return over;
}

static void close_all(struct logs *L)
{
	uv_close((uv_handle_t *)&L->logs_watch, NULL);
	uv_close((uv_handle_t *)&L->dir_watch, NULL);
	uv_close((uv_handle_t *)&L->timer, NULL);
	uv_close((uv_handle_t *)&L->sigint, NULL);
	uv_close((uv_handle_t *)&L->sigterm, NULL);
}

/* check: look at the group's state too (not for every log write). */
static void wake(struct logs *L, bool check)
{
	bool over = false;

	if (L->done)
		return;
	if (check)
		over = group_over(L);
	L->err = drain(L);
	if (L->err < 0 || over) {
		if (L->err == 0)
			L->err = drain(L); /* what came with the last state */
		L->done = true;
		close_all(L);
	}
}

static void on_fs(uv_fs_event_t *h, const char *file, int events, int status)
{
	struct logs *L = h->data;

	wake(L, h == &L->dir_watch && file && strcmp(file, STATE_FILE) == 0);
}

static void on_timer(uv_timer_t *t)
{
	wake(t->data, true);
}

static void on_signal(uv_signal_t *s, int sig)
{
	struct logs *L = s->data;

	if (L->o->on_signal)
		L->o->on_signal(sig, L->o->arg);
}

static int follow(struct logs *L)
{
	_cleanup_free_ char *logs_dir = NULL;
	int r;

	if (asprintf(&logs_dir, "%s/%s", L->dir_path, GROUP_LOGS_DIR) < 0) {
		logs_dir = NULL;
		return lerr_fail(L->e, ENOMEM, "out of memory");
	}
	r = uv_loop_init(&L->loop);
	if (r < 0)
		return lerr_fail(L->e, -r, "uv_loop_init: %s", uv_strerror(r));
	uv_fs_event_init(&L->loop, &L->logs_watch);
	uv_fs_event_init(&L->loop, &L->dir_watch);
	uv_timer_init(&L->loop, &L->timer);
	uv_signal_init(&L->loop, &L->sigint);
	uv_signal_init(&L->loop, &L->sigterm);
	L->logs_watch.data = L->dir_watch.data = L->timer.data = L;
	L->sigint.data = L->sigterm.data = L;
	/* inotify where it works; the timer catches the rest */
	uv_fs_event_start(&L->logs_watch, on_fs, logs_dir, 0);
	uv_fs_event_start(&L->dir_watch, on_fs, L->dir_path, 0);
	uv_timer_start(&L->timer, on_timer, FOLLOW_POLL_MS, FOLLOW_POLL_MS);
	if (L->o->on_signal) {
		uv_signal_start(&L->sigint, on_signal, SIGINT);
		uv_signal_start(&L->sigterm, on_signal, SIGTERM);
	}
	wake(L, true);
	uv_run(&L->loop, UV_RUN_DEFAULT);
	uv_loop_close(&L->loop);
	return L->err;
}

static int setup_sources(struct logs *L, const struct lighter_group_state *st)
{
	const char *only = L->o->container;
	size_t n = 0;

	if (only && state_container_index(st, only) < 0)
		return lerr_fail(L->e, ENOENT, "no such container \"%s\" in "
				 "group \"%s\"", only, L->group);
	L->src = calloc(st->nr_containers ? st->nr_containers : 1,
			sizeof(*L->src));
	if (!L->src)
		return lerr_fail(L->e, ENOMEM, "out of memory");
	for (size_t i = 0; i < st->nr_containers; i++) {
		const char *name = st->containers[i].name;
		int w = (int)strlen(name);

		if (only && strcmp(only, name) != 0)
			continue;
		snprintf(L->src[n].name, sizeof(L->src[n].name), "%s", name);
		L->src[n].fd = -1;
		if (w > L->name_width)
			L->name_width = w;
		n++;
	}
	L->nr = n;
	L->prefix = n > 1;
	return 0;
}

int lighter_group_logs(const struct lighter_paths *p, const char *name,
		       const struct lighter_log_opts *o, struct lerr *e)
{
	struct logs L = { .p = p, .o = o, .group = name, .e = e,
			  .dir_fd = -1 };
	struct lighter_group_state st;
	int r;

	r = lighter_group_load(p, name, &st, e);
	if (r < 0)
		return r;
	L.dir_path = group_dir_path(p, name);
	L.dir_fd = group_dir_open(p, name, e);
	r = L.dir_fd < 0 ? L.dir_fd : !L.dir_path ? -ENOMEM : 0;
	if (r == 0)
		r = setup_sources(&L, &st);
	lighter_group_state_free(&st);
	if (r == 0 && o->tail >= 0)
		r = print_tail(&L, (size_t)o->tail);
	if (r == 0)
		r = o->follow ? follow(&L) : drain(&L);
	for (size_t i = 0; i < L.nr; i++) {
		if (L.src[i].fd >= 0) {
			log_reader_free(&L.src[i].rd);
			close(L.src[i].fd);
		}
	}
	free(L.src);
	free(L.dir_path);
	if (L.dir_fd >= 0)
		close(L.dir_fd);
	return r;
}
