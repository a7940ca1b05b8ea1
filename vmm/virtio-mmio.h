/* virtio-mmio.h - the virtio-mmio version 2 register window (virtio 1.x,
 * 4.2.2) in front of a struct virtio_dev. */
#ifndef LIGHTER_VMM_VIRTIO_MMIO_H
#define LIGHTER_VMM_VIRTIO_MMIO_H

#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

#define VIRTIO_MMIO_WINDOW 0x1000
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050

/* Register access at offset `off` of the window, from a vCPU thread.
 * Accesses that are not naturally aligned 32-bit ones (outside config
 * space) read as zero and are ignored on write. */
void virtio_mmio_read(struct virtio_dev *d, uint64_t off, void *data,
		      unsigned int len);
void virtio_mmio_write(struct virtio_dev *d, uint64_t off, const void *data,
		       unsigned int len);

/* "virtio_mmio.device=4K@0xd0000000:5" for the guest's command line. */
int virtio_mmio_cmdline(const struct virtio_dev *d, char *buf, size_t len);

#endif
