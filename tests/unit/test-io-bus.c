/* test-io-bus.c - PIO/MMIO range registration and access dispatch. */
#include <criterion/criterion.h>
#include <string.h>

#include "io-bus.h"

struct rec {
	unsigned int reads, writes;
	uint64_t off;
	unsigned int len;
	uint8_t wdata[8];
	uint8_t fill;
};

static void rec_read(void *opaque, uint64_t off, uint8_t *data,
		     unsigned int len)
{
	struct rec *r = opaque;

	r->reads++;
	r->off = off;
	r->len = len;
	memset(data, r->fill, len);
}

static void rec_write(void *opaque, uint64_t off, const uint8_t *data,
		      unsigned int len)
{
	struct rec *r = opaque;

	r->writes++;
	r->off = off;
	r->len = len;
	memcpy(r->wdata, data, len);
}

static const struct io_dev_ops rec_ops = { .read = rec_read,
					   .write = rec_write };

static struct io_bus bus;
static struct rec ra, rb;
static struct io_dev da, db;

static void setup(void)
{
	io_bus_init(&bus);
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	ra.fill = 0xaa;
	rb.fill = 0xbb;
	io_dev_init(&da, "dev-a", &rec_ops, &ra);
	io_dev_init(&db, "dev-b", &rec_ops, &rb);
}

static void teardown(void)
{
	io_bus_free(&bus);
}

TestSuite(io_bus, .init = setup, .fini = teardown);

static void reg_ok(enum io_space s, uint64_t base, uint64_t len,
		   struct io_dev *d)
{
	struct lerr e = { 0 };

	cr_assert_eq(io_bus_register(&bus, s, base, len, d, &e), 0, "%s",
		     e.msg);
}

Test(io_bus, overlap_is_ebusy_naming_other_device)
{
	struct lerr e = { 0 };

	reg_ok(IO_SPACE_PIO, 0x3f8, 8, &da);
	/* Overlapping the start, the end, inside and covering. */
	const uint64_t bases[] = { 0x3f0, 0x3ff, 0x3fa, 0x3f0 };
	const uint64_t lens[] = { 9, 4, 1, 0x20 };

	for (unsigned int i = 0; i < 4; i++) {
		memset(&e, 0, sizeof(e));
		cr_expect_eq(io_bus_register(&bus, IO_SPACE_PIO, bases[i],
					     lens[i], &db, &e),
			     -EBUSY, "0x%llx+%llu", (unsigned long long)bases[i],
			     (unsigned long long)lens[i]);
		cr_expect_eq(e.code, EBUSY);
		cr_expect_not_null(strstr(e.msg, "dev-a"), "msg: %s", e.msg);
		cr_expect_not_null(strstr(e.msg, "dev-b"), "msg: %s", e.msg);
	}
	/* Adjacent ranges on both sides are fine. */
	reg_ok(IO_SPACE_PIO, 0x3f0, 8, &db);
	reg_ok(IO_SPACE_PIO, 0x400, 8, &db);
}

Test(io_bus, overlap_with_lower_neighbour)
{
	struct lerr e = { 0 };

	reg_ok(IO_SPACE_MMIO, 0x1000, 0x1000, &da);
	reg_ok(IO_SPACE_MMIO, 0x3000, 0x1000, &db);
	cr_expect_eq(io_bus_register(&bus, IO_SPACE_MMIO, 0x1fff, 2, &db, &e),
		     -EBUSY);
	cr_expect_not_null(strstr(e.msg, "dev-a"), "msg: %s", e.msg);
	cr_expect_eq(io_bus_register(&bus, IO_SPACE_MMIO, 0x2000, 0x1001, &da,
				     &e),
		     -EBUSY);
	cr_expect_not_null(strstr(e.msg, "dev-b"), "msg: %s", e.msg);
	reg_ok(IO_SPACE_MMIO, 0x2000, 0x1000, &da);
}

Test(io_bus, empty_or_wrapping_range_is_einval)
{
	struct lerr e = { 0 };

	cr_expect_eq(io_bus_register(&bus, IO_SPACE_PIO, 0x80, 0, &da, &e),
		     -EINVAL);
	cr_expect_eq(e.code, EINVAL);
	cr_expect_eq(io_bus_register(&bus, IO_SPACE_MMIO, UINT64_MAX - 3, 8,
				     &da, &e),
		     -EINVAL);
	cr_expect_eq(io_bus_register(&bus, IO_SPACE_MMIO, 1, UINT64_MAX, &da,
				     &e),
		     -EINVAL);
	/* Port space ends at 0xffff. */
	cr_expect_eq(io_bus_register(&bus, IO_SPACE_PIO, 0xfffc, 8, &da, &e),
		     -EINVAL);
	cr_expect_not_null(strstr(e.msg, "dev-a"), "msg: %s", e.msg);
	reg_ok(IO_SPACE_PIO, 0xfff8, 8, &da);
	/* The exclusive end must fit in 64 bits: a range ending at
	 * UINT64_MAX is fine (one ending at 2^64 counts as wrapping). */
	reg_ok(IO_SPACE_MMIO, UINT64_MAX - 8, 8, &db);
	cr_expect_eq(bus.nr[IO_SPACE_PIO], 1);
	cr_expect_eq(bus.nr[IO_SPACE_MMIO], 1);
}

Test(io_bus, dispatch_to_right_device_with_relative_offset)
{
	uint8_t buf[8];

	/* Registered out of order: the bus keeps them sorted. */
	reg_ok(IO_SPACE_MMIO, 0xd0001000, 0x200, &db);
	reg_ok(IO_SPACE_MMIO, 0xd0000000, 0x200, &da);

	memset(buf, 0, sizeof(buf));
	io_bus_access(&bus, IO_SPACE_MMIO, 0xd0000010, buf, 4, false);
	cr_expect_eq(ra.reads, 1);
	cr_expect_eq(ra.off, 0x10);
	cr_expect_eq(ra.len, 4);
	cr_expect_eq(rb.reads, 0);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(buf[i], 0xaa);

	io_bus_access(&bus, IO_SPACE_MMIO, 0xd00011f8, buf, 8, false);
	cr_expect_eq(rb.reads, 1);
	cr_expect_eq(rb.off, 0x1f8);
	cr_expect_eq(rb.len, 8);
	for (int i = 0; i < 8; i++)
		cr_expect_eq(buf[i], 0xbb);

	const uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	memcpy(buf, w, 8);
	io_bus_access(&bus, IO_SPACE_MMIO, 0xd0000000, buf, 2, true);
	cr_expect_eq(ra.writes, 1);
	cr_expect_eq(ra.off, 0);
	cr_expect_eq(ra.len, 2);
	cr_expect_eq(ra.wdata[0], 1);
	cr_expect_eq(ra.wdata[1], 2);
	cr_expect_eq(rb.writes, 0);
	cr_expect_eq(bus.unclaimed[IO_SPACE_MMIO], 0);
}

Test(io_bus, widths_1_2_4_8)
{
	const unsigned int widths[] = { 1, 2, 4, 8 };
	uint8_t buf[8];

	reg_ok(IO_SPACE_MMIO, 0x10000, 0x100, &da);
	for (unsigned int i = 0; i < 4; i++) {
		unsigned int len = widths[i];

		memset(buf, 0, sizeof(buf));
		io_bus_access(&bus, IO_SPACE_MMIO, 0x10000 + 0x20 * i, buf,
			      len, false);
		cr_expect_eq(ra.len, len);
		cr_expect_eq(ra.off, 0x20 * i);
		for (unsigned int j = 0; j < 8; j++)
			cr_expect_eq(buf[j], j < len ? 0xaa : 0,
				     "width %u byte %u", len, j);

		for (unsigned int j = 0; j < 8; j++)
			buf[j] = (uint8_t)(0x10 * i + j);
		io_bus_access(&bus, IO_SPACE_MMIO, 0x10000 + 0x20 * i, buf,
			      len, true);
		cr_expect_eq(ra.len, len);
		cr_expect_eq(memcmp(ra.wdata, buf, len), 0);
	}
	cr_expect_eq(ra.reads, 4);
	cr_expect_eq(ra.writes, 4);
}

Test(io_bus, straddling_range_end_is_unclaimed)
{
	uint8_t buf[8];

	reg_ok(IO_SPACE_PIO, 0x60, 4, &da);
	reg_ok(IO_SPACE_PIO, 0x64, 4, &db);
	/* Last byte of dev-a is fine... */
	io_bus_access(&bus, IO_SPACE_PIO, 0x63, buf, 1, false);
	cr_expect_eq(ra.reads, 1);
	/* ...but a 2-byte read spanning dev-a and dev-b goes to neither. */
	memset(buf, 0, sizeof(buf));
	io_bus_access(&bus, IO_SPACE_PIO, 0x63, buf, 2, false);
	cr_expect_eq(ra.reads, 1);
	cr_expect_eq(rb.reads, 0);
	cr_expect_eq(buf[0], 0xff);
	cr_expect_eq(buf[1], 0xff);
	/* Past the end of the last range. */
	io_bus_access(&bus, IO_SPACE_PIO, 0x66, buf, 4, true);
	cr_expect_eq(rb.writes, 0);
	cr_expect_eq(bus.unclaimed[IO_SPACE_PIO], 2);
}

Test(io_bus, unclaimed_reads_all_ones_and_writes_counted)
{
	uint8_t buf[8];

	reg_ok(IO_SPACE_PIO, 0x3f8, 8, &da);
	memset(buf, 0x12, sizeof(buf));
	io_bus_access(&bus, IO_SPACE_PIO, 0x80, buf, 4, false);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(buf[i], 0xff);
	for (int i = 4; i < 8; i++)
		cr_expect_eq(buf[i], 0x12, "byte %d beyond len touched", i);
	cr_expect_eq(bus.unclaimed[IO_SPACE_PIO], 1);

	memset(buf, 0x34, sizeof(buf));
	io_bus_access(&bus, IO_SPACE_PIO, 0x80, buf, 1, true);
	io_bus_access(&bus, IO_SPACE_PIO, 0x3f7, buf, 1, true);
	cr_expect_eq(buf[0], 0x34, "an unclaimed write must not touch data");
	cr_expect_eq(bus.unclaimed[IO_SPACE_PIO], 3);
	cr_expect_eq(ra.writes, 0);
	cr_expect_eq(ra.reads, 0);

	/* An empty bus claims nothing either. */
	io_bus_access(&bus, IO_SPACE_MMIO, 0, buf, 8, false);
	for (int i = 0; i < 8; i++)
		cr_expect_eq(buf[i], 0xff);
	cr_expect_eq(bus.unclaimed[IO_SPACE_MMIO], 1);
}

Test(io_bus, device_without_read_callback_reads_all_ones)
{
	static const struct io_dev_ops wo_ops = { .write = rec_write };
	struct io_dev wo;
	uint8_t buf[4] = { 0 };

	io_dev_init(&wo, "write-only", &wo_ops, &ra);
	reg_ok(IO_SPACE_PIO, 0x80, 1, &wo);
	io_bus_access(&bus, IO_SPACE_PIO, 0x80, buf, 1, false);
	cr_expect_eq(buf[0], 0xff);
	cr_expect_eq(bus.unclaimed[IO_SPACE_PIO], 0, "claimed, not unclaimed");
	io_bus_access(&bus, IO_SPACE_PIO, 0x80, buf, 1, true);
	cr_expect_eq(ra.writes, 1);
}

Test(io_bus, pio_and_mmio_spaces_are_separate)
{
	uint8_t buf[4];

	reg_ok(IO_SPACE_PIO, 0x1000, 0x10, &da);
	/* The same numeric range in MMIO space does not overlap. */
	reg_ok(IO_SPACE_MMIO, 0x1000, 0x10, &db);

	io_bus_access(&bus, IO_SPACE_PIO, 0x1004, buf, 1, false);
	cr_expect_eq(ra.reads, 1);
	cr_expect_eq(rb.reads, 0);
	cr_expect_eq(buf[0], 0xaa);
	io_bus_access(&bus, IO_SPACE_MMIO, 0x1004, buf, 1, false);
	cr_expect_eq(rb.reads, 1);
	cr_expect_eq(ra.reads, 1);
	cr_expect_eq(buf[0], 0xbb);

	/* Unclaimed counters are per space. */
	io_bus_access(&bus, IO_SPACE_PIO, 0x2000, buf, 1, true);
	cr_expect_eq(bus.unclaimed[IO_SPACE_PIO], 1);
	cr_expect_eq(bus.unclaimed[IO_SPACE_MMIO], 0);
}
