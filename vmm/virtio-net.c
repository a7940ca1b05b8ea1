/* virtio-net.c - the network device: frames between the guest's
 * virtqueues and a TAP fd, on the device loop.
 *
 * tx (queue 1): each chain is a 12-byte virtio-net header plus a frame;
 * its readable buffers go to the TAP in one writev, which takes the very
 * same header (IFF_VNET_HDR), so checksum and TSO offloads need no work
 * here.
 *
 * rx (queue 0): the TAP is read only while the guest has receive buffers.
 * One readv fills the first held chain directly; with mergeable buffers
 * the iovec ends in a bounce buffer that catches whatever did not fit,
 * and that remainder is copied into further chains (num_buffers tells the
 * guest how many).  With no buffers left the TAP is no longer polled: the
 * frame stays queued in the kernel (or in the bounce buffer) until the
 * driver adds buffers and kicks, so nothing is lost and nothing spins.
 *
 * Activation and reset come from vCPU threads under the device lock: they
 * only bump `gen` and wake the loop, which starts or stops serving.  Every
 * pop and push checks `gen` under the lock, so a chain taken from rings
 * the driver has since reset is never handed back to new ones. */
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio-net.h"

/* Most iovecs kept per receive chain.  Linux uses one descriptor per
 * mergeable buffer, MAX_SKB_FRAGS + 2 for big non-mergeable ones; a chain
 * with more writable buffers is used only as far as these reach. */
#define NET_SLOT_IOV 32
/* Frames received / chains sent per loop callback: other devices get the
 * loop back in between. */
#define NET_RX_BUDGET 64
#define NET_TX_BUDGET 256
#define NET_RX_BOUNCE (TAP_VNET_HDR_LEN + VIRTIO_NET_FRAME_MAX)
#define NET_HDR_FLAGS_OFF 0
#define NET_HDR_NUM_BUFFERS_OFF 10

/* A receive chain taken from the ring and not yet used. */
struct net_rx_slot {
	uint16_t head;
	unsigned int nr;
	uint32_t cap; /* bytes iov[] can take */
	struct iovec iov[NET_SLOT_IOV];
};

struct virtio_net {
	struct virtio_dev dev;
	struct virtio_dev_ops ops; /* features depend on the backend */
	struct tap tap;
	uint8_t config[VIRTIO_NET_CONFIG_LEN];
	uv_poll_t poll; /* the backend fd */
	uv_async_t wake;
	bool handles_open;

	uint64_t gen; /* bumped by activate and reset, under dev.lock */

	/* device loop only from here */
	uint64_t serving_gen;
	bool serving;
	bool mrg_rxbuf, guest_csum;
	unsigned int offloads; /* set on the backend */
	int poll_events;       /* what uv_poll watches now */
	bool rx_wait_kick;     /* no receive buffers: TAP not polled */
	bool backend_dead;     /* EOF or fatal error reading it */
	struct net_rx_slot rx[VIRTIO_NET_QUEUE_MAX]; /* FIFO of held chains */
	unsigned int rx_first, rx_nr;
	/* a received frame whose tail waits in bounce for more chains */
	bool rx_pending;
	uint32_t pending_len;  /* the whole frame, header included */
	uint32_t pending_tail; /* bytes of it in bounce */
	uint8_t *bounce;
	bool tx_held; /* txc waits for the backend to become writable */
	struct virtq_chain txc, rxc;
	struct iovec tx_iov[VIRTQ_CHAIN_MAX];
	struct virtio_net_stats stats;
};

static struct net_rx_slot *rx_slot(struct virtio_net *n, unsigned int i)
{
	return &n->rx[(n->rx_first + i) % VIRTIO_NET_QUEUE_MAX];
}

/* ---- queue access checked against the generation ------------------ */

/* Pop from queue q of the generation being served: 1, 0 (empty, or not
 * ours to serve any more), -EIO (hostile ring: NEEDS_RESET is set). */
static int net_pop(struct virtio_net *n, unsigned int q,
		   struct virtq_chain *c)
{
	struct virtio_dev *d = &n->dev;
	int r = 0;

	pthread_mutex_lock(&d->lock);
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		r = -EIO;
	else if (n->gen == n->serving_gen &&
		 (d->status & VIRTIO_STATUS_DRIVER_OK)) {
		r = virtq_pop(&d->vq[q], c);
		/* drained: ask for a kick, then look once more for a chain
		 * that raced the request */
		if (r == 0 && virtq_enable_notify(&d->vq[q], true))
			r = virtq_pop(&d->vq[q], c);
	}
	pthread_mutex_unlock(&d->lock);
	if (r < 0)
		virtio_dev_needs_reset(d);
	return r;
}

static void net_push(struct virtio_net *n, unsigned int q, uint16_t head,
		     uint32_t len)
{
	struct virtio_dev *d = &n->dev;

	pthread_mutex_lock(&d->lock);
	if (n->gen == n->serving_gen &&
	    !(d->status & VIRTIO_STATUS_NEEDS_RESET))
		virtq_push(&d->vq[q], head, len);
	pthread_mutex_unlock(&d->lock);
}

/* ---- polling the backend ------------------------------------------ */

static void on_backend(uv_poll_t *p, int status, int events);

static void update_poll(struct virtio_net *n)
{
	int want = 0;

	if (n->serving && !n->backend_dead) {
		if (!n->rx_wait_kick)
			want |= UV_READABLE;
		if (n->tx_held)
			want |= UV_WRITABLE;
	}
	if (want == n->poll_events)
		return;
	if (want)
		uv_poll_start(&n->poll, want, on_backend);
	else
		uv_poll_stop(&n->poll);
	n->poll_events = want;
}

/* ---- receive -------------------------------------------------------- */

static uint32_t iov_write(const struct iovec *iov, unsigned int nr,
			  uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *s = src;
	uint32_t done = 0;

	for (unsigned int i = 0; i < nr && done < len; i++) {
		uint32_t l = (uint32_t)iov[i].iov_len, take;

		if (off >= l) {
			off -= l;
			continue;
		}
		take = l - off < len - done ? l - off : len - done;
		memcpy((uint8_t *)iov[i].iov_base + off, s + done, take);
		done += take;
		off = 0;
	}
	return done;
}

/* Take one more receive chain: 1, 0 (none), -EIO (hostile). */
static int rx_take(struct virtio_net *n)
{
	struct virtq_chain *c = &n->rxc;
	struct net_rx_slot *s;
	int r;

	if (n->rx_nr == VIRTIO_NET_QUEUE_MAX)
		return 0;
	r = net_pop(n, VIRTIO_NET_RXQ, c);
	if (r == 0 && !n->rx_wait_kick) {
		/* notifications are re-armed: stop polling until a kick */
		n->rx_wait_kick = true;
		n->stats.rx_stalls++;
	}
	if (r <= 0)
		return r;
	s = rx_slot(n, n->rx_nr);
	s->head = c->head;
	s->nr = 0;
	s->cap = 0;
	for (unsigned int i = 0; i < c->nr && s->nr < NET_SLOT_IOV; i++) {
		if (!c->buf[i].writable || !c->buf[i].len)
			continue;
		s->iov[s->nr].iov_base = c->buf[i].host;
		s->iov[s->nr].iov_len = c->buf[i].len;
		s->cap += c->buf[i].len;
		s->nr++;
	}
	/* every receive buffer must hold at least a header (5.1.6.3.1) */
	if (s->cap < TAP_VNET_HDR_LEN) {
		virtio_dev_needs_reset(&n->dev);
		return -EIO;
	}
	n->rx_nr++;
	return 1;
}

static void rx_drop_first(struct virtio_net *n, unsigned int count)
{
	n->rx_first = (n->rx_first + count) % VIRTIO_NET_QUEUE_MAX;
	n->rx_nr -= count;
}

/* The frame's header sits in the first held chain: fix num_buffers and,
 * without GUEST_CSUM, the flags the TAP may have set (5.1.6.4.1). */
static void rx_fix_header(struct virtio_net *n, uint16_t num_buffers)
{
	struct net_rx_slot *s = rx_slot(n, 0);
	uint8_t zero = 0;

	iov_write(s->iov, s->nr, NET_HDR_NUM_BUFFERS_OFF, &num_buffers, 2);
	if (!n->guest_csum)
		iov_write(s->iov, s->nr, NET_HDR_FLAGS_OFF, &zero, 1);
}

/* Place the pending frame's tail (in bounce) into chains 1.. and hand the
 * frame to the guest.  false when the guest must add buffers first. */
static bool rx_place_pending(struct virtio_net *n)
{
	uint32_t room = 0, off = 0;
	unsigned int used = 1;
	int r;

	for (unsigned int i = 1; i < n->rx_nr; i++)
		room += rx_slot(n, i)->cap;
	while (room < n->pending_tail) {
		r = rx_take(n);
		if (r < 0) {
			n->rx_pending = false;
			return true;
		}
		if (r == 0) {
			if (n->rx_nr < VIRTIO_NET_QUEUE_MAX)
				return false;
			/* a whole ring of tiny buffers cannot take it */
			n->stats.rx_dropped++;
			n->rx_pending = false;
			return true;
		}
		room += rx_slot(n, n->rx_nr - 1)->cap;
	}
	while (off < n->pending_tail) {
		struct net_rx_slot *s = rx_slot(n, used);
		uint32_t take = n->pending_tail - off;

		if (take > s->cap)
			take = s->cap;
		iov_write(s->iov, s->nr, 0, n->bounce + off, take);
		off += take;
		used++;
	}
	rx_fix_header(n, (uint16_t)used);
	net_push(n, VIRTIO_NET_RXQ, rx_slot(n, 0)->head, rx_slot(n, 0)->cap);
	off = 0;
	for (unsigned int i = 1; i < used; i++) {
		struct net_rx_slot *s = rx_slot(n, i);
		uint32_t take = n->pending_tail - off;

		if (take > s->cap)
			take = s->cap;
		net_push(n, VIRTIO_NET_RXQ, s->head, take);
		off += take;
	}
	rx_drop_first(n, used);
	n->stats.rx_frames++;
	n->stats.rx_bytes += n->pending_len - TAP_VNET_HDR_LEN;
	n->stats.rx_merged++;
	n->rx_pending = false;
	return true;
}

/* Read one frame.  A TAP reports the frame's full length even when it
 * truncated it; a socket backend says so in MSG_TRUNC: both come back
 * as a length beyond the iovec. */
static ssize_t backend_read(struct virtio_net *n, struct iovec *iov,
			    unsigned int nr)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = nr };
	ssize_t got;

	if (n->tap.is_tap)
		return readv(n->tap.fd, iov, (int)nr);
	got = recvmsg(n->tap.fd, &mh, MSG_DONTWAIT);
	if (got >= 0 && (mh.msg_flags & MSG_TRUNC))
		return SSIZE_MAX;
	return got;
}

/* One frame from the backend into the guest.  1: delivered (or dropped),
 * 0: stop (backend empty, or waiting for buffers). */
static int rx_one(struct virtio_net *n)
{
	struct iovec iov[NET_SLOT_IOV + 1];
	struct net_rx_slot *s;
	unsigned int nr;
	ssize_t got;
	int r;

	if (n->rx_pending)
		return rx_place_pending(n) ? 1 : 0;
	if (n->rx_nr == 0) {
		r = rx_take(n);
		if (r <= 0)
			return 0;
	}
	s = rx_slot(n, 0);
	memcpy(iov, s->iov, s->nr * sizeof(iov[0]));
	nr = s->nr;
	if (n->mrg_rxbuf) {
		iov[nr].iov_base = n->bounce;
		iov[nr].iov_len = NET_RX_BOUNCE;
		nr++;
	}
	got = backend_read(n, iov, nr);
	if (got < 0) {
		if (errno != EAGAIN && errno != EINTR)
			n->backend_dead = true;
		return 0;
	}
	if (got == 0) {
		n->backend_dead = true; /* a socket backend's peer went away */
		return 0;
	}
	if ((size_t)got < TAP_VNET_HDR_LEN ||
	    (size_t)got > s->cap + (n->mrg_rxbuf ? NET_RX_BOUNCE : 0)) {
		n->stats.rx_dropped++;
		return 1; /* the chain stays held for the next frame */
	}
	if ((uint32_t)got <= s->cap) {
		rx_fix_header(n, 1);
		net_push(n, VIRTIO_NET_RXQ, s->head, (uint32_t)got);
		rx_drop_first(n, 1);
		n->stats.rx_frames++;
		n->stats.rx_bytes += (uint64_t)got - TAP_VNET_HDR_LEN;
		return 1;
	}
	n->rx_pending = true;
	n->pending_len = (uint32_t)got;
	n->pending_tail = (uint32_t)got - s->cap;
	return rx_place_pending(n) ? 1 : 0;
}

static void rx_run(struct virtio_net *n)
{
	uint64_t before = n->stats.rx_frames;

	for (unsigned int i = 0; i < NET_RX_BUDGET; i++) {
		if (!n->serving || n->backend_dead || n->rx_wait_kick ||
		    !rx_one(n))
			break;
	}
	if (n->stats.rx_frames != before)
		virtio_dev_signal_used(&n->dev, VIRTIO_NET_RXQ);
}

/* ---- transmit ------------------------------------------------------- */

/* Send txc to the backend.  false: the backend is full, keep the chain. */
static bool tx_send(struct virtio_net *n)
{
	struct virtq_chain *c = &n->txc;
	unsigned int nr = 0;
	ssize_t put;

	for (unsigned int i = 0; i < c->nr; i++) {
		if (c->buf[i].writable || !c->buf[i].len)
			continue;
		n->tx_iov[nr].iov_base = c->buf[i].host;
		n->tx_iov[nr].iov_len = c->buf[i].len;
		nr++;
	}
	put = writev(n->tap.fd, n->tx_iov, (int)nr);
	if (put < 0 && (errno == EAGAIN || errno == ENOBUFS))
		return false;
	if (put < 0) {
		/* the TAP refused it (a bad GSO header, link down): the
		 * guest's problem, counted and dropped */
		n->stats.tx_dropped++;
		return true;
	}
	n->stats.tx_frames++;
	n->stats.tx_bytes += c->readable_len - TAP_VNET_HDR_LEN;
	return true;
}

static void tx_run(struct virtio_net *n)
{
	struct virtq_chain *c = &n->txc;
	unsigned int sent = 0;
	int r;

	while (n->serving) {
		if (sent == NET_TX_BUDGET) {
			/* more may be queued: continue after other work */
			uv_async_send(&n->wake);
			break;
		}
		if (!n->tx_held) {
			r = net_pop(n, VIRTIO_NET_TXQ, c);
			if (r <= 0)
				break;
			/* a header is mandatory (5.1.6.2); no frame is larger
			 * than a 64 KiB GSO frame */
			if (c->readable_len < TAP_VNET_HDR_LEN) {
				virtio_dev_needs_reset(&n->dev);
				break;
			}
			if (c->readable_len >
			    TAP_VNET_HDR_LEN + VIRTIO_NET_FRAME_MAX) {
				n->stats.tx_dropped++;
				net_push(n, VIRTIO_NET_TXQ, c->head, 0);
				sent++;
				continue;
			}
		}
		n->tx_held = !n->backend_dead && !tx_send(n);
		if (n->tx_held)
			break; /* resumes when the backend is writable */
		net_push(n, VIRTIO_NET_TXQ, c->head, 0);
		sent++;
	}
	if (sent)
		virtio_dev_signal_used(&n->dev, VIRTIO_NET_TXQ);
}

/* ---- serving state -------------------------------------------------- */

static unsigned int guest_offloads(struct virtio_net *n)
{
	unsigned int o = 0;

	if (virtio_dev_has(&n->dev, VIRTIO_NET_F_GUEST_CSUM))
		o |= TAP_OFFLOAD_CSUM;
	if (virtio_dev_has(&n->dev, VIRTIO_NET_F_GUEST_TSO4))
		o |= TAP_OFFLOAD_TSO4;
	if (virtio_dev_has(&n->dev, VIRTIO_NET_F_GUEST_TSO6))
		o |= TAP_OFFLOAD_TSO6;
	if (virtio_dev_has(&n->dev, VIRTIO_NET_F_GUEST_ECN))
		o |= TAP_OFFLOAD_ECN;
	return o & n->tap.offloads;
}

static void stop_serving(struct virtio_net *n)
{
	/* held chains belong to rings the driver reset: forget them */
	n->serving = false;
	n->rx_first = n->rx_nr = 0;
	n->rx_pending = false;
	n->tx_held = false;
	n->rx_wait_kick = false;
}

/* Bring the loop's view in line with what the vCPU threads decided. */
static void net_sync(struct virtio_net *n)
{
	struct virtio_dev *d = &n->dev;
	uint64_t gen;
	bool ok;

	pthread_mutex_lock(&d->lock);
	gen = n->gen;
	ok = (d->status & VIRTIO_STATUS_DRIVER_OK) &&
	     !(d->status & VIRTIO_STATUS_NEEDS_RESET);
	pthread_mutex_unlock(&d->lock);

	if (n->serving && (!ok || gen != n->serving_gen))
		stop_serving(n);
	if (!n->serving && ok && gen != n->serving_gen) {
		unsigned int want = guest_offloads(n);

		n->serving_gen = gen;
		n->mrg_rxbuf = virtio_dev_has(d, VIRTIO_NET_F_MRG_RXBUF);
		n->guest_csum = virtio_dev_has(d, VIRTIO_NET_F_GUEST_CSUM);
		/* the kernel refuses TSO without CSUM: a driver asking for
		 * that gets plain frames */
		if (tap_set_offload(&n->tap, want) < 0) {
			want = 0;
			tap_set_offload(&n->tap, 0);
		}
		n->offloads = want;
		n->serving = true;
	}
	update_poll(n);
}

static void on_backend(uv_poll_t *p, int status, int events)
{
	struct virtio_net *n = p->data;

	net_sync(n);
	if (status < 0) {
		n->backend_dead = true;
	} else {
		if (events & UV_WRITABLE)
			tx_run(n);
		if (events & UV_READABLE) {
			n->stats.rx_wakeups++;
			rx_run(n);
		}
	}
	update_poll(n);
}

static void on_wake(uv_async_t *a)
{
	struct virtio_net *n = a->data;

	net_sync(n);
	tx_run(n);
	rx_run(n);
	update_poll(n);
}

static void net_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct virtio_net *n = d->priv;

	net_sync(n);
	if (q == VIRTIO_NET_RXQ) {
		n->rx_wait_kick = false;
		rx_run(n);
	} else if (q == VIRTIO_NET_TXQ) {
		tx_run(n);
	}
	update_poll(n);
}

/* vCPU thread, device lock held: never block, hand over to the loop. */
static int net_activate(struct virtio_dev *d)
{
	struct virtio_net *n = d->priv;

	n->gen++;
	uv_async_send(&n->wake);
	return 0;
}

static void net_reset(struct virtio_dev *d)
{
	struct virtio_net *n = d->priv;

	n->gen++;
	if (n->handles_open)
		uv_async_send(&n->wake);
}

static void net_config_read(struct virtio_dev *d, uint32_t off, void *data,
			    uint32_t len)
{
	struct virtio_net *n = d->priv;

	memcpy(data, n->config + off, len);
}

/* ---- creation ------------------------------------------------------- */

static uint64_t net_features(const struct tap *tap)
{
	uint64_t f = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
		     1ULL << VIRTIO_NET_F_MRG_RXBUF | VIRTQ_RING_FEATURES;

	/* Both directions follow what the TAP can do: it must take partial
	 * checksums and GSO frames from us (tx) and may hand them to the
	 * guest (rx) only once TUNSETOFFLOAD allows it. */
	if (tap->offloads & TAP_OFFLOAD_CSUM)
		f |= 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM;
	if (tap->offloads & TAP_OFFLOAD_TSO4)
		f |= 1ULL << VIRTIO_NET_F_HOST_TSO4 |
		     1ULL << VIRTIO_NET_F_GUEST_TSO4;
	if (tap->offloads & TAP_OFFLOAD_TSO6)
		f |= 1ULL << VIRTIO_NET_F_HOST_TSO6 |
		     1ULL << VIRTIO_NET_F_GUEST_TSO6;
	if (tap->offloads & TAP_OFFLOAD_ECN)
		f |= 1ULL << VIRTIO_NET_F_HOST_ECN |
		     1ULL << VIRTIO_NET_F_GUEST_ECN;
	return f;
}

static const struct virtio_dev_ops net_ops_template = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.nr_queues = 2,
	.queue_max = VIRTIO_NET_QUEUE_MAX,
	.config_len = VIRTIO_NET_CONFIG_LEN,
	.config_read = net_config_read,
	.activate = net_activate,
	.reset = net_reset,
	.queue_notify = net_queue_notify,
};

struct virtio_dev *virtio_net_create(const struct guest_mem *mem,
				     uv_loop_t *loop, struct tap *tap,
				     const uint8_t mac[6], struct lerr *e)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	uint16_t status = VIRTIO_NET_S_LINK_UP, pairs = 1;
	int r;

	if (!n || !(n->bounce = malloc(NET_RX_BOUNCE))) {
		free(n);
		tap_close(tap);
		lerr_fail(e, ENOMEM, "virtio-net: out of memory");
		return NULL;
	}
	n->tap = *tap;
	tap->fd = -1;
	n->ops = net_ops_template;
	n->ops.features = net_features(&n->tap);
	memcpy(n->config, mac, 6);
	memcpy(n->config + 6, &status, 2);
	memcpy(n->config + 8, &pairs, 2);
	virtio_dev_init(&n->dev, &n->ops, n, mem);

	r = uv_poll_init(loop, &n->poll, n->tap.fd);
	if (r == 0) {
		n->poll.data = n;
		r = uv_async_init(loop, &n->wake, on_wake);
		if (r < 0)
			uv_close((uv_handle_t *)&n->poll, NULL);
	}
	if (r < 0) {
		lerr_fail(e, -r, "virtio-net: %s: %s", n->tap.name,
			  uv_strerror(r));
		/* the poll handle (if any) is closed; let the loop finish it
		 * before freeing */
		uv_run(loop, UV_RUN_NOWAIT);
		virtio_dev_destroy(&n->dev);
		tap_close(&n->tap);
		free(n->bounce);
		free(n);
		return NULL;
	}
	n->wake.data = n;
	n->handles_open = true;
	return &n->dev;
}

void virtio_net_destroy(struct virtio_dev *d)
{
	struct virtio_net *n;

	if (!d)
		return;
	n = d->priv;
	virtio_dev_destroy(d);
	tap_close(&n->tap);
	free(n->bounce);
	free(n);
}

const struct virtio_net_stats *virtio_net_stats(const struct virtio_dev *d)
{
	const struct virtio_net *n = d->priv;

	return &n->stats;
}

unsigned int virtio_net_tap_offloads(const struct virtio_dev *d)
{
	const struct virtio_net *n = d->priv;

	return n->offloads;
}
