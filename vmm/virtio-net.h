/* virtio-net.h - network device (virtio 1.2 5.1) over a TAP backend:
 * queue 0 receives (TAP -> guest), queue 1 transmits (guest -> TAP).
 * Offloads (checksum, TSO4/6) are offered only when the TAP supports
 * them; mergeable receive buffers, EVENT_IDX and indirect descriptors
 * always.  All packet work runs on the device loop; activation and reset
 * (vCPU threads) only bump a generation and wake the loop. */
#ifndef LIGHTER_VMM_VIRTIO_NET_H
#define LIGHTER_VMM_VIRTIO_NET_H

#include <stdint.h>
#include <uv.h>

#include <lighter/error.h>

#include "tap.h"
#include "virtio.h"

/* feature bits (virtio 1.2 5.1.3) */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

#define VIRTIO_NET_S_LINK_UP 1

#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_QUEUE_MAX 256

/* Largest frame either way: a 64 KiB GSO frame plus an Ethernet header
 * with a VLAN tag. */
#define VIRTIO_NET_FRAME_MAX (65536 + 18)

/* config space: mac[6], status (le16), max_virtqueue_pairs (le16) */
#define VIRTIO_NET_CONFIG_LEN 10

struct virtio_net_stats {
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_dropped;   /* refused by the backend or oversized */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_dropped;   /* did not fit the guest's buffers */
	uint64_t rx_merged;    /* frames spread over more than one chain */
	uint64_t rx_stalls;    /* times reading stopped for lack of buffers */
	uint64_t rx_wakeups;   /* backend-readable callbacks (busy-loop check) */
};

/* A net device with MAC `mac` over `tap` (ownership of the fd passes to
 * the device, also on error) whose packet work runs on `loop`.  Must be
 * called before the loop runs (or on its thread).  The loop's owner closes
 * the device's handles (uv_walk + uv_close) before virtio_net_destroy. */
struct virtio_dev *virtio_net_create(const struct guest_mem *mem,
				     uv_loop_t *loop, struct tap *tap,
				     const uint8_t mac[6], struct lerr *e);
void virtio_net_destroy(struct virtio_dev *d);

/* Counters, read on the loop thread (or with the loop idle, in tests). */
const struct virtio_net_stats *virtio_net_stats(const struct virtio_dev *d);

/* TAP_OFFLOAD_* currently set on the backend (what the guest accepted). */
unsigned int virtio_net_tap_offloads(const struct virtio_dev *d);

#endif
