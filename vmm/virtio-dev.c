/* virtio-dev.c - device-side virtio state shared by every device model:
 * feature checks, interrupt raising with suppression, the NEEDS_RESET
 * path for hostile drivers, and a queue pop that applies it. */
#include <string.h>

#include "virtio.h"

void virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops,
		     void *priv, const struct guest_mem *mem)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->priv = priv;
	d->mem = mem;
	pthread_mutex_init(&d->lock, NULL);
}

void virtio_dev_destroy(struct virtio_dev *d)
{
	pthread_mutex_destroy(&d->lock);
}

bool virtio_dev_has(const struct virtio_dev *d, unsigned int bit)
{
	return bit < 64 && (d->driver_features >> bit) & 1;
}

static void raise_irq(struct virtio_dev *d, uint32_t why)
{
	d->isr |= why;
	if (d->hooks && d->hooks->irq)
		d->hooks->irq(d);
}

void virtio_dev_signal_used(struct virtio_dev *d, unsigned int q)
{
	if (q >= VIRTIO_MAX_QUEUES)
		return;
	pthread_mutex_lock(&d->lock);
	if ((d->status & VIRTIO_STATUS_DRIVER_OK) &&
	    virtq_needs_interrupt(&d->vq[q]))
		raise_irq(d, VIRTIO_INT_VRING);
	pthread_mutex_unlock(&d->lock);
}

void virtio_dev_config_changed(struct virtio_dev *d)
{
	pthread_mutex_lock(&d->lock);
	d->config_generation++;
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		raise_irq(d, VIRTIO_INT_CONFIG);
	pthread_mutex_unlock(&d->lock);
}

/* Caller holds d->lock. */
static void needs_reset_locked(struct virtio_dev *d)
{
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		raise_irq(d, VIRTIO_INT_CONFIG);
}

void virtio_dev_needs_reset(struct virtio_dev *d)
{
	pthread_mutex_lock(&d->lock);
	needs_reset_locked(d);
	pthread_mutex_unlock(&d->lock);
}

int virtio_dev_pop(struct virtio_dev *d, unsigned int q, struct virtq_chain *c)
{
	int r;

	if (q >= VIRTIO_MAX_QUEUES)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (d->status & VIRTIO_STATUS_NEEDS_RESET ||
	    !(d->status & VIRTIO_STATUS_DRIVER_OK)) {
		pthread_mutex_unlock(&d->lock);
		return d->status & VIRTIO_STATUS_NEEDS_RESET ? -EIO : 0;
	}
	r = virtq_pop(&d->vq[q], c);
	/* ring drained: ask for a kick on the next buffer (avail_event with
	 * EVENT_IDX), then look once more for one that raced the request */
	if (r == 0 && virtq_enable_notify(&d->vq[q], true))
		r = virtq_pop(&d->vq[q], c);
	if (r < 0)
		needs_reset_locked(d);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int virtio_dev_push(struct virtio_dev *d, unsigned int q, uint16_t head,
		    uint32_t written)
{
	int r = -EIO;

	if (q >= VIRTIO_MAX_QUEUES)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (!(d->status & VIRTIO_STATUS_NEEDS_RESET))
		r = virtq_push(&d->vq[q], head, written);
	pthread_mutex_unlock(&d->lock);
	return r;
}
