/* fuzz-virtio.h - the fuzz harnesses' side of the test-side virtio driver
 * (tests/support/virtio-driver.h): its calls with failures as findings. */
#ifndef LIGHTER_FUZZ_VIRTIO_H
#define LIGHTER_FUZZ_VIRTIO_H

#include "fuzz-input.h"
#include "virtio-driver.h"

/* Guest memory the harness needs: a host pointer, or a finding. */
static inline void *fuzz_gpa(const struct guest_mem *mem, uint64_t a,
			     uint64_t len)
{
	void *p = vd_gpa(mem, a, len);

	FUZZ_CHECK(p);
	return p;
}

/* virtio_hooks.kick: only for a queue the device has, then the device
 * runs inline. */
static inline void fuzz_kick_inline(struct virtio_dev *d, unsigned int q)
{
	FUZZ_CHECK(q < d->ops->nr_queues);
	vd_notify_inline(d, q);
}

#endif
