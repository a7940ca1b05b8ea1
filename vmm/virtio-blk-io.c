/* virtio-blk-io.c - raw image files and the worker threads that read,
 * write and flush them on behalf of the block device (see the header for
 * why threads).  Short reads and writes are resumed; EINTR is retried;
 * reading past the end of a file that shrank under us is an I/O error. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "seccomp-thread.h"
#include "virtio-blk-io.h"

int blk_file_open(struct blk_file *f, const char *path, bool ro,
		  struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	off_t end;

	f->fd = -1;
	fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return lerr_set(e, errno, "drive \"%s\"", path);
	if (fstat(fd, &st) < 0)
		return lerr_set(e, errno, "drive \"%s\"", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return lerr_fail(e, EINVAL,
				 "drive \"%s\": not a regular file or block device",
				 path);
	/* lseek works for block devices too, where st_size is 0 */
	end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return lerr_set(e, errno, "drive \"%s\": size", path);
	if (end == 0)
		return lerr_fail(e, EINVAL, "drive \"%s\" is empty", path);
	if (end % 512)
		return lerr_fail(e, EINVAL,
				 "drive \"%s\": size %lld is not a multiple of 512 bytes (the virtio-blk sector)",
				 path, (long long)end);
	if (flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return lerr_fail(e, EBUSY,
					 "drive \"%s\" is in use (locked by another VM or drive%s)",
					 path, ro ? " writing it" : "");
		return lerr_set(e, errno, "drive \"%s\": flock", path);
	}
	f->fd = TAKE_FD(fd);
	f->ro = ro;
	f->size = (uint64_t)end;
	return 0;
}

void blk_file_close(struct blk_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* Step past n bytes already transferred. */
static void iov_advance(struct iovec **iov, unsigned int *cnt, size_t n)
{
	while (*cnt && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt && n) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

static int rw_all(int fd, struct blk_io_req *r)
{
	struct iovec *iov = r->iov;
	unsigned int cnt = r->iovcnt;
	uint64_t off = r->offset;

	while (cnt) {
		ssize_t n = r->op == BLK_IO_READ ?
				    preadv(fd, iov, (int)cnt, (off_t)off) :
				    pwritev(fd, iov, (int)cnt, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file shrank under the guest */
		off += (uint64_t)n;
		iov_advance(&iov, &cnt, (size_t)n);
	}
	return 0;
}

int blk_io_read_nowait(int fd, struct blk_io_req *r)
{
	ssize_t n = preadv2(fd, r->iov, (int)r->iovcnt, (off_t)r->offset,
			    RWF_NOWAIT);

	if (n < 0)
		return errno == EOPNOTSUPP ? -EOPNOTSUPP : 0;
	r->offset += (uint64_t)n;
	iov_advance(&r->iov, &r->iovcnt, (size_t)n);
	return r->iovcnt == 0;
}

static int sync_data(int fd)
{
	while (fdatasync(fd) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int blk_io_run(int fd, struct blk_io_req *r)
{
	int ret;

	switch (r->op) {
	case BLK_IO_READ:
		return rw_all(fd, r);
	case BLK_IO_WRITE:
		ret = rw_all(fd, r);
		if (ret == 0 && r->sync)
			ret = sync_data(fd);
		return ret;
	case BLK_IO_FLUSH:
		return sync_data(fd);
	default:
		return -EINVAL;
	}
}

static void *worker(void *arg)
{
	struct blk_io *io = arg;
	struct blk_io_req *r;
	uint64_t one = 1;

	seccomp_thread_enter(SECCOMP_ROLE_BLK);
	pthread_mutex_lock(&io->lock);
	for (;;) {
		while (!io->queued && !io->stopping)
			pthread_cond_wait(&io->wake, &io->lock);
		if (io->stopping)
			break;
		r = io->queued;
		io->queued = r->next;
		if (!io->queued)
			io->queued_tail = &io->queued;
		pthread_mutex_unlock(&io->lock);

		r->result = blk_io_run(io->fd, r);

		pthread_mutex_lock(&io->lock);
		r->next = NULL;
		*io->done_tail = r;
		io->done_tail = &r->next;
		/* an eventfd write cannot fail short of a full counter, which
		 * still wakes the device thread */
		if (write(io->done_fd, &one, sizeof(one)) < 0)
			(void)0;
	}
	pthread_mutex_unlock(&io->lock);
	return NULL;
}

int blk_io_start(struct blk_io *io, int fd, struct lerr *e)
{
	int r;

	memset(io, 0, sizeof(*io));
	io->fd = fd;
	io->queued_tail = &io->queued;
	io->done_tail = &io->done;
	io->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->done_fd < 0)
		return lerr_set(e, errno, "virtio-blk: eventfd");
	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->wake, NULL);
	for (unsigned int i = 0; i < BLK_IO_THREADS; i++) {
		r = pthread_create(&io->thread[i], NULL, worker, io);
		if (r) {
			blk_io_stop(io);
			return lerr_set(e, r, "virtio-blk: I/O thread");
		}
		io->nr_threads = i + 1;
	}
	return 0;
}

void blk_io_submit(struct blk_io *io, struct blk_io_req *r)
{
	r->next = NULL;
	pthread_mutex_lock(&io->lock);
	*io->queued_tail = r;
	io->queued_tail = &r->next;
	pthread_cond_signal(&io->wake);
	pthread_mutex_unlock(&io->lock);
}

struct blk_io_req *blk_io_reap(struct blk_io *io)
{
	struct blk_io_req *list;
	uint64_t n;

	/* read first: a completion racing us re-arms the eventfd */
	if (read(io->done_fd, &n, sizeof(n)) < 0)
		(void)0; /* EAGAIN: nothing signalled, the list may still hold some */
	pthread_mutex_lock(&io->lock);
	list = io->done;
	io->done = NULL;
	io->done_tail = &io->done;
	pthread_mutex_unlock(&io->lock);
	return list;
}

void blk_io_stop(struct blk_io *io)
{
	if (io->done_fd < 0 && !io->nr_threads)
		return;
	pthread_mutex_lock(&io->lock);
	io->stopping = true;
	pthread_cond_broadcast(&io->wake);
	pthread_mutex_unlock(&io->lock);
	for (unsigned int i = 0; i < io->nr_threads; i++)
		pthread_join(io->thread[i], NULL);
	io->nr_threads = 0;
	if (io->done_fd >= 0)
		close(io->done_fd);
	io->done_fd = -1;
	pthread_mutex_destroy(&io->lock);
	pthread_cond_destroy(&io->wake);
}
