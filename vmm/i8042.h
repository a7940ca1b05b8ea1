/* i8042.h - the PS/2 controller, present only as the PC's reset line. */
#ifndef LIGHTER_VMM_I8042_H
#define LIGHTER_VMM_I8042_H

#include <stdint.h>

#include <lighter/error.h>

#include "io-bus.h"
#include "vcpu.h"

struct i8042 {
	struct io_dev dev;
	struct vcpus *vcpus;
	uint8_t ctr;         /* controller configuration byte */
	uint8_t pending_cmd; /* command waiting for its data byte, or 0 */
	uint8_t out;         /* output buffer */
	bool out_full;
};

int i8042_init(struct i8042 *k, struct io_bus *bus, struct vcpus *vcpus,
	       struct lerr *e);

#endif
