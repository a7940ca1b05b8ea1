/* virtio-driver.h - a test-side virtio driver: what the unit tests and the
 * fuzz harnesses do as "the guest" in front of a device model, shared so
 * they agree on it.  Register access through virtio_mmio_read/write on a
 * struct virtio_dev, the driver side of feature negotiation (virtio 1.2
 * 3.1.1), queue layout, descriptors and avail entries written into real
 * guest memory, used-ring readers.
 *
 * No test framework here: failures come back as return values (NULL, -1,
 * a status word without the bit asked for) for the caller to assert on
 * with criterion or FUZZ_CHECK.  Rings are split virtqueues at given
 * guest-physical addresses; desc is 16 bytes an entry, avail is flags,
 * idx, ring[qsize], used is flags, idx, {id, len}[qsize]. */
#ifndef LIGHTER_TEST_VIRTIO_DRIVER_H
#define LIGHTER_TEST_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "guest-mem.h"
#include "virtio.h"

/* virtio-mmio v2 register offsets the drivers use */
#define VD_MAGIC 0x000
#define VD_VERSION 0x004
#define VD_DEVICE_ID 0x008
#define VD_DEVICE_FEATURES 0x010
#define VD_DEVICE_FEATURES_SEL 0x014
#define VD_DRIVER_FEATURES 0x020
#define VD_DRIVER_FEATURES_SEL 0x024
#define VD_QUEUE_SEL 0x030
#define VD_QUEUE_NUM_MAX 0x034
#define VD_QUEUE_NUM 0x038
#define VD_QUEUE_READY 0x044
#define VD_STATUS 0x070
#define VD_QUEUE_DESC_LOW 0x080
#define VD_QUEUE_DESC_HIGH 0x084
#define VD_QUEUE_AVAIL_LOW 0x090
#define VD_QUEUE_AVAIL_HIGH 0x094
#define VD_QUEUE_USED_LOW 0x0a0
#define VD_QUEUE_USED_HIGH 0x0a4

/* virtio_hooks for a test: kick runs the device's queue_notify inline
 * on the caller's thread (no device thread), irq ignores interrupts. */
void vd_notify_inline(struct virtio_dev *dev, unsigned int q);
void vd_irq_ignore(struct virtio_dev *dev);

/* A 32-bit register read / write. */
uint32_t vd_rd(struct virtio_dev *dev, uint64_t off);
void vd_wr(struct virtio_dev *dev, uint64_t off, uint32_t v);

/* Driver feature words lo (bits 0-31) and hi (32-63), as written. */
void vd_write_features(struct virtio_dev *dev, uint32_t lo, uint32_t hi);

/* The driver side of 3.1.1 up to FEATURES_OK: ACKNOWLEDGE, DRIVER, the
 * feature words lo/hi, FEATURES_OK.  Returns the status register after,
 * which has FEATURES_OK only if the device accepted the features. */
uint32_t vd_negotiate(struct virtio_dev *dev, uint32_t lo, uint32_t hi);

/* Lay out queue q (size entries, rings at desc/avail/used, all below
 * 4 GiB) and set it ready. */
void vd_setup_queue(struct virtio_dev *dev, uint32_t q, uint32_t size,
		    uint64_t desc, uint64_t avail, uint64_t used);

/* Set DRIVER_OK on top of ACKNOWLEDGE | DRIVER | FEATURES_OK; returns the
 * status register after. */
uint32_t vd_driver_ok(struct virtio_dev *dev);

/* QueueNotify for queue q. */
void vd_kick(struct virtio_dev *dev, uint32_t q);

/* A split-ring descriptor as it lies in guest memory. */
struct vd_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));

/* A host pointer to [a, a + len) of guest memory, NULL if out of RAM.
 * Inline, so that tests of the rings alone (test-virtq, fuzz-virtq) need
 * not link the register side. */
static inline void *vd_gpa(const struct guest_mem *mem, uint64_t a,
			   uint64_t len)
{
	return guest_mem_ptr(mem, a, len);
}

/* Write descriptor i of the table at gpa table; -1 if outside RAM. */
int vd_put_desc(const struct guest_mem *mem, uint64_t table, unsigned int i,
		uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);

/* Publish head at avail slot *idx % qsize of the avail ring at gpa avail,
 * then advance *idx and store it as avail->idx (release); -1 if outside
 * RAM. */
int vd_avail_add(const struct guest_mem *mem, uint64_t avail, uint32_t qsize,
		 uint16_t *idx, uint16_t head);

/* used->idx of the used ring at gpa used (acquire); 0 if outside RAM. */
uint16_t vd_used_idx(const struct guest_mem *mem, uint64_t used);

/* Used element i % qsize: its id and len; -1 if outside RAM. */
int vd_used_elem(const struct guest_mem *mem, uint64_t used, uint32_t qsize,
		 uint16_t i, uint32_t *id, uint32_t *len);

#endif
