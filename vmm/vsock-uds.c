/* vsock-uds.c - the host side of hybrid vsock (Firecracker's convention):
 * the listening Unix socket, the "CONNECT <port>\n" / "OK <port>\n"
 * handshake of host-initiated connections, and the "<path>_<port>" Unix
 * sockets that guest-initiated connections reach.
 *
 * Host clients are as untrusted as the guest: the CONNECT line is peeked,
 * never read past its newline (bytes behind it are the client's first
 * payload), bounded to VSOCK_CONNECT_LINE_MAX, parsed strictly, and a
 * client that sends anything else is disconnected. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsock-conn.h"

void vsock_uds_on_listen(uv_poll_t *p, int status, int events)
{
	struct vsock_dev *v = p->data;

	vsock_sync_reset(v);
	if (status < 0)
		return;
	/* a bounded batch per wakeup: the rest stay in the backlog */
	for (int i = 0; i < 16; i++) {
		int fd = accept4(v->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct vsock_conn *c;

		if (fd < 0)
			break;
		c = v->nr_conns < VSOCK_CONNS_MAX
			    ? vsock_conn_new(v, fd, CONN_HOST_CMD)
			    : NULL;
		if (!c) {
			v->stats.refused++;
			close(fd);
			continue;
		}
		c->deadline = uv_now(v->loop) + VSOCK_CMD_TIMEOUT_MS;
		vsock_conn_update_poll(c);
	}
}

int vsock_uds_listen(struct vsock_dev *v, const char *path, struct lerr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	/* room for "_4294967295" behind it, for guest-initiated connections */
	if (strlen(path) + 11 >= sizeof(sa.sun_path))
		return lerr_fail(e, ENAMETOOLONG,
				 "vsock: socket path \"%s\" is too long", path);
	strcpy(v->uds_path, path);
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return lerr_fail(e, EEXIST,
					 "vsock: \"%s\" exists and is not a socket",
					 path);
		unlink(path); /* stale, from an earlier run */
	}
	v->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			      0);
	if (v->listen_fd < 0)
		return lerr_set(e, errno, "vsock: socket");
	if (bind(v->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return lerr_set(e, errno, "vsock: bind \"%s\"", path);
	v->uds_bound = true;
	if (listen(v->listen_fd, 128) < 0)
		return lerr_set(e, errno, "vsock: listen on \"%s\"", path);
	return 0;
}

void vsock_uds_close(struct vsock_dev *v)
{
	if (v->listen_fd < 0)
		return;
	close(v->listen_fd);
	v->listen_fd = -1;
	if (v->uds_bound)
		unlink(v->uds_path);
	v->uds_bound = false;
}

/* "CONNECT <port>" with an optional '\r'; the port in decimal, no sign, no
 * leading junk, at most 2^32 - 1.  -EINVAL otherwise. */
static int parse_connect(const char *s, size_t len, uint32_t *port)
{
	uint64_t v = 0;
	size_t i = 8;

	if (len && s[len - 1] == '\r')
		len--;
	if (len < 9 || len > 18 || memcmp(s, "CONNECT ", 8) != 0)
		return -EINVAL;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*port = (uint32_t)v;
	return 0;
}

static uint32_t alloc_local_port(struct vsock_dev *v, uint32_t peer_port)
{
	for (;;) {
		uint32_t p = v->next_local_port++;

		if (v->next_local_port < VSOCK_LOCAL_PORT_FIRST)
			v->next_local_port = VSOCK_LOCAL_PORT_FIRST;
		if (!vsock_conn_find(v, p, peer_port))
			return p;
	}
}

void vsock_uds_read_command(struct vsock_conn *c)
{
	struct vsock_dev *v = c->dev;
	char line[VSOCK_CONNECT_LINE_MAX];
	ssize_t n = recv(c->fd, line, sizeof(line), MSG_PEEK | MSG_DONTWAIT);
	const char *nl;
	uint32_t port;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0)
		goto drop; /* the client left, or an error */
	nl = memchr(line, '\n', (size_t)n);
	if (!nl) {
		if ((size_t)n < sizeof(line))
			return; /* wait for the rest of the line */
		goto bad;
	}
	/* consume the line and nothing more */
	if (recv(c->fd, line, (size_t)(nl - line) + 1, MSG_DONTWAIT) !=
	    nl - line + 1)
		goto drop;
	if (parse_connect(line, (size_t)(nl - line), &port) < 0)
		goto bad;
	vsock_conn_set_key(c, alloc_local_port(v, port), port);
	c->state = CONN_HOST_REQUEST;
	c->deadline = uv_now(v->loop) + VSOCK_REQUEST_TIMEOUT_MS;
	vsock_conn_owe(c, PEND_REQUEST);
	return;
bad:
	v->stats.protocol++;
drop:
	vsock_conn_drop(c);
}

int vsock_uds_send_ok(struct vsock_conn *c)
{
	char ok[24];
	int len = snprintf(ok, sizeof(ok), "OK %u\n", c->local_port);

	/* the socket's buffer is empty at this point: a short line fits */
	if (send(c->fd, ok, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) != len)
		return -EIO;
	return 0;
}

int vsock_uds_connect_port(struct vsock_dev *v, uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	/* fits: vsock_uds_listen left room for "_4294967295" */
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->uds_path,
		     port) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a Unix connect completes at once or fails; EAGAIN (a full backlog)
	 * is a refusal too: the guest sees RST and may retry */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}
