/* test-virtio-net.c - the virtio-net device driven through its virtio-mmio
 * registers by a test driver (rings in real guest memory), with the
 * device loop run inline.  The backend is one end of a SOCK_SEQPACKET
 * socketpair (same one-frame-per-read semantics as a TAP) or, for the
 * tap_* tests, a real TAP in a private network namespace (skipped when
 * /dev/net/tun is missing). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "guest-mem.h"
#include "tap.h"
#include "virtio-mmio.h"
#include "virtio-net.h"
#include "virtio-test.h"

#define QSIZE 64
#define HDR TAP_VNET_HDR_LEN
#define BUF_BASE 0x100000ULL

static const uint8_t test_mac[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 };

static struct guest_mem mem;
static uv_loop_t loop;
static struct virtio_dev *dev;
static int peer = -1; /* the other end of the backend socketpair */
static unsigned int irqs;
static uint64_t buf_next;

struct tq {
	uint64_t desc, avail, used;
	uint16_t next_desc, avail_idx;
};
static struct tq tq[2] = {
	{ 0x10000, 0x11000, 0x12000, 0, 0 },
	{ 0x14000, 0x15000, 0x16000, 0, 0 },
};

struct seg {
	uint64_t addr;
	uint32_t len;
	bool writable;
};

static void test_irq(struct virtio_dev *d)
{
	irqs++;
}

/* the device thread, inline */
static const struct virtio_hooks hooks = { .irq = test_irq,
					   .kick = vd_notify_inline };

/* registers and guest memory through the test driver (tests/support) */
#define rd(off) vd_rd(dev, off)
#define wr(off, v) vd_wr(dev, off, v)
#define gpa(a, len) vt_gpa(&mem, a, len)

static uint64_t alloc_buf(uint32_t len)
{
	uint64_t a = buf_next;

	buf_next += (len + 4095) & ~4095ULL;
	return a;
}

static void pump(void)
{
	for (int i = 0; i < 20; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
}

static void start_device(struct tap *tap)
{
	struct lerr e = { 0 };

	dev = virtio_net_create(&mem, &loop, tap, test_mac, &e);
	cr_assert_not_null(dev, "%s", e.msg);
	dev->hooks = &hooks;
}

static void setup_common(void)
{
	struct lerr e = { 0 };

	cr_assert_eq(guest_mem_init(&mem, 64ULL << 20, &e), 0, "%s", e.msg);
	cr_assert_eq(uv_loop_init(&loop), 0);
	irqs = 0;
	buf_next = BUF_BASE;
	for (int q = 0; q < 2; q++)
		tq[q].next_desc = tq[q].avail_idx = 0;
}

static void setup_socketpair(void)
{
	struct lerr e = { 0 };
	struct tap tap;
	int sv[2];

	setup_common();
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
		     0);
	cr_assert_eq(tap_from_fd(&tap, sv[0], &e), 0, "%s", e.msg);
	peer = sv[1];
	start_device(&tap);
}

static void close_cb(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void teardown(void)
{
	uv_walk(&loop, close_cb, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	virtio_net_destroy(dev);
	if (peer >= 0)
		close(peer);
	peer = -1;
	guest_mem_free(&mem);
}

TestSuite(virtio_net, .init = setup_socketpair, .fini = teardown);

static uint64_t device_features(void)
{
	uint64_t f;

	wr(0x014, 0);
	f = rd(0x010);
	wr(0x014, 1);
	return f | (uint64_t)rd(0x010) << 32;
}

/* 3.1.1 up to DRIVER_OK with both queues, then let the loop see it. */
static void driver_ok(uint64_t features)
{
	features |= 1ULL << VIRTIO_F_VERSION_1;
	wr(0x070, 0);
	cr_assert(vd_negotiate(dev, (uint32_t)features,
			       (uint32_t)(features >> 32)) &
		  VIRTIO_STATUS_FEATURES_OK);
	for (uint32_t q = 0; q < 2; q++)
		vd_setup_queue(dev, q, QSIZE, tq[q].desc, tq[q].avail,
			       tq[q].used);
	cr_assert(vd_driver_ok(dev) & VIRTIO_STATUS_DRIVER_OK);
	pump();
}

/* Queue one chain of n segments on queue q (no kick). */
static void add_chain(unsigned int q, const struct seg *s, unsigned int n)
{
	struct tq *t = &tq[q];
	uint16_t head = t->next_desc % QSIZE;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (t->next_desc + i) % QSIZE;
		uint16_t next = (t->next_desc + i + 1) % QSIZE;
		uint16_t flags = (s[i].writable ? VIRTQ_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);

		cr_assert_eq(vd_put_desc(&mem, t->desc, idx, s[i].addr,
					 s[i].len, flags, next),
			     0);
	}
	t->next_desc += n;
	cr_assert_eq(vd_avail_add(&mem, t->avail, QSIZE, &t->avail_idx, head),
		     0);
}

static void kick(unsigned int q)
{
	vd_kick(dev, q);
}

static uint16_t used_idx(unsigned int q)
{
	return vd_used_idx(&mem, tq[q].used);
}

static void used_elem(unsigned int q, uint16_t i, uint32_t *id, uint32_t *len)
{
	cr_assert_eq(vd_used_elem(&mem, tq[q].used, QSIZE, i, id, len), 0);
}

/* Pump the loop until queue q has `want` used entries (or 2 s pass). */
static void wait_used(unsigned int q, uint16_t want)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		uv_run(&loop, UV_RUN_NOWAIT);
		if ((uint16_t)(used_idx(q) - want) < 0x8000)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 2)
			return;
	}
}

/* A test frame: broadcast, our MAC, ethertype 0x88b5, payload from seed. */
static void make_frame(uint8_t *f, size_t len, unsigned int seed)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, test_mac, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(seed * 31 + i * 7);
}

/* Send hdr (flags byte `flags`, rest zero) + frame from the backend side. */
static void peer_send(const uint8_t *frame, size_t len, uint8_t flags)
{
	uint8_t pkt[HDR + 2048];

	cr_assert_leq(len, 2048);
	memset(pkt, 0, HDR);
	pkt[0] = flags;
	memcpy(pkt + HDR, frame, len);
	cr_assert_eq(send(peer, pkt, HDR + len, 0), (ssize_t)(HDR + len));
}

static uint64_t post_rx(uint32_t len)
{
	uint64_t a = alloc_buf(len);
	struct seg s = { a, len, true };

	add_chain(VIRTIO_NET_RXQ, &s, 1);
	return a;
}

Test(virtio_net, identifies_itself_with_mac_and_link_up)
{
	uint8_t mac[6];
	uint16_t status;

	cr_assert_eq(rd(0x008), VIRTIO_ID_NET);
	wr(0x030, 0);
	cr_assert_eq(rd(0x034), VIRTIO_NET_QUEUE_MAX);
	wr(0x030, 1);
	cr_assert_eq(rd(0x034), VIRTIO_NET_QUEUE_MAX);
	wr(0x030, 2);
	cr_assert_eq(rd(0x034), 0, "no control queue");
	for (int i = 0; i < 6; i++)
		virtio_mmio_read(dev, 0x100 + i, &mac[i], 1);
	cr_assert_arr_eq(mac, test_mac, 6);
	virtio_mmio_read(dev, 0x106, &status, 2);
	cr_assert_eq(status, VIRTIO_NET_S_LINK_UP);
}

Test(virtio_net, features_without_offloads)
{
	uint64_t f = device_features();

	cr_assert(f & 1ULL << VIRTIO_NET_F_MAC);
	cr_assert(f & 1ULL << VIRTIO_NET_F_STATUS);
	cr_assert(f & 1ULL << VIRTIO_NET_F_MRG_RXBUF);
	cr_assert(f & 1ULL << VIRTIO_RING_F_EVENT_IDX);
	cr_assert(f & 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	cr_assert(f & 1ULL << VIRTIO_F_VERSION_1);
	/* a plain packet fd cannot take partial checksums or GSO */
	cr_assert_not(f & 1ULL << VIRTIO_NET_F_CSUM);
	cr_assert_not(f & 1ULL << VIRTIO_NET_F_GUEST_CSUM);
	cr_assert_not(f & 1ULL << VIRTIO_NET_F_HOST_TSO4);
	cr_assert_not(f & 1ULL << VIRTIO_NET_F_GUEST_TSO4);
	/* offering unoffered bits is refused */
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vd_write_features(dev, 1U << VIRTIO_NET_F_GUEST_CSUM, 1);
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			  VIRTIO_STATUS_FEATURES_OK);
	cr_assert_not(rd(0x070) & VIRTIO_STATUS_FEATURES_OK);
}

Test(virtio_net, tx_frame_reaches_backend_with_header)
{
	uint64_t h = alloc_buf(HDR), f = alloc_buf(200);
	struct seg s[2] = { { h, HDR, false }, { f, 200, false } };
	uint8_t got[512];
	uint32_t id, len;

	driver_ok(0);
	memset(gpa(h, HDR), 0, HDR);
	make_frame(gpa(f, 200), 200, 1);
	add_chain(VIRTIO_NET_TXQ, s, 2);
	kick(VIRTIO_NET_TXQ);
	cr_assert_eq(used_idx(VIRTIO_NET_TXQ), 1);
	used_elem(VIRTIO_NET_TXQ, 0, &id, &len);
	cr_assert_eq(id, 0);
	cr_assert_eq(len, 0);
	cr_assert_geq(irqs, 1);
	cr_assert_eq(recv(peer, got, sizeof(got), MSG_DONTWAIT), HDR + 200);
	cr_assert_arr_eq(got + HDR, gpa(f, 200), 200);
	cr_assert_eq(virtio_net_stats(dev)->tx_frames, 1);
}

Test(virtio_net, rx_frame_lands_with_header)
{
	uint8_t frame[300];
	uint64_t b;
	uint32_t id, len;
	uint16_t nb;
	uint8_t *g;

	driver_ok(0);
	b = post_rx(1526);
	kick(VIRTIO_NET_RXQ);
	make_frame(frame, sizeof(frame), 2);
	peer_send(frame, sizeof(frame), 1 /* NEEDS_CSUM */);
	wait_used(VIRTIO_NET_RXQ, 1);
	cr_assert_eq(used_idx(VIRTIO_NET_RXQ), 1);
	used_elem(VIRTIO_NET_RXQ, 0, &id, &len);
	cr_assert_eq(len, HDR + sizeof(frame));
	g = gpa(b, 1526);
	memcpy(&nb, g + 10, 2);
	cr_assert_eq(nb, 1, "num_buffers");
	cr_assert_eq(g[0], 0, "flags cleared without GUEST_CSUM");
	cr_assert_arr_eq(g + HDR, frame, sizeof(frame));
	cr_assert_geq(irqs, 1);
}

Test(virtio_net, rx_mergeable_frame_spans_three_chains)
{
	uint8_t frame[1200], *g;
	uint64_t b[4];
	uint32_t id, len[3];
	uint16_t nb;
	size_t off = 0;

	driver_ok(1ULL << VIRTIO_NET_F_MRG_RXBUF);
	for (int i = 0; i < 4; i++)
		b[i] = post_rx(512);
	kick(VIRTIO_NET_RXQ);
	make_frame(frame, sizeof(frame), 3);
	peer_send(frame, sizeof(frame), 0);
	wait_used(VIRTIO_NET_RXQ, 3);
	cr_assert_eq(used_idx(VIRTIO_NET_RXQ), 3);
	for (uint16_t i = 0; i < 3; i++) {
		used_elem(VIRTIO_NET_RXQ, i, &id, &len[i]);
		cr_assert_eq(id, i, "chains used in order");
	}
	cr_assert_eq(len[0], 512);
	cr_assert_eq(len[1], 512);
	cr_assert_eq(len[2], HDR + sizeof(frame) - 1024);
	g = gpa(b[0], 512);
	memcpy(&nb, g + 10, 2);
	cr_assert_eq(nb, 3, "num_buffers");
	cr_assert_arr_eq(g + HDR, frame, 512 - HDR);
	off = 512 - HDR;
	cr_assert_arr_eq(gpa(b[1], 512), frame + off, 512);
	off += 512;
	cr_assert_arr_eq(gpa(b[2], len[2]), frame + off, len[2]);
	cr_assert_eq(virtio_net_stats(dev)->rx_merged, 1);
}

Test(virtio_net, rx_without_buffers_waits_then_delivers)
{
	uint8_t frame[100];
	const struct virtio_net_stats *st = virtio_net_stats(dev);
	uint64_t wakeups;
	uint32_t id, len;
	uint64_t b;

	driver_ok(1ULL << VIRTIO_RING_F_EVENT_IDX);
	make_frame(frame, sizeof(frame), 4);
	peer_send(frame, sizeof(frame), 0);
	pump();
	cr_assert_eq(used_idx(VIRTIO_NET_RXQ), 0);
	cr_assert_eq(st->rx_stalls, 1);
	/* the backend is no longer polled: no busy loop while we wait */
	wakeups = st->rx_wakeups;
	pump();
	pump();
	cr_assert_eq(st->rx_wakeups, wakeups);
	cr_assert_eq(st->rx_dropped, 0);

	b = post_rx(1526);
	kick(VIRTIO_NET_RXQ);
	wait_used(VIRTIO_NET_RXQ, 1);
	cr_assert_eq(used_idx(VIRTIO_NET_RXQ), 1);
	used_elem(VIRTIO_NET_RXQ, 0, &id, &len);
	cr_assert_eq(len, HDR + sizeof(frame));
	cr_assert_arr_eq((uint8_t *)gpa(b, 1526) + HDR, frame, sizeof(frame));
}

Test(virtio_net, steady_load_loses_nothing_within_queue_capacity)
{
	enum { FRAMES = 150, RING = 16 };
	uint8_t frame[600], want[600];
	uint16_t seen = 0;

	driver_ok(1ULL << VIRTIO_NET_F_MRG_RXBUF |
		  1ULL << VIRTIO_RING_F_EVENT_IDX);
	for (int i = 0; i < RING; i++)
		post_rx(1526);
	kick(VIRTIO_NET_RXQ);
	for (unsigned int i = 0; i < FRAMES; i++) {
		make_frame(frame, sizeof(frame), 100 + i);
		peer_send(frame, sizeof(frame), 0);
	}
	/* a driver that recycles each buffer once it has read it */
	while (seen < FRAMES) {
		uint16_t u;

		pump();
		u = used_idx(VIRTIO_NET_RXQ);
		cr_assert_neq(u, seen, "stalled at %u of %u frames", seen,
			      FRAMES);
		for (; seen != u; seen++) {
			uint32_t id, len;
			struct seg s = { 0, 1526, true };

			used_elem(VIRTIO_NET_RXQ, seen, &id, &len);
			cr_assert_eq(len, HDR + sizeof(want));
			s.addr = *(uint64_t *)gpa(tq[0].desc + 16 * id, 8);
			make_frame(want, sizeof(want), 100 + seen);
			cr_assert_arr_eq((uint8_t *)gpa(s.addr, 1526) + HDR,
					 want, sizeof(want), "frame %u", seen);
			add_chain(VIRTIO_NET_RXQ, &s, 1);
		}
		kick(VIRTIO_NET_RXQ);
	}
	cr_assert_eq(virtio_net_stats(dev)->rx_frames, FRAMES);
	cr_assert_eq(virtio_net_stats(dev)->rx_dropped, 0);
}

Test(virtio_net, hostile_tx_short_header_needs_reset)
{
	uint64_t h = alloc_buf(8);
	struct seg s = { h, 8, false };
	uint8_t got[64];

	driver_ok(0);
	add_chain(VIRTIO_NET_TXQ, &s, 1);
	kick(VIRTIO_NET_TXQ);
	cr_assert(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(recv(peer, got, sizeof(got), MSG_DONTWAIT), -1);
	/* a reset brings the device back */
	memset(gpa(tq[1].avail, 4 + 2 * QSIZE), 0, 4 + 2 * QSIZE);
	memset(gpa(tq[1].used, 4 + 8 * QSIZE), 0, 4 + 8 * QSIZE);
	memset(gpa(tq[0].avail, 4 + 2 * QSIZE), 0, 4 + 2 * QSIZE);
	memset(gpa(tq[0].used, 4 + 8 * QSIZE), 0, 4 + 8 * QSIZE);
	tq[0].avail_idx = tq[1].avail_idx = 0;
	driver_ok(0);
	cr_assert_not(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
}

Test(virtio_net, hostile_tx_oversized_is_dropped)
{
	uint64_t h = alloc_buf(HDR), f = alloc_buf(70000);
	struct seg s[2] = { { h, HDR, false }, { f, 70000, false } };
	uint8_t got[64];
	uint32_t id, len;

	driver_ok(0);
	memset(gpa(h, HDR), 0, HDR);
	add_chain(VIRTIO_NET_TXQ, s, 2);
	kick(VIRTIO_NET_TXQ);
	cr_assert_eq(used_idx(VIRTIO_NET_TXQ), 1);
	used_elem(VIRTIO_NET_TXQ, 0, &id, &len);
	cr_assert_eq(len, 0);
	cr_assert_eq(virtio_net_stats(dev)->tx_dropped, 1);
	cr_assert_eq(recv(peer, got, sizeof(got), MSG_DONTWAIT), -1);
	cr_assert_not(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
}

Test(virtio_net, hostile_tx_chain_outside_ram_needs_reset)
{
	struct seg s[2] = { { alloc_buf(HDR), HDR, false },
			    { 0xfff00000ULL, 100, false } };

	driver_ok(0);
	add_chain(VIRTIO_NET_TXQ, s, 2);
	kick(VIRTIO_NET_TXQ);
	cr_assert(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(used_idx(VIRTIO_NET_TXQ), 0);
}

Test(virtio_net, hostile_rx_buffer_smaller_than_header_needs_reset)
{
	uint8_t frame[100];

	driver_ok(1ULL << VIRTIO_NET_F_MRG_RXBUF);
	post_rx(4);
	kick(VIRTIO_NET_RXQ);
	make_frame(frame, sizeof(frame), 5);
	peer_send(frame, sizeof(frame), 0);
	pump();
	cr_assert(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(used_idx(VIRTIO_NET_RXQ), 0);
}

Test(virtio_net, rx_frame_too_big_for_a_plain_buffer_is_dropped)
{
	uint8_t frame[1000];
	uint64_t b;

	driver_ok(0); /* no MRG_RXBUF: one chain per frame */
	post_rx(256);
	kick(VIRTIO_NET_RXQ);
	make_frame(frame, sizeof(frame), 6);
	peer_send(frame, sizeof(frame), 0);
	pump();
	cr_assert_eq(used_idx(VIRTIO_NET_RXQ), 0);
	cr_assert_eq(virtio_net_stats(dev)->rx_dropped, 1);
	/* the chain is still ours and takes the next frame that fits */
	peer_send(frame, 200, 0);
	wait_used(VIRTIO_NET_RXQ, 1);
	cr_assert_eq(used_idx(VIRTIO_NET_RXQ), 1);
	b = BUF_BASE;
	cr_assert_arr_eq((uint8_t *)gpa(b, 256) + HDR, frame, 200);
}

Test(virtio_net, reset_forgets_held_chains)
{
	uint8_t frame[100];

	driver_ok(0);
	post_rx(1526);
	kick(VIRTIO_NET_RXQ); /* the chain is now held by the device */
	wr(0x070, 0);
	pump();
	memset(gpa(tq[0].avail, 4 + 2 * QSIZE), 0, 4 + 2 * QSIZE);
	memset(gpa(tq[0].used, 4 + 8 * QSIZE), 0, 4 + 8 * QSIZE);
	tq[0].avail_idx = 0;
	driver_ok(0);
	make_frame(frame, sizeof(frame), 7);
	peer_send(frame, sizeof(frame), 0);
	pump();
	cr_assert_eq(used_idx(VIRTIO_NET_RXQ), 0,
		     "nothing pushed into the new rings from the old chain");
	post_rx(1526);
	kick(VIRTIO_NET_RXQ);
	wait_used(VIRTIO_NET_RXQ, 1);
	cr_assert_eq(used_idx(VIRTIO_NET_RXQ), 1);
}

/* ---- a real TAP, in a network namespace of the test's own ---------- */

static int tap_ifindex;
static int pkt_sock = -1;

static void setup_real_tap(void)
{
	struct lerr e = { 0 };
	struct ifreq ifr = { 0 };
	struct sockaddr_ll sll = { 0 };
	char name[IFNAMSIZ];
	struct tap tap;
	int s, fd;

	setup_common();
	if (access("/dev/net/tun", F_OK) != 0)
		cr_skip_test("no /dev/net/tun");
	if (unshare(CLONE_NEWNET) != 0)
		cr_skip_test("cannot make a network namespace: %s",
			     strerror(errno));
	/* no IPv6 chatter (router solicitations, MLD) on the new TAP */
	fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY);
	if (fd >= 0) {
		cr_assert_eq(write(fd, "1", 1), 1);
		close(fd);
	}
	srand((unsigned int)getpid() ^ (unsigned int)time(NULL));
	snprintf(name, sizeof(name), "ltap-test%d", rand() % 100000);
	cr_assert_eq(tap_open(&tap, name, &e), 0, "%s", e.msg);
	cr_assert(tap.is_tap);

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	strcpy(ifr.ifr_name, name);
	cr_assert_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP | IFF_NOARP;
	cr_assert_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
	tap_ifindex = (int)if_nametoindex(name);
	cr_assert_gt(tap_ifindex, 0);

	pkt_sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x88b5));
	cr_assert_geq(pkt_sock, 0);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(0x88b5);
	sll.sll_ifindex = tap_ifindex;
	cr_assert_eq(bind(pkt_sock, (struct sockaddr *)&sll, sizeof(sll)), 0);
	start_device(&tap);
}

static void teardown_real_tap(void)
{
	if (pkt_sock >= 0)
		close(pkt_sock);
	pkt_sock = -1;
	teardown();
}

Test(virtio_net_tap, offloads_offered_and_set_from_guest_features,
     .init = setup_real_tap, .fini = teardown_real_tap)
{
	uint64_t f = device_features(), guest;

	cr_assert(f & 1ULL << VIRTIO_NET_F_CSUM);
	cr_assert(f & 1ULL << VIRTIO_NET_F_GUEST_CSUM);
	cr_assert(f & 1ULL << VIRTIO_NET_F_HOST_TSO4);
	cr_assert(f & 1ULL << VIRTIO_NET_F_HOST_TSO6);
	cr_assert(f & 1ULL << VIRTIO_NET_F_GUEST_TSO4);
	cr_assert(f & 1ULL << VIRTIO_NET_F_GUEST_TSO6);

	guest = 1ULL << VIRTIO_NET_F_GUEST_CSUM |
		1ULL << VIRTIO_NET_F_GUEST_TSO4 |
		1ULL << VIRTIO_NET_F_GUEST_TSO6 | 1ULL << VIRTIO_NET_F_CSUM;
	driver_ok(guest);
	cr_assert_eq(virtio_net_tap_offloads(dev),
		     TAP_OFFLOAD_CSUM | TAP_OFFLOAD_TSO4 | TAP_OFFLOAD_TSO6);
	driver_ok(1ULL << VIRTIO_NET_F_MRG_RXBUF); /* reset, no offloads */
	cr_assert_eq(virtio_net_tap_offloads(dev), 0);
}

Test(virtio_net_tap, frames_pass_both_ways, .init = setup_real_tap,
     .fini = teardown_real_tap)
{
	uint64_t h = alloc_buf(HDR), f = alloc_buf(300), b;
	struct seg s[2] = { { h, HDR, false }, { f, 300, false } };
	struct sockaddr_ll to = { 0 };
	uint8_t got[2048], frame[400];
	ssize_t n = -1;
	uint32_t id, len;

	driver_ok(1ULL << VIRTIO_NET_F_MRG_RXBUF);

	/* guest -> TAP: the kernel sees the frame without the header */
	memset(gpa(h, HDR), 0, HDR);
	make_frame(gpa(f, 300), 300, 8);
	add_chain(VIRTIO_NET_TXQ, s, 2);
	kick(VIRTIO_NET_TXQ);
	cr_assert_eq(used_idx(VIRTIO_NET_TXQ), 1);
	for (int i = 0; i < 200 && n < 0; i++) {
		n = recv(pkt_sock, got, sizeof(got), MSG_DONTWAIT);
		if (n < 0)
			usleep(5000);
	}
	cr_assert_eq(n, 300);
	cr_assert_arr_eq(got, gpa(f, 300), 300);

	/* kernel -> TAP -> guest: the header comes first */
	b = post_rx(4096);
	kick(VIRTIO_NET_RXQ);
	make_frame(frame, sizeof(frame), 9);
	to.sll_family = AF_PACKET;
	to.sll_ifindex = tap_ifindex;
	to.sll_halen = 6;
	memset(to.sll_addr, 0xff, 6);
	cr_assert_eq(sendto(pkt_sock, frame, sizeof(frame), 0,
			    (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)sizeof(frame));
	wait_used(VIRTIO_NET_RXQ, 1);
	cr_assert_eq(used_idx(VIRTIO_NET_RXQ), 1);
	used_elem(VIRTIO_NET_RXQ, 0, &id, &len);
	cr_assert_eq(len, HDR + sizeof(frame));
	cr_assert_arr_eq((uint8_t *)gpa(b, 4096) + HDR, frame, sizeof(frame));
	cr_assert_eq(*(uint16_t *)gpa(b + 10, 2), 1, "num_buffers");
}
