/* debug-port.c - GUEST_DEBUG_PORT (0x3f0), the lighter guest ABI.
 *
 * GUEST_PORT_BOOT_READY records how long the VMM took from main() to the
 * guest's "userspace is up" and prints it once on stderr (the cold-start
 * headline number; benchmarks grep for it).  GUEST_PORT_POWEROFF is the
 * agent's clean power off: without ACPI there is no other way for a
 * guest to say "done, exit 0" as opposed to "reset". */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "guest-abi.h"

#include "debug-port.h"

static uint64_t elapsed_us(const struct timespec *a, const struct timespec *b)
{
	int64_t ns = (int64_t)(b->tv_sec - a->tv_sec) * 1000000000LL +
		     (b->tv_nsec - a->tv_nsec);

	return ns > 0 ? (uint64_t)ns / 1000 : 0;
}

static void debug_port_write(void *opaque, uint64_t off, const uint8_t *data,
			     unsigned int len)
{
	struct debug_port *d = opaque;
	struct timespec now;

	if (off != 0 || len != 1)
		return;
	switch (data[0]) {
	case GUEST_PORT_BOOT_READY:
		if (d->boot_timer_seen)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		d->boot_timer_seen = true;
		d->boot_us = elapsed_us(&d->start, &now);
		fprintf(stderr, "lighter-vmm: boot-timer: %" PRIu64 " us\n",
			d->boot_us);
		break;
	case GUEST_PORT_POWEROFF:
		vcpus_stop(d->vcpus, VM_STOP_POWEROFF, "guest powered off");
		break;
	default:
		break;
	}
}

static const struct io_dev_ops debug_port_ops = {
	.read = NULL, /* reads float high */
	.write = debug_port_write,
};

int debug_port_init(struct debug_port *d, struct io_bus *bus,
		    struct vcpus *vcpus, const struct timespec *start,
		    struct lerr *e)
{
	memset(d, 0, sizeof(*d));
	d->vcpus = vcpus;
	d->start = *start;
	io_dev_init(&d->dev, "debug port", &debug_port_ops, d);
	return io_bus_register(bus, IO_SPACE_PIO, GUEST_DEBUG_PORT, 1, &d->dev,
			       e);
}
