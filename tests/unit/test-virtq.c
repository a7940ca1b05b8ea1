/* test-virtq.c - the split virtqueue walker against a test driver that
 * writes rings and descriptors into real (anonymous) guest memory,
 * including every hostile-chain case the device must survive. */
#include <criterion/criterion.h>
#include <string.h>

#include "guest-mem.h"
#include "virtio-test.h"
#include "virtq.h"

#define QSIZE 256
#define DESC_GPA 0x10000ULL
#define AVAIL_GPA 0x20000ULL
#define USED_GPA 0x30000ULL
#define DATA_GPA 0x100000ULL

static struct guest_mem mem;
static struct virtq q;
static struct virtq_chain chain;
static uint16_t avail_idx;

/* guest memory through the test driver (tests/support) */
#define gpa(a, len) vt_gpa(&mem, a, len)

static struct vd_desc *desc(uint64_t table, uint16_t i)
{
	return gpa(table + 16ULL * i, 16);
}

static void set_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	*desc(table, i) = (struct vd_desc){ addr, len, flags, next };
}

static uint16_t *avail_u16(unsigned int slot) /* 0 flags, 1 idx, 2.. ring */
{
	return gpa(AVAIL_GPA + 2ULL * slot, 2);
}

static void publish(uint16_t head)
{
	*avail_u16(2 + avail_idx % QSIZE) = head;
	avail_idx++;
	*avail_u16(1) = avail_idx;
}

static void setup(void)
{
	struct lerr e = { 0 };

	cr_assert_eq(guest_mem_init(&mem, 128ULL << 20, &e), 0, "%s", e.msg);
	virtq_reset(&q);
	q.size = QSIZE;
	q.desc_gpa = DESC_GPA;
	q.avail_gpa = AVAIL_GPA;
	q.used_gpa = USED_GPA;
	q.indirect = true;
	cr_assert_eq(virtq_activate(&q, &mem), 0);
	avail_idx = 0;
}

static void teardown(void)
{
	guest_mem_free(&mem);
}

TestSuite(virtq, .init = setup, .fini = teardown);

Test(virtq, empty_ring_yields_nothing)
{
	cr_assert_eq(virtq_pop(&q, &chain), 0);
}

Test(virtq, activate_rejects_bad_rings)
{
	struct virtq b = q;

	b.size = 100;
	cr_assert_eq(virtq_activate(&b, &mem), -EINVAL);
	b = q;
	b.desc_gpa = DESC_GPA + 8;
	cr_assert_eq(virtq_activate(&b, &mem), -EINVAL);
	b = q;
	b.used_gpa = 0xC0000000ULL; /* in the MMIO hole */
	cr_assert_eq(virtq_activate(&b, &mem), -EFAULT);
	b = q;
	b.avail_gpa = (128ULL << 20) - 4; /* runs past the end of RAM */
	cr_assert_eq(virtq_activate(&b, &mem), -EFAULT);
}

Test(virtq, readable_then_writable_chain_round_trip)
{
	uint8_t *in = gpa(DATA_GPA, 16), *out = gpa(DATA_GPA + 4096, 32);
	uint32_t *used_idx_and_flags;
	uint32_t *elem;
	char buf[16];

	memcpy(in, "0123456789abcdef", 16);
	set_desc(DESC_GPA, 3, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 7);
	set_desc(DESC_GPA, 7, DATA_GPA + 4096, 32, VIRTQ_DESC_F_WRITE, 0);
	publish(3);

	cr_assert_eq(virtq_pop(&q, &chain), 1);
	cr_assert_eq(chain.head, 3);
	cr_assert_eq(chain.nr, 2);
	cr_assert_eq(chain.readable_len, 16);
	cr_assert_eq(chain.writable_len, 32);
	cr_assert_eq(virtq_chain_read(&chain, 4, buf, sizeof(buf)), 12);
	cr_assert_eq(memcmp(buf, "456789abcdef", 12), 0);
	cr_assert_eq(virtq_chain_write(&chain, 30, "xyz", 3), 2);
	cr_assert_eq(memcmp(out + 30, "xy", 2), 0);
	cr_assert_eq(virtq_pop(&q, &chain), 0);

	cr_assert_eq(virtq_push(&q, chain.head, 32), 0);
	used_idx_and_flags = gpa(USED_GPA, 4);
	cr_assert_eq(*used_idx_and_flags >> 16, 1);
	elem = gpa(USED_GPA + 4, 8);
	cr_assert_eq(elem[0], 3);
	cr_assert_eq(elem[1], 32);
}

Test(virtq, indirect_table_is_followed)
{
	const uint64_t table = DATA_GPA + 0x10000;

	set_desc(table, 0, DATA_GPA, 10, VIRTQ_DESC_F_NEXT, 2);
	set_desc(table, 2, DATA_GPA + 100, 20, VIRTQ_DESC_F_WRITE, 0);
	set_desc(DESC_GPA, 0, table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	cr_assert_eq(virtq_pop(&q, &chain), 1);
	cr_assert_eq(chain.nr, 2);
	cr_assert_eq(chain.readable_len, 10);
	cr_assert_eq(chain.writable_len, 20);
}

/* Each hostile case must give -EIO, leave the queue broken, and keep it
 * broken on the next pop. */
static void expect_broken(void)
{
	cr_assert_eq(virtq_pop(&q, &chain), -EIO);
	cr_assert(q.broken);
	cr_assert_eq(virtq_pop(&q, &chain), -EIO);
}

Test(virtq, indirect_without_feature_is_hostile)
{
	q.indirect = false;
	set_desc(DATA_GPA, 0, DATA_GPA + 512, 8, 0, 0);
	set_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_broken();
}

Test(virtq, descriptor_loop_is_hostile)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	publish(0);
	expect_broken();
}

Test(virtq, self_loop_is_hostile)
{
	set_desc(DESC_GPA, 5, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 5);
	publish(5);
	expect_broken();
}

Test(virtq, indirect_loop_is_hostile)
{
	const uint64_t table = DATA_GPA + 0x10000;

	set_desc(table, 0, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(table, 1, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	set_desc(DESC_GPA, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_broken();
}

Test(virtq, nested_indirect_is_hostile)
{
	const uint64_t table = DATA_GPA + 0x10000;

	set_desc(table, 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(DESC_GPA, 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_broken();
}

Test(virtq, indirect_with_next_is_hostile)
{
	const uint64_t table = DATA_GPA + 0x10000;

	set_desc(table, 0, DATA_GPA, 8, 0, 0);
	set_desc(DESC_GPA, 0, table, 16,
		 VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 8, 0, 0);
	publish(0);
	expect_broken();
}

Test(virtq, indirect_table_of_odd_length_is_hostile)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 24, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_broken();
}

Test(virtq, address_beyond_ram_is_hostile)
{
	set_desc(DESC_GPA, 0, 128ULL << 20, 8, 0, 0);
	publish(0);
	expect_broken();
}

Test(virtq, address_straddling_end_of_ram_is_hostile)
{
	set_desc(DESC_GPA, 0, (128ULL << 20) - 4, 8, 0, 0);
	publish(0);
	expect_broken();
}

Test(virtq, wrapping_address_is_hostile)
{
	set_desc(DESC_GPA, 0, UINT64_MAX - 3, 8, 0, 0);
	publish(0);
	expect_broken();
}

Test(virtq, address_in_mmio_hole_is_hostile)
{
	set_desc(DESC_GPA, 0, 0xD0000000ULL, 8, 0, 0);
	publish(0);
	expect_broken();
}

Test(virtq, zero_length_descriptor_is_hostile)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 0, 0, 0);
	publish(0);
	expect_broken();
}

Test(virtq, oversized_chain_is_hostile)
{
	/* 65 descriptors of 1 MiB each: 65 MiB > VIRTQ_CHAIN_BYTES_MAX */
	for (uint16_t i = 0; i < 65; i++)
		set_desc(DESC_GPA, i, DATA_GPA, 1U << 20,
			 i < 64 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	publish(0);
	expect_broken();
}

Test(virtq, head_out_of_range_is_hostile)
{
	publish(QSIZE);
	expect_broken();
}

Test(virtq, next_out_of_range_is_hostile)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, QSIZE + 1);
	publish(0);
	expect_broken();
}

Test(virtq, avail_index_running_ahead_is_hostile)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
	*avail_u16(1) = QSIZE + 1;
	expect_broken();
}

Test(virtq, readable_after_writable_is_hostile)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 8,
		 VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 8, 0, 0);
	publish(0);
	expect_broken();
}

Test(virtq, push_rejects_foreign_head)
{
	cr_assert_eq(virtq_push(&q, QSIZE, 0), -EINVAL);
}

Test(virtq, interrupt_suppression_without_event_idx)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	publish(0);
	cr_assert_eq(virtq_pop(&q, &chain), 1);
	cr_assert_eq(virtq_push(&q, 0, 8), 0);
	cr_assert(virtq_needs_interrupt(&q));
	cr_assert_not(virtq_needs_interrupt(&q), "nothing new was used");

	*avail_u16(0) = 1; /* VRING_AVAIL_F_NO_INTERRUPT */
	publish(0);
	cr_assert_eq(virtq_pop(&q, &chain), 1);
	cr_assert_eq(virtq_push(&q, 0, 8), 0);
	cr_assert_not(virtq_needs_interrupt(&q));
}

Test(virtq, interrupt_suppression_with_event_idx)
{
	uint16_t *used_event = avail_u16(2 + QSIZE);

	q.event_idx = true;
	set_desc(DESC_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	for (int i = 0; i < 4; i++)
		publish(0);

	*used_event = 0; /* interrupt once used->idx passes 0 */
	cr_assert_eq(virtq_pop(&q, &chain), 1);
	cr_assert_eq(virtq_push(&q, 0, 8), 0);
	cr_assert(virtq_needs_interrupt(&q));

	*used_event = 2; /* driver wants to hear only after entry 2 */
	cr_assert_eq(virtq_pop(&q, &chain), 1);
	cr_assert_eq(virtq_push(&q, 0, 8), 0); /* used idx 2: not past 2 */
	cr_assert_not(virtq_needs_interrupt(&q));
	cr_assert_eq(virtq_pop(&q, &chain), 1);
	cr_assert_eq(virtq_push(&q, 0, 8), 0); /* used idx 3: past 2 */
	cr_assert(virtq_needs_interrupt(&q));
}

Test(virtq, enable_notify_publishes_avail_event)
{
	uint16_t *avail_event = gpa(USED_GPA + 4 + 8ULL * QSIZE, 2);
	uint16_t *used_flags = gpa(USED_GPA, 2);

	q.event_idx = true;
	set_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
	publish(0);
	cr_assert_eq(virtq_pop(&q, &chain), 1);
	cr_assert_not(virtq_enable_notify(&q, true));
	cr_assert_eq(*avail_event, 1);

	publish(0); /* a buffer that raced the re-enable is reported */
	cr_assert(virtq_enable_notify(&q, true));

	q.event_idx = false;
	virtq_enable_notify(&q, false);
	cr_assert_eq(*used_flags, 1);
	virtq_enable_notify(&q, true);
	cr_assert_eq(*used_flags, 0);
}
