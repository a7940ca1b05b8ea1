#!/usr/bin/env bash
# tests/testhost/missing.sh - without a test-host kernel the harness exits 2
# and says how to build one (checked with a kernel path that does not exist).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rc=0
LIGHTER_TESTHOST_KERNEL=$scratch/no-such-vmlinux "$testhost" --force-vm -- true 2>"$scratch/err" || rc=$?
cat "$scratch/err"
[[ $rc == 2 ]] || fail "status $rc, want 2"
grep -q 'build-kernel.sh testhost' "$scratch/err" || fail "message does not say how to build the kernel"
echo "ok: exit 2 with a hint"
