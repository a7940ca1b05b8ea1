/* virtq.c - device-side split virtqueue: ring resolution, hostile-safe
 * chain walking (direct and indirect), used-ring updates and the
 * EVENT_IDX interrupt/notification suppression rules of virtio 1.x. */
#include <string.h>

#include "virtq.h"

#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));

struct vavail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* size entries, then used_event */
};

struct vused_elem {
	uint32_t id;
	uint32_t len;
};

struct vused {
	uint16_t flags;
	uint16_t idx;
	struct vused_elem ring[]; /* size entries, then avail_event */
};

_Static_assert(sizeof(struct vdesc) == 16, "descriptor layout");

static uint64_t avail_bytes(uint16_t size)
{
	return 6 + 2ULL * size;
}

static uint64_t used_bytes(uint16_t size)
{
	return 6 + 8ULL * size;
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

int virtq_activate(struct virtq *q, const struct guest_mem *mem)
{
	if (q->size == 0 || q->size > VIRTQ_SIZE_MAX ||
	    (q->size & (q->size - 1)))
		return -EINVAL;
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
		return -EINVAL;
	q->desc = guest_mem_ptr(mem, q->desc_gpa, 16ULL * q->size);
	q->avail = guest_mem_ptr(mem, q->avail_gpa, avail_bytes(q->size));
	q->used = guest_mem_ptr(mem, q->used_gpa, used_bytes(q->size));
	if (!q->desc || !q->avail || !q->used) {
		q->desc = q->avail = q->used = NULL;
		return -EFAULT;
	}
	q->mem = mem;
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_valid = false;
	q->broken = false;
	q->ready = true;
	return 0;
}

static int broken(struct virtq *q)
{
	q->broken = true;
	return -EIO;
}

/* Read one descriptor once: the guest may rewrite it under our feet, so
 * every decision below is taken on this private copy. */
static struct vdesc desc_load(const volatile struct vdesc *table, uint16_t i)
{
	struct vdesc d;

	d.addr = table[i].addr;
	d.len = table[i].len;
	d.flags = table[i].flags;
	d.next = table[i].next;
	return d;
}

static int chain_add(struct virtq *q, struct virtq_chain *c,
		     const struct vdesc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	uint32_t *total = writable ? &c->writable_len : &c->readable_len;
	uint8_t *host;

	if (c->nr >= VIRTQ_CHAIN_MAX || d->len == 0)
		return broken(q);
	/* virtio 1.x 2.7.4.2: device-writable buffers follow readable ones */
	if (!writable && c->writable_len)
		return broken(q);
	if (__builtin_add_overflow(*total, d->len, total) ||
	    (uint64_t)c->readable_len + c->writable_len > VIRTQ_CHAIN_BYTES_MAX)
		return broken(q);
	host = guest_mem_ptr(q->mem, d->addr, d->len);
	if (!host)
		return broken(q);
	c->buf[c->nr++] = (struct virtq_buf){ host, d->len, writable };
	return 0;
}

/* Walk the chain starting at `head` through the main table and at most one
 * indirect table.  Each table can be visited at most once per entry, which
 * bounds descriptor loops. */
static int chain_walk(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
	const volatile struct vdesc *table = q->desc;
	uint32_t table_size = q->size, visited = 0;
	bool in_indirect = false;
	uint16_t i = head;
	int r;

	for (;;) {
		struct vdesc d = desc_load(table, i);

		if (++visited > table_size)
			return broken(q);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* 2.7.5.3.1: no nesting, no NEXT alongside INDIRECT */
			if (!q->indirect || in_indirect ||
			    (d.flags & VIRTQ_DESC_F_NEXT))
				return broken(q);
			if (d.len == 0 || d.len % 16 ||
			    d.len / 16 > VIRTQ_CHAIN_MAX)
				return broken(q);
			table = guest_mem_ptr(q->mem, d.addr, d.len);
			if (!table)
				return broken(q);
			table_size = d.len / 16;
			visited = 0;
			in_indirect = true;
			i = 0;
			continue;
		}
		r = chain_add(q, c, &d);
		if (r)
			return r;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= table_size)
			return broken(q);
		i = d.next;
	}
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	struct vavail *avail = q->avail;
	uint16_t avail_idx, head;
	int r;

	if (!q->ready || q->broken)
		return q->broken ? -EIO : 0;
	avail_idx = __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == q->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - q->last_avail) > q->size)
		return broken(q);
	head = __atomic_load_n(&avail->ring[q->last_avail % q->size],
			       __ATOMIC_RELAXED);
	if (head >= q->size)
		return broken(q);
	c->head = head;
	c->nr = 0;
	c->readable_len = 0;
	c->writable_len = 0;
	r = chain_walk(q, head, c);
	if (r)
		return r;
	if (c->readable_len == 0 && c->writable_len == 0)
		return broken(q);
	q->last_avail++;
	return 1;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	struct vused *used = q->used;

	if (!q->ready || head >= q->size)
		return -EINVAL;
	used->ring[q->used_idx % q->size] = (struct vused_elem){ head, written };
	q->used_idx++;
	__atomic_store_n(&used->idx, q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

bool virtq_needs_interrupt(struct virtq *q)
{
	struct vavail *avail = q->avail;
	uint16_t old = q->signalled_used, now = q->used_idx, used_event;
	bool valid = q->signalled_valid;

	if (!q->ready)
		return false;
	/* order our used->idx store before reading the driver's wishes */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled_used = now;
	q->signalled_valid = true;
	if (valid && old == now)
		return false;
	if (!q->event_idx)
		return !(__atomic_load_n(&avail->flags, __ATOMIC_RELAXED) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	used_event = __atomic_load_n(&avail->ring[q->size], __ATOMIC_RELAXED);
	/* vring_need_event(): did `now` step past used_event since `old`? */
	return (uint16_t)(now - used_event - 1) < (uint16_t)(now - old);
}

bool virtq_enable_notify(struct virtq *q, bool enable)
{
	struct vavail *avail = q->avail;
	struct vused *used = q->used;
	uint16_t *avail_event;

	if (!q->ready || q->broken)
		return false;
	if (q->event_idx) {
		if (!enable)
			return false;
		avail_event = (uint16_t *)&used->ring[q->size];
		__atomic_store_n(avail_event, q->last_avail, __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&used->flags,
				 enable ? 0 : VRING_USED_F_NO_NOTIFY,
				 __ATOMIC_RELAXED);
	}
	if (!enable)
		return false;
	/* publish the wish before re-checking for buffers that raced it */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE) != q->last_avail;
}

/* Copy between a flat offset range and the chain's readable (or writable)
 * buffers, in order. */
static uint32_t chain_copy(const struct virtq_chain *c, bool writable,
			   uint32_t off, void *flat, uint32_t len, bool to_chain)
{
	uint32_t done = 0;

	for (unsigned int i = 0; i < c->nr && done < len; i++) {
		const struct virtq_buf *b = &c->buf[i];
		uint32_t n;

		if (b->writable != writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = b->len - off;
		if (n > len - done)
			n = len - done;
		if (to_chain)
			memcpy(b->host + off, (uint8_t *)flat + done, n);
		else
			memcpy((uint8_t *)flat + done, b->host + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint32_t virtq_chain_read(const struct virtq_chain *c, uint32_t off, void *dst,
			  uint32_t len)
{
	return chain_copy(c, false, off, dst, len, false);
}

uint32_t virtq_chain_write(const struct virtq_chain *c, uint32_t off,
			   const void *src, uint32_t len)
{
	return chain_copy(c, true, off, (void *)src, len, true);
}

int virtq_chain_iov(const struct virtq_chain *c, bool writable, uint32_t off,
		    uint32_t len, struct iovec *iov, unsigned int max_iov)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->nr && len; i++) {
		const struct virtq_buf *b = &c->buf[i];
		uint32_t take;

		if (b->writable != writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		if (n == max_iov)
			return -E2BIG;
		take = b->len - off < len ? b->len - off : len;
		iov[n++] = (struct iovec){ b->host + off, take };
		len -= take;
		off = 0;
	}
	return (int)n;
}
