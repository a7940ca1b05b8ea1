# tests/e2e/lib.sh - helpers for the inner end-to-end scripts, which run as
# root inside the KVM test host.  Sourced, not executed.
#
#   e2e_init VMM KERNEL INITRD   set the globals below, make a scratch dir
#   e2e_boot NAME VMM-ARGS...    boot once; NAME.console / .stderr / .rc
#   e2e_ready_line NAME          the agent's readiness line, or nothing
#   e2e_ok / e2e_fail NAME MSG   report a case (TAP-like), count failures
#   e2e_finish                   print the summary and exit 0 or 1

E2E_BOOT_TIMEOUT=${E2E_BOOT_TIMEOUT:-240}
e2e_failures=0
e2e_cases=0

e2e_init() {
	VMM=$1 KERNEL=$2 INITRD=$3
	E2E_DIR=$(mktemp -d /tmp/lighter-e2e.XXXXXX) || {
		echo "e2e: cannot create a scratch directory" >&2
		exit 1
	}
	if [[ ! -c /dev/kvm ]]; then
		echo "e2e: FAIL: no /dev/kvm inside the test host" >&2
		exit 1
	fi
}

# Boots the guest; the console goes to $E2E_DIR/NAME.console, lighter-vmm's
# own stderr to NAME.stderr, the exit status to NAME.rc (124 when it ran
# past E2E_BOOT_TIMEOUT; NAME.threads then says what each of its threads
# was doing, for stalls that only show under load).
e2e_boot() {
	local name=$1 rc pid dog
	shift
	rm -f "$E2E_DIR/$name.timedout" "$E2E_DIR/$name.threads"
	"$VMM" --kernel "$KERNEL" --initrd "$INITRD" --console stdout "$@" \
		>"$E2E_DIR/$name.console" 2>"$E2E_DIR/$name.stderr" </dev/null &
	pid=$!
	e2e_watchdog "$pid" "$E2E_DIR/$name" &
	dog=$!
	wait "$pid"
	rc=$?
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	[[ -f $E2E_DIR/$name.timedout ]] && rc=124
	echo "$rc" >"$E2E_DIR/$name.rc"
	return 0
}

# e2e_watchdog PID BASE: after E2E_BOOT_TIMEOUT seconds, record each
# thread of PID (name, state, kernel wait channel, system call) in
# BASE.threads, then stop it: SIGTERM, SIGKILL 10 s later.
e2e_watchdog() {
	local pid=$1 base=$2 nap t
	sleep "$E2E_BOOT_TIMEOUT" &
	nap=$!
	trap 'kill $nap 2>/dev/null; exit 0' TERM
	wait "$nap"
	trap - TERM
	kill -0 "$pid" 2>/dev/null || exit 0
	: >"$base.timedout"
	for t in /proc/"$pid"/task/*; do
		echo "$(cat "$t/comm" 2>/dev/null) state=$(awk '{ print $3 }' "$t/stat" 2>/dev/null) wchan=$(cat "$t/wchan" 2>/dev/null) syscall=$(cut -d' ' -f1 "$t/syscall" 2>/dev/null)"
	done >"$base.threads"
	kill -TERM "$pid" 2>/dev/null
	sleep 10
	kill -KILL "$pid" 2>/dev/null
	exit 0
}

e2e_rc() {
	cat "$E2E_DIR/$1.rc"
}

e2e_ready_line() {
	grep -a -m1 -o 'lighter-agent: ready (kernel [^,]*, [0-9-]* cpus, [0-9]* MiB)' \
		"$E2E_DIR/$1.console"
}

# The lighter-vmm boot-timer figure in microseconds, or nothing.
e2e_boot_timer_us() {
	sed -n 's/^lighter-vmm: boot-timer: \([0-9][0-9]*\) us.*/\1/p' \
		"$E2E_DIR/$1.stderr" | head -n1
}

e2e_ok() {
	e2e_cases=$((e2e_cases + 1))
	echo "ok $e2e_cases - $1${2:+: $2}"
}

e2e_fail() {
	local name=$1
	e2e_cases=$((e2e_cases + 1))
	e2e_failures=$((e2e_failures + 1))
	echo "not ok $e2e_cases - $name: $2"
	# Enough context to debug from the meson log alone.
	if [[ -f $E2E_DIR/$name.stderr ]]; then
		echo "# --- lighter-vmm stderr (last 15 lines) ---"
		tail -n 15 "$E2E_DIR/$name.stderr" | sed 's/^/# /'
	fi
	if [[ -f $E2E_DIR/$name.threads ]]; then
		echo "# --- lighter-vmm threads at the timeout ---"
		sed 's/^/# /' "$E2E_DIR/$name.threads"
	fi
	if [[ -f $E2E_DIR/$name.console ]]; then
		echo "# --- guest console (last 25 lines) ---"
		tail -n 25 "$E2E_DIR/$name.console" | tr -d '\r' | sed 's/^/# /'
	fi
}

e2e_finish() {
	echo "1..$e2e_cases"
	if ((e2e_failures > 0)); then
		echo "# $e2e_failures of $e2e_cases cases failed"
		exit 1
	fi
	echo "# all $e2e_cases cases passed"
	rm -rf "$E2E_DIR"
	exit 0
}

# Checks one normal boot: exit 0, the readiness line with CPUS online CPUs
# and a MemTotal within the kernel's reservations of MEM_MIB, and the
# boot-timer line.  Extra words after NAME describe the case.
e2e_check_boot() {
	local name=$1 cpus=$2 mem=$3 rc line got_cpus got_mem min_mem us
	rc=$(e2e_rc "$name")
	if [[ $rc != 0 ]]; then
		e2e_fail "$name" "lighter-vmm exited with status $rc (want 0)"
		return
	fi
	line=$(e2e_ready_line "$name")
	if [[ -z $line ]]; then
		e2e_fail "$name" "no 'lighter-agent: ready' line on the console"
		return
	fi
	got_cpus=$(sed 's/.*, \([0-9-]*\) cpus,.*/\1/' <<<"$line")
	got_mem=$(sed 's/.* cpus, \([0-9]*\) MiB.*/\1/' <<<"$line")
	# MemTotal excludes the kernel image, struct pages (1/64 of RAM), the
	# initramfs and firmware holes: allow 1/32 of RAM plus 32 MiB (QEMU
	# microvm guests here: 128 -> 116, 512 -> 493, 2048 -> 2003 MiB).
	min_mem=$((mem - mem / 32 - 32))
	if [[ $got_cpus != "$cpus" ]]; then
		e2e_fail "$name" "guest sees $got_cpus CPUs, want $cpus ($line)"
		return
	fi
	if ((got_mem > mem || got_mem < min_mem)); then
		e2e_fail "$name" "guest sees $got_mem MiB, want $min_mem..$mem ($line)"
		return
	fi
	us=$(e2e_boot_timer_us "$name")
	if [[ -z $us ]]; then
		e2e_fail "$name" "no 'lighter-vmm: boot-timer: N us' line on stderr"
		return
	fi
	e2e_ok "$name" "$got_cpus cpus, $got_mem MiB, boot-timer $us us"
}
