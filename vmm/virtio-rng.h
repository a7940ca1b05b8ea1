/* virtio-rng.h - entropy device (virtio 1.x 5.4) fed by getrandom(2). */
#ifndef LIGHTER_VMM_VIRTIO_RNG_H
#define LIGHTER_VMM_VIRTIO_RNG_H

#include "virtio.h"

/* Most bytes handed out per request chain; bounds the time one kick may
 * keep the device thread busy. */
#define VIRTIO_RNG_CHAIN_BYTES_MAX (64U << 10)

/* A new rng device over guest memory `mem`; NULL on ENOMEM. */
struct virtio_dev *virtio_rng_create(const struct guest_mem *mem);
void virtio_rng_destroy(struct virtio_dev *d);

#endif
