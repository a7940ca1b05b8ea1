/* io-bus.c - port-I/O and MMIO range registration and dispatch.
 *
 * Each space is a sorted array of non-overlapping ranges searched with a
 * binary search.  The arrays are only written during setup (before vCPU
 * threads start), so dispatch needs no bus lock: just the device's. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io-bus.h"

struct io_range {
	uint64_t base;
	uint64_t len;
	struct io_dev *dev;
};

static const char *const space_name[IO_SPACE_COUNT] = {
	[IO_SPACE_PIO] = "pio",
	[IO_SPACE_MMIO] = "mmio",
};

void io_dev_init(struct io_dev *d, const char *name,
		 const struct io_dev_ops *ops, void *opaque)
{
	d->name = name;
	d->ops = ops;
	d->opaque = opaque;
	pthread_mutex_init(&d->lock, NULL);
}

void io_bus_init(struct io_bus *bus)
{
	const char *dbg = getenv("LIGHTER_VMM_DEBUG");

	memset(bus, 0, sizeof(*bus));
	bus->debug = dbg && *dbg && strcmp(dbg, "0") != 0;
}

void io_bus_free(struct io_bus *bus)
{
	for (int s = 0; s < IO_SPACE_COUNT; s++) {
		free(bus->ranges[s]);
		bus->ranges[s] = NULL;
		bus->nr[s] = 0;
	}
}

/* Index of the first range whose end lies above addr (ranges are sorted
 * and disjoint, so it is the only candidate that can contain addr). */
static unsigned int io_bus_first_above(const struct io_bus *bus,
				       enum io_space s, uint64_t addr)
{
	unsigned int lo = 0, hi = bus->nr[s];

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct io_range *r = &bus->ranges[s][mid];

		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int io_bus_register(struct io_bus *bus, enum io_space space, uint64_t base,
		    uint64_t len, struct io_dev *d, struct lerr *e)
{
	struct io_range *arr;
	uint64_t end;
	unsigned int i;

	if (len == 0 || __builtin_add_overflow(base, len, &end) ||
	    (space == IO_SPACE_PIO && end > 0x10000))
		return lerr_fail(e, EINVAL,
				 "%s: bad %s range 0x%" PRIx64 "+0x%" PRIx64,
				 d->name, space_name[space], base, len);

	i = io_bus_first_above(bus, space, base);
	if (i < bus->nr[space] && bus->ranges[space][i].base < end)
		return lerr_fail(e, EBUSY,
				 "%s: %s range 0x%" PRIx64 "+0x%" PRIx64
				 " overlaps %s",
				 d->name, space_name[space], base, len,
				 bus->ranges[space][i].dev->name);

	arr = realloc(bus->ranges[space],
		      (bus->nr[space] + 1) * sizeof(*arr));
	if (!arr)
		return lerr_set(e, ENOMEM, "%s: registering I/O range",
				d->name);
	memmove(&arr[i + 1], &arr[i], (bus->nr[space] - i) * sizeof(*arr));
	arr[i] = (struct io_range){ .base = base, .len = len, .dev = d };
	bus->ranges[space] = arr;
	bus->nr[space]++;
	return 0;
}

static void io_bus_unclaimed(struct io_bus *bus, enum io_space space,
			     uint64_t addr, uint8_t *data, unsigned int len,
			     bool is_write)
{
	uint64_t val = 0;

	__atomic_fetch_add(&bus->unclaimed[space], 1, __ATOMIC_RELAXED);
	if (!is_write)
		memset(data, 0xff, len);
	if (!bus->debug)
		return;
	memcpy(&val, data, len < sizeof(val) ? len : sizeof(val));
	fprintf(stderr,
		"lighter-vmm: debug: unclaimed %s %s 0x%" PRIx64
		" len %u value 0x%" PRIx64 "\n",
		space_name[space], is_write ? "write" : "read", addr, len, val);
}

void io_bus_access(struct io_bus *bus, enum io_space space, uint64_t addr,
		   uint8_t *data, unsigned int len, bool is_write)
{
	unsigned int i = io_bus_first_above(bus, space, addr);
	const struct io_range *r;
	struct io_dev *d;
	uint64_t off;

	if (i >= bus->nr[space])
		goto unclaimed;
	r = &bus->ranges[space][i];
	if (addr < r->base)
		goto unclaimed;
	off = addr - r->base;
	if (len > r->len - off)
		goto unclaimed;

	d = r->dev;
	pthread_mutex_lock(&d->lock);
	if (is_write) {
		if (d->ops->write)
			d->ops->write(d->opaque, off, data, len);
	} else if (d->ops->read) {
		d->ops->read(d->opaque, off, data, len);
	} else {
		memset(data, 0xff, len);
	}
	pthread_mutex_unlock(&d->lock);
	return;

unclaimed:
	io_bus_unclaimed(bus, space, addr, data, len, is_write);
}
