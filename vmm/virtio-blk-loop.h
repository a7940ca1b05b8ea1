/* virtio-blk-loop.h - a block device's completions on the libuv device
 * loop (kept apart so the device model itself needs no libuv). */
#ifndef LIGHTER_VMM_VIRTIO_BLK_LOOP_H
#define LIGHTER_VMM_VIRTIO_BLK_LOOP_H

#include <uv.h>

#include "virtio-blk.h"

/* Poll d's completion eventfd on loop with the caller's handle `poll`
 * (closed by device_loop_close).  Call before the device thread starts. */
int virtio_blk_attach(struct virtio_dev *d, uv_loop_t *loop, uv_poll_t *poll,
		      struct lerr *e);

#endif
