/* fuzz-virtio-net.c - libFuzzer harness for the network device
 * (vmm/virtio-net.c) behind the virtio-mmio transport, with one end of a
 * SOCK_SEQPACKET socketpair as its TAP and the device loop run inline.
 *
 * The input is a program for a hostile driver and a hostile network:
 * register reads/writes, raw writes into both queues' rings, the whole
 * setup sequence with fuzzed features and queue sizes, descriptors aimed
 * at data, the rings, the end of RAM or nowhere, kicks, resets, and
 * frames of any length and header arriving from the backend.  Each op is
 * a byte: bits 0-3 the op (mod OP_COUNT), bits 4-5 an access width or a
 * queue, bit 7 "post without kicking"; its operands follow.  Invariants:
 * the device never crashes, never sends the backend a frame without a
 * header or beyond the size bound, and keeps the transport's status
 * rules. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-virtio.h"
#include "guest-mem.h"
#include "virtio-mmio.h"
#include "virtio-net.h"

#define RAM_BYTES (64ULL << 20)
#define RING_AREA 0x10000ULL
#define RING_AREA_END 0x18000ULL
#define DATA_GPA 0x100000ULL
#define MAX_OPS 512
#define REG_STATUS 0x070

static const uint64_t ring_gpa[2][3] = {
	{ 0x10000, 0x11000, 0x12000 },
	{ 0x14000, 0x15000, 0x16000 },
};

enum fuzz_op {
	OP_WRITE,
	OP_READ,
	OP_MEM,   /* raw 4-byte guest write in the ring area */
	OP_SETUP, /* negotiate, lay out both queues, DRIVER_OK */
	OP_POST,  /* a descriptor on queue (bit 4), published, kicked */
	OP_KICK,
	OP_RESET,
	OP_FRAME, /* the backend delivers a frame */
	OP_PUMP,  /* run the device loop */
	OP_COUNT,
};

static struct guest_mem mem;
static uv_loop_t loop;
static struct virtio_dev *dev;
static int peer = -1;
static uint8_t frame[VIRTIO_NET_FRAME_MAX + 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct virtio_hooks hooks = { .irq = vd_irq_ignore,
					   .kick = fuzz_kick_inline };

/* registers and guest memory through the test driver (tests/support) */
#define wr(off, v) vd_wr(dev, off, v)
#define gpa(a, len) fuzz_gpa(&mem, a, len)

static void pump(void)
{
	for (int i = 0; i < 4; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
}

/* Whatever the device sent the backend must be a header plus a frame. */
static void drain_backend(void)
{
	ssize_t n;

	while ((n = recv(peer, frame, sizeof(frame), MSG_DONTWAIT)) >= 0)
		FUZZ_CHECK(n >= TAP_VNET_HDR_LEN &&
			   n <= TAP_VNET_HDR_LEN + VIRTIO_NET_FRAME_MAX);
}

static void op_setup(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u32(in), hi = fuzz_u8(in) & 3;

	wr(REG_STATUS, 0);
	vd_negotiate(dev, lo, hi);
	for (uint32_t q = 0; q < 2; q++)
		vd_setup_queue(dev, q, 1U << (fuzz_u8(in) % 10), ring_gpa[q][0],
			       ring_gpa[q][1], ring_gpa[q][2]);
	vd_driver_ok(dev);
	pump();
}

static void op_post(struct fuzz_in *in, unsigned int q)
{
	uint16_t qsize = dev->vq[q].size ? dev->vq[q].size : 8;
	uint8_t idx = fuzz_u8(in), flags = fuzz_u8(in), kind = fuzz_u8(in);
	uint16_t next = fuzz_u16(in);
	uint32_t len = fuzz_u16(in) * (uint32_t)(1 + (kind >> 6));
	uint16_t *avail = gpa(ring_gpa[q][1], 4 + 2ULL * 512);
	uint16_t avail_idx = avail[1];
	uint64_t addr;

	switch (kind % 4) {
	case 0:
		addr = DATA_GPA + 0x1000ULL * idx;
		break;
	case 1:
		addr = ring_gpa[q][kind >> 2 & 1] + 16ULL * (kind >> 3);
		break;
	case 2:
		addr = RAM_BYTES - 64ULL * (kind >> 2);
		break;
	default:
		addr = 0xd0000000ULL + kind;
		break;
	}
	FUZZ_CHECK(vd_put_desc(&mem, ring_gpa[q][0], idx % qsize, addr, len,
			       flags, next) == 0);
	FUZZ_CHECK(vd_avail_add(&mem, ring_gpa[q][1], qsize, &avail_idx,
				idx % qsize) == 0);
}

static void op_frame(struct fuzz_in *in)
{
	uint32_t len = fuzz_u16(in) % (sizeof(frame) - 16);

	fuzz_take(in, frame, TAP_VNET_HDR_LEN);
	memset(frame + TAP_VNET_HDR_LEN, 0xa5, len);
	/* a full socket buffer is the backend's business, not a finding */
	(void)send(peer, frame, TAP_VNET_HDR_LEN + len, MSG_DONTWAIT);
	pump();
}

static void check_state(void)
{
	uint32_t status;

	virtio_mmio_read(dev, REG_STATUS, &status, 4);
	FUZZ_CHECK(status == dev->status);
	if (status & 4)
		FUZZ_CHECK(status & 8);
}

static void close_handle(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct lerr e = { 0 };
	static const uint8_t mac[6] = { 6, 0, 0xac, 0x10, 0, 2 };
	struct tap tap;
	int sv[2];

	if (!mem.nr_regions && guest_mem_init(&mem, RAM_BYTES, &e) < 0) {
		fprintf(stderr, "guest_mem_init: %s\n", e.msg);
		abort();
	}
	memset(gpa(RING_AREA, RING_AREA_END - RING_AREA), 0,
	       RING_AREA_END - RING_AREA);
	FUZZ_CHECK(uv_loop_init(&loop) == 0);
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ==
		   0);
	FUZZ_CHECK(tap_from_fd(&tap, sv[0], &e) == 0);
	peer = sv[1];
	dev = virtio_net_create(&mem, &loop, &tap, mac, &e);
	FUZZ_CHECK(dev);
	dev->hooks = &hooks;

	for (unsigned int n = 0; n < MAX_OPS && in.left; n++) {
		uint8_t op = fuzz_u8(&in);
		unsigned int q = (op >> 4) & 1;
		uint64_t off, v;

		switch ((op & 0x0f) % OP_COUNT) {
		case OP_WRITE:
		case OP_READ:
			off = fuzz_u16(&in) % VIRTIO_MMIO_WINDOW;
			v = fuzz_u64(&in);
			if ((op & 0x0f) % OP_COUNT == OP_WRITE)
				virtio_mmio_write(dev, off, &v,
						  1U << (op >> 4) % 4);
			else
				virtio_mmio_read(dev, off, &v,
						 1U << (op >> 4) % 4);
			break;
		case OP_MEM:
			off = RING_AREA + 4 * (fuzz_u16(&in) %
					       ((RING_AREA_END - RING_AREA) / 4));
			v = fuzz_u32(&in);
			memcpy(gpa(off, 4), &v, 4);
			break;
		case OP_SETUP:
			op_setup(&in);
			break;
		case OP_POST:
			op_post(&in, q);
			if (!(op & 0x80))
				wr(VIRTIO_MMIO_QUEUE_NOTIFY, q);
			break;
		case OP_KICK:
			wr(VIRTIO_MMIO_QUEUE_NOTIFY, fuzz_u8(&in) % 3);
			break;
		case OP_RESET:
			wr(REG_STATUS, 0);
			pump();
			break;
		case OP_FRAME:
			op_frame(&in);
			break;
		default:
			pump();
			break;
		}
		drain_backend();
		check_state();
	}
	uv_walk(&loop, close_handle, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	FUZZ_CHECK(uv_loop_close(&loop) == 0);
	virtio_net_destroy(dev);
	close(peer);
	dev = NULL;
	return 0;
}
