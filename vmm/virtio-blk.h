/* virtio-blk.h - the block device (virtio 1.2 5.2) over a raw image file:
 * read-only or read-write, flush mapped to fdatasync, a 20-byte serial for
 * VIRTIO_BLK_T_GET_ID, advertised and enforced segment limits.
 *
 * Requests are parsed on the device thread, run by the I/O workers of
 * virtio-blk-io.c and completed back on the device thread: the owner of
 * the device polls virtio_blk_completion_fd() and calls
 * virtio_blk_run_completions() when it is readable (virtio-blk-loop.c does
 * that on the libuv loop; unit tests do it by hand). */
#ifndef LIGHTER_VMM_VIRTIO_BLK_H
#define LIGHTER_VMM_VIRTIO_BLK_H

#include <stdbool.h>

#include <lighter/error.h>

#include "virtio.h"

/* feature bits (5.2.3) */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

/* request types and status values (5.2.6) */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_SECTOR 512

/* Limits advertised in config space and enforced per request: at most
 * SEG_MAX data segments, none longer than SIZE_MAX bytes.  Their product
 * (32 MiB) stays under VIRTQ_CHAIN_BYTES_MAX, so a request the driver
 * builds within them is never taken for a hostile chain. */
#define VIRTIO_BLK_SEG_MAX 128
#define VIRTIO_BLK_SIZE_MAX (256U << 10)
#define VIRTIO_BLK_QUEUE_MAX 256
/* Largest read tried inline on the device thread (RWF_NOWAIT). */
#define VIRTIO_BLK_INLINE_READ_MAX (128U << 10)

/* config space (5.2.4) up to and including blk_size */
#define VIRTIO_BLK_CONFIG_LEN 24

struct virtio_blk_params {
	const char *path;    /* raw image */
	bool ro;             /* offer VIRTIO_BLK_F_RO, open O_RDONLY */
	const char *serial;  /* GET_ID answer; NULL: the file's base name */
};

/* A block device over guest memory `mem`: opens the image and starts its
 * I/O threads.  NULL with e filled (the message names the file). */
struct virtio_dev *virtio_blk_create(const struct guest_mem *mem,
				     const struct virtio_blk_params *p,
				     struct lerr *e);

/* Stops the I/O threads (after the device thread has stopped) and closes
 * the image. NULL is fine. */
void virtio_blk_destroy(struct virtio_dev *d);

/* Readable when I/O requests have finished. */
int virtio_blk_completion_fd(struct virtio_dev *d);

/* On the device thread: hand finished requests back to the driver, then
 * take on any the driver queued meanwhile. */
void virtio_blk_run_completions(struct virtio_dev *d);

/* Requests with the I/O workers (device thread only; for tests). */
unsigned int virtio_blk_inflight(struct virtio_dev *d);

/* Capacity in 512-byte sectors (as in config space). */
uint64_t virtio_blk_capacity(struct virtio_dev *d);

#endif
