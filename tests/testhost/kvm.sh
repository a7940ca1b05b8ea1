#!/usr/bin/env bash
# tests/testhost/kvm.sh - inside the test host /dev/kvm is real KVM (it answers
# KVM_GET_API_VERSION with 12 and creates a VM) and /dev/net/tun exists.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

run_th -- python3 -c '
import fcntl, os, sys
KVM_GET_API_VERSION, KVM_CREATE_VM = 0xAE00, 0xAE01
fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
print("api", fcntl.ioctl(fd, KVM_GET_API_VERSION))
vm = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
print("vm", "ok" if vm >= 0 else vm)
print("tun", os.path.exists("/dev/net/tun"))
' >"$scratch/out"
cat "$scratch/out"
[[ $rc == 0 ]] || fail "status $rc"
[[ $(cat "$scratch/out") == $'api 12\nvm ok\ntun True' ]] || fail "unexpected answer"
echo "ok: KVM API 12, KVM_CREATE_VM works, /dev/net/tun present"
