/* vsock-conn.h - the vsock device's internal state, shared by its three
 * files: virtio-vsock.c (queues, packet dispatch, the rx pump),
 * vsock-conn.c (one connection: state machine, credit, buffering) and
 * vsock-uds.c (the host's Unix sockets).  Everything here lives on the
 * device thread; only `reset_gen` is touched by vCPU threads. */
#ifndef LIGHTER_VMM_VSOCK_CONN_H
#define LIGHTER_VMM_VSOCK_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <uv.h>

#include "virtio-vsock.h"
#include "virtio.h"
#include "vsock-packet.h"

#define VSOCK_HASH_BUCKETS 256
/* Host-initiated connections get local ports from here up, as Firecracker
 * does: far above anything a guest service listens on. */
#define VSOCK_LOCAL_PORT_FIRST (1U << 30)
/* RSTs owed for packets that match no connection; more are dropped (the
 * guest's connect times out instead). */
#define VSOCK_ORPHAN_RST_MAX 64
/* "CONNECT 4294967295\n" fits with room to spare. */
#define VSOCK_CONNECT_LINE_MAX 32

/* How long a host client may take to send its CONNECT line, the guest to
 * answer a REQUEST, and a closing connection to flush to the host. */
#define VSOCK_CMD_TIMEOUT_MS 5000
#define VSOCK_REQUEST_TIMEOUT_MS 2000
#define VSOCK_CLOSE_GRACE_MS 5000
#define VSOCK_SWEEP_MS 250
/* Forwarded bytes that earn the guest an unsolicited CREDIT_UPDATE: half
 * the window (Linux itself waits for three quarters; updates cost the
 * guest an rx buffer and an interrupt each). */
#define VSOCK_CREDIT_UPDATE_BYTES (VSOCK_BUF_ALLOC / 2)

enum vsock_conn_state {
	CONN_HOST_CMD,     /* host client accepted, waiting for CONNECT <port> */
	CONN_HOST_REQUEST, /* REQUEST owed or sent to the guest, no answer yet */
	CONN_ESTABLISHED,
	CONN_CLOSING,      /* host side closed; RST owed to the guest */
};

/* Control packets owed to the guest (bits of vsock_conn.pending). */
enum {
	PEND_REQUEST = 1 << 0,
	PEND_RESPONSE = 1 << 1,
	PEND_CREDIT_UPDATE = 1 << 2,
	PEND_CREDIT_REQUEST = 1 << 3,
	PEND_SHUTDOWN = 1 << 4,
	PEND_RST = 1 << 5,
};

struct vsock_dev;

struct vsock_conn {
	struct vsock_dev *dev;
	enum vsock_conn_state state;
	uint32_t local_port; /* the host side's port */
	uint32_t peer_port;  /* the guest's port */
	bool keyed;          /* in the hash (ports known) */
	struct vsock_conn *hash_next;
	struct vsock_conn *all_prev, *all_next;
	struct vsock_conn *rx_next; /* rx work list */
	bool on_rxq;

	int fd; /* host socket, -1 once closed */
	uv_poll_t poll;  /* open while fd is, freed with the connection */
	int poll_events; /* currently armed */
	bool poll_open;  /* poll handle not yet closed by libuv */
	bool dead;       /* unlinked; freed once poll is closed */
	bool guest_knows; /* the guest has heard of it: closing owes an RST */

	unsigned int pending;    /* PEND_* */
	uint32_t shutdown_flags; /* for PEND_SHUTDOWN */
	bool want_data;          /* host socket readable and credit left */
	uint64_t deadline;       /* uv_now() ms; 0 none */

	/* guest -> host: bytes taken from the guest and bytes written to the
	 * host socket; what lies between sits in buf (a ring of
	 * VSOCK_BUF_ALLOC bytes, allocated when first needed) */
	uint32_t rx_cnt, fwd_cnt, fwd_cnt_sent;
	uint8_t *buf;
	uint32_t buf_head, buf_len;

	/* host -> guest: bytes sent, and the guest's receive window */
	uint32_t tx_cnt;
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	bool credit_requested; /* a CREDIT_REQUEST is out for this stall */

	uint32_t peer_shutdown; /* VSOCK_SHUTDOWN_* the guest sent */
	bool host_eof;          /* the host socket said EOF */
	bool host_wr_shut;      /* we shut the host socket's write side */
};

struct vsock_orphan {
	uint32_t local_port, peer_port;
};

struct vsock_dev {
	struct virtio_dev vdev;
	uv_loop_t *loop;
	uint64_t guest_cid;
	char uds_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	bool uds_bound; /* uds_path is ours to unlink */
	uv_poll_t listen_poll;
	uv_timer_t sweep;
	uv_idle_t tx_more; /* tx work left over from a bounded pass */
	bool handles_open;

	/* driver resets arrive on vCPU threads: they bump reset_gen, the
	 * device thread notices and drops every connection */
	unsigned int reset_gen, seen_reset_gen;

	struct vsock_conn *hash[VSOCK_HASH_BUCKETS];
	struct vsock_conn *all;
	unsigned int nr_conns;
	struct vsock_conn *rxq_head, *rxq_tail;
	struct vsock_orphan orphan[VSOCK_ORPHAN_RST_MAX];
	unsigned int orphan_head, orphan_len;
	uint32_t next_local_port;

	/* an rx chain popped but not yet used (a connection had nothing to
	 * send after all); it goes to the next packet */
	bool rx_held;
	struct virtq_chain rx_chain;
	struct virtq_chain tx_chain;
	struct iovec iov[VIRTQ_CHAIN_MAX];
	struct vsock_stats stats;
};

/* vsock-conn.c */
struct vsock_conn *vsock_conn_new(struct vsock_dev *v, int fd,
				  enum vsock_conn_state state);
struct vsock_conn *vsock_conn_find(struct vsock_dev *v, uint32_t local_port,
				   uint32_t peer_port);
void vsock_conn_set_key(struct vsock_conn *c, uint32_t local_port,
			uint32_t peer_port);
/* Owe the guest the control packets in `bits` (PEND_*). */
void vsock_conn_owe(struct vsock_conn *c, unsigned int bits);
/* Close the host side and owe the guest an RST; freed once it is sent. */
void vsock_conn_reset(struct vsock_conn *c);
/* Forget the connection now (guest RST, device reset): no packet owed. */
void vsock_conn_drop(struct vsock_conn *c);
/* A packet for c from the guest (header checked, payload in chain). */
void vsock_conn_from_guest(struct vsock_conn *c, const struct vsock_hdr *h,
			   const struct virtq_chain *chain);
/* Fill rx chain `chain` (>= VSOCK_HDR_LEN writable) with c's next
 * packet; bytes written, 0 if c had nothing to send after all.  Sets
 * *finished when c is done (its RST went out): the caller drops it. */
uint32_t vsock_conn_to_guest(struct vsock_conn *c,
			     const struct virtq_chain *chain, bool *finished);
bool vsock_conn_has_rx_work(const struct vsock_conn *c);
/* Re-arm the host socket's poll for what the state needs. */
void vsock_conn_update_poll(struct vsock_conn *c);
void vsock_conn_sweep(struct vsock_conn *c, uint64_t now);
/* Credit the guest gives us for host -> guest bytes. */
uint32_t vsock_conn_peer_credit(const struct vsock_conn *c);

/* virtio-vsock.c */
void vsock_rxq_add(struct vsock_dev *v, struct vsock_conn *c);
void vsock_rxq_remove(struct vsock_dev *v, struct vsock_conn *c);
void vsock_rx_pump(struct vsock_dev *v);
void vsock_orphan_rst(struct vsock_dev *v, uint32_t local_port,
		      uint32_t peer_port);
/* Drop every connection if the driver reset the device meanwhile. */
void vsock_sync_reset(struct vsock_dev *v);

/* vsock-uds.c */
/* Bind and listen on path (the poll is the caller's); 0 or -errno. */
int vsock_uds_listen(struct vsock_dev *v, const char *path, struct lerr *e);
void vsock_uds_on_listen(uv_poll_t *p, int status, int events);
void vsock_uds_close(struct vsock_dev *v);
/* Host client c has something readable while in CONN_HOST_CMD. */
void vsock_uds_read_command(struct vsock_conn *c);
/* RESPONSE from the guest for host-initiated c: tell the client. */
int vsock_uds_send_ok(struct vsock_conn *c);
/* Guest REQUEST to port `port`: connect to "<uds>_<port>"; fd or -errno. */
int vsock_uds_connect_port(struct vsock_dev *v, uint32_t port);

#endif
