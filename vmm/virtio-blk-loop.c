/* virtio-blk-loop.c - puts a block device's I/O completions on the device
 * thread: a libuv poll on its completion eventfd that hands finished
 * requests back to the driver from the loop, like a queue kick. */
#include "virtio-blk-loop.h"

static void on_blk_done(uv_poll_t *p, int status, int events)
{
	if (status < 0)
		return;
	virtio_blk_run_completions(p->data);
}

int virtio_blk_attach(struct virtio_dev *d, uv_loop_t *loop, uv_poll_t *poll,
		      struct lerr *e)
{
	int r = uv_poll_init(loop, poll, virtio_blk_completion_fd(d));

	if (r == 0) {
		poll->data = d;
		r = uv_poll_start(poll, UV_READABLE, on_blk_done);
	}
	if (r < 0)
		return lerr_fail(e, -r, "virtio-blk: completion poll: %s",
				 uv_strerror(r));
	return 0;
}
