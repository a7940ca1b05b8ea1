/* vsock-driver.h - a test "guest" for the vsock device: a virtio driver
 * that lays its three rings out in real guest memory (as Linux's
 * virtio_mmio + vsock drivers do: rx buffers as a 44-byte header
 * descriptor plus a 4 KiB data descriptor), sends packets on tx and
 * collects what the device delivers on rx, and the host's side: real Unix
 * sockets, with the device's libuv loop stepped (UV_RUN_NOWAIT) while a
 * test waits.  Everything runs on the test's thread. */
#ifndef LIGHTER_TEST_VSOCK_DRIVER_H
#define LIGHTER_TEST_VSOCK_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "guest-mem.h"
#include "virtio-vsock.h"
#include "vsock-packet.h"

#define TD_CID 3
#define TD_QSIZE 64
#define TD_RX_SLOTS (TD_QSIZE / 2)
#define TD_RX_DATA 4096
#define TD_TX_SLOTS (TD_QSIZE / 2)
#define TD_TIMEOUT_MS 2000

struct td_pkt {
	struct vsock_hdr h;
	uint32_t used_len;
	uint8_t data[TD_RX_DATA];
};

struct td {
	struct guest_mem mem;
	uv_loop_t loop;
	struct virtio_dev *dev;
	char dir[64];
	char uds[128];
	uint16_t rx_avail, rx_used_seen;
	uint16_t tx_avail;
	unsigned int irqs;
	uint32_t guest_buf_alloc; /* what the guest advertises */
	uint32_t guest_fwd_cnt;
	bool closed; /* handles closed already (td_fini_like_vmm) */
};

extern struct td td;

/* Create the device (cid 3, socket in a fresh temp dir), negotiate,
 * set up the three queues, fill rx: the state of a freshly probed Linux
 * driver.  td_fini closes and frees everything. */
void td_init(void);
void td_fini(void);
/* Close the loop's handles as lighter-vmm's teardown does (uv_walk), then
 * td_fini. */
void td_fini_like_vmm(void);

/* One non-blocking step of the device loop. */
void td_pump(void);

/* Send a packet from the guest (src_cid 3, dst_cid 2, type STREAM, the
 * guest's credit fields), payload in a second descriptor. */
void td_send(uint16_t op, uint32_t guest_port, uint32_t host_port,
	     uint32_t flags, const void *data, uint32_t len);
/* Send a raw header as is (hostile tests); chain_len bytes of it are
 * placed in the header descriptor, then len bytes of payload. */
void td_send_raw(const struct vsock_hdr *h, uint32_t hdr_desc_len,
		 const void *data, uint32_t len);

/* Next packet the device delivered, waiting up to TD_TIMEOUT_MS while
 * stepping the loop; false on timeout.  The rx buffer is reposted. */
bool td_recv(struct td_pkt *p);
bool td_recv_wait(struct td_pkt *p, unsigned int ms);
/* Like td_recv but skips CREDIT_UPDATE / CREDIT_REQUEST packets. */
bool td_recv_skip_credit(struct td_pkt *p);
/* No packet within ms milliseconds. */
bool td_quiet(unsigned int ms);

/* Host side. */
int td_host_connect(void);       /* connected to the device's socket */
int td_host_listen(uint32_t port); /* listening on "<uds>_<port>" */
int td_host_accept(int lfd);     /* waits, stepping the loop */
void td_host_write(int fd, const void *buf, size_t len);
/* Read exactly len bytes (stepping the loop); bytes read, less on
 * EOF/timeout. */
size_t td_host_read(int fd, void *buf, size_t len);
/* Wait until fd reads EOF (or an error); false on timeout. */
bool td_host_eof(int fd);

/* Full host-initiated handshake to guest port gp: returns the client fd,
 * the device's local port in *hp. */
int td_connect_established(uint32_t gp, uint32_t *hp);

#endif
