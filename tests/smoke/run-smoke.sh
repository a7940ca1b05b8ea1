#!/bin/sh
# run-smoke.sh - one smoke test: a hand-assembled payload (mkpayload.c)
# booted by the real lighter-vmm on the real /dev/kvm, judged by exit
# status, console output and the stderr reason line.
#
#   run-smoke.sh TEST LIGHTER_VMM PAYLOAD_DIR
#
# Exits 0 on pass, 1 on failure, 77 (skip) only when /dev/kvm cannot be
# opened read-write here.
set -u

test_name=$1
vmm=$2
payloads=$3

# -c first: "<>" opens with O_CREAT and would make a plain file.
if [ ! -c /dev/kvm ]; then
	echo "SKIP: /dev/kvm is absent (no KVM on this machine)"
	exit 77
fi
# A subshell: a failed redirection on exec ends a POSIX shell.
if ! (exec 3<>/dev/kvm) 2>/dev/null; then
	echo "SKIP: /dev/kvm cannot be opened read-write by $(id -un)"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lighter-smoke.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
out=$work/stdout
err=$work/stderr

fail() {
	echo "FAIL: $test_name: $*"
	echo "--- stdout"; cat "$out"
	echo "--- stderr"; cat "$err"
	exit 1
}

# run EXPECTED_STATUS ARGS...: lighter-vmm with a 10 s guard so a hang
# fails the test instead of stalling the suite.
run() {
	want=$1
	shift
	timeout -s KILL 10 "$vmm" "$@" >"$out" 2>"$err"
	got=$?
	[ "$got" -eq "$want" ] || fail "exit status $got, expected $want"
	# Every run ends with exactly one "lighter-vmm: " reason line (the
	# boot-timer line is the only other one allowed).
	n=$(grep -v '^lighter-vmm: boot-timer: ' "$err" | grep -c '^lighter-vmm: ')
	[ "$n" -eq 1 ] || fail "expected one reason line on stderr, got $n"
	lines=$(wc -l <"$err")
	extra=$(grep -c '^lighter-vmm: boot-timer: ' "$err")
	[ "$lines" -eq $((n + extra)) ] || fail "unprefixed lines on stderr"
}

expect_out() {
	grep -q -- "$1" "$out" || fail "stdout lacks \"$1\""
}

expect_err() {
	grep -q -- "$1" "$err" || fail "stderr lacks \"$1\""
}

case $test_name in
hello)
	run 0 --kernel "$payloads/hello.elf"
	[ "$(cat "$out")" = hello ] || fail "console output is not \"hello\""
	expect_err '^lighter-vmm: guest powered off$'
	;;
boot-timer)
	run 0 --kernel "$payloads/timer.elf"
	expect_err '^lighter-vmm: boot-timer: [0-9][0-9]* us$'
	expect_err '^lighter-vmm: guest powered off$'
	;;
triple-fault)
	run 2 --kernel "$payloads/triple.elf"
	expect_err '^lighter-vmm: guest triple fault'
	;;
guest-panic)
	run 2 --kernel "$payloads/panic.elf"
	expect_err '^lighter-vmm: guest panic: Kernel panic - not syncing: smoke test$'
	expect_out 'booting'
	;;
i8042-reset)
	run 0 --kernel "$payloads/reset.elf"
	expect_err '^lighter-vmm: guest requested reset$'
	;;
mmio-unclaimed)
	run 0 --kernel "$payloads/mmio.elf"
	expect_out '^mmio ok$'
	expect_err '^lighter-vmm: guest powered off$'
	;;
smp-4)
	run 0 --kernel "$payloads/hello.elf" --cpus 4 --memory 512M
	[ "$(cat "$out")" = hello ] || fail "console output is not \"hello\""
	expect_err '^lighter-vmm: guest powered off$'
	;;
serial-irq)
	run 0 --kernel "$payloads/irq.elf"
	[ "$(cat "$out")" = "irq ok" ] ||
		fail "interrupt-driven output is not \"irq ok\""
	expect_err '^lighter-vmm: guest powered off$'
	;;
memory-5g)
	run 0 --kernel "$payloads/hello.elf" --memory 5G --cpus 2
	[ "$(cat "$out")" = hello ] || fail "console output is not \"hello\""
	;;
console-off)
	run 0 --kernel "$payloads/hello.elf" --console off
	[ ! -s "$out" ] || fail "console off, yet stdout is not empty"
	;;
console-file)
	run 0 --kernel "$payloads/hello.elf" --console "$work/console.log"
	[ "$(cat "$work/console.log")" = hello ] ||
		fail "console file does not hold \"hello\""
	;;
cpuid-4)
	run 0 --kernel "$payloads/cpuid4.elf" --cpus 4
	expect_out '^cpuid ok$'
	;;
sigterm)
	"$vmm" --kernel "$payloads/spin.elf" --cpus 2 >"$out" 2>"$err" &
	pid=$!
	sleep 0.5
	kill -TERM "$pid"
	# Guard: a VMM that ignores SIGTERM is killed after 5 s.
	# Its fds point away from ours so meson does not wait for its sleep.
	( sleep 5; kill -KILL "$pid" ) </dev/null >/dev/null 2>&1 &
	guard=$!
	wait "$pid"
	got=$?
	kill "$guard" 2>/dev/null
	[ "$got" -eq 0 ] || fail "exit status $got after SIGTERM, expected 0"
	expect_err '^lighter-vmm: stopped by SIGTERM; vCPU 0 at rip 0x[0-9a-f]*\(, vCPU [0-9]* at rip 0x[0-9a-f]*\)*$'
	;;
bad-memory)
	run 1 --kernel "$payloads/hello.elf" --memory 12Q
	expect_err '^lighter-vmm: .*--memory.*12Q'
	;;
missing-kernel)
	run 1 --kernel "$work/no-such-vmlinux"
	expect_err "^lighter-vmm: .*no-such-vmlinux"
	;;
*)
	echo "run-smoke.sh: unknown test \"$test_name\""
	exit 1
	;;
esac
echo "PASS: $test_name"
