/* virtq.h - split virtqueues (virtio 1.x, section 2.7) walked from the
 * device side, against guest memory the guest controls.
 *
 * Everything read from the rings is hostile: indices are checked against
 * the queue size, descriptor chains are walked with a loop bound and a
 * byte bound, every buffer is resolved through guest_mem_ptr().  Any
 * violation returns -EIO and marks the queue broken; the transport then
 * sets DEVICE_NEEDS_RESET.  Nothing here allocates, blocks or crashes. */
#ifndef LIGHTER_VMM_VIRTQ_H
#define LIGHTER_VMM_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest-mem.h"

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
/* The ring features every lighter device offers (the walker handles both). */
#define VIRTQ_RING_FEATURES                                                    \
	(1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_RING_F_INDIRECT_DESC)

#define VIRTQ_SIZE_MAX 32768
/* Longest chain we accept, indirect tables included. Linux's block and net
 * drivers stay far below this (at most MAX_SKB_FRAGS + 2 or the queue's
 * max_segments). */
#define VIRTQ_CHAIN_MAX 512
/* Most bytes one chain may describe (sum of its buffers). */
#define VIRTQ_CHAIN_BYTES_MAX (64U << 20)

struct virtq_buf {
	uint8_t *host;   /* checked host pointer to the whole buffer */
	uint32_t len;
	bool writable;   /* device-writable (VIRTQ_DESC_F_WRITE) */
};

struct virtq_chain {
	uint16_t head;          /* descriptor index to hand back in the used ring */
	unsigned int nr;        /* buffers in buf[] */
	uint32_t readable_len;  /* bytes the driver gave us */
	uint32_t writable_len;  /* bytes we may write */
	struct virtq_buf buf[VIRTQ_CHAIN_MAX];
};

struct virtq {
	const struct guest_mem *mem;
	uint16_t size;            /* entries; a power of two */
	uint64_t desc_gpa;        /* descriptor table */
	uint64_t avail_gpa;       /* driver area */
	uint64_t used_gpa;        /* device area */
	bool event_idx;           /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;            /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool ready;               /* rings resolved by virtq_activate */
	bool broken;              /* a hostile ring was seen */
	uint16_t last_avail;      /* next avail entry to consume */
	uint16_t used_idx;        /* our copy of used->idx */
	uint16_t signalled_used;  /* used->idx when we last interrupted */
	bool signalled_valid;
	/* resolved ring pointers (set by virtq_activate) */
	void *desc, *avail, *used;
};

/* Resolve and check the three rings of a queue whose size and addresses
 * the driver has written; -EINVAL when misaligned, -EFAULT when outside
 * guest RAM.  Resets the indices. */
int virtq_activate(struct virtq *q, const struct guest_mem *mem);

/* Forget everything (device reset). Keeps nothing but zeroes. */
void virtq_reset(struct virtq *q);

/* Take the next available chain.  1: *c filled; 0: ring empty;
 * -EIO: hostile ring (q->broken is set, the queue stays unusable). */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/* Give chain `head` back with `written` bytes written into it. */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/* After one or more pushes: must the driver be interrupted?  Honours
 * VRING_AVAIL_F_NO_INTERRUPT or, with EVENT_IDX, used_event. */
bool virtq_needs_interrupt(struct virtq *q);

/* Ask to be notified (or not) when the driver adds buffers: with
 * EVENT_IDX writes avail_event, else VRING_USED_F_NO_NOTIFY.  Returns true
 * if buffers arrived meanwhile (the caller should pop again). */
bool virtq_enable_notify(struct virtq *q, bool enable);

/* Copy helpers over a chain's readable / writable buffers. They return
 * the number of bytes copied (bounded by the chain). */
uint32_t virtq_chain_read(const struct virtq_chain *c, uint32_t off, void *dst,
			  uint32_t len);
uint32_t virtq_chain_write(const struct virtq_chain *c, uint32_t off,
			   const void *src, uint32_t len);

/* Describe `len` bytes of the chain's readable (or writable) buffers from
 * offset `off` as iovecs straight into guest memory, at most max_iov of
 * them.  Returns how many were filled (fewer bytes than len when the
 * chain is shorter), or -E2BIG when more than max_iov would be needed. */
int virtq_chain_iov(const struct virtq_chain *c, bool writable, uint32_t off,
		    uint32_t len, struct iovec *iov, unsigned int max_iov);

#endif
