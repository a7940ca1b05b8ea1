/* kvm-vm.c - placeholder until its owner lands it. */
