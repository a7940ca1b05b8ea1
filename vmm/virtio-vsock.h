/* virtio-vsock.h - the vsock device (virtio 1.2, 5.10): the guest agent's
 * control channel, bridged to host Unix sockets the way Firecracker does
 * ("hybrid vsock"):
 *
 *   host -> guest  a client connects to the device's socket PATH, writes
 *                  "CONNECT <port>\n", and once the guest accepts reads
 *                  "OK <host_port>\n"; then bytes flow both ways.
 *   guest -> host  a guest connect() to CID 2 port P becomes a connect to
 *                  the Unix socket "PATH_P"; nothing listening -> RST.
 *
 * Every connection is bounded: the guest may send at most VSOCK_BUF_ALLOC
 * unforwarded bytes (its credit), and the host socket is read only as far
 * as the guest's credit allows. */
#ifndef LIGHTER_VMM_VIRTIO_VSOCK_H
#define LIGHTER_VMM_VIRTIO_VSOCK_H

#include <stdint.h>
#include <uv.h>

#include <lighter/error.h>

#include "virtio.h"

/* Receive window advertised to the guest per connection, and the most a
 * connection buffers of guest data the host socket cannot take yet. */
#define VSOCK_BUF_ALLOC (256U << 10)
/* Connections at once (host- and guest-initiated); more are refused. */
#define VSOCK_CONNS_MAX 1024
/* Chains taken from the tx queue per pass before other work gets a turn. */
#define VSOCK_TX_BUDGET 256

struct vsock_stats {
	uint64_t dropped;   /* guest packets dropped (short, forged cid) */
	uint64_t resets;    /* RSTs sent to the guest */
	uint64_t protocol;  /* guest packets that broke the protocol */
	uint64_t refused;   /* connections refused (limit, no listener) */
};

/* A vsock device for a guest with CID guest_cid (>= 3) whose host side
 * listens on the Unix socket uds_path (a stale socket file there is
 * replaced).  Its sockets are served on `loop`, which must not be running
 * on another thread yet.  NULL with e filled on error. */
struct virtio_dev *virtio_vsock_create(const struct guest_mem *mem,
				       uv_loop_t *loop, const char *uds_path,
				       uint64_t guest_cid, struct lerr *e);

/* Close every connection and the listening socket (from the loop's
 * thread, or once the loop has stopped); the loop must then run once more
 * to finish closing its handles before virtio_vsock_destroy. */
void virtio_vsock_close(struct virtio_dev *d);

/* Free the device (handles closed, loop no longer running); unlinks the
 * listening socket's path. */
void virtio_vsock_destroy(struct virtio_dev *d);

const struct vsock_stats *virtio_vsock_stats(const struct virtio_dev *d);

#endif
