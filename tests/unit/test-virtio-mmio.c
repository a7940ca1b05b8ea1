/* test-virtio-mmio.c - the virtio-mmio v2 transport and the rng device,
 * driven through their registers by a test driver that lays rings out in
 * guest memory the way Linux's virtio_mmio driver does. */
#include <criterion/criterion.h>
#include <string.h>

#include "guest-mem.h"
#include "virtio-mmio.h"
#include "virtio-rng.h"
#include "virtio-test.h"

#define QSIZE 8
#define DESC_GPA 0x10000ULL
#define AVAIL_GPA 0x11000ULL
#define USED_GPA 0x12000ULL
#define BUF_GPA 0x20000ULL

static struct guest_mem mem;
static struct virtio_dev *dev;
static unsigned int irqs, kicks;

static void test_irq(struct virtio_dev *d)
{
	irqs++;
}

static void test_kick(struct virtio_dev *d, unsigned int q)
{
	kicks++;
	vd_notify_inline(d, q); /* the device thread, inline */
}

static const struct virtio_hooks hooks = { .irq = test_irq,
					   .kick = test_kick };

/* registers and guest memory through the test driver (tests/support) */
#define rd(off) vd_rd(dev, off)
#define wr(off, v) vd_wr(dev, off, v)
#define gpa(a, len) vt_gpa(&mem, a, len)

static void setup(void)
{
	struct lerr e = { 0 };

	cr_assert_eq(guest_mem_init(&mem, 64ULL << 20, &e), 0, "%s", e.msg);
	dev = virtio_rng_create(&mem);
	cr_assert_not_null(dev);
	dev->hooks = &hooks;
	dev->base = 0xd0000000;
	dev->gsi = 5;
	irqs = kicks = 0;
}

static void teardown(void)
{
	virtio_rng_destroy(dev);
	guest_mem_free(&mem);
}

TestSuite(virtio_mmio, .init = setup, .fini = teardown);

/* The driver side of 3.1.1 up to FEATURES_OK, with feature words lo/hi. */
static uint32_t negotiate(uint32_t lo, uint32_t hi)
{
	return vd_negotiate(dev, lo, hi);
}

static void setup_queue(uint32_t size)
{
	vd_setup_queue(dev, 0, size, DESC_GPA, AVAIL_GPA, USED_GPA);
}

static void driver_ok(uint32_t features_lo)
{
	cr_assert(negotiate(features_lo, 1) & VIRTIO_STATUS_FEATURES_OK);
	setup_queue(QSIZE);
	cr_assert(vd_driver_ok(dev) & VIRTIO_STATUS_DRIVER_OK);
}

/* Queue one descriptor (addr, len, flags) as avail entry `n` and kick. */
static void post(unsigned int n, uint64_t addr, uint32_t len, uint16_t flags)
{
	uint16_t idx = (uint16_t)n;

	cr_assert_eq(vd_put_desc(&mem, DESC_GPA, n, addr, len, flags, 0), 0);
	cr_assert_eq(vd_avail_add(&mem, AVAIL_GPA, QSIZE, &idx, (uint16_t)n), 0);
	vd_kick(dev, 0);
}

Test(virtio_mmio, identifies_itself)
{
	cr_assert_eq(rd(0x000), 0x74726976);
	cr_assert_eq(rd(0x004), 2);
	cr_assert_eq(rd(0x008), VIRTIO_ID_RNG);
	wr(0x030, 0);
	cr_assert_eq(rd(0x034), 256);
	wr(0x030, 1); /* rng has one queue */
	cr_assert_eq(rd(0x034), 0);
}

Test(virtio_mmio, offers_version_1_and_ring_features)
{
	wr(0x014, 0);
	cr_assert(rd(0x010) & (1U << VIRTIO_RING_F_EVENT_IDX));
	cr_assert(rd(0x010) & (1U << VIRTIO_RING_F_INDIRECT_DESC));
	wr(0x014, 1);
	cr_assert_eq(rd(0x010), 1); /* VERSION_1 is bit 32 */
	wr(0x014, 2);
	cr_assert_eq(rd(0x010), 0);
}

Test(virtio_mmio, legacy_driver_is_refused)
{
	cr_assert_not(negotiate(0, 0) & VIRTIO_STATUS_FEATURES_OK);
}

Test(virtio_mmio, unoffered_feature_is_refused)
{
	cr_assert_not(negotiate(1U << 5, 1) & VIRTIO_STATUS_FEATURES_OK);
}

Test(virtio_mmio, driver_ok_needs_features_ok)
{
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			  VIRTIO_STATUS_DRIVER_OK);
	cr_assert_not(rd(0x070) & VIRTIO_STATUS_DRIVER_OK);
}

Test(virtio_mmio, status_bits_cannot_be_cleared_except_by_reset)
{
	negotiate(0, 1);
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE);
	cr_assert(rd(0x070) & VIRTIO_STATUS_FEATURES_OK);
	wr(0x070, 0);
	cr_assert_eq(rd(0x070), 0);
}

Test(virtio_mmio, rng_fills_a_buffer_and_interrupts)
{
	uint8_t *buf = gpa(BUF_GPA, 64), zero[64] = { 0 };
	uint16_t *used = gpa(USED_GPA, 4);
	uint32_t *elem = gpa(USED_GPA + 4, 8);

	driver_ok(1U << VIRTIO_RING_F_EVENT_IDX);
	post(0, BUF_GPA, 64, VIRTQ_DESC_F_WRITE);
	cr_assert_eq(kicks, 1);
	cr_assert_eq(used[1], 1);
	cr_assert_eq(elem[0], 0);
	cr_assert_eq(elem[1], 64);
	cr_assert_neq(memcmp(buf, zero, 64), 0, "64 random bytes are not all zero");
	cr_assert_eq(irqs, 1);
	cr_assert_eq(rd(0x060), VIRTIO_INT_VRING);
	wr(0x064, VIRTIO_INT_VRING);
	cr_assert_eq(rd(0x060), 0);
	/* EVENT_IDX: the device asked to be kicked at the next entry */
	cr_assert_eq(*(uint16_t *)gpa(USED_GPA + 4 + 8 * QSIZE, 2), 1);
}

Test(virtio_mmio, hostile_ring_sets_needs_reset_until_reset)
{
	driver_ok(0);
	post(0, 0xfff00000ULL, 64, VIRTQ_DESC_F_WRITE); /* beyond RAM */
	cr_assert(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert(rd(0x060) & VIRTIO_INT_CONFIG);
	cr_assert_eq(irqs, 1);

	post(1, BUF_GPA, 64, VIRTQ_DESC_F_WRITE);
	cr_assert_eq(*(uint16_t *)gpa(USED_GPA + 2, 2), 0, "nothing served");

	wr(0x070, 0);
	cr_assert_eq(rd(0x070), 0);
	memset(gpa(AVAIL_GPA, 4 + 2 * QSIZE), 0, 4 + 2 * QSIZE);
	memset(gpa(USED_GPA, 4 + 8 * QSIZE), 0, 4 + 8 * QSIZE);
	driver_ok(0);
	post(0, BUF_GPA, 64, VIRTQ_DESC_F_WRITE);
	cr_assert_eq(*(uint16_t *)gpa(USED_GPA + 2, 2), 1, "served after reset");
}

Test(virtio_mmio, queue_larger_than_max_needs_reset)
{
	cr_assert(negotiate(0, 1) & VIRTIO_STATUS_FEATURES_OK);
	setup_queue(512);
	cr_assert(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
}

Test(virtio_mmio, rings_outside_ram_need_reset)
{
	cr_assert(negotiate(0, 1) & VIRTIO_STATUS_FEATURES_OK);
	wr(0x030, 0);
	wr(0x038, QSIZE);
	wr(0x080, 0);
	wr(0x084, 0x10); /* 64 GiB: not RAM */
	wr(0x044, 1);
	cr_assert(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
}

Test(virtio_mmio, queue_layout_frozen_after_driver_ok)
{
	driver_ok(0);
	wr(0x030, 0);
	wr(0x080, 0x5000);
	cr_assert_eq(dev->vq[0].desc_gpa, DESC_GPA);
}

Test(virtio_mmio, odd_accesses_are_harmless)
{
	uint8_t b = 0xff;
	uint64_t q = ~0ULL;

	virtio_mmio_read(dev, 0x001, &b, 1);
	cr_assert_eq(b, 0);
	virtio_mmio_read(dev, 0x100, &q, 8); /* rng has no config space */
	cr_assert_eq(q, 0);
	virtio_mmio_write(dev, 0x072, &b, 1);
	virtio_mmio_write(dev, 0xffc, &q, 8);
	wr(0x050, 7); /* notify of a queue that does not exist */
	cr_assert_eq(kicks, 0);
	cr_assert_eq(rd(0x070), 0);
}

Test(virtio_mmio, cmdline_entry)
{
	char buf[64];

	cr_assert_gt(virtio_mmio_cmdline(dev, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "virtio_mmio.device=4K@0xd0000000:5");
	cr_assert_eq(virtio_mmio_cmdline(dev, buf, 8), -ENOSPC);
}
