/* virtio-blk-io.h - the block device's backend: a raw image file and a
 * small pool of worker threads that run preadv/pwritev/fdatasync on it.
 *
 * Requests are submitted from the device thread and never block it; a
 * worker takes one, does the system call straight into (or out of) guest
 * memory, which stays mapped for the VM's lifetime, and puts it on a done
 * list whose eventfd the device thread polls.  Why threads and not
 * io_uring: io_uring is missing from some kernels and is commonly refused
 * by container seccomp profiles (Docker's default since 2023), and its
 * ring setup does not fit the per-thread allowlist the jail will install;
 * a thread pool needs only preadv/pwritev/fdatasync/futex/write (and
 * preadv2 on the device thread for RWF_NOWAIT reads). */
#ifndef LIGHTER_VMM_VIRTIO_BLK_IO_H
#define LIGHTER_VMM_VIRTIO_BLK_IO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <lighter/error.h>

/* Workers per drive: enough to keep a few requests in flight on the host
 * (QEMU's aio=threads pool grows to 64; a microVM disk needs far less). */
#define BLK_IO_THREADS 4

struct blk_file {
	int fd;
	bool ro;
	uint64_t size; /* bytes, a non-zero multiple of 512 */
};

/* Open a raw image: read-only or read-write, a regular file or a block
 * device, non-empty, a whole number of 512-byte sectors.  A read-write
 * image is locked exclusively (flock), a read-only one shared, so two
 * VMMs cannot write one disk.  Messages name the file. */
int blk_file_open(struct blk_file *f, const char *path, bool ro,
		  struct lerr *e);
void blk_file_close(struct blk_file *f);

enum blk_io_op {
	BLK_IO_READ,
	BLK_IO_WRITE,
	BLK_IO_FLUSH,
};

struct blk_io_req {
	struct blk_io_req *next;  /* list link, owned by whoever holds it */
	enum blk_io_op op;
	bool sync;                /* write-through: fdatasync after a write */
	uint64_t offset;          /* bytes */
	struct iovec *iov;        /* consumed (advanced) by the worker */
	unsigned int iovcnt;
	int result;               /* 0 or -errno, set by the worker */
};

struct blk_io {
	int fd;                   /* the image, not owned */
	int done_fd;              /* eventfd: the done list is non-empty */
	pthread_mutex_t lock;     /* guards the lists and `stopping` */
	pthread_cond_t wake;
	struct blk_io_req *queued, **queued_tail;
	struct blk_io_req *done, **done_tail;
	bool stopping;
	unsigned int nr_threads;
	pthread_t thread[BLK_IO_THREADS];
};

/* Start the workers on fd. */
int blk_io_start(struct blk_io *io, int fd, struct lerr *e);

/* Queue r; a worker runs it and moves it to the done list. */
void blk_io_submit(struct blk_io *io, struct blk_io_req *r);

/* Take every finished request (oldest first), NULL if none; clears the
 * eventfd.  Device thread only. */
struct blk_io_req *blk_io_reap(struct blk_io *io);

/* Let the workers finish what they hold, then join them and close the
 * eventfd.  Requests still queued are dropped (the VM is going away). */
void blk_io_stop(struct blk_io *io);

/* Try a read on the calling thread without waiting for the disk
 * (preadv2 RWF_NOWAIT: served from the page cache or not at all).
 * 1: all read; 0: not all (r now describes the rest, for a worker);
 * -EOPNOTSUPP: the file cannot do it (do not try again). */
int blk_io_read_nowait(int fd, struct blk_io_req *r);

/* Run one request synchronously on the calling thread (what a worker does). */
int blk_io_run(int fd, struct blk_io_req *r);

#endif
