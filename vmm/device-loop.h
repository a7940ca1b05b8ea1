/* device-loop.h - the VMM's device thread: one libuv loop on which every
 * device model does its work (queue kicks, host sockets, TAP, I/O
 * completions), so vCPU threads only ever touch registers. */
#ifndef LIGHTER_VMM_DEVICE_LOOP_H
#define LIGHTER_VMM_DEVICE_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <uv.h>

#include <lighter/error.h>

struct device_loop {
	uv_loop_t loop;
	uv_async_t stop;   /* wakes the loop to end it */
	pthread_t thread;
	bool initialised, running;
};

int device_loop_init(struct device_loop *dl, struct lerr *e);

/* Run the loop on its own thread (inherits the caller's signal mask). */
int device_loop_start(struct device_loop *dl, struct lerr *e);

/* Stop the loop thread and join it; safe when it never started. */
void device_loop_stop(struct device_loop *dl);

/* Close every handle still open and the loop itself (after stop). */
void device_loop_close(struct device_loop *dl);

#endif
