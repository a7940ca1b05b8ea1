/* vsock-packet.c - validation of guest vsock headers and construction of
 * host headers.  Everything in a guest header is hostile: the cids must be
 * exactly the guest's and the host's, the type must be STREAM (the only
 * one we offer), the op must be known, and the length must fit both the
 * chain that carries it and the per-packet cap. */
#include <string.h>

#include "vsock-packet.h"

_Static_assert(sizeof(struct vsock_hdr) == VSOCK_HDR_LEN,
	       "virtio-vsock header is 44 bytes");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "vsock headers are used in host byte order");

enum vsock_verdict vsock_packet_check(const struct vsock_hdr *h,
				      uint32_t chain_len, uint64_t guest_cid)
{
	if (chain_len < VSOCK_HDR_LEN)
		return VSOCK_PKT_DROP;
	if (h->src_cid != guest_cid || h->dst_cid != VSOCK_HOST_CID)
		return VSOCK_PKT_DROP;
	/* an RST is never answered with an RST, whatever else is wrong */
	if (h->op == VSOCK_OP_RST)
		return h->type == VSOCK_TYPE_STREAM ? VSOCK_PKT_OK
						    : VSOCK_PKT_DROP;
	if (h->type != VSOCK_TYPE_STREAM)
		return VSOCK_PKT_RESET;
	if (h->op < VSOCK_OP_REQUEST || h->op > VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_PKT_RESET;
	if (h->len > VSOCK_PKT_PAYLOAD_MAX ||
	    h->len > chain_len - VSOCK_HDR_LEN)
		return VSOCK_PKT_RESET;
	/* only RW carries a payload */
	if (h->op != VSOCK_OP_RW && h->len != 0)
		return VSOCK_PKT_RESET;
	if (h->op == VSOCK_OP_SHUTDOWN && (h->flags & ~VSOCK_SHUTDOWN_BOTH))
		return VSOCK_PKT_RESET;
	return VSOCK_PKT_OK;
}

void vsock_hdr_init(struct vsock_hdr *h, uint64_t guest_cid,
		    uint32_t host_port, uint32_t guest_port, enum vsock_op op)
{
	memset(h, 0, sizeof(*h));
	h->src_cid = VSOCK_HOST_CID;
	h->dst_cid = guest_cid;
	h->src_port = host_port;
	h->dst_port = guest_port;
	h->type = VSOCK_TYPE_STREAM;
	h->op = (uint16_t)op;
}
