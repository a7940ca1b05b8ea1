/* virtio-bind.c - wiring a virtio device into the VM: its MMIO register
 * window on the I/O bus, an irqfd for its interrupt line, one eventfd per
 * queue that KVM signals on QueueNotify writes (ioeventfd with the queue
 * index as datamatch), and a libuv poll that turns those kicks into the
 * device's queue_notify on the device thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "virtio-bind.h"
#include "virtio-mmio.h"

static void bind_mmio_read(void *opaque, uint64_t off, uint8_t *data,
			   unsigned int len)
{
	struct virtio_binding *b = opaque;

	virtio_mmio_read(b->dev, off, data, len);
}

static void bind_mmio_write(void *opaque, uint64_t off, const uint8_t *data,
			    unsigned int len)
{
	struct virtio_binding *b = opaque;

	virtio_mmio_write(b->dev, off, data, len);
}

static const struct io_dev_ops bind_io_ops = {
	.read = bind_mmio_read,
	.write = bind_mmio_write,
};

static void eventfd_signal(int fd)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is already non-zero: signalled anyway */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

static void hook_irq(struct virtio_dev *d)
{
	struct virtio_binding *b = d->hook_data;

	eventfd_signal(b->irqfd);
}

/* A QueueNotify that reached us as an MMIO exit (no ioeventfd): take the
 * same road as KVM would have. */
static void hook_kick(struct virtio_dev *d, unsigned int q)
{
	struct virtio_binding *b = d->hook_data;

	if (q < b->nr_kicks)
		eventfd_signal(b->kick_fd[q]);
}

static const struct virtio_hooks bind_hooks = {
	.irq = hook_irq,
	.kick = hook_kick,
};

static void on_kick(uv_poll_t *p, int status, int events)
{
	struct virtio_binding *b = p->data;
	unsigned int q = (unsigned int)(p - b->kick_poll);
	uint64_t n;

	if (status < 0 || read(b->kick_fd[q], &n, sizeof(n)) != sizeof(n))
		return;
	b->dev->ops->queue_notify(b->dev, q);
}

void virtio_machine_init(struct virtio_machine *vmach, const struct kvm_vm *vm,
			 struct io_bus *bus, uv_loop_t *loop)
{
	memset(vmach, 0, sizeof(*vmach));
	vmach->vm = vm;
	vmach->bus = bus;
	vmach->loop = loop;
}

static int bind_kicks(struct virtio_machine *vmach, struct virtio_binding *b,
		      struct lerr *e)
{
	struct virtio_dev *d = b->dev;

	b->ioeventfd = true;
	for (unsigned int q = 0; q < d->ops->nr_queues; q++) {
		struct kvm_ioeventfd io = {
			.datamatch = q,
			.addr = d->base + VIRTIO_MMIO_QUEUE_NOTIFY,
			.len = 4,
			.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
		};
		int r;

		b->kick_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (b->kick_fd[q] < 0)
			return lerr_set(e, errno, "virtio-%s: eventfd",
					d->ops->name);
		b->nr_kicks = q + 1;
		io.fd = b->kick_fd[q];
		if (b->ioeventfd &&
		    ioctl(vmach->vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
			b->ioeventfd = false; /* kicks arrive as MMIO exits */
		r = uv_poll_init(vmach->loop, &b->kick_poll[q], b->kick_fd[q]);
		if (r == 0) {
			b->kick_poll[q].data = b;
			r = uv_poll_start(&b->kick_poll[q], UV_READABLE,
					  on_kick);
		}
		if (r < 0)
			return lerr_fail(e, -r, "virtio-%s: kick poll: %s",
					 d->ops->name, uv_strerror(r));
	}
	return 0;
}

int virtio_machine_add(struct virtio_machine *vmach, struct virtio_dev *d,
		       struct lerr *e)
{
	struct virtio_binding *b;
	struct kvm_irqfd irqfd = { 0 };
	int r;

	if (vmach->nr >= VIRTIO_BIND_MAX)
		return lerr_fail(e, ENOSPC, "virtio-%s: no interrupt line left",
				 d->ops->name);
	b = &vmach->bind[vmach->nr];
	memset(b, 0, sizeof(*b));
	b->dev = d;
	b->irqfd = -1;
	d->base = VIRTIO_MMIO_BASE + (uint64_t)vmach->nr * VIRTIO_MMIO_WINDOW;
	d->gsi = VIRTIO_GSI_FIRST + vmach->nr;
	d->hooks = &bind_hooks;
	d->hook_data = b;
	vmach->nr++;

	io_dev_init(&b->io, d->ops->name, &bind_io_ops, b);
	r = io_bus_register(vmach->bus, IO_SPACE_MMIO, d->base,
			    VIRTIO_MMIO_WINDOW, &b->io, e);
	if (r < 0)
		return r;
	b->irqfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->irqfd < 0)
		return lerr_set(e, errno, "virtio-%s: eventfd", d->ops->name);
	irqfd.fd = (uint32_t)b->irqfd;
	irqfd.gsi = d->gsi;
	if (ioctl(vmach->vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return lerr_set(e, errno, "virtio-%s: KVM_IRQFD on line %u",
				d->ops->name, d->gsi);
	return bind_kicks(vmach, b, e);
}

int virtio_machine_cmdline(const struct virtio_machine *vmach, char **cmdline)
{
	size_t len = strlen(*cmdline) + 1;
	char *s;

	/* "virtio_mmio.device=4K@0x" + 16 hex + ":" + 2 digits, plus a space */
	len += vmach->nr * 64;
	s = malloc(len);
	if (!s)
		return -ENOMEM;
	strcpy(s, *cmdline);
	for (unsigned int i = 0; i < vmach->nr; i++) {
		size_t used = strlen(s);

		s[used++] = ' ';
		if (virtio_mmio_cmdline(vmach->bind[i].dev, s + used,
					len - used) < 0) {
			free(s);
			return -ENOSPC;
		}
	}
	free(*cmdline);
	*cmdline = s;
	return 0;
}

void virtio_machine_free(struct virtio_machine *vmach)
{
	for (unsigned int i = 0; i < vmach->nr; i++) {
		struct virtio_binding *b = &vmach->bind[i];

		for (unsigned int q = 0; q < b->nr_kicks; q++)
			close(b->kick_fd[q]);
		if (b->irqfd >= 0)
			close(b->irqfd);
	}
	vmach->nr = 0;
}
