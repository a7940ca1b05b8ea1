/* vcpu.h - vCPUs, their KVM_RUN threads, and how the VM stops.
 *
 * Every vCPU runs KVM_RUN on its own thread and hands port-I/O and MMIO
 * exits to the I/O bus.  The first terminal event -- a device asking for
 * power off or reset, a triple fault, a KVM error, a signal -- records the
 * stop cause and a one-line reason; later ones are ignored.  Stopping
 * kicks every other vCPU out of KVM_RUN (kvm_run->immediate_exit plus
 * VCPU_KICK_SIGNAL) and sends VM_STOPPED_SIGNAL to the thread that started
 * the vCPUs, which then joins them. */
#ifndef LIGHTER_VMM_VCPU_H
#define LIGHTER_VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include <lighter/error.h>

#include "boot.h"
#include "config.h"
#include "io-bus.h"
#include "kvm-vm.h"

/* Interrupts a vCPU thread's KVM_RUN; its handler does nothing. */
#define VCPU_KICK_SIGNAL SIGUSR1
/* Tells the controlling thread (blocked in sigwait) that the VM stopped. */
#define VM_STOPPED_SIGNAL SIGUSR2

enum vm_stop_cause {
	VM_STOP_NONE = 0,
	VM_STOP_POWEROFF,     /* guest powered off (debug port, ACPI-less) */
	VM_STOP_RESET,        /* guest asked for a reset (i8042, KVM event) */
	VM_STOP_SIGNAL,       /* SIGINT/SIGTERM on the VMM */
	VM_STOP_TRIPLE_FAULT, /* KVM_EXIT_SHUTDOWN */
	VM_STOP_CRASH,        /* KVM_SYSTEM_EVENT_CRASH (pvpanic-like) */
	VM_STOP_KVM_ERROR,    /* internal error, entry failure, bad exit */
};

struct vcpus;

struct vcpu {
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct vcpus *set;
	bool have_stop_rip; /* stopped by a signal: where it was */
	unsigned long long stop_rip;
};

struct vcpus {
	struct kvm_vm *vm;
	struct io_bus *bus;
	unsigned int nr;
	struct vcpu cpu[VMM_MAX_VCPUS];
	pthread_t controller; /* receives VM_STOPPED_SIGNAL */

	pthread_mutex_t stop_lock;
	bool stopping; /* atomic; set once */
	enum vm_stop_cause cause;
	char reason[256];
};

/* Create nr vCPUs with CPUID, MSRs, FPU and LAPIC set up; vCPU 0 gets the
 * boot state, the others wait for INIT/SIPI in the in-kernel LAPIC.
 * Call vcpus_destroy() even on failure. */
int vcpus_create(struct vcpus *vs, struct kvm_vm *vm, struct io_bus *bus,
		 unsigned int nr, const struct boot_cpu_state *bsp,
		 struct lerr *e);

/* Start one thread per vCPU.  The caller should block VM_STOPPED_SIGNAL
 * (and any signal it sigwaits for) beforehand; the kick handler is
 * installed here. On failure the VM is stopped and the started threads
 * must still be joined with vcpus_join(). */
int vcpus_start(struct vcpus *vs, struct lerr *e);

/* Record the stop (first caller wins) and kick every vCPU. Any thread. */
__attribute__((format(printf, 3, 4))) void
vcpus_stop(struct vcpus *vs, enum vm_stop_cause cause, const char *fmt, ...);

bool vcpus_stopping(struct vcpus *vs);

void vcpus_join(struct vcpus *vs);

/* After vcpus_join() of a VM stopped by a signal: append "; vCPU N at rip
 * 0x..." for each vCPU to the line in buf (size n), so a hung guest's
 * stop says where it hung.  Nothing for other stops. */
void vcpus_describe_stop(const struct vcpus *vs, char *buf, size_t n);

/* Unmap and close every vCPU (threads must be joined). */
void vcpus_destroy(struct vcpus *vs);

#endif
