# tests/e2e/lighter-exec.sh - inner script (runs inside the KVM test host):
# exec, attach, stats and logs of running groups.
#  - exec without a tty: the command's stdout, stderr and exit status, its
#    place in the container (PID namespace, hostname), -i stdin; a missing
#    command is 127 and a file that cannot run 126, with the reason;
#  - exec -t under script(1)'s pty: a pty in the guest (/dev/pts/N), the
#    size of the host terminal, the exit status, Ctrl-C (0x03 in raw mode)
#    ending the command with 130, the host terminal's mode restored;
#  - attach: the containers' start-up state, then live output, ending when
#    the group stops;
#  - stats: CPU that moves while an exec'd loop burns in the container's
#    cgroup, memory that moves with 32 MiB on /dev/shm, pids, the VMM's
#    RSS, the interface counted (eth0, or lo when the guest has none);
#    table, json and prometheus formats;
#  - logs across restarts of an on-failure container: every run's output
#    kept with its time; --tail N and -t.
#
#   bash lighter-exec.sh VMM KERNEL INITRD   (LIGHTER_E2E_LIGHTER,
#                                             LIGHTER_E2E_IMAGES set)
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/lib.sh"
source "$here/lighter-lib.sh"
lt_init "$@"

# lt with stdin from a string.
lt_in() { # NAME INPUT ARGS...
	local name=$1 input=$2
	shift 2
	printf '%s' "$input" | timeout --kill-after=10 "$LT_TIMEOUT" \
		"$LIGHTER" "$@" >"$E2E_DIR/$name.out" 2>"$E2E_DIR/$name.err"
	echo $? >"$E2E_DIR/$name.rc"
}

# COMMAND run by bash on script(1)'s pty: NAME.out holds the pty's output
# (CRLF made LF), NAME.rc the status.  INPUT is typed after DELAY seconds.
lt_pty() { # NAME DELAY INPUT COMMAND
	local name=$1 delay=$2 input=$3 cmd=$4
	{ sleep "$delay"; printf '%b' "$input"; sleep 6; } |
		timeout --kill-after=10 120 script -qefc "$cmd" /dev/null \
			>"$E2E_DIR/$name.raw" 2>"$E2E_DIR/$name.err"
	echo $? >"$E2E_DIR/$name.rc"
	tr -d '\r' <"$E2E_DIR/$name.raw" >"$E2E_DIR/$name.out"
}

stats_json() { # NAME -> NAME.out, one sample of group ex
	lt "$1" stats --no-stream --format json ex
}

sj() { # NAME FILTER over the group's object
	jq -r ".[0] | $2" "$E2E_DIR/$1.out" 2>/dev/null
}

lt ex run -d --name ex "$IMG:plain" sh -c \
	'echo started; i=0; while true; do i=$((i + 1)); echo tick $i; sleep 1; done'
if [[ $(lt_rc ex) != 0 ]]; then
	lt_fail ex "run -d: status $(lt_rc ex)" ex
	e2e_finish
fi
e2e_ok ex "group ex running"

# ---- exec without a tty ----
lt x-plain exec ex main -- sh -c \
	'echo out $(hostname) $(cat /proc/1/comm) $$; echo err >&2; exit 7'
out=$(lt_out x-plain)
if [[ $(lt_rc x-plain) != 7 ]]; then
	lt_fail x-plain "exit status $(lt_rc x-plain), want 7" ex
elif [[ ! $out =~ ^out\ [^\ ]+\ sh\ [0-9]+$ ]]; then
	lt_fail x-plain "stdout '$out', want 'out HOSTNAME sh PID'" ex
elif [[ $(lt_err x-plain) != err ]]; then
	lt_fail x-plain "stderr '$(lt_err x-plain)', want 'err'" ex
else
	e2e_ok x-plain "status 7, '$out' (pid 1 of its namespace is the container's sh), stderr 'err'"
fi

lt_in x-stdin $'hello\nworld\n' exec -i ex main sh -c 'wc -l; echo done'
lt_expect x-stdin ex 0 $'2\ndone'

lt x-missing exec ex main nosuch-command arg
if [[ $(lt_rc x-missing) == 127 ]] && grep -q 'nosuch-command' "$E2E_DIR/x-missing.err"; then
	e2e_ok x-missing "127: $(lt_err x-missing)"
else
	lt_fail x-missing "status $(lt_rc x-missing), want 127 naming the command" ex
fi
lt x-noexec exec ex main /etc/passwd
if [[ $(lt_rc x-noexec) == 126 ]] && grep -q '/etc/passwd' "$E2E_DIR/x-noexec.err"; then
	e2e_ok x-noexec "126: $(lt_err x-noexec)"
else
	lt_fail x-noexec "status $(lt_rc x-noexec), want 126 naming the file" ex
fi
lt x-nogroup exec nosuch main true
lt x-noctr exec ex nosuch true
if [[ $(lt_rc x-nogroup) == 1 && $(lt_rc x-noctr) == 125 ]] &&
	grep -q 'nosuch' "$E2E_DIR/x-noctr.err"; then
	e2e_ok x-errors "no group: 1; no container: 125, $(lt_err x-noctr)"
else
	lt_fail x-noctr "no group: $(lt_rc x-nogroup), no container: $(lt_rc x-noctr)" ex
fi

# ---- exec -t on a terminal ----
# The window grows once the command runs (a background stty on script's
# pty once "isatty" is out): SIGWINCH to lighter, EXEC_RESIZE, the guest
# pty's new size.
lt_pty x-tty 0 '' "stty rows 33 cols 77; stty -g >$E2E_DIR/mode.before;
	( for i in \$(seq 240); do grep -q isatty $E2E_DIR/x-tty.raw && break; sleep 0.5; done;
	  stty rows 50 cols 100 </dev/tty ) &
	$LIGHTER exec -it ex main sh -c 'busybox tty; busybox stty size;
		test -t 0 && echo isatty;
		for i in \$(seq 120); do s=\$(busybox stty size); test \"\$s\" != \"33 77\" && break; sleep 0.5; done;
		echo resized \$s; exit 3';
	rc=\$?; wait; stty -g >$E2E_DIR/mode.after; exit \$rc"
out=$(lt_out x-tty)
if [[ $(lt_rc x-tty) != 3 ]]; then
	lt_fail x-tty "status $(lt_rc x-tty), want 3: $out" ex
elif [[ $out != *"/dev/pts/"* || $out != *"33 77"* || $out != *isatty* ]]; then
	lt_fail x-tty "pty output '$out' lacks /dev/pts/N, '33 77' or isatty" ex
elif [[ $out != *"resized 50 100"* ]]; then
	lt_fail x-tty "the window's new size did not reach the guest: '$out'" ex
elif ! cmp -s "$E2E_DIR/mode.before" "$E2E_DIR/mode.after"; then
	lt_fail x-tty "the host terminal's mode was not restored" ex
else
	e2e_ok x-tty "status 3, ${out//$'\n'/ | }; terminal mode restored"
fi

# The trap's status (42) shows the SIGINT came from the guest's pty, not
# from script's terminal to lighter itself (130).
lt_pty x-ctrlc 8 '\003' "$LIGHTER exec -it ex main sh -c \
	'trap \"echo GOT-INT; exit 42\" INT; echo ready; while :; do sleep 1; done'"
if [[ $(lt_rc x-ctrlc) == 42 ]] && grep -q GOT-INT "$E2E_DIR/x-ctrlc.out"; then
	e2e_ok x-ctrlc "Ctrl-C through the pty: the command's INT trap ran, status 42"
else
	lt_fail x-ctrlc "status $(lt_rc x-ctrlc), want 42: $(lt_out x-ctrlc)" ex
fi

# ---- attach ----
timeout 300 "$LIGHTER" attach ex >"$E2E_DIR/attach.out" 2>"$E2E_DIR/attach.err" &
attach_pid=$!

# ---- stats ----
stats_json s-idle
mem0=$(sj s-idle '.containers[0].memory_bytes')
netif=$(sj s-idle .net.interfaces)
if [[ $(lt_rc s-idle) != 0 || ! $mem0 =~ ^[1-9][0-9]*$ ]]; then
	lt_fail s-idle "stats: status $(lt_rc s-idle), memory '$mem0'" ex
elif [[ $netif != lo && $netif != eth* ]]; then
	lt_fail s-idle "network counted on '$netif': want eth0, or lo without it" ex
else
	e2e_ok s-idle "idle: cpu $(sj s-idle '.containers[0].cpu_millicores')m, memory $mem0, pids $(sj s-idle '.containers[0].pids'), vmm rss $(sj s-idle .vmm_rss_bytes), net '$(sj s-idle .net.interfaces)'"
fi
timeout 300 "$LIGHTER" exec ex main sh -c 'while :; do :; done' \
	>/dev/null 2>&1 </dev/null &
burn_pid=$!
lt s-shm exec ex main dd if=/dev/zero of=/dev/shm/big bs=1M count=32
sleep 2
stats_json s-busy
cpu=$(sj s-busy '.containers[0].cpu_millicores | floor')
mem1=$(sj s-busy '.containers[0].memory_bytes')
pids=$(sj s-busy '.containers[0].pids')
rss=$(sj s-busy .vmm_rss_bytes)
if [[ ! $cpu =~ ^[0-9]+$ ]] || ((cpu < 300)); then
	lt_fail s-cpu "cpu ${cpu}m while a loop burns, want >= 300" ex
else
	e2e_ok s-cpu "cpu ${cpu}m while an exec'd loop burns in the container's cgroup"
fi
if [[ ! $mem1 =~ ^[0-9]+$ ]] || ((mem1 - mem0 < 30 * 1024 * 1024)); then
	lt_fail s-mem "memory $mem0 -> $mem1 after 32 MiB on /dev/shm" ex
else
	e2e_ok s-mem "memory $mem0 -> $mem1 after 32 MiB on /dev/shm"
fi
if [[ ! $pids =~ ^[0-9]+$ ]] || ((pids < 3)) || [[ ! $rss =~ ^[1-9][0-9]*$ ]]; then
	lt_fail s-pids "pids '$pids' (want >= 3: sh, sleep, the loop), vmm rss '$rss'" ex
else
	e2e_ok s-pids "pids $pids, vmm rss $rss"
fi
lt s-prom stats --no-stream --format prometheus ex
if grep -qx '# TYPE lighter_container_cpu_usage_millicores gauge' "$E2E_DIR/s-prom.out" &&
	grep -Eq '^lighter_container_cpu_usage_millicores\{group="ex",container="main"\} [0-9]+$' "$E2E_DIR/s-prom.out" &&
	grep -Eq '^lighter_group_vmm_resident_memory_bytes\{group="ex"\} [1-9][0-9]*$' "$E2E_DIR/s-prom.out"; then
	e2e_ok s-prom "$(grep -c '^lighter_' "$E2E_DIR/s-prom.out") samples, $(grep '^lighter_container_cpu' "$E2E_DIR/s-prom.out")"
else
	lt_fail s-prom "prometheus text lacks the CPU or RSS samples" ex
fi
lt s-table stats --no-stream
if [[ $(lt_rc s-table) == 0 ]] && grep -Eq '^ex +main ' "$E2E_DIR/s-table.out"; then
	e2e_ok s-table "$(grep -E '^ex ' "$E2E_DIR/s-table.out" | tr -s ' ')"
else
	lt_fail s-table "no 'ex main' row in the table" ex
fi
kill "$burn_pid" 2>/dev/null
wait "$burn_pid" 2>/dev/null
sleep 2
stats_json s-after
pids2=$(sj s-after '.containers[0].pids')
if [[ $pids2 =~ ^[0-9]+$ ]] && ((pids2 < pids)); then
	e2e_ok s-after "the loop went with its exec: pids $pids -> $pids2"
else
	lt_fail s-after "pids $pids -> '$pids2' after the exec's client was killed" ex
fi

# ---- attach ends with the group ----
lt ex-stop stop -t 1 ex
for _ in $(seq 60); do
	kill -0 "$attach_pid" 2>/dev/null || break
	sleep 0.5
done
if kill -0 "$attach_pid" 2>/dev/null; then
	kill "$attach_pid"
	lt_fail attach "attach still runs after the group stopped" ex
else
	wait "$attach_pid"
	arc=$?
	if [[ $arc != 0 ]]; then
		lt_fail attach "attach exited $arc: $(cat "$E2E_DIR/attach.err")" ex
	elif ! grep -q 'container "main" running' "$E2E_DIR/attach.err"; then
		lt_fail attach "no start-up state: $(cat "$E2E_DIR/attach.err")" ex
	elif ! grep -Eq '^tick [0-9]+$' "$E2E_DIR/attach.out" ||
		grep -qx started "$E2E_DIR/attach.out"; then
		lt_fail attach "output '$(head -3 "$E2E_DIR/attach.out")': want live ticks only" ex
	else
		e2e_ok attach "$(grep -c tick "$E2E_DIR/attach.out") live lines, ended with the group; $(head -2 "$E2E_DIR/attach.err" | tr '\n' ' ')"
	fi
fi
lt_rm ex-rm ex

# ---- logs across restarts ----
lt_spec "$E2E_DIR/again.ini" <<SPEC
[group]
name = again
restart = on-failure

[container.flaky]
image = $IMG:plain
command = sh -c 'echo run; sleep 1; exit 1'
SPEC
lt again run -d "$E2E_DIR/again.ini"
runs=0
for _ in $(seq 120); do
	lt again-logs logs again
	runs=$(grep -cx 'run' "$E2E_DIR/again-logs.out")
	((runs >= 3)) && break
	sleep 1
done
lt again-tail logs --tail 1 -t again
tail_out=$(lt_out again-tail)
if ((runs < 3)); then
	lt_fail again-logs "$runs runs logged, want 3 or more" again
elif [[ $(wc -l <"$E2E_DIR/again-tail.out") != 1 ||
	! $tail_out =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ run$ ]]; then
	lt_fail again-tail "--tail 1 -t printed '$tail_out'" again
else
	e2e_ok again-logs "$runs runs' output kept across restarts; --tail 1 -t: '$tail_out'"
fi
lt_rm again-rm again

e2e_finish
