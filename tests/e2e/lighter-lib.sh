# tests/e2e/lighter-lib.sh - helpers for the inner scripts that drive the
# `lighter` CLI (run, ps, inspect, logs, stop, rm) as root inside the KVM
# test host.  Sourced after lib.sh, not executed.
#
#   lt_init VMM KERNEL INITRD   e2e_init, then LIGHTER, IMAGES and a run
#                               dir and data dir of the test's own
#   lt NAME ARGS...             run `lighter ARGS...` (bounded); its
#                               stdout, stderr and status in NAME.out,
#                               NAME.err, NAME.rc
#   lt_rc / lt_out / lt_err NAME
#   lt_jq GROUP FILTER          jq -r FILTER over `lighter inspect GROUP`'s
#                               first object
#   lt_fail NAME MSG [GROUP]    e2e_fail plus the command's output and the
#                               group's monitor, VMM and console logs
#   lt_spec FILE <<EOF          write a spec file (images are absolute)

LT_TIMEOUT=${LT_TIMEOUT:-300}

lt_init() {
	e2e_init "$@"
	LIGHTER=${LIGHTER_E2E_LIGHTER:-}
	IMAGES=${LIGHTER_E2E_IMAGES:-}
	if [[ ! -x $LIGHTER ]]; then
		echo "e2e: FAIL: LIGHTER_E2E_LIGHTER '$LIGHTER' is not executable" >&2
		exit 1
	fi
	if [[ ! -f $IMAGES/stamp ]]; then
		echo "e2e: FAIL: no test images in LIGHTER_E2E_IMAGES '$IMAGES'" >&2
		exit 1
	fi
	IMG=oci:$IMAGES/img
	# meson passes build-relative paths; the scripts work in E2E_DIR.
	VMM=$(realpath "$VMM") KERNEL=$(realpath "$KERNEL")
	INITRD=$(realpath "$INITRD")
	export LIGHTER_RUN_DIR=$E2E_DIR/run
	export LIGHTER_DATA_DIR=$E2E_DIR/data
	export LIGHTER_VMM=$VMM LIGHTER_KERNEL=$KERNEL LIGHTER_INITRD=$INITRD
	# The test host is emulated: a guest takes seconds to boot.
	export LIGHTER_BOOT_TIMEOUT=${LIGHTER_BOOT_TIMEOUT:-180}
	cd "$E2E_DIR" || exit 1
}

lt() {
	local name=$1 rc
	shift
	timeout --kill-after=10 "$LT_TIMEOUT" "$LIGHTER" "$@" \
		>"$E2E_DIR/$name.out" 2>"$E2E_DIR/$name.err" </dev/null
	rc=$?
	echo "$rc" >"$E2E_DIR/$name.rc"
	return 0
}

lt_rc() {
	cat "$E2E_DIR/$1.rc"
}

lt_out() {
	cat "$E2E_DIR/$1.out"
}

lt_err() {
	cat "$E2E_DIR/$1.err"
}

lt_jq() {
	timeout 60 "$LIGHTER" inspect "$1" 2>/dev/null | jq -r ".[0] | $2"
}

# The group's directory under the run dir.
lt_group_dir() {
	echo "$LIGHTER_RUN_DIR/$1"
}

lt_fail() {
	local name=$1 msg=$2 group=${3:-} f
	e2e_fail "$name" "$msg"
	for f in "$E2E_DIR/$name.out" "$E2E_DIR/$name.err"; do
		[[ -s $f ]] || continue
		echo "# --- $(basename "$f") (last 20 lines) ---"
		tail -n 20 "$f" | sed 's/^/# /'
	done
	[[ -n $group && -d $LIGHTER_RUN_DIR/$group ]] || return 0
	# meson cuts long failure output in the middle: the state in one
	# line first, the guest's console (most telling) last
	f=$LIGHTER_RUN_DIR/$group/state.json
	[[ -s $f ]] && jq -c '{state, reason, vmm_pid,
		containers: [.containers[] | {name, state, exit_code, signal}]}' \
		"$f" 2>&1 | sed "s/^/# $group\/state.json: /"
	for f in monitor.log:8 vmm.log:8 console.log:20; do
		local n=${f#*:}
		f=$LIGHTER_RUN_DIR/$group/${f%:*}
		[[ -s $f ]] || continue
		echo "# --- $group/$(basename "$f") (last $n lines) ---"
		tail -n "$n" "$f" | tr -d '\r' | sed 's/^/# /'
	done
}

# Checks that command NAME exited with WANT and printed exactly OUT on
# stdout; reports the case either way.  Returns 0 when it passed.
lt_expect() { # NAME GROUP WANT-RC WANT-STDOUT
	local name=$1 group=$2 want_rc=$3 want_out=$4 rc out
	rc=$(lt_rc "$name")
	out=$(lt_out "$name")
	if [[ $rc != "$want_rc" ]]; then
		lt_fail "$name" "exit status $rc, want $want_rc" "$group"
		return 1
	fi
	if [[ $out != "$want_out" ]]; then
		lt_fail "$name" "stdout '$out', want '$want_out'" "$group"
		return 1
	fi
	e2e_ok "$name" "status $rc, '${out//$'\n'/\\n}'"
}

lt_spec() {
	cat >"$1"
}

# Removes the group (forced) and reports whether its run dir is gone.
lt_rm() { # NAME GROUP
	lt "$1" rm -f "$2"
	if [[ $(lt_rc "$1") != 0 ]]; then
		lt_fail "$1" "rm -f $2 exited $(lt_rc "$1")" "$2"
	elif [[ -e $LIGHTER_RUN_DIR/$2 ]]; then
		lt_fail "$1" "rm left $LIGHTER_RUN_DIR/$2 behind"
	else
		e2e_ok "$1" "$2 removed"
	fi
}
