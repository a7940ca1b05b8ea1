/* kvm-vm.h - the KVM virtual machine: /dev/kvm, the VM fd, its in-kernel
 * irqchip and PIT, and guest RAM registered as memory slots. */
#ifndef LIGHTER_VMM_KVM_VM_H
#define LIGHTER_VMM_KVM_VM_H

#include <stdint.h>

#include <lighter/error.h>

#include "guest-mem.h"

/* Where KVM (VMX) puts its three-page TSS and its one-page identity map:
 * just below the 4 GiB boundary, inside the MMIO hole, clear of the
 * IOAPIC (0xfec00000) and LAPIC (0xfee00000) windows. */
#define KVM_TSS_ADDR 0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL

struct kvm_vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size; /* KVM_GET_VCPU_MMAP_SIZE */
	const struct guest_mem *mem;
};

/* Open /dev/kvm, create the VM with irqchip + PIT and register every RAM
 * region of m (which must outlive vm).  On failure vm is left closed. */
int kvm_vm_create(struct kvm_vm *vm, const struct guest_mem *m,
		  struct lerr *e);

/* Close the fds; safe after a failed kvm_vm_create (which sets them to -1). */
void kvm_vm_destroy(struct kvm_vm *vm);

/* Drive an ISA interrupt line (PIC + IOAPIC pin) high (1) or low (0). */
int kvm_vm_irq_line(const struct kvm_vm *vm, unsigned int irq, int level);

#endif
