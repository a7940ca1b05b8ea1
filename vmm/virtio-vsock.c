/* virtio-vsock.c - the vsock device: config space (guest_cid), the three
 * queues, dispatch of guest packets to connections, and the rx pump that
 * hands connections' packets to the guest as it provides rx buffers.
 *
 * Queues: rx (0) carries packets to the guest, tx (1) from it, event (2)
 * is never used (we never migrate, so never send TRANSPORT_RESET).
 *
 * Host sockets are raw non-blocking fds under uv_poll rather than
 * uv_pipe streams: the device must read exactly as many bytes as the
 * guest's credit allows, straight into the guest's rx buffers, and write
 * straight from its tx buffers; uv_read_start reads into buffers of its
 * own as long as data comes and uv_write queues unboundedly, which would
 * defeat both the zero-copy paths and the back-pressure.
 *
 * Packets to the guest are not queued as packets: each connection keeps
 * what it owes (PEND_* bits, "host socket readable") and sits on the rx
 * work list; the pump builds a packet only once an rx buffer is at hand.
 * Memory per connection is therefore bounded whatever the guest does. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsock-conn.h"

#define VSOCK_QUEUE_RX 0
#define VSOCK_QUEUE_TX 1
#define VSOCK_QUEUE_EVENT 2

static struct vsock_dev *to_vsock(struct virtio_dev *d)
{
	return d->priv;
}

void vsock_rxq_add(struct vsock_dev *v, struct vsock_conn *c)
{
	if (c->on_rxq || c->dead)
		return;
	c->on_rxq = true;
	c->rx_next = NULL;
	if (v->rxq_tail)
		v->rxq_tail->rx_next = c;
	else
		v->rxq_head = c;
	v->rxq_tail = c;
}

void vsock_rxq_remove(struct vsock_dev *v, struct vsock_conn *c)
{
	struct vsock_conn **pp, *prev = NULL;

	if (!c->on_rxq)
		return;
	for (pp = &v->rxq_head; *pp; prev = *pp, pp = &(*pp)->rx_next) {
		if (*pp == c) {
			*pp = c->rx_next;
			if (v->rxq_tail == c)
				v->rxq_tail = prev;
			break;
		}
	}
	c->on_rxq = false;
	c->rx_next = NULL;
}

void vsock_orphan_rst(struct vsock_dev *v, uint32_t local_port,
		      uint32_t peer_port)
{
	struct vsock_orphan *o;

	if (v->orphan_len == VSOCK_ORPHAN_RST_MAX)
		return;
	o = &v->orphan[(v->orphan_head + v->orphan_len) % VSOCK_ORPHAN_RST_MAX];
	o->local_port = local_port;
	o->peer_port = peer_port;
	v->orphan_len++;
}

static void drop_all(struct vsock_dev *v)
{
	while (v->all)
		vsock_conn_drop(v->all);
	v->orphan_len = 0;
	v->rx_held = false;
}

void vsock_sync_reset(struct vsock_dev *v)
{
	unsigned int gen = __atomic_load_n(&v->reset_gen, __ATOMIC_ACQUIRE);

	if (gen == v->seen_reset_gen)
		return;
	v->seen_reset_gen = gen;
	drop_all(v);
}

static uint32_t orphan_to_guest(struct vsock_dev *v,
				const struct virtq_chain *chain)
{
	struct vsock_orphan *o = &v->orphan[v->orphan_head];
	struct vsock_hdr h;

	vsock_hdr_init(&h, v->guest_cid, o->local_port, o->peer_port,
		       VSOCK_OP_RST);
	h.buf_alloc = VSOCK_BUF_ALLOC;
	v->orphan_head = (v->orphan_head + 1) % VSOCK_ORPHAN_RST_MAX;
	v->orphan_len--;
	v->stats.resets++;
	virtq_chain_write(chain, 0, &h, sizeof(h));
	return VSOCK_HDR_LEN;
}

void vsock_rx_pump(struct vsock_dev *v)
{
	struct virtq_chain *chain = &v->rx_chain;
	bool pushed = false;

	while (v->orphan_len || v->rxq_head) {
		struct vsock_conn *c;
		bool finished;
		uint32_t n;

		if (!v->rx_held) {
			if (virtio_dev_pop(&v->vdev, VSOCK_QUEUE_RX, chain) != 1)
				break; /* more on the next rx kick */
			v->rx_held = true;
		}
		if (chain->writable_len < VSOCK_HDR_LEN) {
			/* useless buffer: hand it back empty */
			v->stats.protocol++;
			n = 0;
		} else if (v->orphan_len) {
			n = orphan_to_guest(v, chain);
		} else {
			c = v->rxq_head;
			vsock_rxq_remove(v, c);
			n = vsock_conn_to_guest(c, chain, &finished);
			if (finished) {
				vsock_conn_drop(c);
			} else {
				if (vsock_conn_has_rx_work(c))
					vsock_rxq_add(v, c); /* round robin */
				vsock_conn_update_poll(c);
			}
			if (!n)
				continue; /* keep the chain for the next one */
		}
		if (virtio_dev_push(&v->vdev, VSOCK_QUEUE_RX, chain->head, n) < 0)
			break;
		v->rx_held = false;
		pushed = true;
	}
	if (pushed)
		virtio_dev_signal_used(&v->vdev, VSOCK_QUEUE_RX);
}

/* A REQUEST for no existing connection: connect to "<uds>_<port>". */
static void guest_connect(struct vsock_dev *v, const struct vsock_hdr *h)
{
	struct vsock_conn *c = NULL;
	int fd = -1;

	if (v->nr_conns < VSOCK_CONNS_MAX)
		fd = vsock_uds_connect_port(v, h->dst_port);
	if (fd >= 0)
		c = vsock_conn_new(v, fd, CONN_ESTABLISHED);
	if (!c) {
		if (fd >= 0)
			close(fd);
		v->stats.refused++;
		vsock_orphan_rst(v, h->dst_port, h->src_port);
		return;
	}
	vsock_conn_set_key(c, h->dst_port, h->src_port);
	c->guest_knows = true;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	vsock_conn_owe(c, PEND_RESPONSE);
	vsock_conn_update_poll(c);
}

static void guest_packet(struct vsock_dev *v, const struct virtq_chain *chain)
{
	struct vsock_hdr h;
	struct vsock_conn *c;

	if (virtq_chain_read(chain, 0, &h, sizeof(h)) < sizeof(h)) {
		v->stats.dropped++;
		return;
	}
	switch (vsock_packet_check(&h, chain->readable_len, v->guest_cid)) {
	case VSOCK_PKT_OK:
		break;
	case VSOCK_PKT_RESET:
		v->stats.protocol++;
		c = vsock_conn_find(v, h.dst_port, h.src_port);
		if (c)
			vsock_conn_reset(c);
		else
			vsock_orphan_rst(v, h.dst_port, h.src_port);
		return;
	case VSOCK_PKT_DROP:
	default:
		v->stats.dropped++;
		return;
	}
	c = vsock_conn_find(v, h.dst_port, h.src_port);
	if (c)
		vsock_conn_from_guest(c, &h, chain);
	else if (h.op == VSOCK_OP_REQUEST)
		guest_connect(v, &h);
	else if (h.op != VSOCK_OP_RST)
		vsock_orphan_rst(v, h.dst_port, h.src_port);
}

static void on_tx_more(uv_idle_t *idle);

static void tx_pump(struct vsock_dev *v)
{
	unsigned int budget = VSOCK_TX_BUDGET;
	bool pushed = false;
	int r = 0;

	while (budget && (r = virtio_dev_pop(&v->vdev, VSOCK_QUEUE_TX,
					     &v->tx_chain)) == 1) {
		guest_packet(v, &v->tx_chain);
		if (virtio_dev_push(&v->vdev, VSOCK_QUEUE_TX, v->tx_chain.head,
				    0) < 0)
			break;
		pushed = true;
		budget--;
	}
	if (pushed)
		virtio_dev_signal_used(&v->vdev, VSOCK_QUEUE_TX);
	/* out of budget with chains left: come back after other handles */
	if (!budget && v->handles_open)
		uv_idle_start(&v->tx_more, on_tx_more);
	vsock_rx_pump(v);
}

static void on_tx_more(uv_idle_t *idle)
{
	struct vsock_dev *v = idle->data;

	uv_idle_stop(idle);
	vsock_sync_reset(v);
	tx_pump(v);
}

static void on_sweep(uv_timer_t *t)
{
	struct vsock_dev *v = t->data;
	uint64_t now = uv_now(v->loop);
	struct vsock_conn *c, *next;

	vsock_sync_reset(v);
	for (c = v->all; c; c = next) {
		next = c->all_next;
		vsock_conn_sweep(c, now);
	}
	vsock_rx_pump(v);
}

static void vsock_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct vsock_dev *v = to_vsock(d);

	vsock_sync_reset(v);
	if (q == VSOCK_QUEUE_TX)
		tx_pump(v);
	else if (q == VSOCK_QUEUE_RX)
		vsock_rx_pump(v);
}

static void vsock_config_read(struct virtio_dev *d, uint32_t off, void *data,
			      uint32_t len)
{
	uint64_t cid = to_vsock(d)->guest_cid; /* le64 guest_cid */

	memcpy(data, (uint8_t *)&cid + off, len);
}

/* vCPU thread, device lock held: only note it, the device thread drops
 * the connections (vsock_sync_reset) before it touches a queue again. */
static void vsock_reset(struct virtio_dev *d)
{
	__atomic_add_fetch(&to_vsock(d)->reset_gen, 1, __ATOMIC_RELEASE);
}

static const struct virtio_dev_ops vsock_ops = {
	.name = "vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.features = VIRTQ_RING_FEATURES,
	.nr_queues = 3,
	.queue_max = 256,
	.config_len = 8,
	.config_read = vsock_config_read,
	.reset = vsock_reset,
	.queue_notify = vsock_queue_notify,
};

struct virtio_dev *virtio_vsock_create(const struct guest_mem *mem,
				       uv_loop_t *loop, const char *uds_path,
				       uint64_t guest_cid, struct lerr *e)
{
	struct vsock_dev *v;
	int r;

	if (guest_cid < VSOCK_GUEST_CID_MIN || guest_cid > VSOCK_GUEST_CID_MAX) {
		lerr_fail(e, EINVAL, "vsock: guest cid %llu is out of range",
			  (unsigned long long)guest_cid);
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		lerr_fail(e, ENOMEM, "vsock: out of memory");
		return NULL;
	}
	virtio_dev_init(&v->vdev, &vsock_ops, v, mem);
	v->loop = loop;
	v->guest_cid = guest_cid;
	v->listen_fd = -1;
	v->next_local_port = VSOCK_LOCAL_PORT_FIRST;
	if (vsock_uds_listen(v, uds_path, e) < 0) {
		vsock_uds_close(v);
		virtio_dev_destroy(&v->vdev);
		free(v);
		return NULL;
	}
	r = uv_poll_init(loop, &v->listen_poll, v->listen_fd);
	if (r < 0) {
		lerr_fail(e, -r, "vsock: poll \"%s\": %s", uds_path,
			  uv_strerror(r));
		vsock_uds_close(v);
		virtio_dev_destroy(&v->vdev);
		free(v);
		return NULL;
	}
	v->listen_poll.data = v;
	/* only fails on a closed fd: the listener was just opened */
	uv_poll_start(&v->listen_poll, UV_READABLE, vsock_uds_on_listen);
	uv_timer_init(loop, &v->sweep);
	v->sweep.data = v;
	uv_timer_start(&v->sweep, on_sweep, VSOCK_SWEEP_MS, VSOCK_SWEEP_MS);
	uv_unref((uv_handle_t *)&v->sweep);
	uv_idle_init(loop, &v->tx_more);
	v->tx_more.data = v;
	v->handles_open = true;
	return &v->vdev;
}

void virtio_vsock_close(struct virtio_dev *d)
{
	struct vsock_dev *v;

	if (!d)
		return;
	v = to_vsock(d);
	drop_all(v);
	if (!v->handles_open)
		return;
	v->handles_open = false;
	uv_close((uv_handle_t *)&v->listen_poll, NULL);
	uv_close((uv_handle_t *)&v->sweep, NULL);
	uv_close((uv_handle_t *)&v->tx_more, NULL);
	vsock_uds_close(v);
}

void virtio_vsock_destroy(struct virtio_dev *d)
{
	struct vsock_dev *v;

	if (!d)
		return;
	v = to_vsock(d);
	/* the loop is gone (device_loop_close closed our handles): free
	 * connections directly, their poll handles are closed already */
	while (v->all) {
		struct vsock_conn *c = v->all;

		v->all = c->all_next;
		if (c->fd >= 0)
			close(c->fd);
		free(c->buf);
		free(c);
	}
	vsock_uds_close(v);
	virtio_dev_destroy(&v->vdev);
	free(v);
}

const struct vsock_stats *virtio_vsock_stats(const struct virtio_dev *d)
{
	return &((const struct vsock_dev *)d->priv)->stats;
}
