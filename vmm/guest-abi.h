/* guest-abi.h - the few I/O ports through which a lighter guest talks to
 * lighter-vmm itself (as opposed to devices).  Shared with the guest agent;
 * it contains no KVM knowledge, only numbers both sides agree on. */
#ifndef LIGHTER_GUEST_ABI_H
#define LIGHTER_GUEST_ABI_H

/* Firecracker's historical boot-timer port: a one-byte write of
 * GUEST_PORT_BOOT_READY marks "guest userspace is up". */
#define GUEST_DEBUG_PORT 0x3f0
#define GUEST_PORT_BOOT_READY 123
/* The agent has synced filesystems and asks the VMM to power off (exit 0). */
#define GUEST_PORT_POWEROFF 124

#endif
