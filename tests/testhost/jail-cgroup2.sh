#!/usr/bin/env bash
# tests/testhost/jail-cgroup2.sh - lighter-vmm --jail on cgroup v2: the
# test host mounts only cgroup2 (at /sys/fs/cgroup), so there the jail puts
# the VMM in one unified cgroup with memory.max, cpu.max and pids.max
# (controllers enabled down the path) and reads memory.events for the OOM
# kill.  Runs tests/jail/run-jail.sh inside: the running jail inspected
# (membership and limits among the rest), a guest killed by its memory
# limit, a VMM killed by SIGKILL; each must find cgroup v2 and leave
# nothing behind.
#   jail-cgroup2.sh TESTHOST BUILD_KERNEL RUN_JAIL LIGHTER_VMM PAYLOAD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
run_jail=${3:?usage: $0 TESTHOST BUILD_KERNEL RUN_JAIL LIGHTER_VMM PAYLOAD_DIR}
vmm=${4:?}
payloads=${5:?}

run_th -- bash -c '
	for t in lockdown memory-limit killed; do
		"$1" "$t" "$2" "$3" || exit
	done' _ "$run_jail" "$vmm" "$payloads" >"$scratch/out"
cat "$scratch/out"
[[ $rc == 0 ]] || fail "status $rc"
n=$(grep -c '^cgroup: v2$' "$scratch/out" || true)
[[ $n == 3 ]] || fail "the jail tests did not all run on cgroup v2"
for t in lockdown memory-limit killed; do
	grep -qx "PASS: $t" "$scratch/out" || fail "$t did not pass"
done
echo "ok: the jail on cgroup v2: limits, membership, OOM report, cleanup"
