/* debug-port.h - the guest-to-VMM port of guest-abi.h: boot timer and
 * power off. */
#ifndef LIGHTER_VMM_DEBUG_PORT_H
#define LIGHTER_VMM_DEBUG_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <lighter/error.h>

#include "io-bus.h"
#include "vcpu.h"

struct debug_port {
	struct io_dev dev;
	struct vcpus *vcpus;
	struct timespec start;   /* taken first thing in main() */
	bool boot_timer_seen;
	uint64_t boot_us;        /* start -> GUEST_PORT_BOOT_READY */
};

int debug_port_init(struct debug_port *d, struct io_bus *bus,
		    struct vcpus *vcpus, const struct timespec *start,
		    struct lerr *e);

#endif
