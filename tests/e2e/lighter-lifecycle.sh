# tests/e2e/lighter-lifecycle.sh - inner script (runs inside the KVM test
# host): detached groups and how they end.
#  - `run -d` a `sleep 1000`: ps shows it running; `stop -t 2` ends it
#    within the grace plus slack (sleep ignores SIGTERM as its namespace's
#    PID 1, so SIGKILL follows), the group is exited;
#  - a shell that traps SIGTERM and exits 0: `stop -t 60` ends it long
#    before the grace, exit_code 0 (143 is accepted: a TERM not trapped);
#  - kill -9 of the VMM (its pid from inspect): ps -a and inspect show the
#    group failed with a reason; rm cleans up and no process is left.
#
#   bash lighter-lifecycle.sh VMM KERNEL INITRD   (LIGHTER_E2E_LIGHTER,
#                                                  LIGHTER_E2E_IMAGES set)
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/lib.sh"
source "$here/lighter-lib.sh"
lt_init "$@"

# Slack for a stop in the emulated test host: STOP, the agent's kill and
# wait, POWEROFF, the guest's shutdown and the VMM's exit.
STOP_SLACK=${STOP_SLACK:-30}

# Waits up to SECS for FILTER over GROUP's inspect to print WANT.
wait_for() { # GROUP FILTER WANT SECS
	local i
	for ((i = 0; i < $4 * 2; i++)); do
		[[ $(lt_jq "$1" "$2") == "$3" ]] && return 0
		sleep 0.5
	done
	return 1
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# ---- run -d, ps, stop -t 2 ----
lt sleeper run -d --name sleeper "$IMG:plain" sleep 1000
if [[ $(lt_rc sleeper) != 0 || $(lt_out sleeper) != sleeper ]]; then
	lt_fail sleeper "run -d: status $(lt_rc sleeper), stdout '$(lt_out sleeper)'" sleeper
else
	e2e_ok sleeper "run -d printed 'sleeper'"
	lt sleeper-ps ps
	if grep -Eq '^sleeper[[:space:]]+running' "$E2E_DIR/sleeper-ps.out"; then
		e2e_ok sleeper-ps "$(grep '^sleeper' "$E2E_DIR/sleeper-ps.out")"
	else
		lt_fail sleeper-ps "no 'sleeper running' row in ps" sleeper
	fi
	t0=$(now_ms)
	lt sleeper-stop stop -t 2 sleeper
	ms=$(($(now_ms) - t0))
	state=$(lt_jq sleeper .state)
	cstate=$(lt_jq sleeper '.containers[0].state')
	code=$(lt_jq sleeper '.containers[0].exit_code')
	if [[ $(lt_rc sleeper-stop) != 0 ]]; then
		lt_fail sleeper-stop "stop exited $(lt_rc sleeper-stop)" sleeper
	elif ((ms > (2 + STOP_SLACK) * 1000)); then
		lt_fail sleeper-stop "stop -t 2 took $ms ms (> 2 s + ${STOP_SLACK} s)" sleeper
	elif [[ $state != exited || $cstate != exited ]]; then
		lt_fail sleeper-stop "after stop: group '$state', main '$cstate'" sleeper
	else
		e2e_ok sleeper-stop "stop -t 2 took $ms ms, exited, main exit_code $code"
	fi
	lt sleeper-stop2 stop sleeper
	if [[ $(lt_rc sleeper-stop2) == 0 ]]; then
		e2e_ok sleeper-stop2 "stopping an exited group is no error"
	else
		lt_fail sleeper-stop2 "a second stop exited $(lt_rc sleeper-stop2)" sleeper
	fi
fi
lt_rm sleeper-rm sleeper

# ---- a container that handles SIGTERM ----
lt trapper run -d --name trapper "$IMG:plain" sh -c \
	'trap "echo got TERM; exit 0" TERM; echo ready; while true; do sleep 1; done'
if [[ $(lt_rc trapper) != 0 ]]; then
	lt_fail trapper "run -d: status $(lt_rc trapper)" trapper
else
	# The trap is set once "ready" is out.
	for _ in $(seq 240); do
		lt trapper-logs logs trapper
		grep -qx ready "$E2E_DIR/trapper-logs.out" && break
		sleep 0.5
	done
	t0=$(now_ms)
	lt trapper-stop stop -t 60 trapper
	ms=$(($(now_ms) - t0))
	code=$(lt_jq trapper '.containers[0].exit_code')
	lt trapper-logs logs trapper
	if [[ $(lt_rc trapper-stop) != 0 ]]; then
		lt_fail trapper-stop "stop exited $(lt_rc trapper-stop)" trapper
	elif ((ms >= 30000)); then
		lt_fail trapper-stop "stop took $ms ms: the TERM was not handled promptly" trapper
	elif [[ $code != 0 && $code != 143 ]]; then
		lt_fail trapper-stop "exit_code '$code', want 0 (or 143)" trapper
	elif [[ $code == 0 ]] && ! grep -qx 'got TERM' "$E2E_DIR/trapper-logs.out"; then
		lt_fail trapper-stop "exit_code 0 but no 'got TERM' in the logs" trapper
	else
		e2e_ok trapper-stop "stop -t 60 took $ms ms, exit_code $code"
	fi
fi
lt_rm trapper-rm trapper

# ---- the VMM killed under the group ----
lt victim run -d --name victim "$IMG:plain" sleep 1000
vmm_pid=$(lt_jq victim .vmm_pid)
mon_pid=$(lt_jq victim .monitor_pid)
if [[ $(lt_rc victim) != 0 || ! $vmm_pid =~ ^[1-9][0-9]*$ ]]; then
	lt_fail victim "run -d: status $(lt_rc victim), vmm_pid '$vmm_pid'" victim
else
	kill -9 "$vmm_pid"
	if wait_for victim .state failed 60; then
		reason=$(lt_jq victim .reason)
		lt victim-ps ps -a
		row=$(grep '^victim' "$E2E_DIR/victim-ps.out")
		if [[ -z $reason || $reason == null ]]; then
			lt_fail victim "failed, but no reason in inspect" victim
		elif [[ $reason != *9* && $reason != *KILL* && $reason != *kill* ]]; then
			lt_fail victim "reason '$reason' does not say the VMM was killed" victim
		elif [[ $row != *failed* ]]; then
			lt_fail victim "ps -a row '$row' does not say failed" victim
		else
			e2e_ok victim "inspect: failed, '$reason'; ps -a: $row"
		fi
		if [[ $row == *"$reason"* || $row == *killed* || $row == *signal* ]]; then
			e2e_ok victim-ps-reason "ps -a shows the reason"
		else
			lt_fail victim-ps-reason "ps -a row '$row' does not show '$reason'" victim
		fi
	else
		lt_fail victim "group '$(lt_jq victim .state)' 60 s after kill -9 of lighter-vmm $vmm_pid" victim
	fi
fi
lt_rm victim-rm victim
sleep 1
# (kill -0 of pid 0 would ask about our own process group)
if { [[ $vmm_pid =~ ^[1-9] ]] && kill -0 "$vmm_pid" 2>/dev/null; } ||
	{ [[ $mon_pid =~ ^[1-9] ]] && kill -0 "$mon_pid" 2>/dev/null; }; then
	e2e_fail victim-procs "lighter-vmm $vmm_pid or monitor $mon_pid still alive after rm"
else
	e2e_ok victim-procs "no VMM or monitor left"
fi

e2e_finish
