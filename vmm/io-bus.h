/* io-bus.h - the VMM's two address spaces for emulated devices: x86 port
 * I/O and MMIO.
 *
 * A device embeds a struct io_dev (name, callbacks, a lock) and registers
 * one or more address ranges with it.  vCPU threads dispatch every
 * KVM_EXIT_IO / KVM_EXIT_MMIO through io_bus_access(); the device's
 * callbacks run under its own mutex, so two vCPUs never enter one device
 * at once while different devices run in parallel.  Registration happens
 * before any vCPU runs; after that the bus is read-only and lookups take
 * no lock.  Unclaimed reads return all-ones and unclaimed writes are
 * dropped, as on a real bus with nothing decoding the address. */
#ifndef LIGHTER_VMM_IO_BUS_H
#define LIGHTER_VMM_IO_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <lighter/error.h>

enum io_space {
	IO_SPACE_PIO = 0,
	IO_SPACE_MMIO,
	IO_SPACE_COUNT,
};

/* Callbacks get the offset from the start of the matching range and the
 * access width (1, 2, 4 or 8 bytes; up to 8 for MMIO).  data is in guest
 * (little-endian) byte order.  A read callback must fill all len bytes. */
struct io_dev_ops {
	void (*read)(void *opaque, uint64_t offset, uint8_t *data,
		     unsigned int len);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data,
		      unsigned int len);
};

struct io_dev {
	const char *name;
	const struct io_dev_ops *ops;
	void *opaque;
	pthread_mutex_t lock;
};

struct io_range;

struct io_bus {
	struct io_range *ranges[IO_SPACE_COUNT]; /* sorted by base */
	unsigned int nr[IO_SPACE_COUNT];
	unsigned long unclaimed[IO_SPACE_COUNT]; /* atomic counters */
	bool debug; /* LIGHTER_VMM_DEBUG set: log unclaimed accesses */
};

void io_dev_init(struct io_dev *d, const char *name,
		 const struct io_dev_ops *ops, void *opaque);

void io_bus_init(struct io_bus *bus);
void io_bus_free(struct io_bus *bus);

/* Claim [base, base + len) in space for d.  -EBUSY (with the name of the
 * device already there) on overlap, -EINVAL on an empty or wrapping range. */
int io_bus_register(struct io_bus *bus, enum io_space space, uint64_t base,
		    uint64_t len, struct io_dev *d, struct lerr *e);

/* Dispatch one access from a vCPU.  An access that is not wholly inside
 * one registered range is unclaimed. */
void io_bus_access(struct io_bus *bus, enum io_space space, uint64_t addr,
		   uint8_t *data, unsigned int len, bool is_write);

#endif
