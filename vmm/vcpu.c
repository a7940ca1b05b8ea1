/* vcpu.c - vCPU creation, initial state and the KVM_RUN loop.
 *
 * Owns the vCPU fds, their kvm_run mappings and threads, and the VM's
 * stop protocol (first terminal event wins; see vcpu.h).  The initial
 * state is what firmware would leave behind: CPUID from cpuid.c, boot
 * MSRs, a reset FPU, the LAPIC's LINT0/LINT1 wired as on a PC, and for
 * vCPU 0 the registers chosen by boot_load().  Application processors
 * stay in KVM's wait-for-SIPI state until the guest's in-kernel LAPIC
 * delivers INIT/SIPI, so they need nothing else. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "cpuid.h"
#include "seccomp-thread.h"
#include "vcpu.h"

/* MSR numbers (asm/msr-index.h is not exported to userspace). */
#define MSR_IA32_TSC 0x00000010
#define MSR_IA32_SYSENTER_CS 0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176
#define MSR_IA32_MISC_ENABLE 0x000001a0
#define MSR_MTRR_DEF_TYPE 0x000002ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRING (1ULL << 0)
#define MTRR_DEF_TYPE_ENABLE (1ULL << 11)
#define MTRR_TYPE_WRBACK 6ULL

/* LAPIC register offsets and LVT delivery modes. */
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

#define VCPU_THREAD_STACK (256u << 10)

static const struct {
	uint32_t index;
	uint64_t data;
} boot_msrs[] = {
	/* No SYSENTER/SYSCALL until the guest kernel sets them up. */
	{ MSR_IA32_SYSENTER_CS, 0 },
	{ MSR_IA32_SYSENTER_ESP, 0 },
	{ MSR_IA32_SYSENTER_EIP, 0 },
	{ MSR_STAR, 0 },
	{ MSR_CSTAR, 0 },
	{ MSR_KERNEL_GS_BASE, 0 },
	{ MSR_SYSCALL_MASK, 0 },
	{ MSR_LSTAR, 0 },
	/* Every vCPU starts its TSC at 0 together; KVM keeps them in sync. */
	{ MSR_IA32_TSC, 0 },
	/* Firmware enables fast string operations; Linux expects it. */
	{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
	/* Firmware leaves MTRRs enabled with write-back as the default type;
	 * with MTRRs off Linux would map all RAM uncached-minus. */
	{ MSR_MTRR_DEF_TYPE, MTRR_DEF_TYPE_ENABLE | MTRR_TYPE_WRBACK },
};

#define NR_BOOT_MSRS (sizeof(boot_msrs) / sizeof(boot_msrs[0]))

static int vcpu_set_msrs(struct vcpu *c, struct lerr *e)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry ent[NR_BOOT_MSRS];
	} m;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = NR_BOOT_MSRS;
	for (unsigned int i = 0; i < NR_BOOT_MSRS; i++) {
		m.ent[i].index = boot_msrs[i].index;
		m.ent[i].data = boot_msrs[i].data;
	}
	r = ioctl(c->fd, KVM_SET_MSRS, &m);
	if (r < 0)
		return lerr_set(e, errno, "vCPU %u: KVM_SET_MSRS", c->id);
	/* KVM stops at the first MSR it refuses and returns the count. */
	if ((unsigned int)r != NR_BOOT_MSRS)
		return lerr_fail(e, EINVAL,
				 "vCPU %u: KVM_SET_MSRS refused MSR 0x%x",
				 c->id, boot_msrs[r].index);
	return 0;
}

static int vcpu_set_fpu(struct vcpu *c, struct lerr *e)
{
	/* FNINIT state: all exceptions masked, 64-bit precision; SSE with
	 * all exceptions masked. */
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	if (ioctl(c->fd, KVM_SET_FPU, &fpu) < 0)
		return lerr_set(e, errno, "vCPU %u: KVM_SET_FPU", c->id);
	return 0;
}

static void lapic_set_mode(struct kvm_lapic_state *l, unsigned int reg,
			   uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], sizeof(v));
	v = (v & ~0x700u) | (mode << 8);
	memcpy(&l->regs[reg], &v, sizeof(v));
}

static int vcpu_set_lapic(struct vcpu *c, struct lerr *e)
{
	struct kvm_lapic_state l;

	if (ioctl(c->fd, KVM_GET_LAPIC, &l) < 0)
		return lerr_set(e, errno, "vCPU %u: KVM_GET_LAPIC", c->id);
	/* As on a PC: the 8259's output reaches LINT0 (virtual wire mode,
	 * used until Linux switches to the IOAPIC) and NMIs come in on
	 * LINT1. */
	lapic_set_mode(&l, APIC_LVT0, APIC_MODE_EXTINT);
	lapic_set_mode(&l, APIC_LVT1, APIC_MODE_NMI);
	if (ioctl(c->fd, KVM_SET_LAPIC, &l) < 0)
		return lerr_set(e, errno, "vCPU %u: KVM_SET_LAPIC", c->id);
	return 0;
}

static int vcpu_set_boot_state(struct vcpu *c, const struct boot_cpu_state *b,
			       struct lerr *e)
{
	struct kvm_sregs s;

	/* Only the fields boot_load() defines go over KVM's reset state;
	 * apic_base and the interrupt bitmap stay KVM's. */
	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return lerr_set(e, errno, "vCPU %u: KVM_GET_SREGS", c->id);
	s.cs = b->sregs.cs;
	s.ds = b->sregs.ds;
	s.es = b->sregs.es;
	s.fs = b->sregs.fs;
	s.gs = b->sregs.gs;
	s.ss = b->sregs.ss;
	s.tr = b->sregs.tr;
	s.ldt = b->sregs.ldt;
	s.gdt = b->sregs.gdt;
	s.idt = b->sregs.idt;
	s.cr0 = b->sregs.cr0;
	s.cr3 = b->sregs.cr3;
	s.cr4 = b->sregs.cr4;
	s.efer = b->sregs.efer;
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		return lerr_set(e, errno, "vCPU %u: KVM_SET_SREGS", c->id);
	if (ioctl(c->fd, KVM_SET_REGS, &b->regs) < 0)
		return lerr_set(e, errno, "vCPU %u: KVM_SET_REGS", c->id);
	return 0;
}

static int vcpu_create_one(struct vcpus *vs, unsigned int id,
			   const struct kvm_cpuid2 *supported,
			   struct kvm_cpuid2 *scratch, unsigned int cap,
			   const struct boot_cpu_state *bsp, struct lerr *e)
{
	struct vcpu *c = &vs->cpu[id];
	void *run;
	int r;

	c->fd = ioctl(vs->vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (c->fd < 0)
		return lerr_set(e, errno, "KVM_CREATE_VCPU %u", id);
	run = mmap(NULL, (size_t)vs->vm->vcpu_mmap_size,
		   PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (run == MAP_FAILED)
		return lerr_set(e, errno, "vCPU %u: mmap kvm_run", id);
	c->run = run;

	r = cpuid_for_vcpu(supported, id, vs->nr, scratch, cap);
	if (r < 0)
		return lerr_set(e, r, "vCPU %u: building CPUID", id);
	if (ioctl(c->fd, KVM_SET_CPUID2, scratch) < 0)
		return lerr_set(e, errno, "vCPU %u: KVM_SET_CPUID2", id);
	r = vcpu_set_msrs(c, e);
	if (r == 0)
		r = vcpu_set_fpu(c, e);
	if (r == 0)
		r = vcpu_set_lapic(c, e);
	if (r == 0 && id == 0)
		r = vcpu_set_boot_state(c, bsp, e);
	return r;
}

int vcpus_create(struct vcpus *vs, struct kvm_vm *vm, struct io_bus *bus,
		 unsigned int nr, const struct boot_cpu_state *bsp,
		 struct lerr *e)
{
	_cleanup_free_ struct kvm_cpuid2 *supported = NULL;
	_cleanup_free_ struct kvm_cpuid2 *scratch = NULL;
	unsigned int cap;
	int r;

	memset(vs, 0, sizeof(*vs));
	vs->vm = vm;
	vs->bus = bus;
	vs->controller = pthread_self();
	pthread_mutex_init(&vs->stop_lock, NULL);
	for (unsigned int i = 0; i < VMM_MAX_VCPUS; i++) {
		vs->cpu[i].id = i;
		vs->cpu[i].fd = -1;
		vs->cpu[i].set = vs;
	}
	if (nr < 1 || nr > VMM_MAX_VCPUS)
		return lerr_fail(e, EINVAL, "%u vCPUs: must be 1..%d", nr,
				 VMM_MAX_VCPUS);
	vs->nr = nr;

	r = cpuid_get_supported(vm->kvm_fd, &supported, e);
	if (r < 0)
		return r;
	cap = supported->nent + CPUID_EXTRA_ENTRIES;
	scratch = calloc(1, sizeof(*scratch) + cap * sizeof(scratch->entries[0]));
	if (!scratch)
		return lerr_set(e, ENOMEM, "allocating CPUID table");

	for (unsigned int i = 0; i < nr; i++) {
		r = vcpu_create_one(vs, i, supported, scratch, cap, bsp, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static void vcpu_internal_error(struct vcpu *c)
{
	static const char *const sub[] = {
		[KVM_INTERNAL_ERROR_EMULATION] = "emulation failure",
		[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception during exception",
		[KVM_INTERNAL_ERROR_DELIVERY_EV] = "event delivery failed",
		[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] =
			"unexpected exit reason",
	};
	const struct kvm_run *run = c->run;
	uint32_t s = run->internal.suberror;
	uint32_t nd = run->internal.ndata;
	char data[16 * 20 + 1] = "";
	size_t len = 0;
	struct kvm_regs regs;
	unsigned long long rip = 0;

	if (nd > sizeof(run->internal.data) / sizeof(run->internal.data[0]))
		nd = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	for (uint32_t i = 0; i < nd && len < sizeof(data); i++)
		len += (size_t)snprintf(data + len, sizeof(data) - len,
					" 0x%llx",
					(unsigned long long)run->internal.data[i]);
	if (ioctl(c->fd, KVM_GET_REGS, &regs) == 0)
		rip = regs.rip;
	vcpus_stop(c->set, VM_STOP_KVM_ERROR,
		   "vCPU %u: KVM internal error, suberror %u (%s) at rip 0x%llx, "
		   "data:%s",
		   c->id, s,
		   s < sizeof(sub) / sizeof(sub[0]) && sub[s] ? sub[s] : "?",
		   rip, nd ? data : " none");
}

static void vcpu_system_event(struct vcpu *c)
{
	switch (c->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vcpus_stop(c->set, VM_STOP_POWEROFF, "guest powered off");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vcpus_stop(c->set, VM_STOP_RESET, "guest requested reset");
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vcpus_stop(c->set, VM_STOP_CRASH, "guest crashed (vCPU %u)",
			   c->id);
		break;
	default:
		vcpus_stop(c->set, VM_STOP_KVM_ERROR,
			   "vCPU %u: unhandled KVM system event %u", c->id,
			   c->run->system_event.type);
		break;
	}
}

/* Handle one exit; false when the vCPU must stop. */
static bool vcpu_handle_exit(struct vcpu *c)
{
	struct kvm_run *run = c->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *data = (uint8_t *)run + run->io.data_offset;
		bool out = run->io.direction == KVM_EXIT_IO_OUT;

		/* rep ins/outs arrive as count back-to-back elements. */
		for (uint32_t i = 0; i < run->io.count; i++) {
			io_bus_access(c->set->bus, IO_SPACE_PIO, run->io.port,
				      data, run->io.size, out);
			data += run->io.size;
		}
		return true;
	}
	case KVM_EXIT_MMIO: {
		uint32_t len = run->mmio.len;

		if (len > sizeof(run->mmio.data))
			len = sizeof(run->mmio.data);
		io_bus_access(c->set->bus, IO_SPACE_MMIO, run->mmio.phys_addr,
			      run->mmio.data, len, run->mmio.is_write);
		return true;
	}
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN: {
		/* The registers still hold the state that faulted. */
		struct kvm_regs regs;

		if (ioctl(c->fd, KVM_GET_REGS, &regs) < 0)
			regs.rip = 0;
		vcpus_stop(c->set, VM_STOP_TRIPLE_FAULT,
			   "guest triple fault (vCPU %u, rip 0x%llx)", c->id,
			   (unsigned long long)regs.rip);
		return false;
	}
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC, i.e. never here; a halted
		 * uniprocessor machine is as good as off. */
		vcpus_stop(c->set, VM_STOP_POWEROFF, "guest halted (vCPU %u)",
			   c->id);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_system_event(c);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_internal_error(c);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vcpus_stop(c->set, VM_STOP_KVM_ERROR,
			   "vCPU %u: KVM entry failure, hardware reason 0x%llx "
			   "(host cpu %u)",
			   c->id,
			   (unsigned long long)
				   run->fail_entry.hardware_entry_failure_reason,
			   run->fail_entry.cpu);
		return false;
	default:
		vcpus_stop(c->set, VM_STOP_KVM_ERROR,
			   "vCPU %u: unhandled KVM exit reason %u", c->id,
			   run->exit_reason);
		return false;
	}
}

bool vcpus_stopping(struct vcpus *vs)
{
	return __atomic_load_n(&vs->stopping, __ATOMIC_ACQUIRE);
}

/* A VM stopped from outside (a signal: usually a caller's timeout) may
 * have been hung: keep where each vCPU was, for vcpus_describe_stop(). */
static void vcpu_note_where_stopped(struct vcpu *c)
{
	struct kvm_regs regs;

	if (c->set->cause != VM_STOP_SIGNAL ||
	    ioctl(c->fd, KVM_GET_REGS, &regs) < 0)
		return;
	c->stop_rip = regs.rip;
	c->have_stop_rip = true;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vcpus *vs = c->set;
	sigset_t kick;

	seccomp_thread_enter(SECCOMP_ROLE_VCPU);
	sigemptyset(&kick);
	sigaddset(&kick, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

	while (!vcpus_stopping(vs)) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* Kicked (or a stray signal): clear the
				 * request, then the loop re-checks the stop
				 * flag, which vcpus_stop() set first. */
				__atomic_store_n(&c->run->immediate_exit, 0,
						 __ATOMIC_RELAXED);
				continue;
			}
			vcpus_stop(vs, VM_STOP_KVM_ERROR,
				   "vCPU %u: KVM_RUN: %s", c->id,
				   strerror(errno));
			break;
		}
		if (!vcpu_handle_exit(c))
			break;
	}
	vcpu_note_where_stopped(c);
	return NULL;
}

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

int vcpus_start(struct vcpus *vs, struct lerr *e)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	pthread_attr_t attr;
	int r = 0;

	/* No SA_RESTART: the point is to make KVM_RUN return EINTR. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return lerr_set(e, errno, "sigaction");

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, VCPU_THREAD_STACK);
	/* Hold the stop lock so a vCPU that stops the VM at once still
	 * sees (and kicks) every sibling. */
	pthread_mutex_lock(&vs->stop_lock);
	for (unsigned int i = 0; i < vs->nr; i++) {
		struct vcpu *c = &vs->cpu[i];

		r = pthread_create(&c->thread, &attr, vcpu_thread, c);
		if (r) {
			r = lerr_set(e, r, "starting vCPU %u thread", i);
			break;
		}
		c->started = true;
	}
	pthread_mutex_unlock(&vs->stop_lock);
	pthread_attr_destroy(&attr);
	if (r < 0)
		vcpus_stop(vs, VM_STOP_KVM_ERROR, "%s", e ? e->msg : "");
	return r;
}

void vcpus_stop(struct vcpus *vs, enum vm_stop_cause cause, const char *fmt,
		...)
{
	pthread_t self = pthread_self();
	va_list ap;

	pthread_mutex_lock(&vs->stop_lock);
	if (vs->stopping) {
		pthread_mutex_unlock(&vs->stop_lock);
		return;
	}
	vs->cause = cause;
	va_start(ap, fmt);
	vsnprintf(vs->reason, sizeof(vs->reason), fmt, ap);
	va_end(ap);
	/* Order matters: the flag first, then immediate_exit, then the
	 * signal (see vcpu_thread). */
	__atomic_store_n(&vs->stopping, true, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < vs->nr; i++) {
		struct vcpu *c = &vs->cpu[i];

		if (!c->started || pthread_equal(c->thread, self))
			continue;
		__atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(c->thread, VCPU_KICK_SIGNAL);
	}
	pthread_mutex_unlock(&vs->stop_lock);
	if (!pthread_equal(vs->controller, self))
		pthread_kill(vs->controller, VM_STOPPED_SIGNAL);
}

void vcpus_describe_stop(const struct vcpus *vs, char *buf, size_t n)
{
	size_t len = strlen(buf);

	for (unsigned int i = 0; i < vs->nr && len + 1 < n; i++) {
		const struct vcpu *c = &vs->cpu[i];
		int w;

		if (!c->have_stop_rip)
			continue;
		w = snprintf(buf + len, n - len, "%s vCPU %u at rip 0x%llx",
			     len && strchr(buf, ';') ? "," : ";", c->id,
			     (unsigned long long)c->stop_rip);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
}

void vcpus_join(struct vcpus *vs)
{
	for (unsigned int i = 0; i < vs->nr; i++) {
		if (vs->cpu[i].started) {
			pthread_join(vs->cpu[i].thread, NULL);
			vs->cpu[i].started = false;
		}
	}
}

void vcpus_destroy(struct vcpus *vs)
{
	for (unsigned int i = 0; i < VMM_MAX_VCPUS; i++) {
		struct vcpu *c = &vs->cpu[i];

		if (c->run)
			munmap(c->run, (size_t)vs->vm->vcpu_mmap_size);
		if (c->fd >= 0)
			close(c->fd);
		c->run = NULL;
		c->fd = -1;
	}
	pthread_mutex_destroy(&vs->stop_lock);
}
