/* virtio-driver.c - the test-side virtio driver of virtio-driver.h. */
#include "virtio-driver.h"

#include <string.h>

#include "virtio-mmio.h"

void vd_notify_inline(struct virtio_dev *dev, unsigned int q)
{
	dev->ops->queue_notify(dev, q);
}

void vd_irq_ignore(struct virtio_dev *dev)
{
}

uint32_t vd_rd(struct virtio_dev *dev, uint64_t off)
{
	uint32_t v;

	virtio_mmio_read(dev, off, &v, 4);
	return v;
}

void vd_wr(struct virtio_dev *dev, uint64_t off, uint32_t v)
{
	virtio_mmio_write(dev, off, &v, 4);
}

void vd_write_features(struct virtio_dev *dev, uint32_t lo, uint32_t hi)
{
	vd_wr(dev, VD_DRIVER_FEATURES_SEL, 0);
	vd_wr(dev, VD_DRIVER_FEATURES, lo);
	vd_wr(dev, VD_DRIVER_FEATURES_SEL, 1);
	vd_wr(dev, VD_DRIVER_FEATURES, hi);
}

uint32_t vd_negotiate(struct virtio_dev *dev, uint32_t lo, uint32_t hi)
{
	vd_wr(dev, VD_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	vd_wr(dev, VD_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vd_write_features(dev, lo, hi);
	vd_wr(dev, VD_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				      VIRTIO_STATUS_FEATURES_OK);
	return vd_rd(dev, VD_STATUS);
}

void vd_setup_queue(struct virtio_dev *dev, uint32_t q, uint32_t size,
		    uint64_t desc, uint64_t avail, uint64_t used)
{
	vd_wr(dev, VD_QUEUE_SEL, q);
	vd_wr(dev, VD_QUEUE_NUM, size);
	vd_wr(dev, VD_QUEUE_DESC_LOW, (uint32_t)desc);
	vd_wr(dev, VD_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	vd_wr(dev, VD_QUEUE_AVAIL_LOW, (uint32_t)avail);
	vd_wr(dev, VD_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	vd_wr(dev, VD_QUEUE_USED_LOW, (uint32_t)used);
	vd_wr(dev, VD_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	vd_wr(dev, VD_QUEUE_READY, 1);
}

uint32_t vd_driver_ok(struct virtio_dev *dev)
{
	vd_wr(dev, VD_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				      VIRTIO_STATUS_FEATURES_OK |
				      VIRTIO_STATUS_DRIVER_OK);
	return vd_rd(dev, VD_STATUS);
}

void vd_kick(struct virtio_dev *dev, uint32_t q)
{
	vd_wr(dev, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

int vd_put_desc(const struct guest_mem *mem, uint64_t table, unsigned int i,
		uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = vd_gpa(mem, table + 16ULL * i, 16);

	if (!d)
		return -1;
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	return 0;
}

int vd_avail_add(const struct guest_mem *mem, uint64_t avail, uint32_t qsize,
		 uint16_t *idx, uint16_t head)
{
	uint16_t *a = vd_gpa(mem, avail, 4 + 2ULL * qsize);

	if (!a || !qsize)
		return -1;
	a[2 + *idx % qsize] = head;
	(*idx)++;
	__atomic_store_n(&a[1], *idx, __ATOMIC_RELEASE);
	return 0;
}

uint16_t vd_used_idx(const struct guest_mem *mem, uint64_t used)
{
	uint16_t *u = vd_gpa(mem, used + 2, 2);

	return u ? __atomic_load_n(u, __ATOMIC_ACQUIRE) : 0;
}

int vd_used_elem(const struct guest_mem *mem, uint64_t used, uint32_t qsize,
		 uint16_t i, uint32_t *id, uint32_t *len)
{
	uint32_t *e = qsize ? vd_gpa(mem, used + 4 + 8ULL * (i % qsize), 8)
			    : NULL;

	if (!e)
		return -1;
	*id = e[0];
	*len = e[1];
	return 0;
}
