# tests/e2e/lighter-life.sh - inner script (runs inside the KVM test
# host): a group's life.
#  - group "life" (on-failure): two init containers run one after the
#    other before the others; "flaky" fails twice and runs the third time
#    (restart count 2); "web" has an HTTP liveness probe that fails once,
#    so it is killed (Unhealthy, Killing) and restarted, then its
#    readiness probe says ready; "app" reads secure-env values that no
#    file under the run and data dirs holds; `lighter restart` restarts
#    every container in place (the inits do not run again); `events -f`,
#    started before the group, prints it all and ends with the group;
#  - group "loop" (always): a container that exits 0 keeps restarting;
#    an init that fails once runs again (always is on-failure for inits);
#  - group "broken" (never): a failing init ends the group, Failed, and
#    the app never starts.
#
#   bash lighter-life.sh VMM KERNEL INITRD   (LIGHTER_E2E_LIGHTER,
#                                             LIGHTER_E2E_IMAGES set)
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/lib.sh"
source "$here/lighter-lib.sh"
lt_init "$@"

# Waits up to SECS for FILTER over GROUP's inspect to print WANT.
wait_for() { # GROUP FILTER WANT SECS
	local i
	for ((i = 0; i < $4 * 2; i++)); do
		[[ $(lt_jq "$1" "$2") == "$3" ]] && return 0
		sleep 0.5
	done
	return 1
}

# One container's fields: ctr GROUP NAME JQ-EXPR
ctr() {
	lt_jq "$1" ".containers[] | select(.name == \"$2\") | $3"
}

SECRET=s3cr3t-Pa55w0rd
TOKEN=tok-9f8e7d6c
# What app prints: the values through rot13, so the logs never hold them.
rot13() {
	tr 'a-zA-Z' 'n-za-mN-ZA-M' <<<"$1"
}

lt_spec "$E2E_DIR/life.ini" <<EOF
[group]
name = life
restart = on-failure

[init.first]
image = $IMG:plain
command = sh -c 'echo first-init; sleep 1'

[init.second]
image = $IMG:plain
command = echo second-init

[container.app]
image = $IMG:plain
env = MODE=prod
secure-env = PASSWORD=$SECRET, TOKEN='$TOKEN'
command = sh -c 'echo "got \$(echo "\$PASSWORD \$TOKEN" | tr a-zA-Z n-za-mN-ZA-M) \$MODE"; trap "exit 0" TERM; while true; do sleep 1; done'

[container.flaky]
image = $IMG:plain
command = sh -c 'echo x >> /runs; n=\$(grep -c x /runs); echo run \$n; test \$n -ge 3 || exit 1; exec sleep 1000'

[container.web]
image = $IMG:plain
command = sh -c 'mkdir -p /www; echo ok > /www/healthz; httpd -p 8080 -h /www; if test ! -e /once; then touch /once; sleep 4; rm /www/healthz; fi; exec sleep 1000'
liveness-http = 8080/healthz
liveness-delay = 1s
liveness-period = 1s
liveness-failures = 2
readiness-http = 8080/healthz
readiness-period = 1s
EOF

lt life-create create "$E2E_DIR/life.ini"
if [[ $(lt_rc life-create) != 0 ]]; then
	lt_fail life-create "create exited $(lt_rc life-create)" life
	e2e_finish
fi
timeout 600 "$LIGHTER" events -f life >"$E2E_DIR/events.out" \
	2>"$E2E_DIR/events.err" &
events_pid=$!
lt life-start start life
if [[ $(lt_rc life-start) != 0 ]]; then
	lt_fail life-start "start exited $(lt_rc life-start)" life
else
	e2e_ok life-start "started"
fi

# ---- restart counts under on-failure ----
if wait_for life '.containers[] | select(.name == "flaky") | "\(.state) \(.restart_count)"' \
	"running 2" 120; then
	lt flaky-logs logs life flaky
	if [[ $(lt_out flaky-logs) == $'run 1\nrun 2\nrun 3' ]]; then
		e2e_ok flaky "restart_count 2, running, logs across runs"
	else
		lt_fail flaky-logs "logs '$(lt_out flaky-logs)'" life
	fi
else
	lt_fail flaky "flaky: '$(ctr life flaky '"\(.state) \(.restart_count)"')', want running 2" life
fi

# ---- init order ----
f_end=$(ctr life first .finished_at)
s_start=$(ctr life second .started_at)
s_end=$(ctr life second .finished_at)
a_start=$(ctr life app .started_at)
inits=$(lt_jq life '[.containers[] | select(.init) | "\(.name):\(.phase):\(.reason):\(.exit_code)"] | join(" ")')
lt first-logs logs life first
lt second-logs logs life second
if [[ $inits != "first:Terminated:Completed:0 second:Terminated:Completed:0" ]]; then
	lt_fail inits "inits '$inits'" life
elif [[ ! $f_end < $s_start && $f_end != "$s_start" ]]; then
	lt_fail inits "second started $s_start before first finished $f_end" life
elif [[ ! $s_end < $a_start && $s_end != "$a_start" ]]; then
	lt_fail inits "app started $a_start before second finished $s_end" life
elif [[ $(lt_out first-logs) != first-init || $(lt_out second-logs) != second-init ]]; then
	lt_fail inits "init logs '$(lt_out first-logs)' '$(lt_out second-logs)'" life
else
	e2e_ok inits "first ended $f_end, second $s_start..$s_end, app $a_start"
fi

# ---- a probe-driven restart ----
if wait_for life '.containers[] | select(.name == "web") | "\(.restart_count) \(.ready)"' \
	"1 true" 120; then
	kinds=$(lt_jq life '[.events[] | select(.container == "web") | .type] | join(" ")')
	killing=$(lt_jq life '.events[] | select(.container == "web" and .type == "Killing") | .message')
	unhealthy=$(lt_jq life '.events[] | select(.container == "web" and .type == "Unhealthy") | .message' | head -n1)
	if [[ $killing != *"liveness probe failed"* ]]; then
		lt_fail probe "web's Killing event '$killing'" life
	elif [[ $unhealthy != "Liveness probe failed: HTTP status 404" &&
		$unhealthy != "Readiness probe failed: HTTP status 404" ]]; then
		lt_fail probe "web's Unhealthy event '$unhealthy'" life
	else
		e2e_ok probe "web restarted by its liveness probe, ready again ($kinds)"
	fi
else
	lt_fail probe "web: '$(ctr life web '"\(.restart_count) \(.ready)"')', want 1 true" life
fi

# ---- secure-env ----
lt app-logs logs life app
want="got $(rot13 "$SECRET $TOKEN") prod"
if [[ $(lt_out app-logs) != "$want" ]]; then
	lt_fail secure-env "app printed '$(lt_out app-logs)', want '$want'" life
else
	e2e_ok secure-env "the container has both values"
fi
lt life-inspect inspect life
lt life-ps ps -a
leaks=$(grep -rlaF -e "$SECRET" -e "$TOKEN" "$LIGHTER_RUN_DIR" "$LIGHTER_DATA_DIR" \
	"$E2E_DIR/life-inspect.out" "$E2E_DIR/life-ps.out" 2>/dev/null)
if [[ -n $leaks ]]; then
	lt_fail secure-env-files "the values are in: $leaks" life
elif [[ ! -s $LIGHTER_RUN_DIR/life/secure-env.json ]]; then
	lt_fail secure-env-files "no sealed secure-env.json" life
else
	e2e_ok secure-env-files "in no file under the run and data dirs, nor in inspect or ps"
fi

# ---- lighter restart ----
lt life-restart restart -t 5 life
if [[ $(lt_rc life-restart) != 0 ]]; then
	lt_fail life-restart "restart exited $(lt_rc life-restart): $(lt_err life-restart)" life
elif ! wait_for life '.containers[] | select(.name == "app") | "\(.state) \(.restart_count)"' \
	"running 1" 60; then
	lt_fail life-restart "app: '$(ctr life app '"\(.state) \(.restart_count)"')', want running 1" life
elif ! wait_for life '.containers[] | select(.name == "flaky") | "\(.state) \(.restart_count)"' \
	"running 3" 60; then
	lt_fail life-restart "flaky: '$(ctr life flaky '"\(.state) \(.restart_count)"')', want running 3" life
else
	lt first-logs2 logs life first
	app_code=$(lt_jq life '[.events[] | select(.container == "app" and .type == "Exited") | .message] | join(",")')
	if [[ $(lt_out first-logs2) != first-init ]]; then
		lt_fail life-restart "first ran again: '$(lt_out first-logs2)'" life
	elif [[ $app_code != *"Exit code 0"* ]]; then
		lt_fail life-restart "app's exit after SIGTERM: '$app_code'" life
	else
		e2e_ok life-restart "app and flaky restarted in place, the inits not rerun"
	fi
fi

# ---- stop; events -f ends with the group ----
lt life-stop stop -t 5 life
phase=$(lt_jq life .phase)
if [[ $(lt_rc life-stop) != 0 || $phase != Stopped ]]; then
	lt_fail life-stop "stop exited $(lt_rc life-stop), phase '$phase'" life
else
	e2e_ok life-stop "phase Stopped"
fi
for _ in $(seq 20); do
	kill -0 "$events_pid" 2>/dev/null || break
	sleep 0.5
done
if kill -0 "$events_pid" 2>/dev/null; then
	kill "$events_pid"
	e2e_fail events "events -f life did not end with the group"
else
	missing=
	for want in "life first Created" "life first Started" "life second Started" \
		"life flaky BackOff" "life web Unhealthy" "life web Killing" \
		"life app Killing Killing container: restart requested" \
		"life web Ready" "life app Pulled" "life - Restarting" "life - Stopping"; do
		grep -qF " $want" "$E2E_DIR/events.out" || missing+="'$want' "
	done
	if [[ -n $missing ]]; then
		e2e_fail events "events -f printed no $missing"
		sed 's/^/# /' "$E2E_DIR/events.out" | tail -n 30
	else
		e2e_ok events "$(wc -l <"$E2E_DIR/events.out") lines, ended with the group"
	fi
fi
lt_rm life-rm life

# ---- always: exits 0 and restarts; a failing init runs again ----
lt_spec "$E2E_DIR/loop.ini" <<EOF
[group]
name = loop
memory = 256M

[init.once]
image = $IMG:plain
command = sh -c 'test -e /ran && exit 0; touch /ran; exit 7'

[container.tick]
image = $IMG:plain
command = echo tick
EOF
lt loop-create create "$E2E_DIR/loop.ini"
lt loop-start start loop
if [[ $(lt_rc loop-start) != 0 ]]; then
	lt_fail loop-start "start exited $(lt_rc loop-start)" loop
elif ! wait_for loop '.containers[] | select(.name == "tick") | .restart_count >= 2' true 120; then
	lt_fail loop "tick restart_count '$(ctr loop tick .restart_count)', want >= 2" loop
else
	once=$(ctr loop once '"\(.restart_count) \(.exit_code)"')
	if [[ $once != "1 0" ]]; then
		lt_fail loop "init once: '$once', want '1 0' (restarted once under always)" loop
	else
		e2e_ok loop "tick restarts after exit 0 ($(ctr loop tick .restart_count)); init retried once"
	fi
fi
lt loop-stop stop -t 2 loop
lt_rm loop-rm loop

# ---- never: a failing init ends the group ----
lt_spec "$E2E_DIR/broken.ini" <<EOF
[group]
name = broken
memory = 256M
restart = never

[init.setup]
image = $IMG:plain
command = sh -c 'echo setting up; exit 3'

[container.app]
image = $IMG:plain
command = echo should-not-run
EOF
lt broken-create create "$E2E_DIR/broken.ini"
lt broken-start start broken
if ! wait_for broken .state exited 120; then
	lt_fail broken "state '$(lt_jq broken .state)', want exited" broken
else
	got=$(lt_jq broken '"\(.phase) \(.containers[0].exit_code) \(.containers[0].restart_count) \(.containers[1].reason)"')
	lt broken-logs logs broken app
	if [[ $got != "Failed 3 0 NotStarted" ]]; then
		lt_fail broken "phase, init exit, restarts, app reason: '$got'" broken
	elif [[ -n $(lt_out broken-logs) ]]; then
		lt_fail broken "app ran: '$(lt_out broken-logs)'" broken
	else
		e2e_ok broken "Failed, init exit 3 not retried, app NotStarted"
	fi
fi
lt_rm broken-rm broken

e2e_finish
