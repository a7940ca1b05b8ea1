/*
 * tests/testhost/kvm-probe.c - does /dev/kvm really run guests here?
 *
 * Asks KVM_GET_API_VERSION, creates a VM with one vCPU and runs a five-byte
 * real-mode guest (mov al,0x42; out 0x10,al; hlt).  It must exit with
 * KVM_EXIT_IO (port 0x10, value 0x42) and then KVM_EXIT_HLT.  Exit status:
 * 0 = works, 1 = does not (what failed goes to stderr).  tests/testhost/kvm.sh
 * runs it inside the KVM test host.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_MEM_SIZE 0x10000
#define GUEST_CODE_GPA 0x1000

static int fail(const char *what)
{
	perror(what);
	return 1;
}

int main(void)
{
	static const uint8_t code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 };
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint8_t *mem;
	int kvm, vm, vcpu, api, run_size;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	printf("api %d\n", api);
	if (api != KVM_API_VERSION)
		return 1;

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(mem + GUEST_CODE_GPA, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(*run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE_GPA;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");

	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.port != 0x10 || run->io.size != 1) {
		fprintf(stderr, "first exit: reason %u, want KVM_EXIT_IO out to 0x10\n", run->exit_reason);
		return 1;
	}
	printf("io 0x%x = 0x%x\n", run->io.port, ((uint8_t *)run)[run->io.data_offset]);

	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "second exit: reason %u, want KVM_EXIT_HLT\n", run->exit_reason);
		return 1;
	}
	printf("hlt\n");
	close(vcpu);
	close(vm);
	close(kvm);
	return 0;
}
