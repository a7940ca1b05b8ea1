/* vmm-port.c - the agent's side of vmm/guest-abi.h: one-byte writes to
 * GUEST_DEBUG_PORT that tell lighter-vmm "userspace is up" (the boot timer)
 * and "filesystems are synced, power off".  Under a VMM without the port
 * (QEMU) the write is ignored or lands on an isa-debugcon chardev. */
#include <errno.h>
#include <stdbool.h>
#include <sys/io.h>

#include "agent.h"
#include "guest-abi.h"

static bool port_ok;

int vmm_port_open(struct lerr *e)
{
	if (ioperm(GUEST_DEBUG_PORT, 1, 1) < 0)
		return lerr_set(e, errno, "ioperm port 0x%x", GUEST_DEBUG_PORT);
	port_ok = true;
	return 0;
}

void vmm_port_write(unsigned char value)
{
	/* Without ioperm the outb would raise SIGSEGV and kill PID 1. */
	if (port_ok)
		outb(value, GUEST_DEBUG_PORT);
}
