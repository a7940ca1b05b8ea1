/* exec.c - connections to the exec port (PROTO_EXEC_VSOCK_PORT; PROTOCOL.md
 * "Exec and stats"): each is either one exec session or a series of
 * STATS requests, decided by its first frame, and lives beside the host's
 * main connection without touching it (no HELLO, no send queue).
 *
 * An exec session runs a process in a running container (container_spawn()
 * with join): its stdin from EXEC_INPUT frames (or /dev/null), its stdout
 * and stderr as OUTPUT frames (the container's index, id 0), or one pty
 * whose master carries both ways; EXEC_RESIZE sets the pty's size.  When
 * the process has been reaped, what its pipes still hold is sent, then
 * EXEC_EXIT, and the connection is closed.  A host that goes away takes
 * its process along (SIGKILL).
 *
 * Back-pressure both ways: while EXEC_WBUF_MAX bytes wait for the host,
 * the process's output is not read; while stdin bytes wait for the
 * process, the connection is not read. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "serve-internal.h"

#define EXEC_WBUF_MAX (256u << 10)

static struct exec_sess *sess_of(struct ev_source *s, size_t member)
{
	return (struct exec_sess *)(void *)((char *)s - member);
}

#define SESS(s, m) sess_of(s, offsetof(struct exec_sess, m))

static void sess_close(struct agent *a, struct exec_sess *x)
{
	/* a process not reaped yet goes with its session (a host gone, or
	 * a protocol error) */
	if (!x->reaped && x->proc.pidfd >= 0)
		container_signal(&x->proc, SIGKILL, NULL);
	container_proc_release(&x->proc);
	ev_close(a, &x->conn);
	ev_close(a, &x->out[0]);
	ev_close(a, &x->out[1]);
	ev_close(a, &x->in);
	proto_reader_free(&x->rd);
	free(x->wbuf);
	free(x->ibuf);
	x->wbuf = x->ibuf = NULL;
	x->wlen = x->woff = x->wcap = x->ilen = x->ioff = 0;
	x->state = EXEC_FREE;
}

static void out_watch(struct agent *a, struct exec_sess *x)
{
	bool full = x->wlen - x->woff >= EXEC_WBUF_MAX;
	int i;

	for (i = 0; i < 2; i++)
		if (x->out[i].fd >= 0)
			ev_watch(a, &x->out[i], full ? 0 : EPOLLIN);
}

/* Write what the connection takes; close it once the session is over and
 * everything is out. */
static void sess_flush(struct agent *a, struct exec_sess *x)
{
	while (x->woff < x->wlen) {
		ssize_t n = send(x->conn.fd, x->wbuf + x->woff,
				 x->wlen - x->woff, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			sess_close(a, x);
			return;
		}
		x->woff += (size_t)n;
	}
	if (x->woff == x->wlen) {
		x->woff = x->wlen = 0;
		if (x->state == EXEC_DONE) {
			sess_close(a, x);
			return;
		}
	}
	ev_watch(a, &x->conn,
		 (x->ilen > x->ioff ? 0 : EPOLLIN) |
		     (x->woff < x->wlen ? EPOLLOUT : 0));
	if (x->state == EXEC_RUNNING)
		out_watch(a, x);
}

static int sess_push(struct exec_sess *x, struct proto_out *o)
{
	uint8_t *bytes = NULL, *nb;
	size_t len = 0;
	int r = proto_out_flatten(o, &bytes, &len, NULL);

	proto_out_free(o);
	if (r < 0)
		return r;
	if (x->woff && x->woff == x->wlen)
		x->woff = x->wlen = 0;
	if (x->wlen + len > x->wcap) {
		size_t cap = (x->wlen + len) * 2;

		nb = realloc(x->wbuf, cap);
		if (!nb) {
			free(bytes);
			return -ENOMEM;
		}
		x->wbuf = nb;
		x->wcap = cap;
	}
	memcpy(x->wbuf + x->wlen, bytes, len);
	x->wlen += len;
	free(bytes);
	return 0;
}

static void sess_json(struct agent *a, struct exec_sess *x, uint16_t type,
		      uint32_t id, json_t *body)
{
	struct proto_out o;
	struct lerr e = {0};

	if (body && proto_out_json(&o, type, id, body, &e) == 0 &&
	    sess_push(x, &o) == 0) {
		json_decref(body);
		return;
	}
	json_decref(body);
	agent_note(a, "exec: a %s frame could not be built: %s",
		   proto_type_name(type), e.msg);
}

/* ERROR, and the session ends once it is out. */
static void sess_refuse(struct agent *a, struct exec_sess *x, uint32_t id,
			const struct lerr *err)
{
	json_t *j = NULL;

	if (proto_error_from_lerr(err, &j, NULL) == 0)
		sess_json(a, x, PROTO_ERROR, id, j);
	if (x->state != EXEC_STATS)
		x->state = EXEC_DONE;
	sess_flush(a, x);
}

/* ---- the process ---- */

static void sess_exit(struct agent *a, struct exec_sess *x,
		      const struct proto_exec_exit *ex)
{
	json_t *j = NULL;

	ev_close(a, &x->out[0]);
	ev_close(a, &x->out[1]);
	ev_close(a, &x->in);
	if (proto_exec_exit_to_json(ex, &j, NULL) == 0)
		sess_json(a, x, PROTO_EXEC_EXIT, x->id, j);
	x->state = EXEC_DONE;
	sess_flush(a, x);
}

/* Read one chunk of stream i into an OUTPUT frame: false at its end. */
static bool read_stream(struct agent *a, struct exec_sess *x, int i)
{
	static uint8_t buf[OUTPUT_READ_MAX];
	struct proto_out o;
	ssize_t n = read(x->out[i].fd, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return true;
	if (n < 0 && errno == EAGAIN)
		return false;
	if (n <= 0) { /* EOF, or EIO: a pty whose slave is closed */
		ev_close(a, &x->out[i]);
		return false;
	}
	if (proto_out_output(&o, now_realtime_ns(), (uint16_t)x->ctr,
			     i ? PROTO_OUT_STDERR : PROTO_OUT_STDOUT, buf,
			     (size_t)n, NULL) == 0)
		sess_push(x, &o);
	return true;
}

static void on_output(struct agent *a, struct exec_sess *x, int i)
{
	if (x->state != EXEC_RUNNING)
		return;
	read_stream(a, x, i);
	sess_flush(a, x);
}

static void on_out0(struct agent *a, struct ev_source *s, uint32_t events)
{
	on_output(a, SESS(s, out[0]), 0);
}

static void on_out1(struct agent *a, struct ev_source *s, uint32_t events)
{
	on_output(a, SESS(s, out[1]), 1);
}

static bool take_frames(struct agent *a, struct exec_sess *x);

static void write_input(struct agent *a, struct exec_sess *x)
{
	while (x->ioff < x->ilen && x->in.fd >= 0) {
		ssize_t n =
		    write(x->in.fd, x->ibuf + x->ioff, x->ilen - x->ioff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) { /* the process closed its stdin: drop it */
			x->ioff = x->ilen;
			break;
		}
		x->ioff += (size_t)n;
	}
	if (x->ioff == x->ilen) {
		x->ioff = x->ilen = 0;
		if (x->in_eof && !x->tty)
			ev_close(a, &x->in);
	}
	if (x->in.fd >= 0)
		ev_watch(a, &x->in, x->ilen ? EPOLLOUT : 0);
	sess_flush(a, x);
	if (x->state == EXEC_RUNNING && !x->ilen)
		take_frames(a, x);
}

static void on_in(struct agent *a, struct ev_source *s, uint32_t events)
{
	write_input(a, SESS(s, in));
}

bool exec_reaped(struct agent *a, pid_t pid, int status)
{
	size_t i;

	for (i = 0; i < MAX_EXEC_SESSIONS; i++) {
		struct exec_sess *x = &a->execs[i];
		struct proto_exec_exit ex = {0};

		if (x->state != EXEC_RUNNING || x->proc.pid != pid)
			continue;
		x->reaped = true;
		/* what the pipes hold now is the rest of its output */
		while (x->out[0].fd >= 0 && read_stream(a, x, 0))
			;
		while (x->out[1].fd >= 0 && read_stream(a, x, 1))
			;
		ex.exit_code = container_exit_code(status);
		if (WIFSIGNALED(status)) {
			ex.has = PROTO_EXIT_SIGNAL;
			ex.signal = WTERMSIG(status);
		}
		agent_note(a, "exec in \"%s\" (pid %d) ended: %d",
			   a->ctrs[x->ctr].spec->name, (int)pid, ex.exit_code);
		sess_exit(a, x, &ex);
		return true;
	}
	return false;
}

/* stdio for the process: a pty (master both ways here, its slave there)
 * or pipes.  The pty comes from the container's own devpts instance. */
static int open_stdio(struct agent *a, struct exec_sess *x,
		      const struct proto_exec *req, const struct ctr *c,
		      int child[3], struct lerr *e)
{
	int p[2];

	if (req->tty) {
		char path[64];
		struct winsize ws = {.ws_row = (unsigned short)req->rows,
				     .ws_col = (unsigned short)req->cols};
		int m;

		snprintf(path, sizeof(path), "/proc/%d/root/dev/pts/ptmx",
			 (int)stats_proc_pid(&c->proc));
		m = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		if (m < 0)
			m = open("/dev/ptmx",
				 O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		if (m < 0)
			return lerr_set(e, errno, "EXEC: open a pty");
		if (ev_open(a, &x->out[0], m, EPOLLIN, e) < 0)
			return -EIO;
		if (unlockpt(m) < 0)
			return lerr_set(e, errno, "EXEC: unlock the pty");
		if (ws.ws_row && ws.ws_col)
			ioctl(m, TIOCSWINSZ, &ws);
		child[0] = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (child[0] < 0)
			return lerr_set(e, errno, "EXEC: open the pty's peer");
		m = fcntl(m, F_DUPFD_CLOEXEC, 3);
		if (m < 0 || ev_open(a, &x->in, m, 0, e) < 0)
			return lerr_set(e, EIO, "EXEC: pty input");
		return 0;
	}
	if (req->stdin) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return lerr_set(e, errno, "EXEC: pipe");
		child[0] = p[0];
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		if (ev_open(a, &x->in, p[1], 0, e) < 0)
			return -EIO;
	}
	for (int i = 0; i < 2; i++) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return lerr_set(e, errno, "EXEC: pipe");
		child[1 + i] = p[1];
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		if (ev_open(a, &x->out[i], p[0], EPOLLIN, e) < 0)
			return -EIO;
	}
	return 0;
}

static void start_exec(struct agent *a, struct exec_sess *x,
		       const struct proto_frame *f, const json_t *body)
{
	struct proto_exec req = {0};
	struct proto_exec_exit ex = {0};
	struct lerr e = {0};
	int child[3] = {-1, -1, -1};
	size_t i;
	int r;

	r = proto_exec_from_json(body, &req, &e);
	if (r < 0) {
		sess_refuse(a, x, f->h.id, &e);
		return;
	}
	for (i = 0; i < a->n_ctrs; i++)
		if (!strcmp(a->ctrs[i].spec->name, req.container))
			break;
	if (i == a->n_ctrs && a->have_spec) {
		for (i = 0; i < a->spec.n_containers; i++)
			if (!strcmp(a->spec.containers[i].name, req.container))
				break;
		i = i < a->spec.n_containers ? a->n_ctrs + 1 : a->n_ctrs;
	}
	if (i >= a->n_ctrs) {
		lerr_fail(&e, i == a->n_ctrs ? ENOENT : ESRCH,
			  i == a->n_ctrs ? "EXEC: no container \"%s\" in the "
					   "group"
					 : "EXEC: container \"%s\" is not "
					   "running",
			  req.container);
	} else if (a->ctrs[i].state != CTR_RUNNING) {
		lerr_fail(&e, ESRCH, "EXEC: container \"%s\" is not running",
			  req.container);
	}
	if (e.code) {
		proto_exec_free(&req);
		sess_refuse(a, x, f->h.id, &e);
		return;
	}
	x->id = f->h.id;
	x->ctr = (int)i;
	x->tty = req.tty;
	x->reaped = false;
	x->state = EXEC_RUNNING;
	r = open_stdio(a, x, &req, &a->ctrs[i], child, &e);
	if (r == 0) {
		const struct ctr *c = &a->ctrs[i];
		char **argv = calloc(req.n_args + 1, sizeof(*argv));
		struct container_spec cs = {
		    .name = c->spec->name,
		    .argv = argv,
		    .envp = c->envp,
		    .workdir = c->spec->workdir,
		    .user = c->spec->user,
		    .cgroup_dir = c->cgroup_ready ? c->cgroup : NULL,
		    .stdout_fd = child[1],
		    .stderr_fd = child[2],
		    .join = &c->proc,
		    .stdin_fd = child[0],
		    .tty = req.tty,
		};

		if (!argv) {
			r = lerr_fail(&e, ENOMEM, "EXEC: out of memory");
		} else {
			memcpy(argv, req.args, req.n_args * sizeof(*argv));
			r = container_spawn(&cs, &x->proc, &e);
		}
		free(argv);
	}
	for (i = 0; i < 3; i++)
		if (child[i] >= 0)
			close(child[i]);
	if (r < 0) {
		ex.exit_code =
		    container_spawn_exit_code(x->proc.failed_stage, -e.code);
		ex.error = e.msg;
		agent_note(a, "exec: %s", e.msg);
		sess_exit(a, x, &ex);
		proto_exec_free(&req);
		return;
	}
	agent_note(a, "exec in \"%s\": pid %d (%s%s)", req.container,
		   (int)x->proc.pid, req.args[0], req.tty ? ", tty" : "");
	sess_json(a, x, PROTO_OK, x->id,
		  json_pack("{s:I}", "pid", (json_int_t)x->proc.pid));
	proto_exec_free(&req);
	sess_flush(a, x);
}

/* ---- the connection ---- */

static void on_input(struct agent *a, struct exec_sess *x,
		     const struct proto_frame *f)
{
	uint8_t *nb;

	if (x->state != EXEC_RUNNING)
		return; /* the process is gone: input has nowhere to go */
	if (f->h.length == 0) {
		x->in_eof = true;
		write_input(a, x);
		return;
	}
	if (x->in.fd < 0)
		return; /* no stdin asked for */
	nb = realloc(x->ibuf, x->ilen + f->h.length);
	if (!nb)
		return;
	x->ibuf = nb;
	memcpy(x->ibuf + x->ilen, f->body, f->h.length);
	x->ilen += f->h.length;
	write_input(a, x);
}

static void on_resize(struct agent *a, struct exec_sess *x,
		      const struct proto_frame *f, const json_t *body)
{
	struct proto_exec_resize rs;
	struct winsize ws = {0};
	struct lerr e = {0};

	if (proto_exec_resize_from_json(body, &rs, &e) < 0) {
		sess_refuse(a, x, f->h.id, &e);
		return;
	}
	if (x->state != EXEC_RUNNING || !x->tty || x->out[0].fd < 0)
		return;
	ws.ws_row = (unsigned short)rs.rows;
	ws.ws_col = (unsigned short)rs.cols;
	ioctl(x->out[0].fd, TIOCSWINSZ, &ws); /* SIGWINCH to its group */
}

static void on_stats(struct agent *a, struct exec_sess *x,
		     const struct proto_frame *f, const json_t *body)
{
	struct proto_stats st;
	struct lerr e = {0};
	json_t *j = NULL;

	if (proto_empty_from_json(f->h.type, body, &e) < 0 ||
	    stats_collect(a, &st, &e) < 0 ||
	    proto_stats_to_json(&st, &j, &e) < 0) {
		sess_refuse(a, x, f->h.id, &e);
		return;
	}
	sess_json(a, x, PROTO_OK, f->h.id, j);
	sess_flush(a, x);
}

static void on_frame(struct agent *a, struct exec_sess *x,
		     const struct proto_frame *f)
{
	uint16_t t = f->h.type;
	struct lerr e = {0};
	json_t *j = NULL;

	if (proto_type_is_json(t) && proto_frame_json(f, &j, &e) < 0) {
		sess_refuse(a, x, f->h.id, &e);
		return;
	}
	if (x->state == EXEC_WAIT && t == PROTO_EXEC)
		start_exec(a, x, f, j);
	else if ((x->state == EXEC_WAIT || x->state == EXEC_STATS) &&
		 t == PROTO_STATS) {
		x->state = EXEC_STATS;
		on_stats(a, x, f, j);
	} else if (x->state == EXEC_RUNNING && f->h.id == x->id &&
		   t == PROTO_EXEC_INPUT)
		on_input(a, x, f);
	else if (x->state == EXEC_RUNNING && f->h.id == x->id &&
		 t == PROTO_EXEC_RESIZE)
		on_resize(a, x, f, j);
	else if (x->state == EXEC_DONE)
		; /* late input for a process that is gone */
	else {
		lerr_fail(&e, EPROTO,
			  "%s on the exec port (an EXEC, then its "
			  "EXEC_INPUT and EXEC_RESIZE; or STATS)",
			  proto_type_name(t) ? proto_type_name(t) : "?");
		sess_refuse(a, x, f->h.id, &e);
	}
	json_decref(j);
}

/* Hand buffered frames to on_frame() while stdin can take more; false
 * once the session is gone. */
static bool take_frames(struct agent *a, struct exec_sess *x)
{
	struct proto_frame f;
	struct lerr e = {0};
	int r;

	if (x->taking)
		return true; /* on_frame() -> write_input() -> here */
	x->taking = true;
	while (x->state != EXEC_FREE && x->state != EXEC_DONE &&
	       x->ilen == x->ioff) {
		r = proto_reader_next(&x->rd, &f, &e);
		if (r == 0)
			break;
		if (r < 0) {
			sess_refuse(a, x, f.h.id, &e);
			break;
		}
		on_frame(a, x, &f);
	}
	x->taking = false;
	return x->state != EXEC_FREE;
}

static void on_conn(struct agent *a, struct ev_source *s, uint32_t events)
{
	struct exec_sess *x = SESS(s, conn);
	struct lerr e = {0};
	int i;

	if (events & EPOLLOUT) {
		sess_flush(a, x);
		if (x->state == EXEC_FREE)
			return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (i = 0; i < 16; i++) {
		ssize_t n;

		if (!take_frames(a, x) || x->ilen > x->ioff)
			return; /* stdin is full: read on when it drains */
		n = proto_reader_fill(&x->rd, x->conn.fd, &e);
		if (n == -EAGAIN || n == -ENOBUFS)
			return;
		if (n <= 0) {
			sess_close(a, x);
			return;
		}
	}
}

void exec_on_listen(struct agent *a, struct ev_source *s, uint32_t events)
{
	for (;;) {
		struct lerr e = {0};
		struct exec_sess *x = NULL;
		int fd =
		    accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		size_t i;

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			return;
		for (i = 0; i < MAX_EXEC_SESSIONS && !x; i++)
			if (a->execs[i].state == EXEC_FREE)
				x = &a->execs[i];
		if (!x || proto_reader_init(&x->rd, &e) < 0) {
			agent_note(a, "exec: a connection refused (%s)",
				   x ? e.msg : "too many");
			close(fd);
			continue;
		}
		memset(&x->proc, 0, sizeof(x->proc));
		x->proc.pidfd = -1;
		x->in_eof = false;
		x->state = EXEC_WAIT;
		if (ev_open(a, &x->conn, fd, EPOLLIN, &e) < 0) {
			agent_note(a, "exec: %s", e.msg);
			sess_close(a, x);
		}
	}
}

void exec_init(struct agent *a)
{
	size_t i;

	ev_init(&a->exec_listen, exec_on_listen);
	for (i = 0; i < MAX_EXEC_SESSIONS; i++) {
		struct exec_sess *x = &a->execs[i];

		memset(x, 0, sizeof(*x));
		ev_init(&x->conn, on_conn);
		ev_init(&x->out[0], on_out0);
		ev_init(&x->out[1], on_out1);
		ev_init(&x->in, on_in);
		x->proc.pidfd = -1;
	}
}

void exec_free(struct agent *a)
{
	size_t i;

	for (i = 0; i < MAX_EXEC_SESSIONS; i++)
		if (a->execs[i].state != EXEC_FREE)
			sess_close(a, &a->execs[i]);
	ev_close(a, &a->exec_listen);
}
