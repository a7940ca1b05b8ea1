/* device-loop.c - the device thread: a libuv loop kept alive by an async
 * handle until device_loop_stop() wakes and ends it. */
#include <errno.h>

#include "device-loop.h"
#include "seccomp-thread.h"

static void on_stop(uv_async_t *a)
{
	uv_stop(a->loop);
}

int device_loop_init(struct device_loop *dl, struct lerr *e)
{
	int r = uv_loop_init(&dl->loop);

	if (r < 0)
		return lerr_fail(e, -r, "device loop: %s", uv_strerror(r));
	r = uv_async_init(&dl->loop, &dl->stop, on_stop);
	if (r < 0) {
		uv_loop_close(&dl->loop);
		return lerr_fail(e, -r, "device loop: %s", uv_strerror(r));
	}
	dl->initialised = true;
	return 0;
}

static void *loop_thread(void *arg)
{
	struct device_loop *dl = arg;

	seccomp_thread_enter(SECCOMP_ROLE_DEVICE);
	uv_run(&dl->loop, UV_RUN_DEFAULT);
	return NULL;
}

int device_loop_start(struct device_loop *dl, struct lerr *e)
{
	int r = pthread_create(&dl->thread, NULL, loop_thread, dl);

	if (r)
		return lerr_set(e, r, "device thread");
	dl->running = true;
	return 0;
}

void device_loop_stop(struct device_loop *dl)
{
	if (!dl->running)
		return;
	uv_async_send(&dl->stop);
	pthread_join(dl->thread, NULL);
	dl->running = false;
}

static void close_handle(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void device_loop_close(struct device_loop *dl)
{
	if (!dl->initialised)
		return;
	uv_walk(&dl->loop, close_handle, NULL);
	uv_run(&dl->loop, UV_RUN_DEFAULT);
	uv_loop_close(&dl->loop);
	dl->initialised = false;
}
