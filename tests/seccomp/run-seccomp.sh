#!/bin/sh
# run-seccomp.sh - one native test of lighter-vmm's seccomp filters with a
# smoke payload on this machine's /dev/kvm (tests/smoke):
#
#   forbidden-ROLE  with LIGHTER_TEST_FORBIDDEN_SYSCALL=ROLE:CALL, for CALL
#                   execve, openat and socket, the VMM dies by SIGSYS
#                   (status 128+31); with --no-seccomp, and with [vm]
#                   seccomp = off, the same hook is harmless: exit 0
#   thread-status   a running VMM: every thread (main, 2 vcpu, device,
#                   4 blk) shows Seccomp: 2 and Seccomp_filters >= 1 in
#                   /proc/PID/task/TID/status; SIGTERM still stops it (0)
#   no-seccomp-status  with --no-seccomp: every thread shows Seccomp: 0
#   bad-hook        a malformed hook value: status 1, the variable named
#
#   run-seccomp.sh TEST LIGHTER_VMM PAYLOAD_DIR [HOOK_BUILT]
#
# Exits 0 on pass, 1 on failure, 77 (skip) when /dev/kvm cannot be opened
# read-write here, or for the hook's tests when HOOK_BUILT is 0 (built
# with -Dseccomp_test_hook=false).
set -u

test_name=$1
vmm=$2
payloads=$3
hook_built=${4:-1}

if [ ! -c /dev/kvm ]; then
	echo "SKIP: /dev/kvm is absent (no KVM on this machine)"
	exit 77
fi
if ! (exec 3<>/dev/kvm) 2>/dev/null; then
	echo "SKIP: /dev/kvm cannot be opened read-write by $(id -un)"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lighter-seccomp.XXXXXX") || exit 1
pid=
trap '[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null; rm -rf "$work"' EXIT
out=$work/stdout
err=$work/stderr
# A VMM killed by SIGSYS would dump core: not here.
ulimit -c 0
# Every role present: 4 blk workers come with a drive.
truncate -s 1M "$work/disk.img"
drive="path=$work/disk.img"

fail() {
	echo "FAIL: $test_name: $*"
	echo "--- stdout"; cat "$out" 2>/dev/null
	echo "--- stderr"; cat "$err" 2>/dev/null
	exit 1
}

# run HOOK ARGS...: the hello payload with the hook set to HOOK (empty:
# unset), a 10 s guard; sets $got to the shell's exit status.
run() {
	hook=$1
	shift
	if [ -n "$hook" ]; then
		LIGHTER_TEST_FORBIDDEN_SYSCALL=$hook timeout -s KILL 10 \
			"$vmm" --kernel "$payloads/hello.elf" --drive "$drive" \
			"$@" >"$out" 2>"$err"
	else
		timeout -s KILL 10 "$vmm" --kernel "$payloads/hello.elf" \
			--drive "$drive" "$@" >"$out" 2>"$err"
	fi
	got=$?
}

# forbidden ROLE: each call kills with the filters, none without.
forbidden() {
	role=$1
	printf '[vm]\nseccomp = off\n' >"$work/off.ini"
	for call in execve openat socket; do
		run "$role:$call"
		[ "$got" -eq 159 ] ||
			fail "$role:$call: exit status $got, want 159 (SIGSYS)"
		[ ! -s "$out" ] || [ "$role" != vcpu ] ||
			fail "$role:$call: the guest ran after its vCPU's violation"
		run "$role:$call" --no-seccomp
		[ "$got" -eq 0 ] ||
			fail "$role:$call --no-seccomp: exit status $got, want 0"
		[ "$(cat "$out")" = hello ] ||
			fail "$role:$call --no-seccomp: console is not \"hello\""
		run "$role:$call" --config "$work/off.ini"
		[ "$got" -eq 0 ] ||
			fail "$role:$call, seccomp = off: exit status $got, want 0"
	done
}

# status_of TASK FIELD: the field's value in /proc/PID/task/TASK/status.
status_of() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$pid/task/$1/status" 2>/dev/null
}

# user_tasks: the VMM's own threads.  Left out: kernel workers that live
# in the thread group (PF_USER_WORKER, 0x4000, in the flags of
# /proc/PID/task/TID/stat: KVM's kvm-nx-lpage-recovery on recent kernels);
# they never run user code, so a filter means nothing to them.
user_tasks() {
	for task in $(ls "/proc/$pid/task" 2>/dev/null); do
		flags=$(sed 's/.*) //' "/proc/$pid/task/$task/stat" 2>/dev/null |
			cut -d' ' -f7)
		[ -n "$flags" ] && [ $((flags & 0x4000)) -eq 0 ] && echo "$task"
	done
}

# settled WANT_MODE: all 8 threads exist and each shows Seccomp: WANT_MODE
# (a thread loads its filter first thing, yet only once it runs).
settled() {
	tasks=$(user_tasks)
	[ "$(echo "$tasks" | wc -w)" -eq 8 ] || return 1
	for task in $tasks; do
		[ "$(status_of "$task" Seccomp)" = "$1" ] || return 1
	done
}

# thread_status WANT_MODE [ARGS...]: start a spinning guest, wait until
# its threads settle (at most 5 s), check every thread, stop it.
thread_status() {
	want=$1
	shift
	"$vmm" --kernel "$payloads/spin.elf" --cpus 2 --drive "$drive" \
		--vsock-uds "$work/v.sock" "$@" >"$out" 2>"$err" &
	pid=$!
	i=0
	while [ $i -lt 100 ] && ! settled "$want"; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -0 "$pid" 2>/dev/null || fail "lighter-vmm ended early"
	roles=
	for task in $(user_tasks); do
		comm=$(cat "/proc/$pid/task/$task/comm")
		mode=$(status_of "$task" Seccomp)
		filters=$(status_of "$task" Seccomp_filters)
		[ "$mode" = "$want" ] ||
			fail "thread $task ($comm): Seccomp: $mode, want $want"
		if [ "$want" -eq 2 ] && ! [ "${filters:-0}" -ge 1 ]; then
			fail "thread $task ($comm): Seccomp_filters: $filters"
		fi
		roles="$roles $comm"
	done
	roles=$(echo $roles | tr ' ' '\n' | sort | tr '\n' ' ')
	[ "$roles" = "blk blk blk blk device lighter-vmm vcpu vcpu " ] ||
		fail "threads are \"$roles\", want main, 2 vcpu, device, 4 blk"
	kill -TERM "$pid"
	( sleep 5; kill -KILL "$pid" ) </dev/null >/dev/null 2>&1 &
	guard=$!
	wait "$pid"
	got=$?
	pid=
	kill "$guard" 2>/dev/null
	[ "$got" -eq 0 ] || fail "exit status $got after SIGTERM, want 0"
	grep -Eq '^lighter-vmm: stopped by SIGTERM(; vCPU 0 at rip 0x[0-9a-f]+.*)?$' "$err" ||
		fail "no \"stopped by SIGTERM\" line"
	echo "# threads:$roles"
}

case $test_name in
forbidden-* | bad-hook)
	if [ "$hook_built" != 1 ]; then
		echo "SKIP: built with -Dseccomp_test_hook=false (no LIGHTER_TEST_FORBIDDEN_SYSCALL)"
		exit 77
	fi
	;;
*) ;;
esac

case $test_name in
forbidden-vcpu | forbidden-device | forbidden-blk | forbidden-main)
	forbidden "${test_name#forbidden-}"
	;;
thread-status)
	thread_status 2
	;;
no-seccomp-status)
	thread_status 0 --no-seccomp
	;;
bad-hook)
	run "vcpu:ptrace"
	[ "$got" -eq 1 ] || fail "exit status $got, want 1"
	grep -q '^lighter-vmm: LIGHTER_TEST_FORBIDDEN_SYSCALL: "vcpu:ptrace"' \
		"$err" || fail "the message does not name the variable"
	;;
*)
	echo "run-seccomp.sh: unknown test \"$test_name\""
	exit 1
	;;
esac
echo "PASS: $test_name"
