#!/usr/bin/env bash
# tests/testhost/kvm.sh - inside the test host /dev/kvm is real KVM: the
# kvm-probe program (built by meson) gets API version 12 and runs a tiny
# real-mode guest to an I/O exit and a HLT; /dev/net/tun exists too.
#   kvm.sh TESTHOST BUILD_KERNEL KVM_PROBE
set -euo pipefail
. "$(dirname "$0")/lib.sh"
probe=${3:?usage: $0 TESTHOST BUILD_KERNEL KVM_PROBE}

run_th -- bash -c 'ls -l /dev/kvm /dev/net/tun >&2 && "$1"' _ "$probe" >"$scratch/out"
cat "$scratch/out"
[[ $rc == 0 ]] || fail "status $rc"
[[ $(cat "$scratch/out") == $'api 12\nio 0x10 = 0x42\nhlt' ]] || fail "unexpected answer"
echo "ok: KVM API 12, a vCPU runs to an I/O exit and HLT, /dev/net/tun present"
