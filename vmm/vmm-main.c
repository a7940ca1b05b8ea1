/* vmm-main.c - lighter-vmm: one microVM per process.
 *
 * Wires the pieces together in the order they depend on each other --
 * configuration, guest RAM, the KVM VM, the kernel and machine
 * description (boot.c), devices on the I/O bus, vCPUs -- then waits for
 * the VM to stop and turns the stop cause into the exit status:
 *
 *   0  the guest powered off or reset, or SIGINT/SIGTERM stopped the VM
 *   1  setup error (bad configuration, missing file, KVM unavailable)
 *   2  the guest died: triple fault, crash event, or a kernel panic seen
 *      on the console (reported as "guest panic: Kernel panic - ...")
 *   3  KVM internal error or VM-entry failure
 *   128+N  (--jail) the jailed VMM was killed by signal N; its supervisor
 *      says why (jail.c)
 *
 * Whatever happens, exactly one line prefixed "lighter-vmm: " on stderr
 * says why the process ended (plus the boot-timer line, if the guest
 * signals it).  Library code below fills struct lerr; only this file
 * prints. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lighter/error.h>

#include "boot.h"
#include "config.h"
#include "debug-port.h"
#include "device-loop.h"
#include "guest-mem.h"
#include "i8042.h"
#include "io-bus.h"
#include "jail.h"
#include "kvm-vm.h"
#include "seccomp-thread.h"
#include "serial.h"
#include "vcpu.h"
#include "virtio-bind.h"
#include "virtio-blk-loop.h"
#include "virtio-net.h"
#include "virtio-rng.h"
#include "virtio-vsock.h"

enum vmm_exit {
	VMM_EXIT_OK = 0,
	VMM_EXIT_SETUP = 1,
	VMM_EXIT_GUEST_FAULT = 2,
	VMM_EXIT_KVM_ERROR = 3,
};

struct vmm {
	struct vmm_config cfg;
	struct guest_mem mem;
	struct kvm_vm vm;
	struct io_bus bus;
	struct serial serial;
	struct i8042 i8042;
	struct debug_port debug_port;
	struct vcpus vcpus;
	struct device_loop loop;     /* the device thread */
	struct virtio_machine virtio;
	struct virtio_dev *rng;
	struct virtio_dev *vsock;
	struct virtio_dev *net;
	struct virtio_dev *blk[VMM_MAX_DRIVES];
	uv_poll_t blk_poll[VMM_MAX_DRIVES]; /* their I/O completions */
	struct boot_cpu_state bsp;
	int console_fd; /* owned when cfg.console == CONSOLE_FILE */
	bool have_vm, have_vcpus;
};

/* Static: struct vcpus is large, and there is one VM per process. */
static struct vmm vmm_state;

static int vmm_open_console(struct vmm *v, struct lerr *e)
{
	switch (v->cfg.console) {
	case CONSOLE_OFF:
		v->console_fd = -1;
		return 0;
	case CONSOLE_FILE:
		v->console_fd =
			open(v->cfg.console_path,
			     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		if (v->console_fd < 0)
			return lerr_set(e, errno, "console file \"%s\"",
					v->cfg.console_path);
		return 0;
	case CONSOLE_STDOUT:
	default:
		v->console_fd = STDOUT_FILENO;
		return 0;
	}
}

/* Put a freshly created device (NULL: its create failed and filled e) on
 * the machine. */
static int vmm_bind(struct vmm *v, struct virtio_dev *d, struct lerr *e)
{
	return d ? virtio_machine_add(&v->virtio, d, e) : -e->code;
}

/* virtio devices: each gets an MMIO window, an interrupt line and an
 * entry on the guest's command line (so this runs before boot_load). */
static int vmm_add_devices(struct vmm *v, struct lerr *e)
{
	int r;

	r = device_loop_init(&v->loop, e);
	if (r < 0)
		return r;
	virtio_machine_init(&v->virtio, &v->vm, &v->bus, &v->loop.loop);
	if (v->cfg.rng) {
		v->rng = virtio_rng_create(&v->mem);
		if (!v->rng)
			lerr_fail(e, ENOMEM, "virtio-rng: out of memory");
		r = vmm_bind(v, v->rng, e);
		if (r < 0)
			return r;
	}
	for (unsigned int i = 0; i < v->cfg.nr_drives; i++) {
		const struct vmm_drive *dr = &v->cfg.drives[i];
		struct virtio_blk_params p = { .path = dr->path, .ro = dr->ro,
					       .serial = dr->id };

		v->blk[i] = virtio_blk_create(&v->mem, &p, e);
		r = vmm_bind(v, v->blk[i], e);
		if (r == 0)
			r = virtio_blk_attach(v->blk[i], &v->loop.loop,
					      &v->blk_poll[i], e);
		if (r < 0)
			return r;
	}
	if (v->cfg.vsock_uds) {
		v->vsock = virtio_vsock_create(&v->mem, &v->loop.loop,
					       v->cfg.vsock_uds,
					       v->cfg.vsock_cid, e);
		r = vmm_bind(v, v->vsock, e);
		if (r < 0)
			return r;
	}
	if (v->cfg.net_tap) {
		struct tap tap;

		r = tap_open(&tap, v->cfg.net_tap, e);
		if (r < 0)
			return r;
		v->net = virtio_net_create(&v->mem, &v->loop.loop, &tap,
					   v->cfg.net_mac, e);
		r = vmm_bind(v, v->net, e);
		if (r < 0)
			return r;
	}
	if (!v->cfg.cmdline && !(v->cfg.cmdline = strdup("")))
		return lerr_fail(e, ENOMEM, "out of memory");
	r = virtio_machine_cmdline(&v->virtio, &v->cfg.cmdline);
	if (r < 0)
		return lerr_fail(e, -r, "kernel command line: no room for devices");
	return 0;
}

static int vmm_setup(struct vmm *v, const struct timespec *start,
		     struct lerr *e)
{
	struct boot_image img = {
		.kernel_path = v->cfg.kernel,
		.initrd_path = v->cfg.initrd,
		.nr_vcpus = v->cfg.vcpus,
		.protocol = v->cfg.protocol,
	};
	int r;

	r = guest_mem_init(&v->mem, v->cfg.mem_bytes, e);
	if (r < 0)
		return r;
	r = kvm_vm_create(&v->vm, &v->mem, e);
	if (r < 0)
		return r;
	v->have_vm = true;
	r = vmm_add_devices(v, e);
	if (r < 0)
		return r;
	img.cmdline = v->cfg.cmdline;
	r = boot_load(&v->mem, &img, &v->bsp, e);
	if (r < 0)
		return r;

	/* Fast mode (--console off) has no UART at all, as QEMU with
	 * isa-serial=off: the guest's 8250 probe finds nothing and its
	 * console output costs no exits.  A panic then shows as the triple
	 * fault that follows it. */
	r = vmm_open_console(v, e);
	if (r == 0 && v->cfg.console != CONSOLE_OFF)
		r = serial_init(&v->serial, &v->bus, &v->vm, v->console_fd, e);
	if (r == 0)
		r = i8042_init(&v->i8042, &v->bus, &v->vcpus, e);
	if (r == 0)
		r = debug_port_init(&v->debug_port, &v->bus, &v->vcpus, start,
				    e);
	if (r < 0)
		return r;

	v->have_vcpus = true;
	return vcpus_create(&v->vcpus, &v->vm, &v->bus, v->cfg.vcpus, &v->bsp,
			    e);
}

/* Sleep until the VM stops by itself or a signal asks us to stop it. */
static void vmm_wait(struct vmm *v, const sigset_t *waitset)
{
	for (;;) {
		int sig = sigwaitinfo(waitset, NULL);

		if (sig < 0)
			continue; /* EINTR from the no-op kick handler */
		if (sig == VM_STOPPED_SIGNAL) {
			if (vcpus_stopping(&v->vcpus))
				return;
			continue; /* stray, not from us */
		}
		vcpus_stop(&v->vcpus, VM_STOP_SIGNAL, "stopped by %s",
			   sig == SIGINT ? "SIGINT" : "SIGTERM");
		return;
	}
}

/* The exit status for the recorded stop, and its one-line reason. */
static int vmm_exit_status(struct vmm *v, char *line, size_t n)
{
	const char *panic = serial_panic_line(&v->serial);
	enum vm_stop_cause cause = v->vcpus.cause;

	/* A panicking kernel goes down by triple fault (reboot=t), reset
	 * (reboot=k) or waits for a signal (panic=0): whichever way, the
	 * panic is the reason worth reporting.  A KVM error keeps its own
	 * status and message: it is not the guest's doing. */
	if (panic && cause != VM_STOP_KVM_ERROR) {
		snprintf(line, n, "guest panic: %s", panic);
		return VMM_EXIT_GUEST_FAULT;
	}
	snprintf(line, n, "%s", v->vcpus.reason);
	if (cause == VM_STOP_SIGNAL)
		vcpus_describe_stop(&v->vcpus, line, n);
	switch (cause) {
	case VM_STOP_POWEROFF:
	case VM_STOP_RESET:
	case VM_STOP_SIGNAL:
		return VMM_EXIT_OK;
	case VM_STOP_TRIPLE_FAULT:
	case VM_STOP_CRASH:
		return VMM_EXIT_GUEST_FAULT;
	case VM_STOP_KVM_ERROR:
		return VMM_EXIT_KVM_ERROR;
	case VM_STOP_NONE:
	default:
		snprintf(line, n, "VM stopped for no recorded reason");
		return VMM_EXIT_KVM_ERROR;
	}
}

static void vmm_teardown(struct vmm *v)
{
	device_loop_stop(&v->loop);
	device_loop_close(&v->loop);
	virtio_machine_free(&v->virtio);
	virtio_rng_destroy(v->rng);
	virtio_vsock_destroy(v->vsock); /* after device_loop_close */
	virtio_net_destroy(v->net);     /* after device_loop_close */
	for (unsigned int i = 0; i < VMM_MAX_DRIVES; i++)
		virtio_blk_destroy(v->blk[i]); /* after device_loop_close */
	if (v->have_vcpus)
		vcpus_destroy(&v->vcpus);
	if (v->have_vm)
		kvm_vm_destroy(&v->vm);
	io_bus_free(&v->bus);
	if (v->cfg.console == CONSOLE_FILE && v->console_fd >= 0)
		close(v->console_fd);
	guest_mem_free(&v->mem);
	vmm_config_free(&v->cfg);
}

/* The supervisor's end of --jail: the jailed VMM is gone (jail.c). */
static int vmm_jail_exit(struct vmm *v, const struct jail_exit *jx)
{
	if (jx->line[0])
		fprintf(stderr, "lighter-vmm: %s\n", jx->line);
	if (jx->cleanup[0])
		fprintf(stderr, "lighter-vmm: %s\n", jx->cleanup);
	vmm_config_free(&v->cfg);
	return jx->status;
}

int main(int argc, char **argv)
{
	struct timespec start;
	struct vmm *v = &vmm_state;
	struct lerr e = { 0 };
	char reason[sizeof(v->vcpus.reason) + SERIAL_LINE_MAX];
	sigset_t waitset;
	int r, status;

	/* First thing: the boot timer measures from here. */
	clock_gettime(CLOCK_MONOTONIC, &start);

	/* SIGINT/SIGTERM and our own "VM stopped" signal are taken with
	 * sigwaitinfo() by this thread only; blocking them before any
	 * thread exists keeps them away from vCPU threads. A console that
	 * went away must not kill the VMM. */
	sigemptyset(&waitset);
	sigaddset(&waitset, SIGINT);
	sigaddset(&waitset, SIGTERM);
	sigaddset(&waitset, VM_STOPPED_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &waitset, NULL);
	signal(SIGPIPE, SIG_IGN);

	v->console_fd = -1;
	io_bus_init(&v->bus);
	r = vmm_config_parse(&v->cfg, argc, argv, &e);
	if (r == 1) {
		vmm_config_free(&v->cfg);
		return VMM_EXIT_OK;
	}
	if (r == 0 && v->cfg.jail.enabled) {
		struct jail_exit jx;

		/* before anything is opened (jail.c says why) */
		r = jail_enter(&v->cfg, &jx, &e);
		if (r == 1)
			return vmm_jail_exit(v, &jx);
	}
	/* Before the first thread (block workers start in vmm_setup): each
	 * thread loads its seccomp filter as it starts, this one once the
	 * others exist (seccomp-thread.h). */
	if (r == 0)
		r = vmm_seccomp_setup(v->cfg.seccomp, &e);
	if (r == 0)
		r = vmm_setup(v, &start, &e);
	if (r == 0)
		r = device_loop_start(&v->loop, &e);
	if (r == 0)
		r = vcpus_start(&v->vcpus, &e);
	if (r == 0)
		seccomp_thread_enter(SECCOMP_ROLE_MAIN);
	if (r < 0) {
		if (v->have_vcpus)
			vcpus_join(&v->vcpus);
		fprintf(stderr, "lighter-vmm: %s\n",
			e.msg[0] ? e.msg : strerror(-r));
		vmm_teardown(v);
		return VMM_EXIT_SETUP;
	}

	vmm_wait(v, &waitset);
	vcpus_join(&v->vcpus);
	device_loop_stop(&v->loop);
	if (v->cfg.console != CONSOLE_OFF)
		serial_flush(&v->serial);
	status = vmm_exit_status(v, reason, sizeof(reason));
	fprintf(stderr, "lighter-vmm: %s\n", reason);
	vmm_teardown(v);
	return status;
}
