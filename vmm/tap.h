/* tap.h - the host end of virtio-net: a TAP device whose every frame
 * carries a 12-byte virtio-net header (IFF_VNET_HDR, TUNSETVNETHDRSZ 12),
 * the same header the guest's driver uses, so frames pass between guest
 * buffers and the TAP without translation.
 *
 * A backend is just a non-blocking packet fd: one read = one frame with
 * its header, one write = one frame.  Tests put one end of a socketpair
 * there instead of a TAP (tap_from_fd), which has the same semantics
 * minus the offload ioctls. */
#ifndef LIGHTER_VMM_TAP_H
#define LIGHTER_VMM_TAP_H

#include <net/if.h>
#include <stdbool.h>

#include <lighter/error.h>

/* struct virtio_net_hdr_v1 with num_buffers: what the TAP reads/writes. */
#define TAP_VNET_HDR_LEN 12

/* Offloads the TAP can hand us in received frames (TUNSETOFFLOAD bits). */
#define TAP_OFFLOAD_CSUM (1U << 0) /* partial checksums (TUN_F_CSUM) */
#define TAP_OFFLOAD_TSO4 (1U << 1) /* TCP/IPv4 GSO frames (TUN_F_TSO4) */
#define TAP_OFFLOAD_TSO6 (1U << 2) /* TCP/IPv6 GSO frames (TUN_F_TSO6) */
#define TAP_OFFLOAD_ECN (1U << 3)  /* GSO frames with ECN (TUN_F_TSO_ECN) */

struct tap {
	int fd;                 /* non-blocking, close-on-exec; -1 if none */
	bool is_tap;            /* a real TAP (offload ioctls apply) */
	unsigned int offloads;  /* TAP_OFFLOAD_* the TAP accepted when probed */
	char name[IFNAMSIZ];
};

/* Is `name` acceptable as an interface name (1..15 of [A-Za-z0-9_.-],
 * not "." or "..")? */
bool tap_name_valid(const char *name);

/* Attach to TAP `name`, creating it if it does not exist (needs
 * CAP_NET_ADMIN either way unless the TAP belongs to our user), with
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and a 12-byte header; probes which
 * offloads it supports and leaves them all off. */
int tap_open(struct tap *t, const char *name, struct lerr *e);

/* Use an existing packet fd (e.g. a SOCK_SEQPACKET socketpair end) as the
 * backend; takes ownership of fd and makes it non-blocking. */
int tap_from_fd(struct tap *t, int fd, struct lerr *e);

/* Which TAP_OFFLOAD_* the TAP may use in frames it hands us (what the
 * guest accepted).  A no-op for non-TAP backends.  -errno. */
int tap_set_offload(struct tap *t, unsigned int offloads);

void tap_close(struct tap *t);

#endif
