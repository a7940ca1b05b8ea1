/* fuzz-vsock.c - libFuzzer harness for the vsock device (vmm/virtio-vsock.c,
 * vsock-conn.c, vsock-uds.c, vsock-packet.c) behind the virtio-mmio
 * transport, with its real libuv loop and real host Unix sockets.
 *
 * The input is a program for a hostile guest and an untrusted host
 * client.  Each op is a byte (low 3 bits the op, the rest its variant)
 * followed by its operands:
 *   PKT      a tx packet: op, type, ports from small sets (so packets hit
 *            live connections), len, flags, credit fields, forged cids,
 *            header split/short/writable layouts, payload length.
 *            Operands: ports u8 (bits 0-1 guest port 1000-1002 or 1234,
 *            bits 2-4 host port 5000, 5001, 1234, the first three local
 *            ports, or the raw value), shape u8, payload u16, op u8,
 *            [len u32 if bit 7], flags u8, [buf_alloc u32, fwd_cnt u32 if
 *            bit 6], [type, src_cid, dst_cid u8 each if bit 5]
 *   RX       post rx buffers of assorted shapes (Linux's 44 + 4096 split,
 *            one buffer, too small for a header, header only)
 *   CONNECT  a host client connects and writes "CONNECT <port>\n" or raw
 *            input bytes
 *   HOSTIO   a host socket (client or accepted) writes input bytes,
 *            reads, half-closes or closes
 *   PUMP     loop steps and accepts on the "<uds>_5000" listener
 *   RESET    driver reset, then set up again
 *   MEM      raw 4-byte write into the ring area
 * Invariants: every packet the device delivers on rx is well formed (host
 * cid, guest cid, STREAM, a known op, len matching the used length), the
 * connection count stays bounded, and closing leaves nothing behind. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz-virtio.h"
#include "guest-mem.h"
#include "virtio-mmio.h"
#include "vsock-conn.h"

#define RAM_BYTES (64ULL << 20)
#define QSIZE 16
#define Q_GPA(q) (0x10000ULL + (uint64_t)(q) * 0x1000)
#define RING_AREA_END Q_GPA(3)
#define RX_GPA(i) (0x100000ULL + (uint64_t)(i) * 0x2000)
#define TX_GPA(i) (0x200000ULL + (uint64_t)(i) * 0x12000)
#define MAX_OPS 256
#define MAX_HOST_FDS 8
#define GUEST_CID 3

enum fuzz_op { OP_PKT, OP_RX, OP_CONNECT, OP_HOSTIO, OP_PUMP, OP_RESET,
	       OP_MEM, OP_COUNT };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem mem;
static uv_loop_t loop;
static char uds[96];
static int host_listener = -1;
static struct virtio_dev *dev;
static int host_fd[MAX_HOST_FDS];
static uint16_t rx_avail, rx_used_seen, tx_avail, tx_used_seen;
static bool ring_scribbled;

static const struct virtio_hooks hooks = { .irq = vd_irq_ignore,
					   .kick = fuzz_kick_inline };

/* registers and guest memory through the test driver (tests/support) */
#define wr(off, v) vd_wr(dev, off, v)
#define gpa(a, len) fuzz_gpa(&mem, a, len)

static void put_desc(unsigned int q, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	FUZZ_CHECK(vd_put_desc(&mem, Q_GPA(q), i % QSIZE, addr, len, flags,
			       next) == 0);
}

static void avail_add(unsigned int q, uint16_t *idx, uint16_t head)
{
	FUZZ_CHECK(vd_avail_add(&mem, Q_GPA(q) + 0x400, QSIZE, idx, head) ==
		   0);
}

/* Queues of QSIZE at fixed places; descriptors 0..QSIZE-1 each. */
static void setup(void)
{
	memset(gpa(Q_GPA(0), RING_AREA_END - Q_GPA(0)), 0,
	       RING_AREA_END - Q_GPA(0));
	rx_avail = rx_used_seen = tx_avail = tx_used_seen = 0;
	vd_negotiate(dev, 0, 1); /* VERSION_1 */
	for (unsigned int q = 0; q < 3; q++)
		vd_setup_queue(dev, q, QSIZE, Q_GPA(q), Q_GPA(q) + 0x400,
			       Q_GPA(q) + 0x800);
	vd_driver_ok(dev);
}

/* rx buffer shapes: Linux 6.1's split, one buffer, too small, header only */
static void op_rx(struct fuzz_in *in, uint8_t variant)
{
	unsigned int n = 1 + (variant & 7);

	for (unsigned int k = 0; k < n; k++) {
		unsigned int slot = rx_avail % (QSIZE / 2);
		uint64_t a = RX_GPA(slot);

		switch ((variant >> 3) % 4) {
		case 0:
			put_desc(0, 2 * slot, a, 44, 2 | 1, 2 * slot + 1);
			put_desc(0, 2 * slot + 1, a + 0x100, 4096, 2, 0);
			break;
		case 1:
			put_desc(0, 2 * slot, a, 44 + 4096, 2, 0);
			break;
		case 2:
			put_desc(0, 2 * slot, a, fuzz_u8(in) % 44, 2, 0);
			break;
		default:
			put_desc(0, 2 * slot, a, 44, 2, 0);
			break;
		}
		avail_add(0, &rx_avail, (uint16_t)(2 * slot));
	}
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

static uint32_t pick_port(uint8_t sel)
{
	static const uint32_t ports[] = { 5000, 5001, 1234,
					  VSOCK_LOCAL_PORT_FIRST,
					  VSOCK_LOCAL_PORT_FIRST + 1,
					  VSOCK_LOCAL_PORT_FIRST + 2 };

	return sel < 6 ? ports[sel] : sel;
}

static void op_pkt(struct fuzz_in *in, uint8_t variant)
{
	unsigned int slot = tx_avail % (QSIZE / 2);
	uint64_t a = TX_GPA(slot);
	struct vsock_hdr h = {
		.src_cid = GUEST_CID,
		.dst_cid = VSOCK_HOST_CID,
		.type = VSOCK_TYPE_STREAM,
	};
	uint8_t ports = fuzz_u8(in), shape = fuzz_u8(in);
	uint16_t payload = fuzz_u16(in);

	h.op = fuzz_u8(in) % 9;
	h.src_port = (ports & 3) == 3 ? 1234 : 1000 + (ports & 3);
	h.dst_port = pick_port((ports >> 2) % 8);
	h.len = variant & 0x80 ? fuzz_u32(in) : payload;
	h.flags = fuzz_u8(in) % 5;
	h.buf_alloc = variant & 0x40 ? fuzz_u32(in) : 256 << 10;
	h.fwd_cnt = variant & 0x40 ? fuzz_u32(in) : 0;
	if (variant & 0x20) {
		h.type = fuzz_u8(in) % 3;
		h.src_cid = fuzz_u8(in) % 5;
		h.dst_cid = fuzz_u8(in) % 5;
	}
	/* a u16 payload fits the slot: TX_GPA's stride is 0x12000 */
	memcpy(gpa(a, sizeof(h)), &h, sizeof(h));
	memset(gpa(a + 0x100, payload), (int)h.src_port, payload);
	switch (shape % 4) {
	case 0: /* header + payload descriptors */
		put_desc(1, 2 * slot, a, 44, payload ? 1 : 0, 2 * slot + 1);
		put_desc(1, 2 * slot + 1, a + 0x100, payload, 0, 0);
		break;
	case 1: /* short header */
		put_desc(1, 2 * slot, a, shape >> 2, 0, 0);
		break;
	case 2: /* header split in two */
		put_desc(1, 2 * slot, a, 20, 1, 2 * slot + 1);
		put_desc(1, 2 * slot + 1, a + 20, 24 + 0, 0, 0);
		break;
	default: /* a device-writable descriptor in the chain */
		put_desc(1, 2 * slot, a, 44, 1, 2 * slot + 1);
		put_desc(1, 2 * slot + 1, a + 0x100, payload, 2, 0);
		break;
	}
	avail_add(1, &tx_avail, (uint16_t)(2 * slot));
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
}

static int free_host_slot(void)
{
	for (int i = 0; i < MAX_HOST_FDS; i++)
		if (host_fd[i] < 0)
			return i;
	return -1;
}

static void op_connect(struct fuzz_in *in, uint8_t variant)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int slot = free_host_slot(), fd;
	char line[64];
	size_t len;

	if (slot < 0)
		return;
	memcpy(sa.sun_path, uds, strlen(uds) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return;
	}
	if (variant & 0x80) {
		len = fuzz_u8(in) % sizeof(line);
		fuzz_take(in, line, len);
	} else {
		len = (size_t)snprintf(line, sizeof(line), "CONNECT %u\n",
				       pick_port(fuzz_u8(in) % 8));
	}
	if (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		close(fd);
		return;
	}
	host_fd[slot] = fd;
}

static void op_hostio(struct fuzz_in *in, uint8_t variant)
{
	uint8_t sel = fuzz_u8(in);
	int *fd = &host_fd[sel % MAX_HOST_FDS];
	uint8_t buf[512];
	size_t len;

	if (*fd < 0)
		return;
	switch ((variant >> 3) % 4) {
	case 0:
		len = fuzz_u16(in) % sizeof(buf);
		memset(buf, sel, len);
		(void)send(*fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		break;
	case 1:
		(void)recv(*fd, buf, sizeof(buf), MSG_DONTWAIT);
		break;
	case 2:
		shutdown(*fd, SHUT_WR);
		break;
	default:
		close(*fd);
		*fd = -1;
		break;
	}
}

static void op_pump(void)
{
	int slot, fd;

	uv_run(&loop, UV_RUN_NOWAIT);
	while ((slot = free_host_slot()) >= 0 &&
	       (fd = accept4(host_listener, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		host_fd[slot] = fd;
}

/* What the device put on the rx used ring must be well formed. */
static void check_rx(void)
{
	uint16_t idx = vd_used_idx(&mem, Q_GPA(0) + 0x800);

	for (; rx_used_seen != idx; rx_used_seen++) {
		uint32_t elem[2];
		unsigned int slot;
		struct vsock_hdr h;

		FUZZ_CHECK(vd_used_elem(&mem, Q_GPA(0) + 0x800, QSIZE,
					rx_used_seen, &elem[0], &elem[1]) == 0);
		slot = (elem[0] % QSIZE) / 2;
		if (ring_scribbled || elem[1] < 44)
			continue; /* buffers too small come back empty */
		memcpy(&h, gpa(RX_GPA(slot), 44), 44);
		FUZZ_CHECK(h.src_cid == VSOCK_HOST_CID);
		FUZZ_CHECK(h.dst_cid == GUEST_CID);
		FUZZ_CHECK(h.type == VSOCK_TYPE_STREAM);
		FUZZ_CHECK(h.op >= VSOCK_OP_REQUEST &&
			   h.op <= VSOCK_OP_CREDIT_REQUEST);
		FUZZ_CHECK(h.len == elem[1] - 44);
		FUZZ_CHECK(h.len <= 4096);
		FUZZ_CHECK(h.buf_alloc == VSOCK_BUF_ALLOC);
	}
}

static void init_once(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct lerr e = { 0 };
	char dir[64];

	if (guest_mem_init(&mem, RAM_BYTES, &e) < 0 || uv_loop_init(&loop)) {
		fprintf(stderr, "init: %s\n", e.msg);
		abort();
	}
	snprintf(dir, sizeof(dir), "/tmp/fuzz-vsock-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(uds, sizeof(uds), "%s/v.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/v.sock_5000", dir);
	unlink(sa.sun_path);
	host_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (host_listener < 0 ||
	    bind(host_listener, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(host_listener, 64) < 0) {
		perror("fuzz-vsock: host listener");
		abort();
	}
	for (int i = 0; i < MAX_HOST_FDS; i++)
		host_fd[i] = -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct lerr e = { 0 };
	int fd;

	if (!mem.nr_regions)
		init_once();
	dev = virtio_vsock_create(&mem, &loop, uds, GUEST_CID, &e);
	if (!dev) {
		fprintf(stderr, "virtio_vsock_create: %s\n", e.msg);
		abort();
	}
	dev->hooks = &hooks;
	ring_scribbled = false;
	setup();

	for (unsigned int n = 0; n < MAX_OPS && in.left; n++) {
		uint8_t op = fuzz_u8(&in);
		uint64_t off;
		uint32_t v;

		switch ((op & 7) % OP_COUNT) {
		case OP_PKT:
			op_pkt(&in, op);
			break;
		case OP_RX:
			op_rx(&in, op >> 3);
			break;
		case OP_CONNECT:
			op_connect(&in, op);
			break;
		case OP_HOSTIO:
			op_hostio(&in, op);
			break;
		case OP_PUMP:
			op_pump();
			break;
		case OP_RESET:
			wr(0x070, 0);
			op_pump();
			setup();
			break;
		case OP_MEM:
		default:
			off = Q_GPA(0) + 4 * (fuzz_u16(&in) %
					      ((RING_AREA_END - Q_GPA(0)) / 4));
			v = fuzz_u32(&in);
			memcpy(gpa(off, 4), &v, 4);
			ring_scribbled = true;
			break;
		}
		check_rx();
		FUZZ_CHECK(((struct vsock_dev *)dev->priv)->nr_conns <=
			   VSOCK_CONNS_MAX);
	}
	for (int i = 0; i < MAX_HOST_FDS; i++) {
		if (host_fd[i] >= 0)
			close(host_fd[i]);
		host_fd[i] = -1;
	}
	while ((fd = accept4(host_listener, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(fd);
	virtio_vsock_close(dev);
	uv_run(&loop, UV_RUN_DEFAULT);
	virtio_vsock_destroy(dev);
	dev = NULL;
	FUZZ_CHECK(access(uds, F_OK) < 0); /* the socket file is removed */
	return 0;
}
