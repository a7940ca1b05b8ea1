/* serial.h - the console UART: a 16550A at COM1 (0x3f8, IRQ 4). */
#ifndef LIGHTER_VMM_SERIAL_H
#define LIGHTER_VMM_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include <lighter/error.h>

#include "io-bus.h"
#include "kvm-vm.h"

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_COM1_IRQ 4
#define SERIAL_RX_FIFO 16
#define SERIAL_LINE_MAX 256

struct serial {
	struct io_dev dev;
	struct io_dev absent; /* COM2..COM4: nothing there */
	const struct kvm_vm *vm;
	int out_fd; /* -1: output discarded (console off) */

	/* Registers. */
	uint8_t ier, lcr, mcr, msr, scr, dll, dlm, fcr;
	bool thre_pending; /* THR-empty interrupt not yet acknowledged */
	uint8_t rx[SERIAL_RX_FIFO]; /* loopback receive FIFO */
	unsigned int rx_head, rx_count;
	int irq_level; /* last level sent to KVM */

	/* Output: buffered per line, scanned for a kernel panic. */
	char line[SERIAL_LINE_MAX];
	unsigned int line_len;
	bool line_continued; /* current line began in a flushed chunk */
	char panic[SERIAL_LINE_MAX]; /* first panic line, "" if none */
};

/* Claim COM1 on bus (and COM2..COM4 as absent).  out_fd < 0 discards the
 * output (still scanned for panics); the fd stays the caller's. */
int serial_init(struct serial *s, struct io_bus *bus, const struct kvm_vm *vm,
		int out_fd, struct lerr *e);

/* Write out any partial line (call after the vCPUs have stopped). */
void serial_flush(struct serial *s);

/* "Kernel panic - not syncing: ..." as the guest printed it, or NULL. */
const char *serial_panic_line(const struct serial *s);

#endif
