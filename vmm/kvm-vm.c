/* kvm-vm.c - the KVM virtual machine object.
 *
 * Owns the /dev/kvm and VM file descriptors and everything that is set up
 * once per VM before any vCPU exists: the VMX TSS and identity-map pages,
 * the in-kernel irqchip (PIC, IOAPIC, per-vCPU LAPICs), the PIT, and the
 * memory slots mapping guest RAM.  vCPUs live in vcpu.c. */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <lighter/cleanup.h>

#include "kvm-vm.h"

static int kvm_check_extensions(int kvm_fd, struct lerr *e)
{
	/* Everything below is unconditional in any kernel we run on, but a
	 * clear message beats an EINVAL from a later ioctl. */
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	};

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0)
			return lerr_fail(e, ENOTSUP,
					 "/dev/kvm lacks %s", need[i].name);
	}
	return 0;
}

static int kvm_vm_add_memory(struct kvm_vm *vm, struct lerr *e)
{
	for (unsigned int i = 0; i < vm->mem->nr_regions; i++) {
		const struct guest_region *r = &vm->mem->region[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)r->host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return lerr_set(e, errno,
					"KVM_SET_USER_MEMORY_REGION slot %u "
					"(gpa 0x%llx, %llu MiB)",
					i, (unsigned long long)r->gpa,
					(unsigned long long)(r->size >> 20));
	}
	return 0;
}

int kvm_vm_create(struct kvm_vm *vm, const struct guest_mem *m,
		  struct lerr *e)
{
	_cleanup_close_ int kvm_fd = -1;
	_cleanup_close_ int vm_fd = -1;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = KVM_IDENTITY_MAP_ADDR;
	int r;

	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem = m;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		return lerr_set(e, errno, "open \"/dev/kvm\"");
	r = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (r < 0)
		return lerr_set(e, errno, "KVM_GET_API_VERSION on \"/dev/kvm\"");
	if (r != KVM_API_VERSION)
		return lerr_fail(e, ENOTSUP,
				 "KVM API version %d, expected %d", r,
				 KVM_API_VERSION);
	r = kvm_check_extensions(kvm_fd, e);
	if (r < 0)
		return r;
	r = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < 0)
		return lerr_set(e, errno, "KVM_GET_VCPU_MMAP_SIZE");
	if (r < (int)sizeof(struct kvm_run))
		return lerr_fail(e, EINVAL, "KVM_GET_VCPU_MMAP_SIZE is %d", r);
	vm->vcpu_mmap_size = r;

	/* KVM_CREATE_VM can fail with EINTR while the kernel sets up the
	 * MMU notifier under memory pressure; retrying is what QEMU does. */
	do
		vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	while (vm_fd < 0 && errno == EINTR);
	if (vm_fd < 0)
		return lerr_set(e, errno, "KVM_CREATE_VM");
	/* No fcntl: KVM returns VM fds with O_CLOEXEC already set. */

	/* VMX needs a TSS and an identity page table for real mode and
	 * unpaged protected mode; both must sit outside RAM. */
	if (ioctl(vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0)
		return lerr_set(e, errno, "KVM_SET_TSS_ADDR");
	if (ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		return lerr_set(e, errno, "KVM_SET_IDENTITY_MAP_ADDR");
	/* The irqchip must exist before any vCPU so each gets a LAPIC. */
	if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return lerr_set(e, errno, "KVM_CREATE_IRQCHIP");
	if (ioctl(vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return lerr_set(e, errno, "KVM_CREATE_PIT2");

	vm->vm_fd = vm_fd;
	r = kvm_vm_add_memory(vm, e);
	vm->vm_fd = -1;
	if (r < 0)
		return r;

	vm->kvm_fd = TAKE_FD(kvm_fd);
	vm->vm_fd = TAKE_FD(vm_fd);
	return 0;
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
}

int kvm_vm_irq_line(const struct kvm_vm *vm, unsigned int irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		return -errno;
	return 0;
}
