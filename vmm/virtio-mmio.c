/* virtio-mmio.c - the virtio-mmio v2 ("modern") register protocol: magic,
 * version and ids, feature negotiation (VERSION_1 required), the status
 * state machine and device reset, per-queue setup, interrupt status and
 * acknowledge, config space and its generation counter.  Runs on vCPU
 * threads under the device lock; queue kicks are handed to the device
 * thread through hooks->kick. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "virtio-mmio.h"

#define MMIO_MAGIC 0x74726976 /* "virt" */
#define MMIO_VERSION 2
#define MMIO_VENDOR 0x4c474854 /* "LGHT" */

enum mmio_reg {
	REG_MAGIC = 0x000,
	REG_VERSION = 0x004,
	REG_DEVICE_ID = 0x008,
	REG_VENDOR_ID = 0x00c,
	REG_DEVICE_FEATURES = 0x010,
	REG_DEVICE_FEATURES_SEL = 0x014,
	REG_DRIVER_FEATURES = 0x020,
	REG_DRIVER_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030,
	REG_QUEUE_NUM_MAX = 0x034,
	REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044,
	REG_QUEUE_NOTIFY = VIRTIO_MMIO_QUEUE_NOTIFY,
	REG_INTERRUPT_STATUS = 0x060,
	REG_INTERRUPT_ACK = 0x064,
	REG_STATUS = 0x070,
	REG_QUEUE_DESC_LOW = 0x080,
	REG_QUEUE_DESC_HIGH = 0x084,
	REG_QUEUE_DRIVER_LOW = 0x090,
	REG_QUEUE_DRIVER_HIGH = 0x094,
	REG_QUEUE_DEVICE_LOW = 0x0a0,
	REG_QUEUE_DEVICE_HIGH = 0x0a4,
	REG_CONFIG_GENERATION = 0x0fc,
	REG_CONFIG = 0x100,
};

static uint64_t offered_features(const struct virtio_dev *d)
{
	return d->ops->features | (1ULL << VIRTIO_F_VERSION_1);
}

static struct virtq *selected_queue(struct virtio_dev *d)
{
	return d->queue_sel < d->ops->nr_queues ? &d->vq[d->queue_sel] : NULL;
}

static void device_reset(struct virtio_dev *d)
{
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		virtq_reset(&d->vq[i]);
	d->status = 0;
	d->driver_features = 0;
	d->device_features_sel = d->driver_features_sel = 0;
	d->queue_sel = 0;
	d->isr = 0;
	if (d->ops->reset)
		d->ops->reset(d);
}

static uint32_t reg_read(struct virtio_dev *d, uint64_t off)
{
	struct virtq *q = selected_queue(d);

	switch (off) {
	case REG_MAGIC:
		return MMIO_MAGIC;
	case REG_VERSION:
		return MMIO_VERSION;
	case REG_DEVICE_ID:
		return d->ops->device_id;
	case REG_VENDOR_ID:
		return MMIO_VENDOR;
	case REG_DEVICE_FEATURES:
		if (d->device_features_sel > 1)
			return 0;
		return (uint32_t)(offered_features(d) >>
				  (32 * d->device_features_sel));
	case REG_QUEUE_NUM_MAX:
		return q ? d->ops->queue_max : 0;
	case REG_QUEUE_READY:
		return q ? q->ready : 0;
	case REG_INTERRUPT_STATUS:
		return d->isr;
	case REG_STATUS:
		return d->status;
	case REG_CONFIG_GENERATION:
		return d->config_generation;
	default:
		return 0;
	}
}

/* FEATURES_OK is accepted only for a subset of what we offered that
 * includes VERSION_1 (no legacy interface here). */
static bool features_acceptable(const struct virtio_dev *d)
{
	uint64_t f = d->driver_features;

	return !(f & ~offered_features(d)) && (f >> VIRTIO_F_VERSION_1) & 1;
}

static void queue_ready(struct virtio_dev *d, struct virtq *q, uint32_t v)
{
	if (!v) {
		virtq_reset(q);
		return;
	}
	q->event_idx = virtio_dev_has(d, VIRTIO_RING_F_EVENT_IDX);
	q->indirect = virtio_dev_has(d, VIRTIO_RING_F_INDIRECT_DESC);
	if (q->size == 0 || q->size > d->ops->queue_max ||
	    virtq_activate(q, d->mem) < 0)
		d->status |= VIRTIO_STATUS_NEEDS_RESET;
}

static void status_write(struct virtio_dev *d, uint32_t v)
{
	uint32_t old = d->status;

	if (v == 0) {
		device_reset(d);
		return;
	}
	/* the driver may only add bits (2.1.2), never clear them */
	if ((v & old) != old)
		return;
	if ((v & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(d))
		v &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK))
		v &= ~VIRTIO_STATUS_DRIVER_OK;
	d->status = v | (old & VIRTIO_STATUS_NEEDS_RESET);
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) &&
	    d->ops->activate && d->ops->activate(d) < 0)
		d->status |= VIRTIO_STATUS_NEEDS_RESET;
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	if (high)
		*v = (*v & 0xffffffffULL) | ((uint64_t)val << 32);
	else
		*v = (*v & ~0xffffffffULL) | val;
}

/* Queue layout registers may change only while the queue is not ready and
 * the driver has not finished (4.2.3.2). */
static void queue_reg_write(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct virtq *q = selected_queue(d);

	if (!q || q->ready || (d->status & VIRTIO_STATUS_DRIVER_OK) ||
	    !(d->status & VIRTIO_STATUS_FEATURES_OK))
		return;
	switch (off) {
	case REG_QUEUE_NUM:
		q->size = v <= VIRTQ_SIZE_MAX ? (uint16_t)v : 0;
		break;
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
		set_half(&q->desc_gpa, off == REG_QUEUE_DESC_HIGH, v);
		break;
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH:
		set_half(&q->avail_gpa, off == REG_QUEUE_DRIVER_HIGH, v);
		break;
	case REG_QUEUE_DEVICE_LOW:
	case REG_QUEUE_DEVICE_HIGH:
		set_half(&q->used_gpa, off == REG_QUEUE_DEVICE_HIGH, v);
		break;
	default:
		break;
	}
}

static void reg_write(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct virtq *q;

	switch (off) {
	case REG_DEVICE_FEATURES_SEL:
		d->device_features_sel = v;
		break;
	case REG_DRIVER_FEATURES_SEL:
		d->driver_features_sel = v;
		break;
	case REG_DRIVER_FEATURES:
		if (d->driver_features_sel <= 1 &&
		    !(d->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&d->driver_features, d->driver_features_sel,
				 v);
		break;
	case REG_QUEUE_SEL:
		d->queue_sel = v;
		break;
	case REG_QUEUE_READY:
		q = selected_queue(d);
		if (q && (d->status & VIRTIO_STATUS_FEATURES_OK) &&
		    !(d->status & VIRTIO_STATUS_DRIVER_OK))
			queue_ready(d, q, v);
		break;
	case REG_QUEUE_NOTIFY:
		break; /* handled by virtio_mmio_write, outside the lock */
	case REG_INTERRUPT_ACK:
		d->isr &= ~v;
		break;
	case REG_STATUS:
		status_write(d, v);
		break;
	case REG_QUEUE_NUM:
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH:
	case REG_QUEUE_DEVICE_LOW:
	case REG_QUEUE_DEVICE_HIGH:
		queue_reg_write(d, off, v);
		break;
	default:
		break; /* read-only or unknown: ignored */
	}
}

static bool config_range(const struct virtio_dev *d, uint64_t off,
			 unsigned int len, uint32_t *cfg_off)
{
	uint64_t end;

	if (off < REG_CONFIG || len == 0 || len > 8)
		return false;
	*cfg_off = (uint32_t)(off - REG_CONFIG);
	end = (uint64_t)*cfg_off + len;
	return end <= d->ops->config_len;
}

void virtio_mmio_read(struct virtio_dev *d, uint64_t off, void *data,
		      unsigned int len)
{
	uint32_t cfg_off, v;

	memset(data, 0, len);
	pthread_mutex_lock(&d->lock);
	if (config_range(d, off, len, &cfg_off)) {
		if (d->ops->config_read)
			d->ops->config_read(d, cfg_off, data, len);
	} else if (off < REG_CONFIG && len == 4 && !(off & 3)) {
		v = reg_read(d, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&d->lock);
}

void virtio_mmio_write(struct virtio_dev *d, uint64_t off, const void *data,
		       unsigned int len)
{
	uint32_t cfg_off, v;

	bool kick = false;

	pthread_mutex_lock(&d->lock);
	if (config_range(d, off, len, &cfg_off)) {
		if (d->ops->config_write)
			d->ops->config_write(d, cfg_off, data, len);
	} else if (off < REG_CONFIG && len == 4 && !(off & 3)) {
		memcpy(&v, data, 4);
		reg_write(d, off, v);
		kick = off == REG_QUEUE_NOTIFY && v < d->ops->nr_queues &&
		       (d->status & VIRTIO_STATUS_DRIVER_OK);
	}
	pthread_mutex_unlock(&d->lock);
	/* the kick may run the device inline (tests) or wake its thread */
	if (kick && d->hooks && d->hooks->kick)
		d->hooks->kick(d, v);
}

int virtio_mmio_cmdline(const struct virtio_dev *d, char *buf, size_t len)
{
	int n = snprintf(buf, len, "virtio_mmio.device=4K@0x%" PRIx64 ":%u",
			 d->base, d->gsi);

	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}
