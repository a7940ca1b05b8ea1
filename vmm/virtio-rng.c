/* virtio-rng.c - the entropy device: every device-writable buffer the
 * driver queues is filled from getrandom(2), so the guest kernel has
 * entropy from its first moments without trusting anything of its own. */
#include <stdlib.h>
#include <sys/random.h>

#include "virtio-rng.h"

struct virtio_rng {
	struct virtio_dev dev;
	struct virtq_chain chain; /* scratch, device thread only */
};

static uint32_t fill_random(struct virtq_chain *c)
{
	uint32_t written = 0;

	for (unsigned int i = 0; i < c->nr; i++) {
		struct virtq_buf *b = &c->buf[i];
		uint32_t want = b->len, off = 0;

		if (!b->writable)
			continue;
		if (want > VIRTIO_RNG_CHAIN_BYTES_MAX - written)
			want = VIRTIO_RNG_CHAIN_BYTES_MAX - written;
		while (off < want) {
			ssize_t n = getrandom(b->host + off, want - off, 0);

			if (n <= 0)
				return written + off;
			off += (uint32_t)n;
		}
		written += off;
		if (written == VIRTIO_RNG_CHAIN_BYTES_MAX)
			break;
	}
	return written;
}

static void rng_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct virtio_rng *rng = d->priv;
	bool pushed = false;

	if (q != 0)
		return;
	while (virtio_dev_pop(d, 0, &rng->chain) == 1) {
		uint32_t n = fill_random(&rng->chain);

		if (virtio_dev_push(d, 0, rng->chain.head, n) < 0)
			break;
		pushed = true;
	}
	if (pushed)
		virtio_dev_signal_used(d, 0);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "rng",
	.device_id = VIRTIO_ID_RNG,
	.features = VIRTQ_RING_FEATURES,
	.nr_queues = 1,
	.queue_max = 256,
	.config_len = 0,
	.queue_notify = rng_queue_notify,
};

struct virtio_dev *virtio_rng_create(const struct guest_mem *mem)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		return NULL;
	virtio_dev_init(&rng->dev, &rng_ops, rng, mem);
	return &rng->dev;
}

void virtio_rng_destroy(struct virtio_dev *d)
{
	if (!d)
		return;
	virtio_dev_destroy(d);
	free(d->priv);
}
