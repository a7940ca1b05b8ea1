/* virtio-blk.c - the block device's request queue: parses every request
 * chain the driver posts (hostile: any layout, any lengths), answers the
 * malformed ones with a status, hands reads, writes and flushes to the
 * I/O workers and completes them on the device thread.  Small reads the
 * host's page cache can serve (RWF_NOWAIT) are answered inline instead.
 *
 * A request's layout (5.2.6, any layout allowed by VERSION_1): the first
 * 16 readable bytes are the header (type, reserved, sector); for OUT the
 * rest of the readable bytes are the data; the last writable byte is the
 * status; for IN and GET_ID the writable bytes before it are the data.
 * Layouts that do not fit the type, data lengths that are not whole
 * sectors, sectors past the end (computed without overflow), too many or
 * too long segments and writes to a read-only disk get VIRTIO_BLK_S_IOERR;
 * unknown types get VIRTIO_BLK_S_UNSUPP.  A chain without a writable
 * byte cannot even be answered: the device asks for a reset.
 *
 * Reset races: the driver may reset the device (on a vCPU thread) while
 * requests are with the workers.  Every request carries the generation
 * it was popped in; a completion from an older generation is dropped
 * instead of landing in the new rings.  Its data transfer may still touch
 * the guest's own buffers, which a well-behaved driver only resets after
 * its queue drained (Linux quiesces first). */
#include <stdlib.h>
#include <string.h>

#include "virtio-blk-io.h"
#include "virtio-blk.h"

struct blk_req {
	struct blk_io_req io;      /* first: blk_io hands this back */
	struct blk_req *free_next;
	uint16_t head;
	uint32_t gen;
	uint32_t written;          /* used length on success */
	volatile uint8_t *status;
	struct iovec iov[VIRTIO_BLK_SEG_MAX];
};

struct virtio_blk {
	struct virtio_dev dev;
	struct virtio_dev_ops ops;     /* per device: RO is per drive */
	struct blk_file file;
	struct blk_io io;
	bool io_started;
	bool nowait;                   /* try RWF_NOWAIT reads inline */
	uint8_t serial[VIRTIO_BLK_ID_BYTES];
	uint8_t config[VIRTIO_BLK_CONFIG_LEN];
	/* under dev.lock: */
	uint32_t gen;                  /* bumped by every reset */
	bool writeback;                /* FLUSH negotiated: no write-through */
	/* device thread only: */
	struct blk_req *reqs, *free_reqs;
	unsigned int reqs_untouched;   /* reqs[this..] never used yet */
	unsigned int inflight;         /* with the workers */
	struct virtq_chain chain;
};

/* Outcome of parsing one chain. */
enum parse_result {
	PARSE_SUBMIT,   /* req->io is ready for a worker */
	PARSE_ANSWER,   /* answered here: status in *st, used length set */
	PARSE_FATAL,    /* no status byte to answer with */
};

static void put_le(uint8_t *p, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The last writable byte of the chain, NULL if there is none. */
static volatile uint8_t *status_byte(const struct virtq_chain *c)
{
	for (unsigned int i = c->nr; i-- > 0;) {
		if (c->buf[i].writable)
			return c->buf[i].host + c->buf[i].len - 1;
	}
	return NULL;
}

/* Describe `len` bytes of the chain's readable (or writable) buffers from
 * offset `off` as iovecs.  -E2BIG when that takes more than SEG_MAX
 * segments or one is longer than SIZE_MAX. */
static int chain_iov(const struct virtq_chain *c, bool writable, uint32_t off,
		     uint32_t len, struct iovec *iov)
{
	int n = virtq_chain_iov(c, writable, off, len, iov, VIRTIO_BLK_SEG_MAX);

	for (int i = 0; i < n; i++)
		if (iov[i].iov_len > VIRTIO_BLK_SIZE_MAX)
			return -E2BIG;
	return n;
}

/* Sector range check without overflow: [sector, sector + bytes / 512)
 * must lie inside the disk. */
static bool in_range(const struct virtio_blk *b, uint64_t sector,
		     uint32_t bytes)
{
	uint64_t cap = b->file.size / VIRTIO_BLK_SECTOR;
	uint64_t n = bytes / VIRTIO_BLK_SECTOR;

	return sector <= cap && n <= cap - sector;
}

static enum parse_result parse_rw(struct virtio_blk *b,
				  const struct virtq_chain *c,
				  struct blk_req *req, bool write, uint64_t sector,
				  uint8_t *st)
{
	/* IN: the header is all the driver reads; OUT: the status is all it
	 * lets us write */
	uint32_t len = write ? c->readable_len - 16 : c->writable_len - 1;
	int n;

	*st = VIRTIO_BLK_S_IOERR;
	if (write ? c->writable_len != 1 : c->readable_len != 16)
		return PARSE_ANSWER;
	if (len == 0 || len % VIRTIO_BLK_SECTOR || !in_range(b, sector, len))
		return PARSE_ANSWER;
	if (write && b->file.ro)
		return PARSE_ANSWER;
	n = chain_iov(c, !write, write ? 16 : 0, len, req->iov);
	if (n <= 0)
		return PARSE_ANSWER;
	req->io.op = write ? BLK_IO_WRITE : BLK_IO_READ;
	req->io.offset = sector * VIRTIO_BLK_SECTOR;
	req->io.iov = req->iov;
	req->io.iovcnt = (unsigned int)n;
	req->written = write ? 1 : len + 1;
	return PARSE_SUBMIT;
}

/* GET_ID: the serial, zero-padded to 20 bytes, cut to the buffer. */
static enum parse_result answer_get_id(struct virtio_blk *b,
				       const struct virtq_chain *c,
				       struct blk_req *req, uint8_t *st)
{
	uint32_t room = c->writable_len - 1;
	uint32_t n = room < VIRTIO_BLK_ID_BYTES ? room : VIRTIO_BLK_ID_BYTES;

	*st = VIRTIO_BLK_S_IOERR;
	if (c->readable_len != 16 || n == 0)
		return PARSE_ANSWER;
	req->written = virtq_chain_write(c, 0, b->serial, n) + 1;
	*st = VIRTIO_BLK_S_OK;
	return PARSE_ANSWER;
}

static enum parse_result parse_request(struct virtio_blk *b,
				       const struct virtq_chain *c,
				       struct blk_req *req, bool writeback,
				       uint8_t *st)
{
	uint8_t hdr[16];
	uint32_t type;
	uint64_t sector;

	req->status = status_byte(c);
	if (!req->status)
		return PARSE_FATAL;
	req->head = c->head;
	req->written = 1;
	req->io.sync = !writeback;
	*st = VIRTIO_BLK_S_IOERR;
	if (virtq_chain_read(c, 0, hdr, sizeof(hdr)) != sizeof(hdr))
		return PARSE_ANSWER;
	type = (uint32_t)get_le(hdr, 4);
	sector = get_le(hdr + 8, 8);

	switch (type) {
	case VIRTIO_BLK_T_IN:
		return parse_rw(b, c, req, false, sector, st);
	case VIRTIO_BLK_T_OUT:
		return parse_rw(b, c, req, true, sector, st);
	case VIRTIO_BLK_T_FLUSH:
		/* the sector is ignored (the driver sets it to 0); no data */
		if (c->writable_len != 1)
			return PARSE_ANSWER;
		req->io.op = BLK_IO_FLUSH;
		req->io.iovcnt = 0;
		return PARSE_SUBMIT;
	case VIRTIO_BLK_T_GET_ID:
		return answer_get_id(b, c, req, st);
	default:
		*st = VIRTIO_BLK_S_UNSUPP;
		return PARSE_ANSWER;
	}
}

/* Put one answer in the used ring, unless a reset made it stale.
 * Returns true when something was pushed. */
static bool blk_answer(struct virtio_blk *b, struct blk_req *req, uint8_t st,
		       uint32_t written)
{
	struct virtio_dev *d = &b->dev;
	bool pushed = false;

	pthread_mutex_lock(&d->lock);
	if (req->gen == b->gen && !(d->status & VIRTIO_STATUS_NEEDS_RESET)) {
		*req->status = st;
		pushed = virtq_push(&d->vq[0], req->head, written) == 0;
	}
	pthread_mutex_unlock(&d->lock);
	req->free_next = b->free_reqs;
	b->free_reqs = req;
	return pushed;
}

/* virtio_dev_pop() plus the generation the chain belongs to, read under
 * the same lock so no reset can fall in between. */
static int blk_pop(struct virtio_blk *b, struct virtq_chain *c, uint32_t *gen,
		   bool *writeback)
{
	struct virtio_dev *d = &b->dev;
	int r;

	pthread_mutex_lock(&d->lock);
	if (d->status & VIRTIO_STATUS_NEEDS_RESET ||
	    !(d->status & VIRTIO_STATUS_DRIVER_OK)) {
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	r = virtq_pop(&d->vq[0], c);
	if (r == 0 && virtq_enable_notify(&d->vq[0], true))
		r = virtq_pop(&d->vq[0], c);
	*gen = b->gen;
	*writeback = b->writeback;
	pthread_mutex_unlock(&d->lock);
	if (r < 0)
		virtio_dev_needs_reset(d);
	return r;
}

/* A small read whose data sits in the host's page cache is served right
 * here: two thread hand-offs cost more than the copy.  RWF_NOWAIT never
 * waits for the disk, and the size cap bounds the copy, so the loop is
 * not stalled; whatever is not cached goes to a worker as usual. */
static bool read_inline(struct virtio_blk *b, struct blk_req *req)
{
	int r;

	if (!b->nowait || req->io.op != BLK_IO_READ ||
	    req->written - 1 > VIRTIO_BLK_INLINE_READ_MAX)
		return false;
	r = blk_io_read_nowait(b->file.fd, &req->io);
	if (r == -EOPNOTSUPP)
		b->nowait = false;
	return r == 1;
}

/* A free request slot, NULL if none.  Slots are taken from the array
 * only when the free list is empty, so the pages of the array (about
 * 2 KiB a slot) become resident as deep as the guest queues, not all at
 * creation. */
static struct blk_req *blk_req_get(struct virtio_blk *b)
{
	struct blk_req *req = b->free_reqs;

	if (req)
		b->free_reqs = req->free_next;
	else if (b->reqs_untouched < VIRTIO_BLK_QUEUE_MAX)
		req = &b->reqs[b->reqs_untouched++];
	return req;
}

/* Take on every request the driver posted, as long as request slots
 * last (a completion calls us again). */
static void blk_process(struct virtio_blk *b)
{
	struct virtio_dev *d = &b->dev;
	bool pushed = false, writeback;
	struct blk_req *req;
	uint32_t gen;
	uint8_t st;

	while ((b->free_reqs || b->reqs_untouched < VIRTIO_BLK_QUEUE_MAX) &&
	       blk_pop(b, &b->chain, &gen, &writeback) == 1) {
		req = blk_req_get(b);
		req->gen = gen;
		switch (parse_request(b, &b->chain, req, writeback, &st)) {
		case PARSE_SUBMIT:
			if (read_inline(b, req)) {
				pushed |= blk_answer(b, req, VIRTIO_BLK_S_OK,
						     req->written);
				break;
			}
			b->inflight++;
			blk_io_submit(&b->io, &req->io);
			break;
		case PARSE_ANSWER:
			pushed |= blk_answer(b, req, st, req->written);
			break;
		case PARSE_FATAL:
		default:
			req->free_next = b->free_reqs;
			b->free_reqs = req;
			virtio_dev_needs_reset(d);
			goto out;
		}
	}
out:
	if (pushed)
		virtio_dev_signal_used(d, 0);
}

void virtio_blk_run_completions(struct virtio_dev *d)
{
	struct virtio_blk *b = d->priv;
	struct blk_io_req *io = blk_io_reap(&b->io), *next;
	bool pushed = false;

	for (; io; io = next) {
		struct blk_req *req = (struct blk_req *)io;
		bool ok = io->result == 0;

		next = io->next;
		b->inflight--;
		pushed |= blk_answer(b, req, ok ? VIRTIO_BLK_S_OK :
						  VIRTIO_BLK_S_IOERR,
				     ok ? req->written : 1);
	}
	if (pushed)
		virtio_dev_signal_used(d, 0);
	blk_process(b);
}

static void blk_queue_notify(struct virtio_dev *d, unsigned int q)
{
	if (q == 0)
		blk_process(d->priv);
}

/* Under the device lock (vCPU thread): remember whether the driver took
 * the write-back cache (FLUSH) or needs every write synced. */
static int blk_activate(struct virtio_dev *d)
{
	struct virtio_blk *b = d->priv;

	b->writeback = virtio_dev_has(d, VIRTIO_BLK_F_FLUSH);
	return 0;
}

static void blk_reset(struct virtio_dev *d)
{
	struct virtio_blk *b = d->priv;

	b->gen++;
	b->writeback = false;
}

static void blk_config_read(struct virtio_dev *d, uint32_t off, void *data,
			    uint32_t len)
{
	struct virtio_blk *b = d->priv;

	memcpy(data, b->config + off, len);
}

static const struct virtio_dev_ops blk_ops_template = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.features = VIRTQ_RING_FEATURES | 1ULL << VIRTIO_BLK_F_SIZE_MAX |
		    1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_FLUSH,
	.nr_queues = 1,
	.queue_max = VIRTIO_BLK_QUEUE_MAX,
	.config_len = VIRTIO_BLK_CONFIG_LEN,
	.config_read = blk_config_read,
	.activate = blk_activate,
	.reset = blk_reset,
	.queue_notify = blk_queue_notify,
};

/* The default serial: the image's base name, cut to 20 bytes. */
static void set_serial(struct virtio_blk *b, const struct virtio_blk_params *p)
{
	const char *s = p->serial, *slash;

	if (!s) {
		slash = strrchr(p->path, '/');
		s = slash ? slash + 1 : p->path;
	}
	memset(b->serial, 0, sizeof(b->serial));
	memcpy(b->serial, s, strnlen(s, VIRTIO_BLK_ID_BYTES));
}

static void fill_config(struct virtio_blk *b)
{
	put_le(b->config + 0, b->file.size / VIRTIO_BLK_SECTOR, 8); /* capacity */
	put_le(b->config + 8, VIRTIO_BLK_SIZE_MAX, 4);
	put_le(b->config + 12, VIRTIO_BLK_SEG_MAX, 4);
	/* geometry (16..19) stays zero: not offered */
	put_le(b->config + 20, VIRTIO_BLK_SECTOR, 4); /* blk_size, not offered */
}

struct virtio_dev *virtio_blk_create(const struct guest_mem *mem,
				     const struct virtio_blk_params *p,
				     struct lerr *e)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	int r;

	if (!b) {
		lerr_fail(e, ENOMEM, "virtio-blk: out of memory");
		return NULL;
	}
	b->file.fd = -1;
	b->reqs = calloc(VIRTIO_BLK_QUEUE_MAX, sizeof(*b->reqs));
	if (!b->reqs) {
		lerr_fail(e, ENOMEM, "virtio-blk: out of memory");
		goto fail;
	}
	r = blk_file_open(&b->file, p->path, p->ro, e);
	if (r < 0)
		goto fail;
	set_serial(b, p);
	fill_config(b);
	b->ops = blk_ops_template;
	if (p->ro)
		b->ops.features |= 1ULL << VIRTIO_BLK_F_RO;
	r = blk_io_start(&b->io, b->file.fd, e);
	if (r < 0)
		goto fail;
	b->io_started = true;
	b->nowait = true;
	virtio_dev_init(&b->dev, &b->ops, b, mem);
	return &b->dev;
fail:
	blk_file_close(&b->file);
	free(b->reqs);
	free(b);
	return NULL;
}

void virtio_blk_destroy(struct virtio_dev *d)
{
	struct virtio_blk *b;

	if (!d)
		return;
	b = d->priv;
	if (b->io_started)
		blk_io_stop(&b->io);
	blk_file_close(&b->file);
	virtio_dev_destroy(d);
	free(b->reqs);
	free(b);
}

int virtio_blk_completion_fd(struct virtio_dev *d)
{
	struct virtio_blk *b = d->priv;

	return b->io.done_fd;
}

unsigned int virtio_blk_inflight(struct virtio_dev *d)
{
	struct virtio_blk *b = d->priv;

	return b->inflight;
}

uint64_t virtio_blk_capacity(struct virtio_dev *d)
{
	struct virtio_blk *b = d->priv;

	return b->file.size / VIRTIO_BLK_SECTOR;
}
