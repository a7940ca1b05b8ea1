/* cpuid.h - the CPUID table each vCPU sees: what KVM supports on this host,
 * with the topology fields rewritten for this VM's vCPU count. */
#ifndef LIGHTER_VMM_CPUID_H
#define LIGHTER_VMM_CPUID_H

#include <linux/kvm.h>

#include <lighter/error.h>

/* KVM_GET_SUPPORTED_CPUID on the /dev/kvm fd; the result is malloc'ed and
 * has room for the extra entries cpuid_for_vcpu() may add. */
int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out, struct lerr *e);

/* Write into out (capacity out_cap entries, at least supported->nent + 8)
 * the table for vCPU vcpu_id of nr_vcpus.  Returns 0 or -ENOSPC. */
int cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int vcpu_id,
		   unsigned int nr_vcpus, struct kvm_cpuid2 *out,
		   unsigned int out_cap);

/* Room cpuid_for_vcpu() needs beyond supported->nent. */
#define CPUID_EXTRA_ENTRIES 8

#endif
