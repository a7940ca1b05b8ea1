/* agent-host.c - the agent under test in its own PID namespace and the
 * host client that drives it (see agent-host.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lighter/digest.h>

#include "agent-host.h"
#include "native.h"
#include "serve.h"

#define LAYER_CHUNK (256u << 10)
#define MAX_STASH 32

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the agent ---- */

static void child_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "agent: %s\n", line);
}

static void make_layer(struct agent_child *ag)
{
	static const char *const extra[] = {"seq",  "true", "false", "kill",
					    "wc",   "stty", "tty",	"httpd",
					    "mkdir"};
	char image[PATH_MAX], link[PATH_MAX];
	struct ldigest d;
	uint8_t buf[65536];
	ssize_t n;
	size_t i;
	int status, fd;
	pid_t pid;

	native_path(image, sizeof(image), "image");
	native_make_image(image);
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		NATIVE_FMT(link, "%s/bin/%s", image, extra[i]);
		cr_assert_eq(symlink("busybox", link), 0, "symlink %s", link);
	}
	native_path(ag->layer, sizeof(ag->layer), "layer.tar");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execlp("tar", "tar", "-C", image, "--numeric-owner", "-cf",
		       ag->layer, ".", (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "tar failed (status %d)", status);
	fd = open(ag->layer, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	ldigest_init(&d);
	ag->layer_size = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ldigest_update(&d, buf, (size_t)n);
		ag->layer_size += (size_t)n;
	}
	cr_assert_eq(n, 0);
	close(fd);
	ldigest_final(&d, ag->diff_id);
}

static int listen_at(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int lfd;

	cr_assert_lt(strlen(path), sizeof(addr.sun_path));
	memcpy(addr.sun_path, path, strlen(path) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0,
		     "bind %s: %s", path, strerror(errno));
	cr_assert_eq(listen(lfd, 8), 0);
	return lfd;
}

void agent_start(struct agent_child *ag, uint32_t idle_ms)
{
	int lfd, xfd;

	memset(ag, 0, sizeof(*ag));
	make_layer(ag);
	native_path(ag->run_dir, sizeof(ag->run_dir), "run");
	native_path(ag->sock, sizeof(ag->sock), "agent.sock");
	native_path(ag->exec_sock, sizeof(ag->exec_sock), "exec.sock");
	lfd = listen_at(ag->sock);
	xfd = listen_at(ag->exec_sock);
	cr_assert_eq(unshare(CLONE_NEWPID), 0, "unshare(CLONE_NEWPID): %s",
		     strerror(errno));
	fflush(NULL);
	ag->pid = fork();
	cr_assert_geq(ag->pid, 0, "fork: %s", strerror(errno));
	if (ag->pid == 0) {
		struct serve_config cfg = {
		    .listen_fd = lfd,
		    .conn_fd = -1,
		    .exec_listen_fd = xfd,
		    .run_dir = ag->run_dir,
		    .dns = "10.0.2.3",
		    .idle_poweroff_ms = idle_ms,
		    .log = child_log,
		};
		struct lerr e = {0};
		int r = agent_serve(&cfg, &e);

		if (r < 0)
			fprintf(stderr, "agent_serve: %s\n", e.msg);
		_exit(r < 0 ? 2 : 0);
	}
	close(lfd);
	close(xfd);
}

int agent_wait(struct agent_child *ag, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	int status;

	if (ag->pid <= 0)
		return -1;
	for (;;) {
		pid_t r = waitpid(ag->pid, &status, WNOHANG);

		if (r == ag->pid) {
			ag->pid = 0;
			return status;
		}
		if (now_ms() >= end)
			return -1;
		usleep(10000);
	}
}

void host_fixture_enter(struct host *h)
{
	native_enter_scratch();
	host_init(h);
}

void host_fixture_leave(struct host *h, struct agent_child *ag)
{
	host_free(h);
	agent_kill(ag);
	native_leave_scratch();
}

void agent_kill(struct agent_child *ag)
{
	if (ag->pid <= 0)
		return;
	kill(ag->pid, SIGKILL);
	waitpid(ag->pid, NULL, 0);
	ag->pid = 0;
}

/* ---- the host ---- */

struct stash {
	uint32_t id;
	uint16_t type;
	size_t seq;
	json_t *body;
};
static struct stash stash[MAX_STASH];
static size_t n_stash;

void host_init(struct host *h)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	h->next_id = 1;
	cr_assert_eq(proto_reader_init(&h->r, NULL), 0);
}

void host_free(struct host *h)
{
	size_t i;
	int c;

	host_disconnect(h);
	proto_reader_free(&h->r);
	for (c = 0; c < PROTO_MAX_CONTAINERS; c++) {
		free(h->out[c][0].buf);
		free(h->out[c][1].buf);
	}
	for (i = 0; i < h->n_events; i++)
		proto_event_free(&h->events[i].ev);
	for (i = 0; i < n_stash; i++)
		json_decref(stash[i].body);
	n_stash = 0;
}

void host_connect(struct host *h, const char *sock)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	cr_assert_lt(h->fd, 0, "already connected");
	memcpy(addr.sun_path, sock, strlen(sock) + 1);
	h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(h->fd, 0);
	cr_assert_eq(connect(h->fd, (struct sockaddr *)&addr, sizeof(addr)), 0,
		     "connect %s: %s", sock, strerror(errno));
	cr_assert_eq(fcntl(h->fd, F_SETFL, O_NONBLOCK), 0);
	proto_reader_reset(&h->r);
}

void host_disconnect(struct host *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

uint32_t host_send(struct host *h, uint16_t type, json_t *body)
{
	struct lerr e = {0};
	uint32_t id = h->next_id++;

	cr_assert_not_null(body, "a JSON body for %s", proto_type_name(type));
	cr_assert_eq(proto_send_json(h->fd, type, id, body, &e), 0,
		     "send %s: %s", proto_type_name(type), e.msg);
	json_decref(body);
	return id;
}

void host_send_bytes(struct host *h, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		struct pollfd pf = {.fd = h->fd, .events = POLLOUT};
		ssize_t n = send(h->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			poll(&pf, 1, 1000);
			continue;
		}
		cr_assert_gt(n, 0, "send bytes: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

void host_send_raw(struct host *h, uint16_t type, uint32_t id, const void *data,
		   size_t len)
{
	struct lerr e = {0};

	cr_assert_eq(proto_send_raw(h->fd, type, 0, id, data, len, &e), 0,
		     "send %s: %s", proto_type_name(type), e.msg);
}

static void record_output(struct host *h, const struct proto_frame *f)
{
	struct proto_output o;
	struct host_stream *st;
	struct lerr e = {0};

	cr_assert_eq(proto_output_decode(f, &o, &e), 0, "OUTPUT: %s", e.msg);
	cr_assert_gt(o.time_ns, 0, "OUTPUT without a timestamp");
	st = &h->out[o.container][o.flags & PROTO_OUT_STDERR ? 1 : 0];
	if (st->len + o.len + 1 > st->cap) {
		st->cap = (st->len + o.len + 1) * 2;
		st->buf = realloc(st->buf, st->cap);
		cr_assert_not_null(st->buf);
	}
	memcpy(st->buf + st->len, o.data, o.len);
	st->len += o.len;
	st->buf[st->len] = '\0';
	st->frames++;
	st->eof = (o.flags & PROTO_OUT_EOF) != 0;
	if (st->eof) {
		st->eofs++;
		st->eof_seq = h->seq;
	}
}

static void record_event(struct host *h, const struct proto_frame *f)
{
	struct host_event *he;
	struct lerr e = {0};
	json_t *j = NULL;

	cr_assert_lt(h->n_events, HOST_MAX_EVENTS);
	he = &h->events[h->n_events];
	cr_assert_eq(proto_frame_json(f, &j, &e), 0, "EVENT: %s", e.msg);
	cr_assert_eq(proto_event_from_json(j, &he->ev, &e), 0, "EVENT: %s",
		     e.msg);
	json_decref(j);
	he->seq = h->seq;
	h->n_events++;
}

int host_next(struct host *h, struct proto_frame *f, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	struct lerr e = {0};

	for (;;) {
		struct pollfd p = {.fd = h->fd, .events = POLLIN};
		uint64_t now;
		ssize_t n;
		int r = proto_reader_next(&h->r, f, &e);

		cr_assert_geq(r, 0, "a malformed frame from the agent: %s",
			      e.msg);
		if (r == 1) {
			h->seq++;
			if (f->h.type == PROTO_OUTPUT)
				record_output(h, f);
			else if (f->h.type == PROTO_EVENT)
				record_event(h, f);
			return 1;
		}
		now = now_ms();
		if (now >= end)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(end - now)) == 0)
			return -ETIMEDOUT;
		n = proto_reader_fill(&h->r, h->fd, &e);
		if (n == -EAGAIN)
			continue;
		if (n <= 0)
			return 0;
	}
}

/* One frame: replies go to the stash.  false when the agent closed. */
static bool pump(struct host *h, uint64_t end, const char *waiting_for)
{
	struct proto_frame f;
	uint64_t now = now_ms();
	int r;

	cr_assert_lt(now, end, "timed out waiting for %s", waiting_for);
	r = host_next(h, &f, (int)(end - now));
	cr_assert_neq(r, -ETIMEDOUT, "timed out waiting for %s", waiting_for);
	if (r == 0)
		return false;
	if (f.h.type == PROTO_OK || f.h.type == PROTO_ERROR ||
	    f.h.type == PROTO_HELLO || f.h.type == PROTO_EXEC_EXIT) {
		struct lerr e = {0};
		json_t *j = NULL;

		cr_assert_eq(proto_frame_json(&f, &j, &e), 0, "%s: %s",
			     proto_type_name(f.h.type), e.msg);
		cr_assert_lt(n_stash, MAX_STASH, "too many unclaimed replies");
		stash[n_stash].id = f.h.id;
		stash[n_stash].type = f.h.type;
		stash[n_stash].seq = h->seq;
		stash[n_stash++].body = j;
	}
	return true;
}

json_t *host_reply(struct host *h, uint32_t id, uint16_t *type)
{
	uint64_t end = now_ms() + HOST_TIMEOUT_MS;
	char what[64];

	snprintf(what, sizeof(what), "the reply to request %u", id);
	for (;;) {
		size_t i;

		for (i = 0; i < n_stash; i++) {
			json_t *body = stash[i].body;

			if (stash[i].id != id)
				continue;
			*type = stash[i].type;
			h->reply_seq = stash[i].seq;
			stash[i] = stash[--n_stash];
			return body;
		}
		cr_assert(pump(h, end, what),
			  "the agent closed the connection "
			  "before %s",
			  what);
	}
}

json_t *host_ok(struct host *h, uint32_t id)
{
	uint16_t type;
	json_t *j = host_reply(h, id, &type);

	if (type == PROTO_ERROR) {
		json_t *m = json_object_get(j, "message");

		cr_assert_fail("request %u: ERROR %s: %s", id,
			       json_string_value(json_object_get(j, "code")),
			       m ? json_string_value(m) : "");
	}
	cr_assert_eq(type, PROTO_OK, "request %u: a %s reply", id,
		     proto_type_name(type));
	return j;
}

void host_error(struct host *h, uint32_t id, const char *code, const char *part)
{
	struct proto_error pe = {0};
	struct lerr e = {0};
	uint16_t type;
	json_t *j = host_reply(h, id, &type);

	cr_assert_eq(type, PROTO_ERROR, "request %u: %s, not ERROR %s", id,
		     proto_type_name(type), code);
	cr_assert_eq(proto_error_from_json(j, &pe, &e), 0, "%s", e.msg);
	cr_assert_str_eq(pe.code, code, "request %u: %s (%s), want %s", id,
			 pe.code, pe.message, code);
	cr_assert(strstr(pe.message, part), "request %u: \"%s\" lacks \"%s\"",
		  id, pe.message, part);
	proto_error_free(&pe);
	json_decref(j);
}

void host_expect_close(struct host *h, const char *want_code)
{
	uint64_t end = now_ms() + HOST_TIMEOUT_MS;
	bool seen = false;

	for (;;) {
		struct proto_frame f;
		int r = host_next(h, &f, (int)(end - now_ms()));

		cr_assert_neq(r, -ETIMEDOUT,
			      "the agent kept the connection open");
		if (r == 0)
			break;
		if (f.h.type == PROTO_ERROR && want_code) {
			struct proto_error pe = {0};
			json_t *j = NULL;

			cr_assert_eq(proto_frame_json(&f, &j, NULL), 0);
			cr_assert_eq(proto_error_from_json(j, &pe, NULL), 0);
			seen = seen || strcmp(pe.code, want_code) == 0;
			proto_error_free(&pe);
			json_decref(j);
		}
	}
	cr_assert(!want_code || seen, "no ERROR %s before the close",
		  want_code);
	host_disconnect(h);
}

void host_hello(struct host *h)
{
	struct proto_hello_reply rep = {0};
	struct lerr e = {0};
	uint16_t type;
	uint32_t id;
	size_t before = h->seq;
	json_t *j;

	id = host_send(h, PROTO_HELLO,
		       json_pack("{s:i, s:s, s:I}", "version", 1, "client",
				 "native-test", "time_ns",
				 (json_int_t)time(NULL) * 1000000000));
	j = host_reply(h, id, &type);
	cr_assert_eq(type, PROTO_HELLO, "HELLO answered with %s",
		     proto_type_name(type));
	cr_assert_eq(h->reply_seq, before + 1,
		     "the HELLO reply is not the first frame of the "
		     "connection");
	cr_assert_eq(proto_hello_reply_from_json(j, &rep, &e), 0, "%s", e.msg);
	cr_assert(strncmp(rep.agent, "lighter-agent ", 14) == 0, "agent %s",
		  rep.agent);
	cr_assert_gt(strlen(rep.kernel), 0);
	proto_hello_reply_free(&rep);
	json_decref(j);
}

void host_spec(struct host *h, json_t *spec)
{
	json_decref(host_ok(h, host_send(h, PROTO_SPEC, spec)));
}

void host_layer(struct host *h, const struct agent_child *ag, uint64_t *us,
		uint64_t *bytes)
{
	struct proto_layer_done done;
	struct lerr e = {0};
	static uint8_t buf[LAYER_CHUNK];
	uint32_t id;
	ssize_t n;
	json_t *j;
	int fd;

	id = host_send(h, PROTO_LAYER,
		       json_pack("{s:s, s:s, s:I}", "diff_id", ag->diff_id,
				 "media_type",
				 "application/vnd.oci.image.layer.v1.tar",
				 "size", (json_int_t)ag->layer_size));
	fd = open(ag->layer, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		host_send_raw(h, PROTO_DATA, id, buf, (size_t)n);
	cr_assert_eq(n, 0);
	close(fd);
	cr_assert_eq(
	    proto_send_json(h->fd, PROTO_LAYER_END, id, json_object(), &e), 0,
	    "%s", e.msg);
	j = host_ok(h, id);
	cr_assert_eq(proto_layer_done_from_json(j, &done, &e), 0, "%s", e.msg);
	json_decref(j);
	if (us)
		*us = done.unpack_us;
	if (bytes)
		*bytes = done.bytes;
}

static bool event_matches(const struct host_event *he, enum proto_event_kind k,
			  const char *container)
{
	return he->ev.kind == k &&
	       (!container || strcmp(he->ev.container, container) == 0);
}

size_t host_count_events(const struct host *h, enum proto_event_kind k,
			 const char *container)
{
	size_t i, n = 0;

	for (i = 0; i < h->n_events; i++)
		n += event_matches(&h->events[i], k, container);
	return n;
}

const struct host_event *host_event(struct host *h, enum proto_event_kind k,
				    const char *container, size_t nth)
{
	uint64_t end = now_ms() + HOST_TIMEOUT_MS;
	char what[128];

	snprintf(what, sizeof(what), "event %s #%zu of \"%s\"",
		 proto_event_kind_name(k), nth, container ? container : "*");
	for (;;) {
		size_t i, n = 0;

		for (i = 0; i < h->n_events; i++) {
			if (!event_matches(&h->events[i], k, container))
				continue;
			if (n++ == nth)
				return &h->events[i];
		}
		cr_assert(pump(h, end, what),
			  "the agent closed the connection before %s", what);
	}
}

void host_wait_output(struct host *h, int c, int which, const char *part)
{
	uint64_t end = now_ms() + HOST_TIMEOUT_MS;
	const struct host_stream *st = &h->out[c][which];

	while (!st->buf || !strstr(st->buf, part))
		cr_assert(pump(h, end, part),
			  "the agent closed the connection before \"%s\"",
			  part);
}

bool host_idle(struct host *h, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (now_ms() + 1 < end) {
		struct proto_frame f;
		int r = host_next(h, &f, (int)(end - now_ms()));

		if (r == 0)
			return false;
		if (r == 1 && (f.h.type == PROTO_OK || f.h.type == PROTO_ERROR))
			cr_assert_fail("an unexpected %s (id %u)",
				       proto_type_name(f.h.type), f.h.id);
	}
	return true;
}

/* ---- specs ---- */

json_t *spec_container_argv(const struct agent_child *ag, const char *name,
			    const char *const *argv)
{
	json_t *args = json_array();
	size_t i;

	for (i = 0; argv[i]; i++)
		json_array_append_new(args, json_string(argv[i]));
	return json_pack("{s:s, s:o, s:[s], s:s, s:s, s:i, s:i, s:i, s:[s]}",
			 "name", name, "args", args, "env", "PATH=/bin",
			 "workdir", "/", "user", "root", "cpu_millis", 0,
			 "memory_bytes", 0, "pids_max", 0, "layers",
			 ag->diff_id);
}

json_t *spec_container(const struct agent_child *ag, const char *name,
		       const char *cmd)
{
	const char *argv[] = {"sh", "-c", cmd, NULL};

	return spec_container_argv(ag, name, argv);
}

json_t *spec_group(const char *restart, size_t n, json_t **containers)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, containers[i]);
	return json_pack("{s:s, s:s, s:s, s:o}", "name", "grp", "hostname",
			 "web", "restart", restart, "containers", arr);
}
