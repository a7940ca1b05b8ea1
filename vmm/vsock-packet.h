/* vsock-packet.h - the virtio-vsock wire header (virtio 1.2, 5.10.6) and
 * the one check every packet from the guest passes before anything else
 * looks at it.  Pure code: no queues, no sockets, so the fuzz harness and
 * the unit tests can feed it anything. */
#ifndef LIGHTER_VMM_VSOCK_PACKET_H
#define LIGHTER_VMM_VSOCK_PACKET_H

#include <stdint.h>

#define VSOCK_HOST_CID 2
#define VSOCK_GUEST_CID_MIN 3
/* CIDs above this are reserved (VMADDR_CID_ANY is 2^32 - 1). */
#define VSOCK_GUEST_CID_MAX 0xfffffffeULL

#define VSOCK_TYPE_STREAM 1

enum vsock_op {
	VSOCK_OP_INVALID = 0,
	VSOCK_OP_REQUEST = 1,
	VSOCK_OP_RESPONSE = 2,
	VSOCK_OP_RST = 3,
	VSOCK_OP_SHUTDOWN = 4,
	VSOCK_OP_RW = 5,
	VSOCK_OP_CREDIT_UPDATE = 6,
	VSOCK_OP_CREDIT_REQUEST = 7,
};

#define VSOCK_SHUTDOWN_RCV 1U  /* the sender will receive no more */
#define VSOCK_SHUTDOWN_SEND 2U /* the sender will send no more */
#define VSOCK_SHUTDOWN_BOTH (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)

/* Largest payload one packet may carry: Linux never sends more than
 * VIRTIO_VSOCK_MAX_PKT_BUF_SIZE (64 KiB) in one packet. */
#define VSOCK_PKT_PAYLOAD_MAX (64U << 10)

/* Little-endian on the wire; x86-64 and aarch64 hosts are little-endian,
 * so the struct is used as is (see the static assert in vsock-packet.c). */
struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));

#define VSOCK_HDR_LEN 44U

/* What to do with a packet from the guest. */
enum vsock_verdict {
	VSOCK_PKT_OK = 0,
	/* cannot be attributed to a connection of this guest (short header,
	 * forged cids): dropped silently, as vhost-vsock does */
	VSOCK_PKT_DROP,
	/* attributable but malformed (wrong type, bad length, unknown op):
	 * answered with RST to (src_port, dst_port) */
	VSOCK_PKT_RESET,
};

/* Check a packet from the guest whose chain holds `chain_len` readable
 * bytes (header included) and whose header is *h (only valid when
 * chain_len >= VSOCK_HDR_LEN).  The guest's own CID is guest_cid. */
enum vsock_verdict vsock_packet_check(const struct vsock_hdr *h,
				      uint32_t chain_len, uint64_t guest_cid);

/* A header from the host to the guest, ports from the host's side. */
void vsock_hdr_init(struct vsock_hdr *h, uint64_t guest_cid,
		    uint32_t host_port, uint32_t guest_port, enum vsock_op op);

#endif
