/* group-agent.c - connections from the CLI to a group's agent on the exec
 * port (group-agent.h): the hybrid vsock handshake over the group's
 * vsock.sock, and STATS requests. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "agent-client.h"
#include "group-agent.h"
#include "group-dir.h"

#define AGENT_ANSWER_MS 10000

/* Wait for fd to be readable, at most ms. */
static int wait_readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

int group_agent_connect(const struct lighter_paths *p, const char *name,
			struct lerr *e)
{
	_cleanup_close_ int dir_fd = -1, fd = -1;
	char line[AGENT_OK_LINE_MAX + 1], req[32];
	struct lighter_group_state st;
	struct lerr ignored = {0};
	size_t len = 0;
	int r;

	r = lighter_group_load(p, name, &st, e);
	if (r < 0)
		return r;
	r = st.state == LIGHTER_GROUP_RUNNING ||
	    st.state == LIGHTER_GROUP_STOPPING;
	lighter_group_state_free(&st);
	if (!r)
		return lerr_fail(e, ENOTCONN, "group \"%s\" is not running",
				 name);
	dir_fd = group_dir_open(p, name, e);
	if (dir_fd < 0)
		return dir_fd;
	fd = group_unix_connect(dir_fd, GROUP_VSOCK_SOCK, name, &ignored);
	if (fd < 0)
		return lerr_fail(e, ENOTCONN,
				 "group \"%s\": its VMM does not "
				 "answer on \"%s\"",
				 name, GROUP_VSOCK_SOCK);
	snprintf(req, sizeof(req), "CONNECT %u\n", PROTO_EXEC_VSOCK_PORT);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		return lerr_set(e, errno, "group \"%s\": vsock connect", name);
	/* byte by byte: frames follow the line at once */
	while (len < sizeof(line) - 1) {
		ssize_t n;

		r = wait_readable(fd, AGENT_ANSWER_MS);
		if (r < 0)
			return lerr_fail(e, ENOTCONN,
					 "group \"%s\": no answer "
					 "on the agent's exec port",
					 name);
		n = read(fd, line + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return lerr_fail(e, ENOTCONN,
					 "group \"%s\": the agent "
					 "does not listen on its exec port "
					 "%u (an older agent?)",
					 name, PROTO_EXEC_VSOCK_PORT);
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	if (!agent_ok_line_valid(line, len))
		return lerr_fail(e, EPROTO,
				 "group \"%s\": the VMM answered "
				 "\"%.32s\" to CONNECT",
				 name, line);
	return TAKE_FD(fd);
}

int group_agent_stats(int fd, const char *name, struct proto_stats *st,
		      struct lerr *e)
{
	struct proto_reader rd;
	struct proto_frame f;
	struct proto_error pe = {0};
	json_t *body = json_object(), *j = NULL;
	int r;

	r = proto_send_json(fd, PROTO_STATS, 1, body, e);
	json_decref(body);
	if (r < 0)
		return r;
	r = proto_reader_init(&rd, e);
	if (r < 0)
		return r;
	r = wait_readable(fd, AGENT_ANSWER_MS);
	if (r == 0)
		r = proto_read_frame(&rd, fd, &f, e);
	if (r == 0 || r == -ETIMEDOUT)
		r = lerr_fail(e, ECONNRESET, "group \"%s\": no answer to STATS",
			      name);
	if (r > 0)
		r = proto_frame_json(&f, &j, e);
	if (r == 0 && f.h.type == PROTO_ERROR) {
		r = proto_error_from_json(j, &pe, e);
		if (r == 0)
			r = lerr_fail(e, pe.errnum ? pe.errnum : EIO,
				      "group \"%s\": STATS: %s", name,
				      pe.message);
		proto_error_free(&pe);
	} else if (r == 0 && f.h.type != PROTO_OK) {
		r = lerr_fail(e, EPROTO,
			      "group \"%s\": a %s frame answered "
			      "STATS",
			      name, proto_type_name(f.h.type));
	} else if (r == 0) {
		r = proto_stats_from_json(j, st, e);
	}
	json_decref(j);
	proto_reader_free(&rd);
	return r;
}
