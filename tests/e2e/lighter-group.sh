# tests/e2e/lighter-group.sh - inner script (runs inside the KVM test host):
# a two-container group from a spec file.  `web` serves /srv/index.html
# with busybox httpd on port 8080; `client` fetches it from localhost with
# wget: the containers share the group's network.  Yet each has its own
# processes and files: client's ps shows neither web's httpd nor its
# `sleep 999`, its PID 1 is its own shell, and the file web wrote in its
# /tmp before serving is absent from client's /tmp.  The group runs
# detached; once client has exited it is stopped (web's httpd never ends).
#
#   bash lighter-group.sh VMM KERNEL INITRD   (LIGHTER_E2E_LIGHTER,
#                                              LIGHTER_E2E_IMAGES set)
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/lib.sh"
source "$here/lighter-lib.sh"
lt_init "$@"

lt_spec "$E2E_DIR/pair.ini" <<EOF
[group]
name = pair
restart = never
cpus = 2
memory = 256M

[container.web]
image = $IMG:plain
command = sh -c 'echo secret >/tmp/web-only; sleep 999 & exec httpd -f -p 8080 -h /srv'

[container.client]
image = $IMG:plain
command = sh -c 'for i in \$(seq 120); do wget -q -O /tmp/got http://localhost:8080/index.html && break; sleep 1; done; echo fetched: \$(cat /tmp/got); echo procs: \$(ps -o comm | tail -n +2); echo pid1: \$(cat /proc/1/comm); if test -e /tmp/web-only; then echo web-only: visible; else echo web-only: absent; fi'
EOF

lt pair run -d "$E2E_DIR/pair.ini"
if [[ $(lt_rc pair) != 0 || $(lt_out pair) != pair ]]; then
	lt_fail pair "run -d: status $(lt_rc pair), stdout '$(lt_out pair)' (want 0, 'pair')" pair
	e2e_finish
fi
e2e_ok pair "run -d printed the group's name"

# Wait for client to finish (the guest is emulated: minutes at worst).
cstate=
for _ in $(seq 240); do
	cstate=$(lt_jq pair '.containers[] | select(.name == "client") | .state')
	[[ $cstate == exited ]] && break
	[[ $(lt_jq pair .state) == failed ]] && break
	sleep 1
done
if [[ $cstate != exited ]]; then
	lt_fail pair-client "client is '$cstate' after 240 s, group $(lt_jq pair .state)" pair
else
	code=$(lt_jq pair '.containers[] | select(.name == "client") | .exit_code')
	wstate=$(lt_jq pair '.containers[] | select(.name == "web") | .state')
	if [[ $code == 0 && $wstate == running ]]; then
		e2e_ok pair-client "client exited 0, web still running"
	else
		lt_fail pair-client "client exit_code '$code', web '$wstate' (want 0, running)" pair
	fi
fi

lt pair-logs logs pair client
log=$(lt_out pair-logs)
fetched=$(sed -n 's/^fetched: //p' <<<"$log")
procs=$(sed -n 's/^procs: //p' <<<"$log")
pid1=$(sed -n 's/^pid1: //p' <<<"$log")
files=$(sed -n 's/^web-only: //p' <<<"$log")
if [[ $fetched == "hello from httpd" ]]; then
	e2e_ok pair-network "client fetched web's page over localhost:8080"
else
	lt_fail pair-network "client fetched '$fetched', want 'hello from httpd'" pair
fi
if [[ -z $procs ]]; then
	lt_fail pair-pids "client printed no process list" pair
elif [[ $procs == *httpd* || $procs == *sleep* ]]; then
	lt_fail pair-pids "client sees web's processes: $procs" pair
elif [[ $pid1 != sh ]]; then
	lt_fail pair-pids "client's PID 1 is '$pid1', not its own shell" pair
else
	e2e_ok pair-pids "client sees only its own processes ($procs)"
fi
if [[ $files == absent ]]; then
	e2e_ok pair-files "web's /tmp/web-only is absent in client"
else
	lt_fail pair-files "web's /tmp/web-only is '$files' in client" pair
fi

lt pair-stop stop -t 2 pair
state=$(lt_jq pair .state)
if [[ $(lt_rc pair-stop) == 0 && $state == exited ]]; then
	e2e_ok pair-stop "stop -t 2: group exited"
else
	lt_fail pair-stop "stop: status $(lt_rc pair-stop), group '$state'" pair
fi
lt_rm pair-rm pair

e2e_finish
