/* monitor-session.c - the monitor's connection to the guest agent (see
 * monitor.h and guest-agent/PROTOCOL.md).
 *
 * While the guest boots, connects to the VMM's hybrid vsock socket are
 * retried every MONITOR_CONNECT_RETRY_MS: the socket appears when the
 * VMM is up, and CONNECT 1024 is answered once the agent listens (before
 * that the guest refuses and the VMM closes the connection).  Then, one
 * request at a time: HELLO, SPEC, each distinct layer (LAYER, the blob
 * in DATA frames read from the store as the socket drains, LAYER_END),
 * START.  From then on the agent's EVENTs and OUTPUT flow in, and STOP,
 * SIGNAL and POWEROFF go out, replies matched by id.  A connection lost
 * after START is made again (HELLO only: the agent keeps the group);
 * one lost before it fails the start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor.h"
#include "state.h"
#include "timefmt.h"

#define RECONNECT_DELAY_MS 100
#define READS_PER_WAKEUP 16

static void conn_lost(struct monitor *m, const char *why);

static void free_poll(uv_handle_t *h)
{
	free(h);
}

static void on_conn(uv_poll_t *p, int status, int events);

/* Poll the connection for reading, and for writing while frames wait. */
static void conn_watch(struct monitor *m)
{
	int ev = UV_READABLE | (agent_conn_pending(&m->conn) ? UV_WRITABLE : 0);

	if (m->conn.fd < 0)
		return;
	if (!m->conn_poll) {
		m->conn_poll = calloc(1, sizeof(*m->conn_poll));
		if (!m->conn_poll ||
		    uv_poll_init(&m->loop, m->conn_poll, m->conn.fd) < 0) {
			free(m->conn_poll);
			m->conn_poll = NULL;
			monitor_fail(m, "cannot poll the agent connection");
			return;
		}
		m->conn_poll->data = m;
		m->conn_events = 0;
	}
	if (ev != m->conn_events) {
		uv_poll_start(m->conn_poll, ev, on_conn);
		m->conn_events = ev;
	}
}

void session_close(struct monitor *m)
{
	if (m->conn_poll) {
		uv_close((uv_handle_t *)m->conn_poll, free_poll);
		m->conn_poll = NULL;
	}
	agent_conn_close(&m->conn);
	if (m->layer_fd >= 0) {
		close(m->layer_fd);
		m->layer_fd = -1;
	}
	if (m->retry_timer.loop)
		uv_timer_stop(&m->retry_timer);
	for (int i = 0; i < MONITOR_MAX_PENDING_SIGNALS; i++) {
		if (m->signals[i].id) {
			ctl_reply(m, m->signals[i].client,
				  "error the connection to the agent was lost");
			m->signals[i].id = 0;
		}
	}
}

void session_forget_client(struct monitor *m, struct ctl_client *cl)
{
	for (int i = 0; i < MONITOR_MAX_PENDING_SIGNALS; i++) {
		if (m->signals[i].client == cl)
			m->signals[i].id = 0;
	}
}

static int queue(struct monitor *m, uint16_t type, uint32_t id,
		 const json_t *body)
{
	struct lerr e = { 0 };
	int r = agent_conn_queue_json(&m->conn, type, id, body, &e);

	if (r < 0) {
		monitor_fail(m, e.msg);
		return r;
	}
	return 0;
}

/* A frame whose body is {} under an id of the caller's. */
static int queue_empty_as(struct monitor *m, uint16_t type, uint32_t id)
{
	json_t *body = json_object();
	int r;

	if (!body) {
		monitor_fail(m, "out of memory");
		return -ENOMEM;
	}
	r = queue(m, type, id, body);
	json_decref(body);
	return r;
}

/* A request whose body is {} under a new id, stored in *id. */
static int queue_empty(struct monitor *m, uint16_t type, uint32_t *id)
{
	*id = agent_conn_next_id(&m->conn);
	return queue_empty_as(m, type, *id);
}

/* ---- connecting ---- */

static void try_connect(struct monitor *m);

static void on_retry(uv_timer_t *t)
{
	struct monitor *m = t->data;

	if (m->phase == SESSION_CONNECTING && m->vmm_running)
		try_connect(m);
}

static void try_connect(struct monitor *m)
{
	struct lerr e = { 0 };
	int r = agent_conn_open(&m->conn, GROUP_VSOCK_SOCK, PROTO_VSOCK_PORT,
				&e);

	if (r == -EAGAIN) {
		uv_timer_start(&m->retry_timer, on_retry,
			       MONITOR_CONNECT_RETRY_MS, 0);
		return;
	}
	if (r < 0) {
		monitor_fail(m, e.msg);
		return;
	}
	m->phase = SESSION_CONNECT_OK;
	conn_watch(m);
}

int session_begin(struct monitor *m)
{
	m->phase = SESSION_CONNECTING;
	try_connect(m);
	return 0;
}

static void send_hello(struct monitor *m)
{
	struct proto_hello h = { .client = "lighter " LIGHTER_VERSION,
				 .time_ns = time_wall_ns() };
	struct lerr e = { 0 };
	json_t *body;

	if (proto_hello_to_json(&h, &body, &e) < 0) {
		monitor_fail(m, e.msg);
		return;
	}
	m->id_hello = agent_conn_next_id(&m->conn);
	m->phase = SESSION_HELLO;
	queue(m, PROTO_HELLO, m->id_hello, body);
	json_decref(body);
}

/* ---- layers ---- */

static void send_start(struct monitor *m)
{
	monitor_mark(m, LIGHTER_PHASE_LAYERS_DELIVERED);
	events_note_pulled(m);
	monitor_save(m);
	m->phase = SESSION_START;
	queue_empty(m, PROTO_START, &m->id_start);
}

static void send_layer(struct monitor *m)
{
	const struct group_layer *l = &m->layers[m->layer_idx];
	struct proto_layer pl = { .media_type = l->media_type,
				  .size = l->size };
	struct lerr e = { 0 };
	char why[700];
	struct stat st;
	json_t *body;

	strcpy(pl.diff_id, l->diff_id);
	m->layer_fd = open(l->path, O_RDONLY | O_CLOEXEC);
	if (m->layer_fd < 0 || fstat(m->layer_fd, &st) < 0 ||
	    (uint64_t)st.st_size != l->size) {
		snprintf(why, sizeof(why), "layer %s: blob \"%s\" is missing "
			 "or not %llu bytes", l->diff_id, l->path,
			 (unsigned long long)l->size);
		monitor_fail(m, why);
		return;
	}
	if (proto_layer_to_json(&pl, &body, &e) < 0) {
		monitor_fail(m, e.msg);
		return;
	}
	m->id_layer = agent_conn_next_id(&m->conn);
	m->layer_sent = 0;
	m->layer_end_queued = false;
	queue(m, PROTO_LAYER, m->id_layer, body);
	json_decref(body);
}

/* The next DATA frame of the current layer, or its LAYER_END. */
static int queue_layer_chunk(struct monitor *m)
{
	const struct group_layer *l = &m->layers[m->layer_idx];
	uint64_t left = l->size - m->layer_sent;
	size_t n = left < MONITOR_LAYER_CHUNK ? (size_t)left
					      : MONITOR_LAYER_CHUNK;
	struct lerr e = { 0 };
	ssize_t got;
	char *buf;

	if (left == 0) {
		close(m->layer_fd);
		m->layer_fd = -1;
		m->layer_end_queued = true;
		/* LAYER_END carries the LAYER's id */
		return queue_empty_as(m, PROTO_LAYER_END, m->id_layer);
	}
	buf = malloc(n);
	if (!buf) {
		monitor_fail(m, "out of memory");
		return -ENOMEM;
	}
	do {
		got = pread(m->layer_fd, buf, n, (off_t)m->layer_sent);
	} while (got < 0 && errno == EINTR);
	if (got <= 0) {
		char why[600];

		free(buf);
		snprintf(why, sizeof(why), "layer blob \"%s\": %s", l->path,
			 got < 0 ? strerror(errno) : "shorter than its size");
		monitor_fail(m, why);
		return -EIO;
	}
	m->layer_sent += (uint64_t)got;
	if (agent_conn_queue_raw(&m->conn, PROTO_DATA, m->id_layer, buf,
				 (size_t)got, &e) < 0) {
		monitor_fail(m, e.msg);
		return -EIO;
	}
	return 0;
}

/* Write what waits; keep the layer's DATA coming while the socket
 * drains, so at most one chunk is in memory. */
void session_pump(struct monitor *m)
{
	struct lerr e = { 0 };

	while (m->conn.fd >= 0) {
		int r = agent_conn_flush(&m->conn, &e);

		if (r < 0) {
			conn_lost(m, e.msg);
			return;
		}
		if (r == 0)
			break;
		if (m->phase == SESSION_LAYERS && m->layer_fd >= 0 &&
		    !m->layer_end_queued) {
			if (queue_layer_chunk(m) < 0)
				return;
			continue;
		}
		break;
	}
	conn_watch(m);
}

/* ---- replies ---- */

static void on_hello(struct monitor *m, const json_t *body)
{
	struct proto_hello_reply h = { 0 };
	struct lerr e = { 0 };
	char why[600];

	if (proto_hello_reply_from_json(body, &h, &e) < 0) {
		snprintf(why, sizeof(why), "agent: %s", e.msg);
		monitor_fail(m, why);
		return;
	}
	monitor_log(m, "connected to %s (kernel %s)", h.agent, h.kernel);
	proto_hello_reply_free(&h);
	if (!m->st.timings[LIGHTER_PHASE_AGENT_CONNECTED].mono_ns) {
		monitor_mark(m, LIGHTER_PHASE_AGENT_CONNECTED);
		uv_timer_stop(&m->boot_timer);
		monitor_save(m);
	}
	if (m->session_started) {
		/* a reconnect: the agent still runs the group */
		m->phase = SESSION_RUNNING;
		if (m->group_exited || (m->stop_requested && m->id_stop == 0))
			session_poweroff(m);
		else if (m->stop_requested)
			session_stop(m, m->stop_grace_ms);
		return;
	}
	m->id_spec = agent_conn_next_id(&m->conn);
	m->phase = SESSION_SPEC;
	queue(m, PROTO_SPEC, m->id_spec, m->spec_json);
}

static void next_layer_or_start(struct monitor *m)
{
	if (m->layer_idx < m->nr_layers) {
		m->phase = SESSION_LAYERS;
		send_layer(m);
	} else if (!secrets_send_next(m)) {
		send_start(m);
	}
}

void session_report_start(struct monitor *m)
{
	char msg[600] = "";
	int code = 0;

	/* a container that could not be exec'd exited with the launcher's
	 * 125, 126 or 127 and an error */
	for (size_t i = 0; i < m->st.nr_containers && !code; i++) {
		const struct lighter_container_state *c = &m->st.containers[i];

		if (!c->error || !c->has_exit_code)
			continue;
		code = c->exit_code == 126 || c->exit_code == 127
			       ? c->exit_code
			       : 125;
		/* the agent's error names the container already */
		if (strncmp(c->error, "container \"", 11) == 0)
			snprintf(msg, sizeof(msg), "%s", c->error);
		else
			snprintf(msg, sizeof(msg), "container \"%s\": %s",
				 c->name, c->error);
	}
	monitor_report(m, code, msg);
}

static void on_started(struct monitor *m, const json_t *body)
{
	struct proto_started s = { 0 };
	struct lerr e = { 0 };
	int first_init = -1;

	for (size_t i = 0; i < m->spec.n_containers && first_init < 0; i++)
		if (m->spec.containers[i].init)
			first_init = (int)i;

	if (proto_started_from_json(body, &s, &e) < 0)
		monitor_log(m, "agent: START reply: %s", e.msg);
	for (size_t i = 0; i < s.n; i++) {
		int k = state_container_index(&m->st, s.c[i].name);

		if (k >= 0 && !m->st.containers[k].pid)
			m->st.containers[k].pid = s.c[i].pid;
	}
	monitor_mark(m, LIGHTER_PHASE_CONTAINERS_STARTED);
	m->session_started = true;
	m->phase = SESSION_RUNNING;
	if (m->st.state == LIGHTER_GROUP_STARTING)
		m->st.state = LIGHTER_GROUP_RUNNING;
	/* the containers the answer leaves out could not be exec'd: the
	 * start is reported once their "exited" events are in */
	m->start_missing = 0;
	for (size_t i = 0; i < m->st.nr_containers; i++) {
		const struct lighter_container_state *c = &m->st.containers[i];
		bool listed = false;

		/* with inits, START runs only the first of them */
		if (first_init >= 0 && (int)i != first_init)
			continue;

		for (size_t k = 0; k < s.n; k++)
			listed |= strcmp(s.c[k].name, c->name) == 0;
		if (!listed && c->state != LIGHTER_CONTAINER_EXITED)
			m->start_missing |= 1u << i;
	}
	monitor_save(m);
	monitor_log(m, "containers started");
	if (!m->start_missing)
		session_report_start(m);
	if (m->stop_requested)
		session_stop(m, m->stop_grace_ms);
	else if (m->group_exited)
		session_poweroff(m);
}

static void on_error_reply(struct monitor *m, uint32_t id,
			   const struct proto_error *pe)
{
	char why[700];
	int code = 125;

	if (id == m->id_start && pe->errnum == ENOENT)
		code = 127;
	else if (id == m->id_start &&
		 (pe->errnum == EACCES || pe->errnum == ENOEXEC))
		code = 126;
	snprintf(why, sizeof(why), "agent: %s (%s)", pe->message, pe->code);
	if (id == m->id_stop) {
		monitor_log(m, "STOP failed: %s; powering off", why);
		session_poweroff(m);
		return;
	}
	if (id == m->id_poweroff) {
		monitor_log(m, "POWEROFF failed: %s", why);
		monitor_kill_vmm(m, SIGTERM);
		return;
	}
	if (id == m->id_start) {
		/* nothing could be exec'd: the group has failed, but the
		 * agent's "exited" events follow, so the VM is powered off
		 * rather than killed */
		monitor_report(m, code, why);
		if (!m->fail_reason[0])
			snprintf(m->fail_reason, sizeof(m->fail_reason), "%s",
				 why);
		m->session_started = true;
		m->phase = SESSION_RUNNING;
		session_poweroff(m);
		return;
	}
	if (id == m->id_spec || id == m->id_layer || id == m->id_hello ||
	    (id == m->id_secret && m->phase == SESSION_SECRETS)) {
		monitor_fail(m, why);
		return;
	}
	monitor_log(m, "error from the agent (id %u): %s", id, why);
}

static void on_reply(struct monitor *m, const struct proto_frame *f,
		     const json_t *body)
{
	uint32_t id = f->h.id;
	struct proto_layer_done d;
	struct lerr e = { 0 };

	for (int i = 0; i < MONITOR_MAX_PENDING_SIGNALS; i++) {
		if (m->signals[i].id && m->signals[i].id == id) {
			struct proto_error pe = { 0 };
			char line[700];

			m->signals[i].id = 0;
			if (f->h.type == PROTO_OK) {
				ctl_reply(m, m->signals[i].client, "ok");
				return;
			}
			proto_error_from_json(body, &pe, &e);
			snprintf(line, sizeof(line), "error %s",
				 pe.message ? pe.message : e.msg);
			proto_error_free(&pe);
			ctl_reply(m, m->signals[i].client, line);
			return;
		}
	}
	if (f->h.type == PROTO_ERROR) {
		struct proto_error pe = { 0 };

		if (proto_error_from_json(body, &pe, &e) < 0)
			monitor_log(m, "agent: bad ERROR frame: %s", e.msg);
		else
			on_error_reply(m, id, &pe);
		proto_error_free(&pe);
		return;
	}
	if (id == m->id_spec && m->phase == SESSION_SPEC) {
		monitor_mark(m, LIGHTER_PHASE_SPEC_SENT);
		m->layer_idx = 0;
		next_layer_or_start(m);
	} else if (id == m->id_layer && m->phase == SESSION_LAYERS &&
		   m->layer_end_queued) {
		if (proto_layer_done_from_json(body, &d, &e) == 0) {
			m->st.unpack_us += d.unpack_us;
			m->st.layer_bytes += d.bytes;
		}
		m->layer_idx++;
		next_layer_or_start(m);
	} else if (id == m->id_secret && m->phase == SESSION_SECRETS) {
		if (!secrets_send_next(m))
			send_start(m);
	} else if (id == m->id_start && m->phase == SESSION_START) {
		on_started(m, body);
	} else if (id == m->id_stop) {
		monitor_log(m, "containers stopped");
		session_poweroff(m);
	} else if (id == m->id_poweroff) {
		monitor_log(m, "the agent is powering off");
	} else {
		monitor_log(m, "unexpected OK (id %u) from the agent", id);
	}
}

static void dispatch(struct monitor *m, const struct proto_frame *f)
{
	struct lerr e = { 0 };
	json_t *body = NULL;

	if (f->h.type == PROTO_OUTPUT) {
		events_output(m, f);
		return;
	}
	if (proto_frame_json(f, &body, &e) < 0) {
		monitor_log(m, "agent: %s frame: %s",
			    proto_type_name(f->h.type), e.msg);
		return;
	}
	switch (f->h.type) {
	case PROTO_EVENT:
		events_handle(m, body);
		break;
	case PROTO_HELLO:
		if (m->phase == SESSION_HELLO && f->h.id == m->id_hello)
			on_hello(m, body);
		else
			monitor_log(m, "unexpected HELLO from the agent");
		break;
	case PROTO_OK:
	case PROTO_ERROR:
		on_reply(m, f, body);
		break;
	default:
		monitor_log(m, "unexpected %s frame from the agent",
			    proto_type_name(f->h.type));
		break;
	}
	json_decref(body);
}

/* ---- the socket ---- */

static void conn_lost(struct monitor *m, const char *why)
{
	monitor_log(m, "agent connection closed: %s", why);
	session_close(m);
	if (!m->vmm_running || m->poweroff_sent) {
		m->phase = SESSION_DONE;
		return;
	}
	if (!m->session_started && m->phase > SESSION_CONNECT_OK) {
		char msg[600];

		snprintf(msg, sizeof(msg), "the agent closed the connection "
			 "during the start (%s)", why);
		m->phase = SESSION_DONE;
		monitor_fail(m, msg);
		return;
	}
	m->phase = SESSION_CONNECTING;
	uv_timer_start(&m->retry_timer, on_retry,
		       m->session_started ? RECONNECT_DELAY_MS
					  : MONITOR_CONNECT_RETRY_MS,
		       0);
}

static void read_frames(struct monitor *m)
{
	struct proto_frame f;
	struct lerr e = { 0 };

	for (int i = 0; i < READS_PER_WAKEUP && m->conn.fd >= 0; i++) {
		ssize_t n = agent_conn_fill(&m->conn, &e);
		int r;

		if (n == -EAGAIN)
			return;
		if (n == 0) {
			conn_lost(m, "end of stream");
			return;
		}
		if (n < 0 && n != -ENOBUFS) {
			conn_lost(m, e.msg);
			return;
		}
		while (m->conn.fd >= 0 &&
		       (r = proto_reader_next(&m->conn.rd, &f, &e)) == 1)
			dispatch(m, &f);
		if (m->conn.fd >= 0 && r < 0) {
			conn_lost(m, e.msg);
			return;
		}
	}
}

static void on_conn(uv_poll_t *p, int status, int events)
{
	struct monitor *m = p->data;
	struct lerr e = { 0 };
	int r;

	/* libuv reports POLLERR as UV_EBADF: the socket's own error says
	 * what happened (ECONNRESET when the VMM dropped a CONNECT) */
	if (status < 0) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(m->conn.fd, SOL_SOCKET, SO_ERROR, &err, &len) <
			    0 ||
		    !err)
			err = -status;
		if (m->phase != SESSION_CONNECT_OK) {
			conn_lost(m, strerror(err));
			return;
		}
	}
	if (m->phase == SESSION_CONNECT_OK) {
		r = status < 0 ? -ECONNRESET : agent_conn_read_ok(&m->conn, &e);
		if (r == 0)
			return;
		if (r == -ECONNRESET) {
			/* nobody listens yet: the guest still boots */
			session_close(m);
			m->phase = SESSION_CONNECTING;
			uv_timer_start(&m->retry_timer, on_retry,
				       MONITOR_CONNECT_RETRY_MS, 0);
			return;
		}
		if (r < 0) {
			session_close(m);
			monitor_fail(m, e.msg);
			return;
		}
		send_hello(m);
		session_pump(m);
		return;
	}
	if (events & UV_READABLE)
		read_frames(m);
	if (m->conn.fd >= 0)
		session_pump(m);
}

/* ---- requests from ctl.sock ---- */

void session_stop(struct monitor *m, unsigned int grace_ms)
{
	struct proto_stop s = { .grace_ms = grace_ms };
	struct lerr e = { 0 };
	json_t *body;

	if (m->phase != SESSION_RUNNING || m->poweroff_sent)
		return;
	if (s.grace_ms > PROTO_GRACE_MS_MAX)
		s.grace_ms = PROTO_GRACE_MS_MAX;
	if (proto_stop_to_json(&s, &body, &e) < 0) {
		monitor_fail(m, e.msg);
		return;
	}
	m->id_stop = agent_conn_next_id(&m->conn);
	queue(m, PROTO_STOP, m->id_stop, body);
	json_decref(body);
	session_pump(m);
}

void session_poweroff(struct monitor *m)
{
	if (m->poweroff_sent)
		return;
	m->poweroff_sent = true;
	/* not inside a layer transfer, which nothing may interrupt: a start
	 * that is given up then ends with the VMM */
	if (m->conn.fd >= 0 && m->conn.ready &&
	    (m->phase == SESSION_SPEC || m->phase == SESSION_SECRETS ||
	     m->phase == SESSION_START ||
	     m->phase == SESSION_RUNNING)) {
		queue_empty(m, PROTO_POWEROFF, &m->id_poweroff);
		session_pump(m);
	} else {
		monitor_kill_vmm(m, SIGTERM);
	}
	if (!uv_is_active((uv_handle_t *)&m->kill_timer))
		monitor_kill_after(m, MONITOR_POWEROFF_WAIT_MS);
}
