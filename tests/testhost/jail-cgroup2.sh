#!/usr/bin/env bash
# tests/testhost/jail-cgroup2.sh - lighter-vmm --jail on cgroup v2: the
# test host mounts only cgroup2 (at /sys/fs/cgroup), so there the jail puts
# the VMM in one unified cgroup with memory.max, cpu.max and pids.max
# (controllers enabled down the path) and reads memory.events for the OOM
# kill.  Runs tests/jail/run-jail.sh inside: the running jail inspected
# (membership and limits among the rest), a guest killed by its memory
# limit, a VMM killed by SIGKILL; each must find cgroup v2 and leave
# nothing behind.  Then the real guest kernel and initramfs boot in the
# jail, with the default memory limit, to the agent's readiness line.
#   jail-cgroup2.sh TESTHOST BUILD_KERNEL RUN_JAIL LIGHTER_VMM PAYLOAD_DIR INITRD
set -euo pipefail
. "$(dirname "$0")/lib.sh"
run_jail=${3:?usage: $0 TESTHOST BUILD_KERNEL RUN_JAIL LIGHTER_VMM PAYLOAD_DIR INITRD}
vmm=${4:?}
payloads=${5:?}
initrd=${6:?}
guest=$("$build_kernel" --path guest) ||
	fail "the guest kernel is not built (kernel-config/build-kernel.sh guest)"

run_th -- bash -c '
	for t in lockdown memory-limit killed; do
		"$1" "$t" "$2" "$3" || exit
	done
	echo "--- real guest"
	timeout -s KILL 240 "$2" --jail --jail-root /run/jail-guest \
		--jail-uid 64201 --jail-gid 64202 --jail-id real-guest \
		--kernel "$4" --initrd "$5" --cpus 2 </dev/null
	echo "real guest: status $?"
	[[ ! -e /run/jail-guest && ! -e /sys/fs/cgroup/lighter/real-guest ]] ||
		echo "real guest: left behind"
	' _ "$run_jail" "$vmm" "$payloads" "$guest" "$initrd" >"$scratch/out.raw" 2>&1
tr -d '\r' <"$scratch/out.raw" >"$scratch/out"
cat "$scratch/out"
[[ $rc == 0 ]] || fail "status $rc"
n=$(grep -c '^cgroup: v2$' "$scratch/out" || true)
[[ $n == 3 ]] || fail "the jail tests did not all run on cgroup v2"
for t in lockdown memory-limit killed; do
	grep -qx "PASS: $t" "$scratch/out" || fail "$t did not pass"
done
grep -q 'lighter-agent: ready (' "$scratch/out" ||
	fail "the jailed real guest did not reach its agent"
grep -qx 'real guest: status 0' "$scratch/out" ||
	fail "the jailed real guest did not power off cleanly"
! grep -q 'real guest: left behind' "$scratch/out" ||
	fail "the jailed real guest left its root or cgroup behind"
echo "ok: the jail on cgroup v2: limits, membership, OOM report, cleanup, a real guest"
