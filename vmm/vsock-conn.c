/* vsock-conn.c - one vsock connection: its state machine, credit in both
 * directions, and the bytes in between.
 *
 * Guest -> host: payloads are written straight from the guest's tx
 * buffers to the host socket; what the socket cannot take yet is copied
 * into a ring of VSOCK_BUF_ALLOC bytes.  That ring can never overflow: it
 * is exactly the window we advertise (buf_alloc), and a guest that sends
 * beyond its credit is reset.  So tx processing never stalls on a slow
 * host reader, and one slow connection never holds up another.
 *
 * Host -> guest: the host socket is polled only while the guest has
 * credit for us (peer_buf_alloc - (tx_cnt - peer_fwd_cnt) > 0), and is
 * read straight into the guest's rx buffers, never more than that credit.
 * A readable socket only marks the connection as wanting an rx buffer;
 * the rx pump (virtio-vsock.c) does the read when a buffer exists.
 *
 * Teardown: a guest RST drops the connection at once.  A guest SHUTDOWN
 * of both directions (what Linux sends on close) flushes what we hold to
 * the host, then closes the host socket and answers RST.  Host EOF becomes
 * SHUTDOWN(SEND) to the guest; once both directions are shut, RST. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsock-conn.h"

static unsigned int conn_hash(uint32_t local_port, uint32_t peer_port)
{
	uint32_t h = local_port * 0x9e3779b1U ^ peer_port * 0x85ebca6bU;

	return (h ^ h >> 16) % VSOCK_HASH_BUCKETS;
}

static void on_conn_poll(uv_poll_t *p, int status, int events);

struct vsock_conn *vsock_conn_new(struct vsock_dev *v, int fd,
				  enum vsock_conn_state state)
{
	struct vsock_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (uv_poll_init(v->loop, &c->poll, fd) < 0) {
		free(c);
		return NULL;
	}
	c->poll.data = c;
	c->poll_open = true;
	c->dev = v;
	c->fd = fd;
	c->state = state;
	c->all_next = v->all;
	if (v->all)
		v->all->all_prev = c;
	v->all = c;
	v->nr_conns++;
	return c;
}

struct vsock_conn *vsock_conn_find(struct vsock_dev *v, uint32_t local_port,
				   uint32_t peer_port)
{
	struct vsock_conn *c = v->hash[conn_hash(local_port, peer_port)];

	for (; c; c = c->hash_next)
		if (c->local_port == local_port && c->peer_port == peer_port)
			return c;
	return NULL;
}

void vsock_conn_set_key(struct vsock_conn *c, uint32_t local_port,
			uint32_t peer_port)
{
	struct vsock_conn **b = &c->dev->hash[conn_hash(local_port, peer_port)];

	c->local_port = local_port;
	c->peer_port = peer_port;
	c->hash_next = *b;
	*b = c;
	c->keyed = true;
}

static void conn_free_maybe(struct vsock_conn *c)
{
	if (!c->dead || c->poll_open)
		return;
	free(c->buf);
	free(c);
}

static void on_poll_closed(uv_handle_t *h)
{
	struct vsock_conn *c = h->data;

	c->poll_open = false;
	conn_free_maybe(c);
}

static void conn_close_host(struct vsock_conn *c)
{
	if (c->fd < 0)
		return;
	/* uv_close stops the poll at once, so closing the fd right after is
	 * safe; the handle's memory (inside c) lives until on_poll_closed */
	uv_close((uv_handle_t *)&c->poll, on_poll_closed);
	close(c->fd);
	c->fd = -1;
	c->poll_events = 0;
}

static void conn_unhash(struct vsock_conn *c)
{
	struct vsock_conn **pp;

	if (!c->keyed)
		return;
	pp = &c->dev->hash[conn_hash(c->local_port, c->peer_port)];
	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == c) {
			*pp = c->hash_next;
			break;
		}
	}
	c->keyed = false;
}

void vsock_conn_drop(struct vsock_conn *c)
{
	struct vsock_dev *v = c->dev;

	if (c->dead)
		return;
	conn_unhash(c);
	vsock_rxq_remove(v, c);
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		v->all = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	v->nr_conns--;
	c->dead = true;
	conn_close_host(c);
	conn_free_maybe(c);
}

void vsock_conn_owe(struct vsock_conn *c, unsigned int bits)
{
	c->pending |= bits;
	vsock_rxq_add(c->dev, c);
}

void vsock_conn_reset(struct vsock_conn *c)
{
	if (c->state == CONN_CLOSING)
		return;
	/* a REQUEST not yet sent, or a client still typing its CONNECT
	 * line: the guest never heard of it, nothing to tell */
	if (!c->guest_knows) {
		vsock_conn_drop(c);
		return;
	}
	conn_close_host(c);
	c->state = CONN_CLOSING;
	c->want_data = false;
	c->buf_len = 0;
	c->deadline = uv_now(c->dev->loop) + VSOCK_CLOSE_GRACE_MS;
	c->pending = 0;
	vsock_conn_owe(c, PEND_RST);
}

uint32_t vsock_conn_peer_credit(const struct vsock_conn *c)
{
	uint32_t inflight = c->tx_cnt - c->peer_fwd_cnt;

	return inflight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - inflight;
}

bool vsock_conn_has_rx_work(const struct vsock_conn *c)
{
	return c->pending || c->want_data;
}

void vsock_conn_update_poll(struct vsock_conn *c)
{
	int ev = 0;

	if (c->dead || c->fd < 0)
		return;
	if (c->state == CONN_HOST_CMD) {
		ev = UV_READABLE;
	} else if (c->state == CONN_ESTABLISHED) {
		if (!c->want_data && !c->host_eof &&
		    !(c->peer_shutdown & VSOCK_SHUTDOWN_RCV) &&
		    vsock_conn_peer_credit(c) > 0)
			ev |= UV_READABLE;
		if (c->buf_len)
			ev |= UV_WRITABLE;
	}
	if (ev == c->poll_events)
		return;
	if (ev)
		uv_poll_start(&c->poll, ev, on_conn_poll);
	else
		uv_poll_stop(&c->poll);
	c->poll_events = ev;
}

/* Tell the guest about freed receive space once half the window came free
 * since it last heard: it may be waiting for exactly that.  (Every packet
 * we send carries fwd_cnt too; this is for a guest that only sends.) */
static void conn_credit_check(struct vsock_conn *c)
{
	if (c->fwd_cnt - c->fwd_cnt_sent >= VSOCK_CREDIT_UPDATE_BYTES)
		vsock_conn_owe(c, PEND_CREDIT_UPDATE);
}

/* The guest's shutdown flags, applied once its data is all forwarded. */
static void conn_apply_shutdown(struct vsock_conn *c)
{
	if (c->state != CONN_ESTABLISHED || c->buf_len)
		return;
	if ((c->peer_shutdown & VSOCK_SHUTDOWN_BOTH) == VSOCK_SHUTDOWN_BOTH) {
		vsock_conn_reset(c);
		return;
	}
	if ((c->peer_shutdown & VSOCK_SHUTDOWN_SEND) && !c->host_wr_shut) {
		shutdown(c->fd, SHUT_WR);
		c->host_wr_shut = true;
	}
	if (c->host_wr_shut && c->host_eof)
		vsock_conn_reset(c);
}

static ssize_t conn_send(struct vsock_conn *c, struct iovec *iov, int n)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t r = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return r;
}

static void conn_guest_data(struct vsock_conn *c, const struct vsock_hdr *h,
			    const struct virtq_chain *chain)
{
	struct vsock_dev *v = c->dev;
	uint32_t len = h->len, done = 0, tail;

	if (!len)
		return;
	if ((uint32_t)(c->rx_cnt - c->fwd_cnt) + len > VSOCK_BUF_ALLOC) {
		v->stats.protocol++; /* sent beyond its credit */
		vsock_conn_reset(c);
		return;
	}
	c->rx_cnt += len;
	if (!c->buf_len) {
		int n = virtq_chain_iov(chain, false, VSOCK_HDR_LEN, len, v->iov,
					 VIRTQ_CHAIN_MAX);
		ssize_t r = conn_send(c, v->iov, n);

		if (r < 0) {
			vsock_conn_reset(c);
			return;
		}
		done = (uint32_t)r;
		c->fwd_cnt += done;
	}
	if (done < len) {
		if (!c->buf && !(c->buf = malloc(VSOCK_BUF_ALLOC))) {
			vsock_conn_reset(c);
			return;
		}
		/* copy the rest behind what is queued, in at most two parts */
		while (done < len) {
			uint32_t at = (c->buf_head + c->buf_len) % VSOCK_BUF_ALLOC;

			tail = VSOCK_BUF_ALLOC - at;
			if (tail > len - done)
				tail = len - done;
			virtq_chain_read(chain, VSOCK_HDR_LEN + done,
					 c->buf + at, tail);
			c->buf_len += tail;
			done += tail;
		}
	}
	conn_credit_check(c);
}

/* Write what the ring holds to the host socket. */
static void conn_flush(struct vsock_conn *c)
{
	while (c->buf_len) {
		struct iovec iov[2];
		uint32_t first = VSOCK_BUF_ALLOC - c->buf_head;
		int n = 1;
		ssize_t r;

		if (first > c->buf_len)
			first = c->buf_len;
		iov[0].iov_base = c->buf + c->buf_head;
		iov[0].iov_len = first;
		if (first < c->buf_len) {
			iov[1].iov_base = c->buf;
			iov[1].iov_len = c->buf_len - first;
			n = 2;
		}
		r = conn_send(c, iov, n);
		if (r < 0) {
			vsock_conn_reset(c);
			return;
		}
		if (r == 0)
			break;
		c->buf_head = (c->buf_head + (uint32_t)r) % VSOCK_BUF_ALLOC;
		c->buf_len -= (uint32_t)r;
		c->fwd_cnt += (uint32_t)r;
	}
	conn_credit_check(c);
	conn_apply_shutdown(c);
}

static void on_conn_poll(uv_poll_t *p, int status, int events)
{
	struct vsock_conn *c = p->data;
	struct vsock_dev *v = c->dev;

	vsock_sync_reset(v);
	if (c->dead)
		return;
	if (status < 0) {
		vsock_conn_reset(c);
	} else if (c->state == CONN_HOST_CMD) {
		vsock_uds_read_command(c);
	} else if (c->state == CONN_ESTABLISHED) {
		if (events & UV_WRITABLE)
			conn_flush(c);
		if (!c->dead && c->state == CONN_ESTABLISHED &&
		    (events & UV_READABLE)) {
			/* read when an rx buffer is at hand (the rx pump) */
			c->want_data = true;
			vsock_rxq_add(v, c);
		}
	}
	if (!c->dead)
		vsock_conn_update_poll(c);
	vsock_rx_pump(v);
}

void vsock_conn_from_guest(struct vsock_conn *c, const struct vsock_hdr *h,
			   const struct virtq_chain *chain)
{
	struct vsock_dev *v = c->dev;

	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	if (vsock_conn_peer_credit(c) > 0)
		c->credit_requested = false;
	if (c->state == CONN_CLOSING) {
		/* our RST is on its way; the guest's crossed it */
		if (h->op == VSOCK_OP_RST)
			vsock_conn_drop(c);
		return;
	}
	switch (h->op) {
	case VSOCK_OP_RST:
		vsock_conn_drop(c);
		return;
	case VSOCK_OP_RESPONSE:
		if (c->state != CONN_HOST_REQUEST || (c->pending & PEND_REQUEST))
			goto protocol;
		if (vsock_uds_send_ok(c) < 0) {
			vsock_conn_reset(c);
			return;
		}
		c->state = CONN_ESTABLISHED;
		c->deadline = 0;
		break;
	case VSOCK_OP_SHUTDOWN:
		if (c->state != CONN_ESTABLISHED)
			goto protocol;
		c->peer_shutdown |= h->flags & VSOCK_SHUTDOWN_BOTH;
		if ((c->peer_shutdown & VSOCK_SHUTDOWN_BOTH) ==
		    VSOCK_SHUTDOWN_BOTH && c->buf_len)
			c->deadline = uv_now(v->loop) + VSOCK_CLOSE_GRACE_MS;
		conn_apply_shutdown(c);
		break;
	case VSOCK_OP_RW:
		if (c->state != CONN_ESTABLISHED ||
		    (c->peer_shutdown & VSOCK_SHUTDOWN_SEND))
			goto protocol;
		conn_guest_data(c, h, chain);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		vsock_conn_owe(c, PEND_CREDIT_UPDATE);
		break;
	case VSOCK_OP_REQUEST: /* for a connection that exists */
	default:
		goto protocol;
	}
	if (!c->dead)
		vsock_conn_update_poll(c);
	return;
protocol:
	v->stats.protocol++;
	vsock_conn_reset(c);
}

/* Read host bytes into the chain behind the header, within credit.
 * >0 bytes, 0 EOF, -EAGAIN nothing now (or no credit), other -errno. */
static int conn_read_host(struct vsock_conn *c, const struct virtq_chain *chain,
			  uint32_t *got)
{
	struct vsock_dev *v = c->dev;
	uint32_t max = vsock_conn_peer_credit(c);
	ssize_t r;
	int n;

	if (max > VSOCK_PKT_PAYLOAD_MAX)
		max = VSOCK_PKT_PAYLOAD_MAX;
	if (max > chain->writable_len - VSOCK_HDR_LEN)
		max = chain->writable_len - VSOCK_HDR_LEN;
	/* the guest said it receives no more: leave the bytes unread */
	if (!max || c->fd < 0 || (c->peer_shutdown & VSOCK_SHUTDOWN_RCV))
		return -EAGAIN;
	n = virtq_chain_iov(chain, true, VSOCK_HDR_LEN, max, v->iov,
			    VIRTQ_CHAIN_MAX);
	r = readv(c->fd, v->iov, n);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
			       ? -EAGAIN
			       : -errno;
	*got = (uint32_t)r;
	return r > 0 ? 1 : 0;
}

uint32_t vsock_conn_to_guest(struct vsock_conn *c,
			     const struct virtq_chain *chain, bool *finished)
{
	struct vsock_dev *v = c->dev;
	enum vsock_op op = VSOCK_OP_INVALID;
	uint32_t len = 0, flags = 0;
	struct vsock_hdr h;

	*finished = false;
	if (c->pending & PEND_RST) {
		op = VSOCK_OP_RST;
		c->pending = 0;
		v->stats.resets++;
		*finished = true;
	} else if (c->pending & PEND_REQUEST) {
		op = VSOCK_OP_REQUEST;
		c->pending &= ~PEND_REQUEST;
		c->guest_knows = true;
		c->deadline = uv_now(v->loop) + VSOCK_REQUEST_TIMEOUT_MS;
	} else if (c->pending & PEND_RESPONSE) {
		op = VSOCK_OP_RESPONSE;
		c->pending &= ~PEND_RESPONSE;
	} else if (c->pending & PEND_CREDIT_REQUEST) {
		op = VSOCK_OP_CREDIT_REQUEST;
		c->pending &= ~PEND_CREDIT_REQUEST;
	} else if (c->want_data) {
		int r = conn_read_host(c, chain, &len);

		if (r > 0) {
			op = VSOCK_OP_RW;
			c->tx_cnt += len;
			if (!vsock_conn_peer_credit(c) && !c->credit_requested) {
				/* stalled on the guest's window: ask, in case
				 * it does not volunteer an update */
				c->credit_requested = true;
				c->pending |= PEND_CREDIT_REQUEST;
			}
		} else if (r == 0) {
			c->want_data = false;
			c->host_eof = true;
			if (c->host_wr_shut) {
				vsock_conn_reset(c);
				return vsock_conn_to_guest(c, chain, finished);
			}
			op = VSOCK_OP_SHUTDOWN;
			flags = VSOCK_SHUTDOWN_SEND;
		} else if (r == -EAGAIN) {
			c->want_data = false;
		} else {
			vsock_conn_reset(c);
			return vsock_conn_to_guest(c, chain, finished);
		}
	}
	if (op == VSOCK_OP_INVALID && (c->pending & PEND_SHUTDOWN)) {
		op = VSOCK_OP_SHUTDOWN;
		flags = c->shutdown_flags;
		c->pending &= ~PEND_SHUTDOWN;
	}
	if (op == VSOCK_OP_INVALID && (c->pending & PEND_CREDIT_UPDATE))
		op = VSOCK_OP_CREDIT_UPDATE;
	if (op == VSOCK_OP_INVALID)
		return 0;

	vsock_hdr_init(&h, v->guest_cid, c->local_port, c->peer_port, op);
	h.len = len;
	h.flags = flags;
	h.buf_alloc = VSOCK_BUF_ALLOC;
	h.fwd_cnt = c->fwd_cnt;
	/* every header carries our credit: no separate update owed now */
	c->fwd_cnt_sent = c->fwd_cnt;
	c->pending &= ~PEND_CREDIT_UPDATE;
	virtq_chain_write(chain, 0, &h, sizeof(h));
	return VSOCK_HDR_LEN + len;
}

void vsock_conn_sweep(struct vsock_conn *c, uint64_t now)
{
	if (!c->deadline || now < c->deadline)
		return;
	c->deadline = 0;
	if (c->state == CONN_CLOSING)
		vsock_conn_drop(c); /* the guest gave no rx buffer for the RST */
	else
		vsock_conn_reset(c);
}
