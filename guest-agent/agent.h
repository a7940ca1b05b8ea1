/* agent.h - internal interfaces between the boot pieces of lighter-agent,
 * the guest's PID 1: filesystems (mounts.c), the move off the initramfs
 * (reroot.c), lo (netif.c), the vsock endpoint (vsock.c), the VMM's
 * private I/O port (vmm-port.c), console and kernel-command-line helpers
 * (console.c) and the boot sequence that ties them together
 * (agent-main.c).  Serving the group is serve.h's.
 *
 * Functions follow the project's error contract (include/lighter/error.h):
 * they return 0 or a negative errno and fill a struct lerr; only
 * agent-main.c prints. */
#ifndef LIGHTER_AGENT_H
#define LIGHTER_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lighter/error.h>

/* Every console line the agent writes starts with this. */
#define AGENT_PREFIX "lighter-agent: "

/* mounts.c: mount proc on /proc, sysfs on /sys and devtmpfs on /dev
 * (EBUSY from an automounted devtmpfs is fine), creating the mount points
 * when the initramfs lacks them. */
int agent_mount_early(struct lerr *e);

/* mounts.c: tmpfs on /run and /tmp, cgroup2 on /sys/fs/cgroup (after
 * agent_reroot(), in the new root). */
int agent_mount_serve(struct lerr *e);

/* reroot.c: a tmpfs becomes the root (switch_root's way): /init and the
 * top directories copied or made there, /dev /proc /sys moved into it,
 * the tmpfs moved over / and chrooted into, so containers can pivot_root.
 * After agent_mount_early(). */
int agent_reroot(struct lerr *e);

/* netif.c: set IFF_UP on interface `name` (e.g. "lo"). */
int agent_netif_up(const char *name, struct lerr *e);

/* vsock.c: the VM's guest CID (3 or more); -ENODEV when there is no
 * virtio-vsock device (the kernel reports CID_ANY, or 1 from its loopback
 * transport), -errno when /dev/vsock cannot be asked. */
int agent_vsock_cid(uint32_t *cid, struct lerr *e);
/* vsock.c: a non-blocking, close-on-exec AF_VSOCK stream socket
 * listening on port for any CID: the fd, or -errno. */
int agent_vsock_listen(unsigned int port, struct lerr *e);

/* vmm-port.c: request access to GUEST_DEBUG_PORT once, then write single
 * bytes to it (GUEST_PORT_BOOT_READY, GUEST_PORT_POWEROFF). */
int vmm_port_open(struct lerr *e);
void vmm_port_write(unsigned char value);

/* console.c: make fds 0-2 point at /dev/console if the kernel could not
 * open it before /dev existed; print prefixed lines to stdout. */
void console_ensure_open(void);

/* console.c: wait (at most CONSOLE_DRAIN_TIMEOUT_S) until everything
 * written to the console has left the UART; before power off or panic. */
#define CONSOLE_DRAIN_TIMEOUT_S 10
void console_drain(void);
__attribute__((format(printf, 1, 2))) void agent_log(const char *fmt, ...);

/* console.c: true when the kernel command line holds the exact token
 * `word` (e.g. "lighter_test=panic").  Reads /proc/cmdline; false on any
 * error. */
bool cmdline_has_token(const char *word);

/* console.c: the value of the first `key=value` token of the kernel
 * command line, copied (bounded) to out; false when there is none. */
bool cmdline_value(const char *key, char *out, size_t outlen);

/* test-run.c: when the command line holds `lighter_run=/PATH`, run PATH
 * (no arguments; it reads its own parameters from /proc/cmdline), wait
 * for it and log "lighter-agent: /PATH exited with status N" (or "killed
 * by signal N").  Returns true when a program was run.  Used by the
 * end-to-end tests' guest-side probes. */
bool agent_run_test_program(void);

#endif
