/* test-vsock-hostile.c - what a hostile guest can send the vsock device:
 * the header check on its own (vsock_packet_check), then malformed
 * packets through the real queues: each is dropped or answered with RST,
 * the device keeps serving, and a hostile ring ends in NEEDS_RESET. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "virtio-mmio.h"
#include "vsock-driver.h"

static struct td_pkt pkt;

static struct vsock_hdr good(uint16_t op, uint32_t len)
{
	struct vsock_hdr h = {
		.src_cid = TD_CID,
		.dst_cid = VSOCK_HOST_CID,
		.src_port = 40000,
		.dst_port = 1234,
		.len = len,
		.type = VSOCK_TYPE_STREAM,
		.op = op,
		.buf_alloc = 4096,
	};

	return h;
}

Test(vsock_packet, header_is_44_bytes)
{
	cr_assert_eq(sizeof(struct vsock_hdr), 44);
}

Test(vsock_packet, checks)
{
	struct vsock_hdr h = good(VSOCK_OP_RW, 100);

	cr_assert_eq(vsock_packet_check(&h, 144, TD_CID), VSOCK_PKT_OK);
	cr_assert_eq(vsock_packet_check(&h, 143, TD_CID), VSOCK_PKT_RESET,
		     "len beyond the chain");
	cr_assert_eq(vsock_packet_check(&h, 43, TD_CID), VSOCK_PKT_DROP,
		     "short header");
	cr_assert_eq(vsock_packet_check(&h, 144, 4), VSOCK_PKT_DROP,
		     "src_cid is not the guest's");
	h.len = VSOCK_PKT_PAYLOAD_MAX + 1;
	cr_assert_eq(vsock_packet_check(&h, 0xffffffffU, TD_CID),
		     VSOCK_PKT_RESET, "len beyond the cap");
	h.len = 0xffffffffU;
	cr_assert_eq(vsock_packet_check(&h, 0xffffffffU, TD_CID),
		     VSOCK_PKT_RESET, "len that would wrap");

	h = good(VSOCK_OP_RW, 0);
	h.dst_cid = 1;
	cr_assert_eq(vsock_packet_check(&h, 44, TD_CID), VSOCK_PKT_DROP);
	h = good(VSOCK_OP_RW, 0);
	h.type = 2; /* SEQPACKET: not offered */
	cr_assert_eq(vsock_packet_check(&h, 44, TD_CID), VSOCK_PKT_RESET);
	h = good(0, 0);
	cr_assert_eq(vsock_packet_check(&h, 44, TD_CID), VSOCK_PKT_RESET);
	h = good(8, 0);
	cr_assert_eq(vsock_packet_check(&h, 44, TD_CID), VSOCK_PKT_RESET);
	h = good(VSOCK_OP_REQUEST, 10);
	cr_assert_eq(vsock_packet_check(&h, 54, TD_CID), VSOCK_PKT_RESET,
		     "payload on a control packet");
	h = good(VSOCK_OP_SHUTDOWN, 0);
	h.flags = 4;
	cr_assert_eq(vsock_packet_check(&h, 44, TD_CID), VSOCK_PKT_RESET);
	h = good(VSOCK_OP_RST, 0);
	h.type = 9;
	cr_assert_eq(vsock_packet_check(&h, 44, TD_CID), VSOCK_PKT_DROP,
		     "an RST is never answered with an RST");
}

TestSuite(vsock_hostile, .init = td_init, .fini = td_fini, .timeout = 60);

/* The device still serves a well-formed guest-initiated connect. */
static void still_serving(void)
{
	td_send(VSOCK_OP_REQUEST, 41000, 5003, 0, NULL, 0);
	cr_assert(td_recv(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RST, "no listener on 5003");
	cr_assert_eq(pkt.h.dst_port, 41000);
}

Test(vsock_hostile, short_header_is_dropped)
{
	struct vsock_hdr h = good(VSOCK_OP_REQUEST, 0);

	td_send_raw(&h, 20, NULL, 0);
	cr_assert(td_quiet(50));
	cr_assert_eq(virtio_vsock_stats(td.dev)->dropped, 1);
	still_serving();
}

Test(vsock_hostile, forged_cids_are_dropped)
{
	struct vsock_hdr h = good(VSOCK_OP_REQUEST, 0);

	h.src_cid = 7;
	td_send_raw(&h, 44, NULL, 0);
	h = good(VSOCK_OP_REQUEST, 0);
	h.dst_cid = 5;
	td_send_raw(&h, 44, NULL, 0);
	h = good(VSOCK_OP_REQUEST, 0);
	h.src_cid |= 1ULL << 40;
	td_send_raw(&h, 44, NULL, 0);
	cr_assert(td_quiet(50));
	cr_assert_eq(virtio_vsock_stats(td.dev)->dropped, 3);
	still_serving();
}

static void expect_rst_for(const struct vsock_hdr *h, uint32_t data_len)
{
	static uint8_t junk[1024];

	td_send_raw(h, 44, junk, data_len);
	cr_assert(td_recv(&pkt), "no answer to op %u type %u len %u", h->op,
		  h->type, h->len);
	cr_assert_eq(pkt.h.op, VSOCK_OP_RST);
	cr_assert_eq(pkt.h.src_port, h->dst_port);
	cr_assert_eq(pkt.h.dst_port, h->src_port);
}

Test(vsock_hostile, malformed_packets_get_rst)
{
	struct vsock_hdr h = good(VSOCK_OP_RW, 1000);

	expect_rst_for(&h, 10); /* len beyond the buffer */
	h = good(99, 0);
	expect_rst_for(&h, 0); /* unknown op */
	h = good(VSOCK_OP_REQUEST, 0);
	h.type = 2;
	expect_rst_for(&h, 0); /* unknown type */
	h = good(VSOCK_OP_RW, 5);
	expect_rst_for(&h, 5); /* data for no connection */
	h = good(VSOCK_OP_RESPONSE, 0);
	expect_rst_for(&h, 0); /* response to nothing */
	cr_assert(td_quiet(50));
	still_serving();
}

Test(vsock_hostile, rst_for_nothing_is_ignored)
{
	struct vsock_hdr h = good(VSOCK_OP_RST, 0);

	td_send_raw(&h, 44, NULL, 0);
	cr_assert(td_quiet(50));
	still_serving();
}

Test(vsock_hostile, protocol_violation_resets_the_connection)
{
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);

	/* a second REQUEST on a live connection */
	td_send(VSOCK_OP_REQUEST, 1234, hp, 0, NULL, 0);
	cr_assert(td_recv_skip_credit(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RST);
	cr_assert(td_host_eof(fd));
	close(fd);
}

Test(vsock_hostile, data_after_send_shutdown_resets)
{
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);

	td_send(VSOCK_OP_SHUTDOWN, 1234, hp, VSOCK_SHUTDOWN_SEND, NULL, 0);
	td_send(VSOCK_OP_RW, 1234, hp, 0, "x", 1);
	cr_assert(td_recv_skip_credit(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RST);
	close(fd);
}

Test(vsock_hostile, flood_of_orphans_is_bounded)
{
	struct vsock_hdr h = good(VSOCK_OP_RW, 0);
	unsigned int rsts = 0;

	/* fill every rx buffer's worth and more without the guest reading */
	for (unsigned int i = 0; i < 200; i++) {
		h.src_port = 60000 + i;
		td_send_raw(&h, 44, NULL, 0);
	}
	while (td_recv(&pkt)) {
		cr_assert_eq(pkt.h.op, VSOCK_OP_RST);
		rsts++;
	}
	cr_assert_geq(rsts, 32);
	cr_assert_leq(rsts, 200);
	still_serving();
}

Test(vsock_hostile, hostile_ring_needs_reset)
{
	uint32_t st, hp;
	int fd = td_connect_established(1234, &hp);
	/* a tx descriptor far outside guest RAM */
	uint8_t *d = guest_mem_ptr(&td.mem, 0x100000ULL + 0x4000, 16);
	uint16_t *avail = guest_mem_ptr(&td.mem, 0x100000ULL + 0x5000, 4 + 128);
	uint64_t bad = 0xfff00000000ULL;
	uint32_t len = 44;
	uint16_t flags = 0, next = 0;

	cr_assert_not_null(d);
	memcpy(d, &bad, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	avail[2 + td.tx_avail % TD_QSIZE] = 0;
	td.tx_avail++;
	__atomic_store_n(&avail[1], td.tx_avail, __ATOMIC_RELEASE);
	st = 1;
	virtio_mmio_write(td.dev, VIRTIO_MMIO_QUEUE_NOTIFY, &st, 4);
	virtio_mmio_read(td.dev, 0x070, &st, 4);
	cr_assert(st & VIRTIO_STATUS_NEEDS_RESET);
	/* the driver's reset then drops the connection */
	st = 0;
	virtio_mmio_write(td.dev, 0x070, &st, 4);
	cr_assert(td_host_eof(fd));
	close(fd);
}
