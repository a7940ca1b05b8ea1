/* fuzz-virtio-mmio.c - libFuzzer harness for the virtio-mmio v2 transport
 * (vmm/virtio-mmio.c, vmm/virtio-dev.c) in front of the rng device.
 *
 * The input is a program for a hostile driver: raw register reads and
 * writes of any offset and width, raw guest-memory writes into the ring
 * area, and shortcuts a fuzzer would take long to find on its own (the
 * whole negotiate-and-setup sequence, posting a descriptor, kicking,
 * reset), plus what the device side may do meanwhile.  Each op is a byte:
 * bits 0-3 the op (mod OP_COUNT), bits 4-5 the access width (1 << n),
 * bit 7 "post without kicking"; its operands follow.  Kicks run the
 * device inline, as tests/unit/test-virtio-mmio.c does.  getrandom() is replaced by a fixed pattern so runs are
 * deterministic even when the guest points rng buffers at its own rings. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "fuzz-virtio.h"
#include "guest-mem.h"
#include "virtio-mmio.h"
#include "virtio-rng.h"

#define RAM_BYTES (64ULL << 20)
#define DESC_GPA 0x10000ULL
#define AVAIL_GPA 0x11000ULL
#define USED_GPA 0x12000ULL
#define RING_AREA_END 0x14000ULL
#define DATA_GPA 0x100000ULL
#define MAX_OPS 512
#define MMIO_MAGIC 0x74726976

#define REG_STATUS 0x070

enum fuzz_op {
	OP_WRITE,     /* raw register write */
	OP_READ,      /* raw register read */
	OP_MEM,       /* raw 4-byte guest write in the ring area */
	OP_SETUP,     /* negotiate, lay out queue 0, DRIVER_OK */
	OP_POST,      /* write a descriptor, publish it on the avail ring */
	OP_KICK,      /* QueueNotify */
	OP_RESET,     /* status 0 */
	OP_USED_EVENT, /* avail flags and used_event */
	OP_DEVICE,    /* device side: config change, needs-reset, cmdline */
	OP_COUNT,
};

static struct guest_mem mem;
static struct virtio_dev *dev;
static unsigned int irqs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
ssize_t getrandom(void *buf, size_t len, unsigned int flags);

/* Deterministic stand-in for the kernel's entropy; short reads now and
 * then exercise the rng's retry loop. */
ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	if (len > 4096)
		len = 4096;
	memset(buf, 0x5a, len);
	return (ssize_t)len;
}

static void hook_irq(struct virtio_dev *d)
{
	irqs++;
}

/* the device thread, inline */
static const struct virtio_hooks hooks = { .irq = hook_irq,
					   .kick = fuzz_kick_inline };

/* registers and guest memory through the test driver (tests/support) */
#define rd(off) vd_rd(dev, off)
#define wr(off, v) vd_wr(dev, off, v)
#define gpa(a, len) fuzz_gpa(&mem, a, len)

static void check_state(void)
{
	uint32_t status = rd(REG_STATUS);

	FUZZ_CHECK(rd(0x000) == MMIO_MAGIC);
	FUZZ_CHECK(status == dev->status);
	if (status & 4) /* DRIVER_OK only after FEATURES_OK */
		FUZZ_CHECK(status & 8);
	if (status & 8) /* accepted features: offered ones, VERSION_1 */
		FUZZ_CHECK(!(dev->driver_features &
			     ~(dev->ops->features |
			       1ULL << VIRTIO_F_VERSION_1)) &&
			   (dev->driver_features >> VIRTIO_F_VERSION_1) & 1);
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		const struct virtq *q = &dev->vq[i];

		if (i >= dev->ops->nr_queues)
			FUZZ_CHECK(!q->ready && !q->size);
		if (q->ready)
			FUZZ_CHECK(q->size && q->size <= dev->ops->queue_max &&
				   !(q->size & (q->size - 1)));
	}
}

static void op_setup(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u32(in), hi = fuzz_u8(in) & 3;
	uint32_t qsize = 1U << (fuzz_u8(in) % 10);

	vd_negotiate(dev, lo, hi);
	vd_setup_queue(dev, 0, qsize, DESC_GPA, AVAIL_GPA, USED_GPA);
	vd_driver_ok(dev);
}

/* A descriptor whose address aims at data, the rings, the end of RAM or
 * nowhere, published at the next avail slot (optionally without a kick). */
static void op_post(struct fuzz_in *in)
{
	uint16_t qsize = dev->vq[0].size ? dev->vq[0].size : 8;
	uint8_t idx = fuzz_u8(in), flags = fuzz_u8(in), kind = fuzz_u8(in);
	uint16_t next = fuzz_u16(in), len = fuzz_u16(in);
	uint16_t *avail = gpa(AVAIL_GPA, 4 + 2ULL * 256);
	uint16_t avail_idx = avail[1];
	uint64_t addr;

	switch (kind % 4) {
	case 0:
		addr = DATA_GPA + 64ULL * idx;
		break;
	case 1:
		addr = DESC_GPA + 16ULL * (kind >> 2);
		break;
	case 2:
		addr = RAM_BYTES - 64ULL * (kind >> 2);
		break;
	default:
		addr = 0xd0000000ULL + kind;
		break;
	}
	FUZZ_CHECK(vd_put_desc(&mem, DESC_GPA, idx % qsize, addr, len, flags,
			       next) == 0);
	FUZZ_CHECK(vd_avail_add(&mem, AVAIL_GPA, qsize, &avail_idx,
				idx % qsize) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct lerr e = { 0 };

	if (!mem.nr_regions && guest_mem_init(&mem, RAM_BYTES, &e) < 0) {
		fprintf(stderr, "guest_mem_init: %s\n", e.msg);
		abort();
	}
	memset(gpa(DESC_GPA, RING_AREA_END - DESC_GPA), 0,
	       RING_AREA_END - DESC_GPA);
	dev = virtio_rng_create(&mem);
	FUZZ_CHECK(dev);
	dev->hooks = &hooks;
	irqs = 0;

	for (unsigned int n = 0; n < MAX_OPS && in.left; n++) {
		uint8_t op = fuzz_u8(&in);
		uint64_t off, v;
		unsigned int width;
		char cmdline[64];

		switch ((op & 0x0f) % OP_COUNT) {
		case OP_WRITE:
		case OP_READ:
			off = fuzz_u16(&in) % VIRTIO_MMIO_WINDOW;
			width = 1U << (op >> 4) % 4;
			v = fuzz_u64(&in);
			if ((op & 0x0f) % OP_COUNT == OP_WRITE)
				virtio_mmio_write(dev, off, &v, width);
			else
				virtio_mmio_read(dev, off, &v, width);
			break;
		case OP_MEM:
			off = DESC_GPA + 4 * (fuzz_u16(&in) %
					      ((RING_AREA_END - DESC_GPA) / 4));
			v = fuzz_u32(&in);
			memcpy(gpa(off, 4), &v, 4);
			break;
		case OP_SETUP:
			op_setup(&in);
			break;
		case OP_POST:
			op_post(&in);
			if (!(op & 0x80))
				wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
			break;
		case OP_KICK:
			wr(VIRTIO_MMIO_QUEUE_NOTIFY, fuzz_u8(&in) % 3);
			break;
		case OP_RESET:
			wr(REG_STATUS, 0);
			FUZZ_CHECK(rd(REG_STATUS) == 0 && dev->isr == 0);
			break;
		case OP_DEVICE:
			v = fuzz_u8(&in);
			if (v & 1)
				virtio_dev_config_changed(dev);
			if (v & 2)
				virtio_dev_needs_reset(dev);
			FUZZ_CHECK(virtio_mmio_cmdline(dev, cmdline,
						       v >> 2) < (int)(v >> 2));
			break;
		default: {
			uint16_t *avail = gpa(AVAIL_GPA, 4 + 2ULL * 512 + 2);
			uint16_t qsize = dev->vq[0].size;

			avail[0] = fuzz_u8(&in) & 1;
			avail[2 + (qsize ? qsize : 8)] = fuzz_u16(&in);
			break;
		}
		}
		check_state();
	}
	virtio_rng_destroy(dev);
	dev = NULL;
	return 0;
}
