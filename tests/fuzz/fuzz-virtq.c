/* fuzz-virtq.c - libFuzzer harness for the split virtqueue walker
 * (vmm/virtq.c) driven by a hostile driver.
 *
 * The input seeds a queue's parameters, its avail ring, its descriptor
 * table and four indirect tables at fixed guest addresses, then a schedule
 * of device-side operations: pop, read and write the chain, push, ask
 * whether to interrupt, toggle notifications, and "the guest publishes
 * more" while the device runs.  Every chain the walker hands out must lie
 * inside guest RAM and respect VIRTQ_CHAIN_MAX and VIRTQ_CHAIN_BYTES_MAX. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz-virtio.h"
#include "guest-mem.h"
#include "virtq.h"

#define RAM_BYTES (64ULL << 20)
#define DESC_GPA 0x10000ULL
#define AVAIL_GPA 0x11000ULL
#define USED_GPA 0x12000ULL
#define IND_GPA 0x13000ULL /* four tables, 0x1000 apart */
#define IND_TABLES 4
#define RING_AREA_END 0x17000ULL
#define DATA_GPA 0x100000ULL
#define SCRATCH_BYTES 4096
#define MAX_ROUNDS 1024

static struct guest_mem mem;
static struct virtq q;
static struct virtq_chain chain;
static uint8_t scratch[SCRATCH_BYTES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* guest memory through the test driver (tests/support) */
#define gpa(a, len) fuzz_gpa(&mem, a, len)

/* One descriptor from 12 input bytes: the address is picked relative to a
 * region worth aiming at (data, tables, rings, the end of RAM) or raw and
 * hostile (the MMIO hole, above RAM, wrapping around 2^64). */
static struct vd_desc take_desc(struct fuzz_in *in)
{
	uint8_t kind = fuzz_u8(in);
	struct vd_desc d;
	uint32_t off;

	d.flags = fuzz_u8(in);
	d.next = fuzz_u16(in);
	d.len = fuzz_u32(in);
	off = fuzz_u32(in);
	switch (kind % 8) {
	case 0:
		d.addr = DATA_GPA + (off & 0xffff);
		break;
	case 1:
		d.addr = DATA_GPA + off;
		break;
	case 2:
		d.addr = IND_GPA + off % (IND_TABLES * 0x1000);
		break;
	case 3:
		d.addr = DESC_GPA + off % (RING_AREA_END - DESC_GPA);
		break;
	case 4:
		d.addr = RAM_BYTES - off % 0x20000;
		break;
	case 5:
		d.addr = off;
		break;
	case 6:
		d.addr = UINT64_MAX - off;
		break;
	default:
		d.addr = (uint64_t)off << 12;
		break;
	}
	return d;
}

static void check_chain(const struct virtq_chain *c)
{
	const uint8_t *ram = mem.region[0].host;
	uint64_t readable = 0, writable = 0;
	bool seen_writable = false;

	FUZZ_CHECK(c->nr >= 1 && c->nr <= VIRTQ_CHAIN_MAX);
	FUZZ_CHECK(c->head < q.size);
	for (unsigned int i = 0; i < c->nr; i++) {
		const struct virtq_buf *b = &c->buf[i];

		FUZZ_CHECK(b->len > 0);
		FUZZ_CHECK(b->host >= ram &&
			   (uint64_t)(b->host - ram) + b->len <= RAM_BYTES);
		FUZZ_CHECK(guest_mem_ptr(&mem, (uint64_t)(b->host - ram),
					 b->len) == b->host);
		FUZZ_CHECK(!(seen_writable && !b->writable));
		seen_writable |= b->writable;
		if (b->writable)
			writable += b->len;
		else
			readable += b->len;
	}
	FUZZ_CHECK(readable == c->readable_len);
	FUZZ_CHECK(writable == c->writable_len);
	FUZZ_CHECK(readable + writable <= VIRTQ_CHAIN_BYTES_MAX);
	FUZZ_CHECK(readable + writable > 0);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Read and write through the chain helpers at an offset the schedule
 * picks; they must copy exactly what the chain holds past that offset. */
static uint32_t exercise_chain(const struct virtq_chain *c, uint8_t op)
{
	uint32_t off, want, got;

	off = op & 0x10 ? c->readable_len / 2 : 0;
	want = c->readable_len > off
		       ? min_u32(c->readable_len - off, SCRATCH_BYTES)
		       : 0;
	got = virtq_chain_read(c, off, scratch, SCRATCH_BYTES);
	FUZZ_CHECK(got == want);

	off = op & 0x20 ? c->writable_len / 3 : 0;
	want = c->writable_len > off
		       ? min_u32(c->writable_len - off, SCRATCH_BYTES)
		       : 0;
	memset(scratch, op, sizeof(scratch));
	got = virtq_chain_write(c, off, scratch, SCRATCH_BYTES);
	FUZZ_CHECK(got == want);
	/* past the end copies nothing */
	FUZZ_CHECK(virtq_chain_read(c, c->readable_len, scratch, 1) == 0);
	FUZZ_CHECK(virtq_chain_write(c, c->writable_len, scratch, 1) == 0);
	return op & 0x40 ? got : c->writable_len;
}

static void check_used(uint16_t head, uint32_t written)
{
	const uint16_t *used = gpa(USED_GPA, 4);
	const uint32_t *elem;

	/* our own chain write may have landed on the used ring; the push
	 * came after it and must be what the ring holds now */
	elem = gpa(USED_GPA + 4 + 8ULL * ((uint16_t)(q.used_idx - 1) % q.size),
		   8);
	FUZZ_CHECK(used[1] == q.used_idx);
	FUZZ_CHECK(elem[0] == head && elem[1] == written);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint16_t *avail, start, delta, used_event;
	unsigned int ind_entries, rounds;
	uint8_t size_sel, mode;
	struct lerr e = { 0 };
	int r;

	if (!mem.nr_regions && guest_mem_init(&mem, RAM_BYTES, &e) < 0) {
		fprintf(stderr, "guest_mem_init: %s\n", e.msg);
		abort();
	}
	memset(gpa(DESC_GPA, RING_AREA_END - DESC_GPA), 0,
	       RING_AREA_END - DESC_GPA);

	size_sel = fuzz_u8(&in);
	mode = fuzz_u8(&in);
	start = fuzz_u16(&in);
	delta = fuzz_u16(&in);
	used_event = fuzz_u16(&in);
	ind_entries = 1 + fuzz_u8(&in) % 32;

	virtq_reset(&q);
	q.size = (uint16_t)(1U << (size_sel % 9));
	q.desc_gpa = DESC_GPA;
	q.avail_gpa = AVAIL_GPA;
	q.used_gpa = USED_GPA;
	q.event_idx = mode & 1;
	q.indirect = mode & 2;
	FUZZ_CHECK(virtq_activate(&q, &mem) == 0);
	/* any index state is reachable after enough traffic */
	q.last_avail = q.used_idx = start;

	avail = gpa(AVAIL_GPA, 6 + 2ULL * q.size);
	avail[0] = mode & 4 ? 1 : 0; /* VRING_AVAIL_F_NO_INTERRUPT */
	avail[1] = (uint16_t)(start + delta);
	for (unsigned int i = 0; i < q.size; i++)
		avail[2 + i] = fuzz_u16(&in);
	avail[2 + q.size] = used_event;
	for (unsigned int i = 0; i < q.size; i++) {
		struct vd_desc d = take_desc(&in);

		memcpy(gpa(DESC_GPA + 16ULL * i, 16), &d, 16);
	}
	for (unsigned int t = 0; t < IND_TABLES; t++) {
		for (unsigned int i = 0; i < ind_entries; i++) {
			struct vd_desc d = take_desc(&in);

			memcpy(gpa(IND_GPA + 0x1000ULL * t + 16ULL * i, 16), &d,
			       16);
		}
	}

	for (rounds = 0; rounds < MAX_ROUNDS; rounds++) {
		uint8_t op = fuzz_u8(&in);

		r = virtq_pop(&q, &chain);
		if (r < 0) {
			FUZZ_CHECK(r == -EIO && q.broken);
			FUZZ_CHECK(virtq_pop(&q, &chain) == -EIO);
			FUZZ_CHECK(!virtq_enable_notify(&q, true));
			break;
		}
		if (r == 0) {
			if (virtq_enable_notify(&q, true))
				continue;
			if (!(op & 1))
				break;
			/* the guest publishes more while we were idle */
			avail[1] = (uint16_t)(avail[1] + 1 + (op >> 1) % 4);
			continue;
		}
		FUZZ_CHECK(r == 1);
		check_chain(&chain);
		{
			uint16_t head = chain.head;
			uint32_t written = exercise_chain(&chain, op);

			FUZZ_CHECK(virtq_push(&q, head, written) == 0);
			check_used(head, written);
		}
		if (op & 4)
			(void)virtq_needs_interrupt(&q);
		if (op & 8)
			FUZZ_CHECK(!virtq_enable_notify(&q, false));
	}
	(void)virtq_needs_interrupt(&q);
	return 0;
}
