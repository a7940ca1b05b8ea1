/* fuzz-virtio-blk.c - libFuzzer harness for the block device's request
 * parser and completion path (vmm/virtio-blk.c, vmm/virtio-blk-io.c)
 * behind the virtio-mmio transport.
 *
 * The input is a program for a hostile driver.  Each op is a byte (bits
 * 0-3 the op mod OP_COUNT, bit 7 "post without kicking"), operands follow:
 * negotiate and set up the queue, build a request chain of 1-6 buffers
 * (directly or through an indirect table) whose addresses aim at the
 * header, data, status or ring areas, the end of RAM or nowhere, with a
 * header whose type and sector come from the interesting values or raw
 * input; kick; reap completions; reset; scribble on the rings.
 * Two devices live for the whole process, a read-write one and a
 * read-only one on separate 64-sector images; the first input byte picks
 * one.  Invariants: requests with the workers always drain; the device
 * never writes the read-only image; the image never changes size. */
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-virtio.h"
#include "guest-mem.h"
#include "virtio-blk.h"
#include "virtio-mmio.h"

#define RAM_BYTES (64ULL << 20)
#define DESC_GPA 0x10000ULL
#define AVAIL_GPA 0x11000ULL
#define USED_GPA 0x12000ULL
#define IND_GPA 0x14000ULL
#define RING_AREA_END 0x15000ULL
#define HDR_GPA 0x20000ULL
#define STATUS_GPA 0x20100ULL
#define DATA_GPA 0x100000ULL
#define SECTORS 64
#define MAX_OPS 256

#define REG_STATUS 0x070

enum fuzz_op {
	OP_SETUP,
	OP_REQ,
	OP_KICK,
	OP_REAP,
	OP_RESET,
	OP_MEM,
	OP_COUNT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem mem;
static struct virtio_dev *devs[2], *dev;
static char paths[2][32];
static uint64_t ro_sum;

/* the device thread, inline */
static const struct virtio_hooks hooks = { .irq = vd_irq_ignore,
					   .kick = vd_notify_inline };

/* registers and guest memory through the test driver (tests/support) */
#define wr(off, v) vd_wr(dev, off, v)
#define gpa(a, len) fuzz_gpa(&mem, a, len)

static uint64_t file_sum(const char *path)
{
	uint8_t buf[SECTORS * 512];
	uint64_t h = 0xcbf29ce484222325ULL;
	struct stat st;
	int fd = open(path, O_RDONLY);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(fstat(fd, &st) == 0 && st.st_size == sizeof(buf));
	FUZZ_CHECK(pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	close(fd);
	for (size_t i = 0; i < sizeof(buf); i++)
		h = (h ^ buf[i]) * 0x100000001b3ULL;
	return h;
}

static void remove_images(void)
{
	unlink(paths[0]);
	unlink(paths[1]);
}

static void init_once(void)
{
	struct lerr e = { 0 };
	uint8_t buf[SECTORS * 512];

	FUZZ_CHECK(guest_mem_init(&mem, RAM_BYTES, &e) == 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 9));
	for (int i = 0; i < 2; i++) {
		struct virtio_blk_params p = { .path = paths[i], .ro = i == 1 };
		int fd;

		snprintf(paths[i], sizeof(paths[i]), "/tmp/fuzz-blk.XXXXXX");
		fd = mkstemp(paths[i]);
		FUZZ_CHECK(fd >= 0);
		FUZZ_CHECK(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
		close(fd);
		devs[i] = virtio_blk_create(&mem, &p, &e);
		if (!devs[i]) {
			fprintf(stderr, "virtio_blk_create: %s\n", e.msg);
			abort();
		}
		devs[i]->hooks = &hooks;
	}
	ro_sum = file_sum(paths[1]);
	atexit(remove_images);
}

/* Reap until nothing is with the workers (they must finish). */
static void drain(void)
{
	for (int i = 0; i < 500 && virtio_blk_inflight(dev); i++) {
		struct pollfd p = { virtio_blk_completion_fd(dev), POLLIN, 0 };

		poll(&p, 1, 10);
		virtio_blk_run_completions(dev);
	}
	FUZZ_CHECK(virtio_blk_inflight(dev) == 0);
}

static void op_setup(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u32(in);
	uint32_t qsize = 1U << (fuzz_u8(in) % 9);

	wr(REG_STATUS, 3);
	vd_write_features(dev, lo, 1);
	wr(REG_STATUS, 11);
	vd_setup_queue(dev, 0, qsize, DESC_GPA, AVAIL_GPA, USED_GPA);
	vd_driver_ok(dev);
}

static uint64_t pick_addr(uint8_t kind, uint16_t off)
{
	switch (kind % 8) {
	case 0:
		return HDR_GPA;
	case 1:
		return STATUS_GPA;
	case 2:
	case 3:
		return DATA_GPA + (uint64_t)off * 8;
	case 4:
		return DESC_GPA + off % (RING_AREA_END - DESC_GPA);
	case 5:
		return RAM_BYTES - (off % 4096);
	case 6:
		return 0xd0000000ULL + off;
	default:
		return HDR_GPA + 8;
	}
}

static uint32_t pick_len(uint8_t kind, uint16_t raw)
{
	switch (kind % 6) {
	case 0:
		return 16;
	case 1:
		return 1;
	case 2:
		return 512u * (1 + raw % 16);
	case 3:
		return raw;
	case 4:
		return VIRTIO_BLK_SIZE_MAX + raw;
	default:
		return 8;
	}
}

static uint64_t pick_sector(struct fuzz_in *in)
{
	switch (fuzz_u8(in) % 6) {
	case 0:
		return 0;
	case 1:
		return SECTORS - 1;
	case 2:
		return SECTORS;
	case 3:
		return UINT64_MAX - fuzz_u8(in);
	case 4:
		return fuzz_u8(in);
	default:
		return fuzz_u64(in);
	}
}

static void put_desc(uint64_t table, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	FUZZ_CHECK(vd_put_desc(&mem, table, i, addr, len, flags, next) == 0);
}

static void op_req(struct fuzz_in *in)
{
	static const uint32_t types[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
					  VIRTIO_BLK_T_FLUSH,
					  VIRTIO_BLK_T_GET_ID };
	uint16_t qsize = dev->vq[0].size ? dev->vq[0].size : 8;
	uint8_t shape = fuzz_u8(in), t = fuzz_u8(in);
	unsigned int n = 1 + shape % 6, head = fuzz_u8(in) % qsize;
	bool indirect = shape & 0x80;
	uint32_t type = t < 200 ? types[t % 4] : fuzz_u32(in);
	uint64_t sector = pick_sector(in);
	uint16_t avail_idx = *(uint16_t *)gpa(AVAIL_GPA + 2, 2);
	uint8_t *hdr = gpa(HDR_GPA, 16);

	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t kind = fuzz_u8(in), lk = fuzz_u8(in);
		uint16_t raw = fuzz_u16(in);
		uint16_t flags = (kind & 0x80 ? VIRTQ_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
		uint64_t table = indirect ? IND_GPA : DESC_GPA;
		unsigned int slot = indirect ? i : (head + i) % qsize;
		uint16_t next = indirect ? (uint16_t)(i + 1) :
					   (uint16_t)((head + i + 1) % qsize);

		put_desc(table, slot, pick_addr(kind, raw), pick_len(lk, raw),
			 flags, next);
	}
	if (indirect)
		put_desc(DESC_GPA, head, IND_GPA, 16 * n, VIRTQ_DESC_F_INDIRECT,
			 0);
	FUZZ_CHECK(vd_avail_add(&mem, AVAIL_GPA, qsize, &avail_idx,
				(uint16_t)head) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	bool ro;

	if (!mem.nr_regions)
		init_once();
	ro = fuzz_u8(&in) & 1;
	dev = devs[ro];
	wr(REG_STATUS, 0);
	memset(gpa(DESC_GPA, RING_AREA_END - DESC_GPA), 0,
	       RING_AREA_END - DESC_GPA);

	for (unsigned int n = 0; n < MAX_OPS && in.left; n++) {
		uint8_t op = fuzz_u8(&in);
		uint64_t off;
		uint32_t v;

		switch ((op & 0x0f) % OP_COUNT) {
		case OP_SETUP:
			op_setup(&in);
			break;
		case OP_REQ:
			op_req(&in);
			if (!(op & 0x80))
				wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
			break;
		case OP_KICK:
			wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
			break;
		case OP_REAP:
			drain();
			break;
		case OP_RESET:
			wr(REG_STATUS, 0);
			break;
		case OP_MEM:
		default:
			off = DESC_GPA + 4 * (fuzz_u16(&in) %
					      ((RING_AREA_END - DESC_GPA) / 4));
			v = fuzz_u32(&in);
			memcpy(gpa(off, 4), &v, 4);
			break;
		}
		FUZZ_CHECK(!(dev->status & VIRTIO_STATUS_DRIVER_OK) ||
			   (dev->status & VIRTIO_STATUS_FEATURES_OK));
	}
	drain();
	wr(REG_STATUS, 0);
	if (ro)
		FUZZ_CHECK(file_sum(paths[1]) == ro_sum);
	else
		file_sum(paths[0]); /* checks the size */
	return 0;
}
