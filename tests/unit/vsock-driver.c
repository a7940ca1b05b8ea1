/* vsock-driver.c - the test guest and host of vsock-driver.h. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "virtio-mmio.h"
#include "virtio-test.h"
#include "vsock-driver.h"

struct td td;

/* guest physical layout */
#define Q_GPA(q) (0x100000ULL + (uint64_t)(q) * 0x4000)
#define DESC_GPA(q) Q_GPA(q)
#define AVAIL_GPA(q) (Q_GPA(q) + 0x1000)
#define USED_GPA(q) (Q_GPA(q) + 0x2000)
#define RX_GPA(i) (0x200000ULL + (uint64_t)(i) * 0x2000)
#define TX_GPA(i) (0x400000ULL + (uint64_t)(i) * 0x20000)

static void test_irq(struct virtio_dev *d)
{
	td.irqs++;
}

/* the device thread is ours */
static const struct virtio_hooks hooks = { .irq = test_irq,
					   .kick = vd_notify_inline };

#define gpa(a, len) vt_gpa(&td.mem, a, len)

static void put_desc(unsigned int q, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	cr_assert_eq(vd_put_desc(&td.mem, DESC_GPA(q), i, addr, len, flags,
				 next),
		     0);
}

static void avail_add(unsigned int q, uint16_t *idx, uint16_t head)
{
	cr_assert_eq(vd_avail_add(&td.mem, AVAIL_GPA(q), TD_QSIZE, idx, head),
		     0);
}

static void rx_post(unsigned int slot)
{
	put_desc(0, 2 * slot, RX_GPA(slot), VSOCK_HDR_LEN,
		 VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)(2 * slot + 1));
	put_desc(0, 2 * slot + 1, RX_GPA(slot) + 0x100, TD_RX_DATA,
		 VIRTQ_DESC_F_WRITE, 0);
	avail_add(0, &td.rx_avail, (uint16_t)(2 * slot));
}

void td_pump(void)
{
	uv_run(&td.loop, UV_RUN_NOWAIT);
}

void td_init(void)
{
	struct lerr e = { 0 };

	memset(&td, 0, sizeof(td));
	td.guest_buf_alloc = 256 << 10;
	cr_assert_eq(guest_mem_init(&td.mem, 64ULL << 20, &e), 0, "%s", e.msg);
	cr_assert_eq(uv_loop_init(&td.loop), 0);
	strcpy(td.dir, "/tmp/lighter-vsock-XXXXXX");
	cr_assert_not_null(mkdtemp(td.dir));
	snprintf(td.uds, sizeof(td.uds), "%s/v.sock", td.dir);
	td.dev = virtio_vsock_create(&td.mem, &td.loop, td.uds, TD_CID, &e);
	cr_assert_not_null(td.dev, "%s", e.msg);
	td.dev->hooks = &hooks;

	vd_negotiate(td.dev, 0, 1); /* VERSION_1 */
	for (unsigned int q = 0; q < 3; q++) {
		memset(gpa(Q_GPA(q), 0x4000), 0, 0x4000);
		vd_setup_queue(td.dev, q, TD_QSIZE, DESC_GPA(q), AVAIL_GPA(q),
			       USED_GPA(q));
	}
	cr_assert(vd_driver_ok(td.dev) & VIRTIO_STATUS_DRIVER_OK);
	for (unsigned int i = 0; i < TD_RX_SLOTS; i++)
		rx_post(i);
	vd_kick(td.dev, 0);
}

static void close_handle(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* lighter-vmm's order: the loop stopped, device_loop_close() closes every
 * handle still open, then the device is destroyed. */
void td_fini_like_vmm(void)
{
	uv_walk(&td.loop, close_handle, NULL);
	uv_run(&td.loop, UV_RUN_DEFAULT);
	td.closed = true;
	td_fini();
}

void td_fini(void)
{
	char path[160];

	if (!td.closed) {
		virtio_vsock_close(td.dev);
		uv_run(&td.loop, UV_RUN_DEFAULT);
	}
	virtio_vsock_destroy(td.dev);
	cr_assert_eq(uv_loop_close(&td.loop), 0, "every handle closed");
	guest_mem_free(&td.mem);
	for (unsigned int p = 5000; p < 5100; p++) {
		snprintf(path, sizeof(path), "%s_%u", td.uds, p);
		unlink(path);
	}
	unlink(td.uds);
	rmdir(td.dir);
}

void td_send_raw(const struct vsock_hdr *h, uint32_t hdr_desc_len,
		 const void *data, uint32_t len)
{
	unsigned int slot = td.tx_avail % TD_TX_SLOTS;
	uint64_t a = TX_GPA(slot);

	memcpy(gpa(a, sizeof(*h)), h, sizeof(*h));
	if (len) {
		cr_assert_leq(len, 0x20000 - 0x100);
		memcpy(gpa(a + 0x100, len), data, len);
		put_desc(1, 2 * slot, a, hdr_desc_len, VIRTQ_DESC_F_NEXT,
			 (uint16_t)(2 * slot + 1));
		put_desc(1, 2 * slot + 1, a + 0x100, len, 0, 0);
	} else {
		put_desc(1, 2 * slot, a, hdr_desc_len, 0, 0);
	}
	avail_add(1, &td.tx_avail, (uint16_t)(2 * slot));
	vd_kick(td.dev, 1);
	/* the slot is free again once the device consumed it: tx is handled
	 * inside the kick, leftovers in the next loop steps */
	for (int i = 0; i < 100; i++) {
		if (vd_used_idx(&td.mem, USED_GPA(1)) == td.tx_avail)
			break;
		td_pump();
	}
}

void td_send(uint16_t op, uint32_t guest_port, uint32_t host_port,
	     uint32_t flags, const void *data, uint32_t len)
{
	struct vsock_hdr h = {
		.src_cid = TD_CID,
		.dst_cid = VSOCK_HOST_CID,
		.src_port = guest_port,
		.dst_port = host_port,
		.len = len,
		.type = VSOCK_TYPE_STREAM,
		.op = op,
		.flags = flags,
		.buf_alloc = td.guest_buf_alloc,
		.fwd_cnt = td.guest_fwd_cnt,
	};

	td_send_raw(&h, VSOCK_HDR_LEN, data, len);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool td_recv_wait(struct td_pkt *p, unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	for (;;) {
		uint16_t idx = vd_used_idx(&td.mem, USED_GPA(0));

		if (idx != td.rx_used_seen) {
			uint32_t id, len;
			unsigned int slot;

			cr_assert_eq(vd_used_elem(&td.mem, USED_GPA(0),
						  TD_QSIZE, td.rx_used_seen,
						  &id, &len),
				     0);
			slot = id / 2;
			cr_assert_lt(slot, TD_RX_SLOTS);
			p->used_len = len;
			cr_assert_geq(p->used_len, VSOCK_HDR_LEN);
			cr_assert_leq(p->used_len, VSOCK_HDR_LEN + TD_RX_DATA);
			memcpy(&p->h, gpa(RX_GPA(slot), VSOCK_HDR_LEN),
			       VSOCK_HDR_LEN);
			cr_assert_eq(p->h.len, p->used_len - VSOCK_HDR_LEN);
			memcpy(p->data, gpa(RX_GPA(slot) + 0x100, TD_RX_DATA),
			       p->h.len);
			td.rx_used_seen++;
			rx_post(slot);
			vd_kick(td.dev, 0);
			cr_assert_eq(p->h.src_cid, VSOCK_HOST_CID);
			cr_assert_eq(p->h.dst_cid, TD_CID);
			cr_assert_eq(p->h.type, VSOCK_TYPE_STREAM);
			return true;
		}
		if (now_ms() >= end)
			return false;
		td_pump();
		usleep(200);
	}
}

bool td_recv(struct td_pkt *p)
{
	return td_recv_wait(p, TD_TIMEOUT_MS);
}

bool td_recv_skip_credit(struct td_pkt *p)
{
	while (td_recv(p)) {
		if (p->h.op != VSOCK_OP_CREDIT_UPDATE &&
		    p->h.op != VSOCK_OP_CREDIT_REQUEST)
			return true;
	}
	return false;
}

bool td_quiet(unsigned int ms)
{
	static struct td_pkt p;

	return !td_recv_wait(&p, ms);
}

static int uds_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "connect %s: %s", path, strerror(errno));
	return fd;
}

int td_host_connect(void)
{
	return uds_connect(td.uds);
}

int td_host_listen(uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[160];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt((size_t)snprintf(path, sizeof(path), "%s_%u", td.uds, port),
		     sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 128), 0);
	return fd;
}

int td_host_accept(int lfd)
{
	uint64_t end = now_ms() + TD_TIMEOUT_MS;

	while (now_ms() < end) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0)
			return fd;
		td_pump();
		usleep(200);
	}
	cr_assert_fail("no connection on the host listener");
	return -1;
}

void td_host_write(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	uint64_t end = now_ms() + TD_TIMEOUT_MS;

	while (done < len) {
		ssize_t n = send(fd, (const uint8_t *)buf + done, len - done,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			done += (size_t)n;
		else
			cr_assert(n < 0 && errno == EAGAIN, "host write: %s",
				  strerror(errno));
		if (done < len) {
			cr_assert_lt(now_ms(), end, "host write timed out");
			td_pump();
		}
	}
}

size_t td_host_read(int fd, void *buf, size_t len)
{
	size_t done = 0;
	uint64_t end = now_ms() + TD_TIMEOUT_MS;

	while (done < len && now_ms() < end) {
		ssize_t n = recv(fd, (uint8_t *)buf + done, len - done,
				 MSG_DONTWAIT);

		if (n == 0)
			break;
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (errno != EAGAIN)
			break;
		td_pump();
		usleep(200);
	}
	return done;
}

bool td_host_eof(int fd)
{
	uint64_t end = now_ms() + TD_TIMEOUT_MS;
	static char sink[64 << 10];

	while (now_ms() < end) {
		ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			return true;
		if (n > 0)
			continue; /* unread data before the EOF */
		td_pump();
		usleep(200);
	}
	return false;
}

int td_connect_established(uint32_t gp, uint32_t *hp)
{
	static struct td_pkt p;
	char line[32], want[32];
	int fd = td_host_connect();
	size_t n;

	dprintf(fd, "CONNECT %u\n", gp);
	cr_assert(td_recv(&p), "no REQUEST for CONNECT %u", gp);
	cr_assert_eq(p.h.op, VSOCK_OP_REQUEST);
	cr_assert_eq(p.h.dst_port, gp);
	cr_assert_geq(p.h.src_port, 1U << 30);
	*hp = p.h.src_port;
	td_send(VSOCK_OP_RESPONSE, gp, *hp, 0, NULL, 0);
	n = (size_t)snprintf(want, sizeof(want), "OK %u\n", *hp);
	cr_assert_eq(td_host_read(fd, line, n), n);
	cr_assert_eq(memcmp(line, want, n), 0);
	return fd;
}
