/* test-virtio-blk.c - the block device driven through the virtio-mmio
 * registers by a test driver: request chains laid out in real guest
 * memory against a temporary raw image, I/O run by the device's worker
 * threads, completions collected from its eventfd the way the device
 * loop does.  Status bytes, used lengths and the image's content are
 * checked for every well-formed and malformed request the parser knows. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-mem.h"
#include "virtio-blk.h"
#include "virtio-mmio.h"
#include "virtio-test.h"

#define QSIZE 16
#define DESC_GPA 0x10000ULL
#define AVAIL_GPA 0x11000ULL
#define USED_GPA 0x12000ULL
#define IND_GPA 0x14000ULL
#define HDR_GPA 0x20000ULL
#define STATUS_GPA 0x20100ULL
#define DATA_GPA 0x100000ULL
#define DISK_SECTORS 64

static struct guest_mem mem;
static struct virtio_dev *dev;
static char image[64];
static unsigned int irqs;
static uint16_t next_avail;

static void test_irq(struct virtio_dev *d)
{
	irqs++;
}

/* the device thread, inline */
static const struct virtio_hooks hooks = { .irq = test_irq,
					   .kick = vd_notify_inline };

/* registers and guest memory through the test driver (tests/support) */
#define rd(off) vd_rd(dev, off)
#define wr(off, v) vd_wr(dev, off, v)
#define gpa(a, len) vt_gpa(&mem, a, len)

/* The image: DISK_SECTORS sectors, byte i of sector s = s ^ i. */
static void make_image(const char *name, size_t size)
{
	uint8_t sec[512];
	int fd;

	snprintf(image, sizeof(image), "/tmp/%s.XXXXXX", name);
	fd = mkstemp(image);
	cr_assert_geq(fd, 0);
	for (size_t s = 0; s * 512 < size; s++) {
		size_t n = size - s * 512 < 512 ? size - s * 512 : 512;

		for (size_t i = 0; i < 512; i++)
			sec[i] = (uint8_t)(s ^ i);
		cr_assert_eq(write(fd, sec, n), (ssize_t)n);
	}
	close(fd);
}

static void open_device(bool ro, const char *serial)
{
	struct virtio_blk_params p = { .path = image, .ro = ro,
				       .serial = serial };
	struct lerr e = { 0 };

	dev = virtio_blk_create(&mem, &p, &e);
	cr_assert_not_null(dev, "%s", e.msg);
	dev->hooks = &hooks;
	dev->base = 0xd0000000;
	dev->gsi = 5;
}

static void setup_common(void)
{
	struct lerr e = { 0 };

	cr_assert_eq(guest_mem_init(&mem, 64ULL << 20, &e), 0, "%s", e.msg);
	irqs = 0;
	next_avail = 0;
	make_image("blk-test", DISK_SECTORS * 512);
}

static void setup_rw(void)
{
	setup_common();
	open_device(false, "test-serial-1");
}

static void setup_ro(void)
{
	setup_common();
	open_device(true, NULL);
}

static void teardown(void)
{
	virtio_blk_destroy(dev);
	dev = NULL;
	unlink(image);
	guest_mem_free(&mem);
}

static void driver_ok(uint32_t features_lo)
{
	cr_assert(vd_negotiate(dev, features_lo, 1) & VIRTIO_STATUS_FEATURES_OK);
	vd_setup_queue(dev, 0, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA);
	cr_assert(vd_driver_ok(dev) & VIRTIO_STATUS_DRIVER_OK);
}

#define STD_FEATURES                                                           \
	(1U << VIRTIO_BLK_F_FLUSH | 1U << VIRTIO_BLK_F_SEG_MAX |               \
	 1U << VIRTIO_BLK_F_SIZE_MAX | 1U << VIRTIO_RING_F_INDIRECT_DESC)

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* VIRTQ_DESC_F_WRITE or 0; NEXT is added */
};

static void put_desc(uint64_t table, unsigned int i, const struct desc *d,
		     bool last)
{
	uint16_t flags = d->flags | (last ? 0 : VIRTQ_DESC_F_NEXT);

	cr_assert_eq(vd_put_desc(&mem, table, i, d->addr, d->len, flags,
				 (uint16_t)(i + 1)),
		     0);
}

/* Post a chain at descriptor 0 (requests here go one at a time), kick. */
static void post_chain(const struct desc *d, unsigned int n)
{
	cr_assert_leq(n, QSIZE);
	for (unsigned int i = 0; i < n; i++)
		put_desc(DESC_GPA, i, &d[i], i == n - 1);
	cr_assert_eq(vd_avail_add(&mem, AVAIL_GPA, QSIZE, &next_avail, 0), 0);
	vd_kick(dev, 0);
}

static uint16_t used_idx(void)
{
	return vd_used_idx(&mem, USED_GPA);
}

/* Run the device loop's half until the last posted chain is used (or 5 s
 * pass); returns the used length of that entry. */
static uint32_t wait_used(void)
{
	uint32_t id, len;

	for (int i = 0; i < 500 && used_idx() != next_avail; i++) {
		struct pollfd p = { virtio_blk_completion_fd(dev), POLLIN, 0 };

		poll(&p, 1, 10);
		virtio_blk_run_completions(dev);
	}
	cr_assert_eq(used_idx(), next_avail, "request never completed");
	cr_assert_eq(vd_used_elem(&mem, USED_GPA, QSIZE,
				  (uint16_t)(next_avail - 1), &id, &len),
		     0);
	cr_assert_eq(id, 0);
	return len;
}

static void put_hdr(uint32_t type, uint64_t sector)
{
	uint8_t *h = gpa(HDR_GPA, 16);

	memcpy(h, &type, 4);
	memset(h + 4, 0, 4);
	memcpy(h + 8, &sector, 8);
}

static uint8_t status(void)
{
	return *(uint8_t *)gpa(STATUS_GPA, 1);
}

/* The usual Linux layout: header, data, status. */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t len,
		       uint32_t *used)
{
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	struct desc d[3] = {
		{ HDR_GPA, 16, 0 },
		{ DATA_GPA, len, in ? VIRTQ_DESC_F_WRITE : 0 },
		{ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE },
	};
	uint32_t u;

	put_hdr(type, sector);
	*(uint8_t *)gpa(STATUS_GPA, 1) = 0xee;
	if (len) {
		post_chain(d, 3);
	} else {
		d[1] = d[2];
		post_chain(d, 2);
	}
	u = wait_used();
	if (used)
		*used = u;
	return status();
}

static void file_read(uint64_t off, void *buf, size_t len)
{
	int fd = open(image, O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static bool sector_is_pristine(uint64_t s)
{
	uint8_t buf[512];

	file_read(s * 512, buf, 512);
	for (size_t i = 0; i < 512; i++) {
		if (buf[i] != (uint8_t)(s ^ i))
			return false;
	}
	return true;
}

TestSuite(virtio_blk, .init = setup_rw, .fini = teardown);

Test(virtio_blk, identifies_and_describes_the_disk)
{
	uint64_t cap;
	uint32_t v;

	cr_assert_eq(rd(0x008), VIRTIO_ID_BLOCK);
	wr(0x014, 0);
	v = rd(0x010);
	cr_assert(v & 1U << VIRTIO_BLK_F_FLUSH);
	cr_assert(v & 1U << VIRTIO_BLK_F_SEG_MAX);
	cr_assert(v & 1U << VIRTIO_BLK_F_SIZE_MAX);
	cr_assert(v & 1U << VIRTIO_RING_F_EVENT_IDX);
	cr_assert(v & 1U << VIRTIO_RING_F_INDIRECT_DESC);
	cr_assert_not(v & 1U << VIRTIO_BLK_F_RO);
	virtio_mmio_read(dev, 0x100, &cap, 8);
	cr_assert_eq(cap, DISK_SECTORS);
	cr_assert_eq(rd(0x108), VIRTIO_BLK_SIZE_MAX);
	cr_assert_eq(rd(0x10c), VIRTIO_BLK_SEG_MAX);
	/* beyond the config space: zeroes */
	cr_assert_eq(rd(0x100 + VIRTIO_BLK_CONFIG_LEN), 0);
}

Test(virtio_blk, reads_sectors)
{
	uint8_t *data = gpa(DATA_GPA, 4096);
	uint32_t used;

	driver_ok(STD_FEATURES);
	cr_assert_eq(request(VIRTIO_BLK_T_IN, 5, 2048, &used), VIRTIO_BLK_S_OK);
	cr_assert_eq(used, 2048 + 1);
	for (size_t i = 0; i < 2048; i++)
		cr_assert_eq(data[i], (uint8_t)((5 + i / 512) ^ (i % 512)),
			     "byte %zu", i);
	cr_assert_geq(irqs, 1);
}

Test(virtio_blk, reads_the_last_sector_and_no_further)
{
	driver_ok(STD_FEATURES);
	cr_assert_eq(request(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 512, NULL),
		     VIRTIO_BLK_S_OK);
	cr_assert_eq(request(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024, NULL),
		     VIRTIO_BLK_S_IOERR);
	cr_assert_eq(request(VIRTIO_BLK_T_IN, DISK_SECTORS, 512, NULL),
		     VIRTIO_BLK_S_IOERR);
	cr_assert_eq(request(VIRTIO_BLK_T_OUT, DISK_SECTORS, 512, NULL),
		     VIRTIO_BLK_S_IOERR);
}

Test(virtio_blk, sector_overflow_is_an_error)
{
	uint32_t used;

	driver_ok(STD_FEATURES);
	/* sector * 512 and sector + n both wrap around 2^64 */
	cr_assert_eq(request(VIRTIO_BLK_T_IN, UINT64_MAX, 512, &used),
		     VIRTIO_BLK_S_IOERR);
	cr_assert_eq(used, 1);
	cr_assert_eq(request(VIRTIO_BLK_T_OUT, UINT64_MAX - 1, 1024, NULL),
		     VIRTIO_BLK_S_IOERR);
	cr_assert_eq(request(VIRTIO_BLK_T_OUT, 1ULL << 55, 512, NULL),
		     VIRTIO_BLK_S_IOERR);
	for (uint64_t s = 0; s < DISK_SECTORS; s++)
		cr_assert(sector_is_pristine(s));
}

Test(virtio_blk, writes_sectors_and_flushes)
{
	uint8_t *data = gpa(DATA_GPA, 1024), buf[1024];
	uint32_t used;

	driver_ok(STD_FEATURES);
	memset(data, 0xa5, 1024);
	cr_assert_eq(request(VIRTIO_BLK_T_OUT, 10, 1024, &used),
		     VIRTIO_BLK_S_OK);
	cr_assert_eq(used, 1);
	cr_assert_eq(request(VIRTIO_BLK_T_FLUSH, 0, 0, &used), VIRTIO_BLK_S_OK);
	cr_assert_eq(used, 1);
	file_read(10 * 512, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 0xa5);
	cr_assert(sector_is_pristine(9));
	cr_assert(sector_is_pristine(12));
}

Test(virtio_blk, writes_through_without_flush_feature)
{
	uint8_t *data = gpa(DATA_GPA, 512), buf[512];

	driver_ok(1U << VIRTIO_BLK_F_SEG_MAX);
	memset(data, 0x3c, 512);
	cr_assert_eq(request(VIRTIO_BLK_T_OUT, 0, 512, NULL), VIRTIO_BLK_S_OK);
	file_read(0, buf, sizeof(buf));
	cr_assert_eq(buf[0], 0x3c);
	cr_assert_eq(buf[511], 0x3c);
}

Test(virtio_blk, get_id_returns_the_serial)
{
	uint8_t *data = gpa(DATA_GPA, 20), want[20] = "test-serial-1";
	uint32_t used;

	driver_ok(STD_FEATURES);
	memset(data, 0xff, 20);
	cr_assert_eq(request(VIRTIO_BLK_T_GET_ID, 0, 20, &used),
		     VIRTIO_BLK_S_OK);
	cr_assert_eq(used, 21);
	cr_assert_arr_eq(data, want, 20);
}

Test(virtio_blk, odd_data_lengths_are_errors)
{
	driver_ok(STD_FEATURES);
	cr_assert_eq(request(VIRTIO_BLK_T_IN, 0, 100, NULL), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(request(VIRTIO_BLK_T_OUT, 0, 513, NULL),
		     VIRTIO_BLK_S_IOERR);
	cr_assert_eq(request(VIRTIO_BLK_T_IN, 0, 0, NULL), VIRTIO_BLK_S_IOERR);
	cr_assert(sector_is_pristine(0));
	cr_assert(sector_is_pristine(1));
}

Test(virtio_blk, unknown_types_are_unsupported)
{
	driver_ok(STD_FEATURES);
	cr_assert_eq(request(42, 0, 512, NULL), VIRTIO_BLK_S_UNSUPP);
	/* DISCARD and WRITE_ZEROES: not offered */
	cr_assert_eq(request(11, 0, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(request(13, 0, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(request(0x80000000U, 0, 0, NULL), VIRTIO_BLK_S_UNSUPP);
}

Test(virtio_blk, header_in_a_writable_buffer_is_an_error)
{
	struct desc d[3] = {
		{ HDR_GPA, 16, VIRTQ_DESC_F_WRITE },
		{ DATA_GPA, 512, VIRTQ_DESC_F_WRITE },
		{ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE },
	};

	driver_ok(STD_FEATURES);
	put_hdr(VIRTIO_BLK_T_IN, 0);
	post_chain(d, 3);
	cr_assert_eq(wait_used(), 1);
	cr_assert_eq(status(), VIRTIO_BLK_S_IOERR);
	cr_assert_not(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
}

Test(virtio_blk, short_header_is_an_error)
{
	struct desc d[2] = {
		{ HDR_GPA, 12, 0 },
		{ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE },
	};

	driver_ok(STD_FEATURES);
	put_hdr(VIRTIO_BLK_T_FLUSH, 0);
	post_chain(d, 2);
	wait_used();
	cr_assert_eq(status(), VIRTIO_BLK_S_IOERR);
}

Test(virtio_blk, read_with_readable_data_is_an_error)
{
	struct desc d[4] = {
		{ HDR_GPA, 16, 0 },
		{ DATA_GPA, 512, 0 }, /* a read with device-readable data */
		{ DATA_GPA + 512, 512, VIRTQ_DESC_F_WRITE },
		{ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE },
	};

	driver_ok(STD_FEATURES);
	put_hdr(VIRTIO_BLK_T_IN, 0);
	post_chain(d, 4);
	wait_used();
	cr_assert_eq(status(), VIRTIO_BLK_S_IOERR);
	/* and a write with device-writable data besides the status */
	d[1].flags = 0;
	put_hdr(VIRTIO_BLK_T_OUT, 0);
	post_chain(d, 4);
	wait_used();
	cr_assert_eq(status(), VIRTIO_BLK_S_IOERR);
	cr_assert(sector_is_pristine(0));
	/* a flush with data */
	d[1] = d[0];
	put_hdr(VIRTIO_BLK_T_FLUSH, 0);
	post_chain(d + 1, 3);
	wait_used();
	cr_assert_eq(status(), VIRTIO_BLK_S_IOERR);
}

Test(virtio_blk, any_layout_is_accepted)
{
	/* header split in two, header and data in one buffer, data and
	 * status in one buffer */
	uint8_t *blob = gpa(DATA_GPA, 16 + 512), buf[512];
	uint8_t *in = gpa(DATA_GPA + 0x1000, 513);
	uint32_t type = VIRTIO_BLK_T_OUT, zero = 0;
	uint64_t sector = 3;
	struct desc out[3] = {
		{ DATA_GPA, 8, 0 },
		{ DATA_GPA + 8, 16 + 512 - 8, 0 },
		{ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE },
	};
	struct desc rd_chain[2] = {
		{ HDR_GPA, 16, 0 },
		{ DATA_GPA + 0x1000, 513, VIRTQ_DESC_F_WRITE },
	};

	driver_ok(STD_FEATURES);
	memcpy(blob, &type, 4);
	memcpy(blob + 4, &zero, 4);
	memcpy(blob + 8, &sector, 8);
	memset(blob + 16, 0x77, 512);
	post_chain(out, 3);
	wait_used();
	cr_assert_eq(status(), VIRTIO_BLK_S_OK);
	file_read(3 * 512, buf, 512);
	cr_assert_eq(buf[0], 0x77);
	cr_assert_eq(buf[511], 0x77);

	put_hdr(VIRTIO_BLK_T_IN, 4);
	in[512] = 0xee;
	post_chain(rd_chain, 2);
	cr_assert_eq(wait_used(), 513);
	cr_assert_eq(in[512], VIRTIO_BLK_S_OK);
	cr_assert_eq(in[0], 4);
	cr_assert_eq(in[511], (uint8_t)(4 ^ 511));
}

Test(virtio_blk, unwritable_status_needs_reset)
{
	struct desc d[2] = {
		{ HDR_GPA, 16, 0 },
		{ STATUS_GPA, 1, 0 },
	};

	driver_ok(STD_FEATURES);
	put_hdr(VIRTIO_BLK_T_FLUSH, 0);
	post_chain(d, 2);
	cr_assert(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(used_idx(), 0);
	/* served nothing more until reset */
	put_hdr(VIRTIO_BLK_T_FLUSH, 0);
	d[1].flags = VIRTQ_DESC_F_WRITE;
	post_chain(d, 2);
	cr_assert_eq(used_idx(), 0);
	wr(0x070, 0);
	cr_assert_eq(rd(0x070), 0);
}

/* A read into nseg segments through an indirect table: nseg - 1 of
 * seg_len bytes, the last one of last_len. */
static void post_segments(unsigned int nseg, uint32_t seg_len,
			  uint32_t last_len)
{
	struct desc ind = { IND_GPA, 16 * (nseg + 2), VIRTQ_DESC_F_INDIRECT };
	struct desc hdr = { HDR_GPA, 16, 0 };
	struct desc st = { STATUS_GPA, 1, VIRTQ_DESC_F_WRITE };

	put_desc(IND_GPA, 0, &hdr, false);
	for (unsigned int i = 0; i < nseg; i++) {
		struct desc dd = { DATA_GPA + (uint64_t)i * seg_len,
				   i == nseg - 1 ? last_len : seg_len,
				   VIRTQ_DESC_F_WRITE };

		put_desc(IND_GPA, i + 1, &dd, false);
	}
	put_desc(IND_GPA, nseg + 1, &st, true);
	post_chain(&ind, 1);
}

Test(virtio_blk, seg_max_is_enforced)
{
	driver_ok(STD_FEATURES);
	put_hdr(VIRTIO_BLK_T_IN, 0);
	post_segments(VIRTIO_BLK_SEG_MAX, 512, 512);
	wait_used();
	cr_assert_eq(status(), VIRTIO_BLK_S_IOERR); /* 128 x 512 > 64 sectors */
	put_hdr(VIRTIO_BLK_T_IN, 0);
	post_segments(DISK_SECTORS, 512, 512);
	cr_assert_eq(wait_used(), DISK_SECTORS * 512 + 1);
	cr_assert_eq(status(), VIRTIO_BLK_S_OK);
	/* 129 segments, 128 x 4 + 512 = 1024 bytes: one too many */
	put_hdr(VIRTIO_BLK_T_IN, 0);
	post_segments(VIRTIO_BLK_SEG_MAX + 1, 4, 512);
	wait_used();
	cr_assert_eq(status(), VIRTIO_BLK_S_IOERR);
	/* 128 segments, 127 x 4 + 516 = 1024 bytes: fine */
	put_hdr(VIRTIO_BLK_T_IN, 0);
	post_segments(VIRTIO_BLK_SEG_MAX, 4, 516);
	cr_assert_eq(wait_used(), 1025);
	cr_assert_eq(status(), VIRTIO_BLK_S_OK);
}

static void setup_big(void)
{
	struct lerr e = { 0 };

	cr_assert_eq(guest_mem_init(&mem, 64ULL << 20, &e), 0, "%s", e.msg);
	irqs = 0;
	next_avail = 0;
	make_image("blk-big", 2 * VIRTIO_BLK_SIZE_MAX);
	open_device(false, NULL);
}

Test(virtio_blk_big, size_max_is_enforced, .init = setup_big,
     .fini = teardown)
{
	driver_ok(STD_FEATURES);
	uint8_t *data = gpa(DATA_GPA, VIRTIO_BLK_SIZE_MAX);

	/* too big to be read inline: a worker reads it */
	cr_assert_gt(VIRTIO_BLK_SIZE_MAX, VIRTIO_BLK_INLINE_READ_MAX);
	cr_assert_eq(request(VIRTIO_BLK_T_IN, 0, VIRTIO_BLK_SIZE_MAX, NULL),
		     VIRTIO_BLK_S_OK);
	for (size_t i = 0; i < VIRTIO_BLK_SIZE_MAX; i += 4099)
		cr_assert_eq(data[i], (uint8_t)((i / 512) ^ (i % 512)));
	cr_assert_eq(request(VIRTIO_BLK_T_IN, 0, VIRTIO_BLK_SIZE_MAX + 512,
			     NULL),
		     VIRTIO_BLK_S_IOERR);
}

Test(virtio_blk, completion_after_reset_is_dropped)
{
	struct pollfd p;

	driver_ok(STD_FEATURES);
	put_hdr(VIRTIO_BLK_T_FLUSH, 0);
	{
		struct desc d[2] = {
			{ HDR_GPA, 16, 0 },
			{ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE },
		};

		*(uint8_t *)gpa(STATUS_GPA, 1) = 0xee;
		post_chain(d, 2);
	}
	cr_assert_eq(virtio_blk_inflight(dev), 1);
	/* the flush is with a worker; the driver resets and starts over */
	wr(0x070, 0);
	next_avail = 0;
	memset(gpa(USED_GPA, 4 + 8 * QSIZE), 0, 4 + 8 * QSIZE);
	memset(gpa(AVAIL_GPA, 4 + 2 * QSIZE), 0, 4 + 2 * QSIZE);
	driver_ok(STD_FEATURES);
	p = (struct pollfd){ virtio_blk_completion_fd(dev), POLLIN, 0 };
	cr_assert_eq(poll(&p, 1, 5000), 1);
	virtio_blk_run_completions(dev);
	cr_assert_eq(used_idx(), 0);
	cr_assert_eq(status(), 0xee);
	/* and the new generation works */
	cr_assert_eq(request(VIRTIO_BLK_T_IN, 1, 512, NULL), VIRTIO_BLK_S_OK);
}

Test(virtio_blk_ro, ro_drive_rejects_writes, .init = setup_ro,
     .fini = teardown)
{
	uint8_t *data = gpa(DATA_GPA, 512);
	uint8_t want[20] = { 0 };

	wr(0x014, 0);
	cr_assert(rd(0x010) & 1U << VIRTIO_BLK_F_RO);
	driver_ok(STD_FEATURES | 1U << VIRTIO_BLK_F_RO);
	memset(data, 0x11, 512);
	cr_assert_eq(request(VIRTIO_BLK_T_OUT, 2, 512, NULL),
		     VIRTIO_BLK_S_IOERR);
	cr_assert(sector_is_pristine(2));
	cr_assert_eq(request(VIRTIO_BLK_T_IN, 2, 512, NULL), VIRTIO_BLK_S_OK);
	cr_assert_eq(data[1], 2 ^ 1);
	cr_assert_eq(request(VIRTIO_BLK_T_FLUSH, 0, 0, NULL), VIRTIO_BLK_S_OK);
	/* default serial: the image's base name, cut to 20 bytes */
	cr_assert_eq(request(VIRTIO_BLK_T_GET_ID, 0, 20, NULL), VIRTIO_BLK_S_OK);
	memcpy(want, strrchr(image, '/') + 1, strlen(strrchr(image, '/') + 1));
	cr_assert_arr_eq(gpa(DATA_GPA, 20), want, 20);
}

static void expect_refused(const char *what, size_t size, const char *msg)
{
	struct virtio_blk_params p = { .path = image };
	struct lerr e = { 0 };

	make_image(what, size);
	cr_assert_null(virtio_blk_create(&mem, &p, &e));
	cr_assert(strstr(e.msg, image), "message names the file: %s", e.msg);
	cr_assert(strstr(e.msg, msg), "%s", e.msg);
	unlink(image);
}

Test(virtio_blk_files, bad_images_are_refused)
{
	struct virtio_blk_params p = { .path = "/nonexistent/disk.img" };
	struct lerr e = { 0 };

	cr_assert_eq(guest_mem_init(&mem, 64ULL << 20, &e), 0, "%s", e.msg);
	expect_refused("blk-empty", 0, "is empty");
	expect_refused("blk-odd", 1000, "not a multiple of 512");
	cr_assert_null(virtio_blk_create(&mem, &p, &e));
	cr_assert(strstr(e.msg, "/nonexistent/disk.img"), "%s", e.msg);
	p.path = "/tmp";
	cr_assert_null(virtio_blk_create(&mem, &p, &e));
	guest_mem_free(&mem);
}

Test(virtio_blk, a_second_writer_is_refused)
{
	struct virtio_blk_params p = { .path = image };
	struct lerr e = { 0 };

	cr_assert_null(virtio_blk_create(&mem, &p, &e));
	cr_assert(strstr(e.msg, "in use"), "%s", e.msg);
}

/* --drive and [vm] driveN parsing (vmm/config.c). */
#include "config.h"

static struct vmm_config cfg;

static int parse_args(struct lerr *e, const char *const *args)
{
	char *argv[24];
	int argc = 0;

	argv[argc++] = (char *)"lighter-vmm";
	while (*args && argc < 23)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return vmm_config_parse(&cfg, argc, argv, e);
}

#define PARSE(e, ...) parse_args(e, (const char *const[]){ __VA_ARGS__, NULL })

static void cfg_fini(void)
{
	vmm_config_free(&cfg);
}

TestSuite(virtio_blk_config, .fini = cfg_fini);

Test(virtio_blk_config, drive_flags_in_order)
{
	struct lerr e = { 0 };

	cr_assert_eq(PARSE(&e, "--kernel", "k", "--drive", "path=a.img",
			   "--drive", "path=/b.img,ro,id=disk-b"),
		     0, "%s", e.msg);
	cr_assert_eq(cfg.nr_drives, 2);
	cr_assert_str_eq(cfg.drives[0].path, "a.img");
	cr_assert_not(cfg.drives[0].ro);
	cr_assert_null(cfg.drives[0].id);
	cr_assert_str_eq(cfg.drives[1].path, "/b.img");
	cr_assert(cfg.drives[1].ro);
	cr_assert_str_eq(cfg.drives[1].id, "disk-b");
}

Test(virtio_blk_config, bad_drive_specs_are_named)
{
	struct lerr e = { 0 };

	cr_assert_lt(PARSE(&e, "--kernel", "k", "--drive", "a.img"), 0);
	cr_assert(strstr(e.msg, "--drive") && strstr(e.msg, "a.img"), "%s",
		  e.msg);
	cr_assert_lt(PARSE(&e, "--kernel", "k", "--drive", "ro"), 0);
	cr_assert(strstr(e.msg, "no path"), "%s", e.msg);
	cr_assert_lt(PARSE(&e, "--kernel", "k", "--drive",
			   "path=x,id=123456789012345678901"),
		     0);
	cr_assert(strstr(e.msg, "id must be"), "%s", e.msg);
	cr_assert_lt(PARSE(&e, "--kernel", "k", "--drive", "path="), 0);
	cr_assert(strstr(e.msg, "empty path"), "%s", e.msg);
}

Test(virtio_blk_config, at_most_eight_drives)
{
	struct lerr e = { 0 };
	const char *d = "path=x.img";

	cr_assert_eq(PARSE(&e, "--kernel", "k", "--drive", d, "--drive", d,
			   "--drive", d, "--drive", d, "--drive", d, "--drive",
			   d, "--drive", d, "--drive", d),
		     0, "%s", e.msg);
	cr_assert_eq(cfg.nr_drives, 8);
	cr_assert_lt(PARSE(&e, "--kernel", "k", "--drive", d, "--drive", d,
			   "--drive", d, "--drive", d, "--drive", d, "--drive",
			   d, "--drive", d, "--drive", d, "--drive", d),
		     0);
	cr_assert(strstr(e.msg, "more than 8"), "%s", e.msg);
}

Test(virtio_blk_config, ini_drives_by_number_then_flags)
{
	char path[] = "/tmp/blk-ini.XXXXXX";
	const char ini[] = "[vm]\nkernel = k\ndrive1 = path=second.img,ro\n"
			   "drive0 = path=/abs/first.img,id=first\n";
	struct lerr e = { 0 };
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, ini, sizeof(ini) - 1), (ssize_t)sizeof(ini) - 1);
	close(fd);
	cr_assert_eq(PARSE(&e, "--config", path, "--drive", "path=third.img"),
		     0, "%s", e.msg);
	unlink(path);
	cr_assert_eq(cfg.nr_drives, 3);
	cr_assert_str_eq(cfg.drives[0].path, "/abs/first.img");
	cr_assert_str_eq(cfg.drives[0].id, "first");
	/* relative to the file's directory */
	cr_assert_str_eq(cfg.drives[1].path, "/tmp/second.img");
	cr_assert(cfg.drives[1].ro);
	cr_assert_str_eq(cfg.drives[2].path, "third.img");
}

Test(virtio_blk_config, ini_bad_drive_names_the_key)
{
	char path[] = "/tmp/blk-ini.XXXXXX";
	const char ini[] = "[vm]\nkernel = k\ndrive3 = path=x,rw\n";
	struct lerr e = { 0 };
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, ini, sizeof(ini) - 1), (ssize_t)sizeof(ini) - 1);
	close(fd);
	cr_assert_lt(PARSE(&e, "--config", path), 0);
	unlink(path);
	cr_assert(strstr(e.msg, "drive3") && strstr(e.msg, "\"rw\""), "%s",
		  e.msg);
}

Test(virtio_blk, cached_small_read_is_served_inline)
{
	struct desc d[3] = {
		{ HDR_GPA, 16, 0 },
		{ DATA_GPA, 4096, VIRTQ_DESC_F_WRITE },
		{ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE },
	};
	uint8_t *data = gpa(DATA_GPA, 4096);

	driver_ok(STD_FEATURES);
	/* the image was just written: its pages are in the page cache */
	put_hdr(VIRTIO_BLK_T_IN, 8);
	*(uint8_t *)gpa(STATUS_GPA, 1) = 0xee;
	post_chain(d, 3);
	/* answered within the kick, no worker involved */
	cr_assert_eq(used_idx(), next_avail);
	cr_assert_eq(virtio_blk_inflight(dev), 0);
	cr_assert_eq(status(), VIRTIO_BLK_S_OK);
	cr_assert_eq(data[0], 8);
	cr_assert_eq(data[4095], (uint8_t)((8 + 7) ^ 511));
}

Test(virtio_blk, event_idx_asks_for_the_next_kick_and_suppresses_irqs)
{
	uint16_t *avail = gpa(AVAIL_GPA, 4 + 2 * QSIZE + 2);
	uint16_t *avail_event = gpa(USED_GPA + 4 + 8 * QSIZE, 2);
	unsigned int before;

	driver_ok(STD_FEATURES | 1U << VIRTIO_RING_F_EVENT_IDX);
	cr_assert_eq(request(VIRTIO_BLK_T_IN, 0, 512, NULL), VIRTIO_BLK_S_OK);
	cr_assert_eq(*avail_event, next_avail);
	cr_assert_eq(irqs, 1);
	/* the driver wants an interrupt only once used->idx passes 5 */
	avail[2 + QSIZE] = 5;
	before = irqs;
	cr_assert_eq(request(VIRTIO_BLK_T_FLUSH, 0, 0, NULL), VIRTIO_BLK_S_OK);
	cr_assert_eq(irqs, before, "used_event 5 not reached: no interrupt");
	cr_assert_eq(*avail_event, next_avail);
}
