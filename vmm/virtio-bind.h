/* virtio-bind.h - puts virtio devices on the machine: an MMIO window and
 * an interrupt line each, KVM irqfd for interrupts, KVM ioeventfd (or the
 * MMIO exit path as a fallback) for queue kicks delivered to the device
 * thread, and the "virtio_mmio.device=" entries for the guest's command
 * line. */
#ifndef LIGHTER_VMM_VIRTIO_BIND_H
#define LIGHTER_VMM_VIRTIO_BIND_H

#include <uv.h>

#include "io-bus.h"
#include "kvm-vm.h"
#include "virtio.h"

/* Windows from 0xd0000000 inside the MMIO hole, interrupt lines 5..23
 * (ISA IRQs below 5 belong to the PIT, i8042, cascade and serial). */
#define VIRTIO_MMIO_BASE 0xd0000000ULL
#define VIRTIO_GSI_FIRST 5
#define VIRTIO_GSI_LAST 23
#define VIRTIO_BIND_MAX (VIRTIO_GSI_LAST - VIRTIO_GSI_FIRST + 1)

struct virtio_binding {
	struct virtio_dev *dev;
	struct io_dev io;
	int irqfd;
	unsigned int nr_kicks;
	int kick_fd[VIRTIO_MAX_QUEUES];
	uv_poll_t kick_poll[VIRTIO_MAX_QUEUES];
	bool ioeventfd; /* KVM signals kick_fd directly */
};

struct virtio_machine {
	const struct kvm_vm *vm;
	struct io_bus *bus;
	uv_loop_t *loop;
	unsigned int nr;
	struct virtio_binding bind[VIRTIO_BIND_MAX];
};

void virtio_machine_init(struct virtio_machine *vmach, const struct kvm_vm *vm,
			 struct io_bus *bus, uv_loop_t *loop);

/* Give d the next window and interrupt line and wire it up.  Must run
 * before the vCPUs and the device thread start. */
int virtio_machine_add(struct virtio_machine *vmach, struct virtio_dev *d,
		       struct lerr *e);

/* Append every device's "virtio_mmio.device=" entry to cmdline (a
 * malloc'd string, replaced).  -ENOMEM. */
int virtio_machine_cmdline(const struct virtio_machine *vmach, char **cmdline);

/* Unregister from KVM and close the fds (loop handles are closed by
 * device_loop_close). */
void virtio_machine_free(struct virtio_machine *vmach);

#endif
