/* virtio.h - a virtio device as the VMM sees it: feature bits, queues,
 * status, interrupt state, and the ops a device model (rng, vsock, blk,
 * net) fills in.  The transport (virtio-mmio.c) owns the register
 * protocol; devices own their queues' contents and run on the device
 * thread, never on a vCPU thread. */
#ifndef LIGHTER_VMM_VIRTIO_H
#define LIGHTER_VMM_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest-mem.h"
#include "virtq.h"

#define VIRTIO_F_VERSION_1 32
#define VIRTIO_MAX_QUEUES 8

/* device status bits (virtio 1.x 2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* interrupt status bits (virtio-mmio InterruptStatus) */
#define VIRTIO_INT_VRING 1
#define VIRTIO_INT_CONFIG 2

/* device ids (virtio 1.x 5) */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_VSOCK 19

struct virtio_dev;

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;
	uint64_t features;       /* offered; the transport adds VERSION_1 */
	unsigned int nr_queues;  /* <= VIRTIO_MAX_QUEUES */
	uint16_t queue_max;      /* QueueNumMax, a power of two */
	uint32_t config_len;     /* bytes of device config space */
	/* config space access; off + len <= config_len already checked */
	void (*config_read)(struct virtio_dev *d, uint32_t off, void *data,
			    uint32_t len);
	void (*config_write)(struct virtio_dev *d, uint32_t off,
			     const void *data, uint32_t len);
	/* DRIVER_OK was written: queues are resolved, start serving */
	int (*activate)(struct virtio_dev *d);
	/* status 0 was written: drop all device state */
	void (*reset)(struct virtio_dev *d);
	/* the driver kicked queue q; called on the device thread */
	void (*queue_notify)(struct virtio_dev *d, unsigned int q);
};

/* How the transport reaches the outside world: the VMM plugs irqfd/ioeventfd
 * based hooks in, tests plug direct calls in. */
struct virtio_hooks {
	/* raise the device's interrupt line (an irqfd write in the VMM) */
	void (*irq)(struct virtio_dev *d);
	/* queue q was kicked by a register write: get it to the device thread */
	void (*kick)(struct virtio_dev *d, unsigned int q);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	const struct virtio_hooks *hooks;
	void *priv;                  /* the device model's state */
	void *hook_data;             /* the hooks' state */
	const struct guest_mem *mem;
	pthread_mutex_t lock;        /* guards everything below */
	uint32_t status;
	uint64_t driver_features;
	uint32_t device_features_sel, driver_features_sel;
	uint32_t queue_sel;
	uint32_t isr;                /* InterruptStatus */
	uint32_t config_generation;
	struct virtq vq[VIRTIO_MAX_QUEUES];
	uint64_t base;               /* MMIO window, for the cmdline entry */
	uint32_t gsi;                /* interrupt line */
};

void virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops,
		     void *priv, const struct guest_mem *mem);
void virtio_dev_destroy(struct virtio_dev *d);

/* Was feature bit `bit` negotiated? */
bool virtio_dev_has(const struct virtio_dev *d, unsigned int bit);

/* After pushing used buffers on queue q: interrupt the driver if the
 * queue's suppression rules ask for it. Takes the device lock. */
void virtio_dev_signal_used(struct virtio_dev *d, unsigned int q);

/* The device's config changed: bump the generation, raise a config irq. */
void virtio_dev_config_changed(struct virtio_dev *d);

/* A hostile or broken driver: set DEVICE_NEEDS_RESET and tell the driver.
 * The device serves nothing more until the driver resets it. */
void virtio_dev_needs_reset(struct virtio_dev *d);

/* Pop from queue q; on a hostile ring marks the device NEEDS_RESET and
 * returns -EIO.  Same contract as virtq_pop otherwise; when the ring is
 * empty it re-arms the driver's notifications before reporting 0. */
int virtio_dev_pop(struct virtio_dev *d, unsigned int q,
		   struct virtq_chain *c);

/* Hand chain `head` of queue q back with `written` bytes (no interrupt:
 * batch pushes, then virtio_dev_signal_used once). */
int virtio_dev_push(struct virtio_dev *d, unsigned int q, uint16_t head,
		    uint32_t written);

#endif
