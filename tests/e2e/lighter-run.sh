# tests/e2e/lighter-run.sh - inner script (runs inside the KVM test host):
# `lighter run` of the umoci-built busybox image, end to end.
#  - hello world: output, exit 0, ps -a, inspect, logs, rm;
#  - exit statuses: `sh -c 'exit $CODE'` with -e CODE=7 gives 7 and --rm
#    removes the group; a missing command gives 127;
#  - oci-archive: (skopeo's copy of the image) runs like oci:;
#  - one group whose containers show the spec's overrides of the image
#    config: env, workdir, user by name and by uid:gid, the image's Cmd,
#    command, entrypoint, entrypoint + command.
#
#   bash lighter-run.sh VMM KERNEL INITRD   (LIGHTER_E2E_LIGHTER,
#                                            LIGHTER_E2E_IMAGES set)
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/lib.sh"
source "$here/lighter-lib.sh"
lt_init "$@"

# ---- hello world ----
lt hello run --name hello "$IMG:plain" echo hello
if lt_expect hello hello 0 hello; then
	lt hello-ps ps -a
	if grep -Eq '^hello[[:space:]]+exited' "$E2E_DIR/hello-ps.out"; then
		e2e_ok hello-ps "$(grep '^hello' "$E2E_DIR/hello-ps.out")"
	else
		lt_fail hello-ps "no 'hello exited' row in ps -a" hello
	fi
	state=$(lt_jq hello '.state')
	code=$(lt_jq hello '.containers[0].exit_code')
	cstate=$(lt_jq hello '.containers[0].state')
	if [[ $state == exited && $code == 0 && $cstate == exited ]]; then
		e2e_ok hello-inspect "group exited, main exited with exit_code 0"
	else
		lt_fail hello-inspect "state '$state', main '$cstate' exit_code '$code'" hello
	fi
	lt hello-logs logs hello
	lt_expect hello-logs hello 0 hello
	lt hello-logs-main logs --tail 1 hello main
	lt_expect hello-logs-main hello 0 hello
fi
lt_rm hello-rm hello
lt hello-gone inspect hello
if [[ $(lt_rc hello-gone) == 1 ]] && grep -q 'no such group' "$E2E_DIR/hello-gone.err"; then
	e2e_ok hello-gone "inspect after rm: no such group, status 1"
else
	lt_fail hello-gone "inspect after rm: status $(lt_rc hello-gone), want 1 and 'no such group'"
fi

# ---- exit statuses ----
lt exit7 run --rm --name exit7 -e CODE=7 "$IMG:plain" sh -c 'echo code $CODE; exit $CODE'
if lt_expect exit7 exit7 7 "code 7"; then
	# --rm: the monitor removes the group once it has ended.
	for _ in $(seq 50); do
		[[ -e $LIGHTER_RUN_DIR/exit7 ]] || break
		sleep 0.2
	done
	if [[ -e $LIGHTER_RUN_DIR/exit7 ]]; then
		lt_fail exit7-rm "--rm left $LIGHTER_RUN_DIR/exit7 behind" exit7
	else
		e2e_ok exit7-rm "--rm removed the group"
	fi
fi

lt missing run --name missing "$IMG:plain" /bin/no-such-command
if [[ $(lt_rc missing) == 127 ]]; then
	e2e_ok missing "status 127: $(head -n1 "$E2E_DIR/missing.err")"
else
	lt_fail missing "exit status $(lt_rc missing), want 127" missing
fi
lt_rm missing-rm missing

# ---- oci-archive ----
lt archive run --rm --name archive "oci-archive:$IMAGES/plain.tar:plain" \
	echo from-archive
lt_expect archive archive 0 from-archive

# ---- overrides of the image config, one group ----
lt_spec "$E2E_DIR/over.ini" <<EOF
[group]
name = over
restart = never
memory = 512M

[container.env]
image = $IMG:plain
command = sh -c 'echo \$MODE-\$LEVEL-\$HOSTNAME'
env = MODE=prod, LEVEL=3

[container.workdir]
image = $IMG:plain
workdir = /srv
command = sh -c 'echo \$(pwd) \$(cat index.html)'

[container.username]
image = $IMG:plain
user = app
command = sh -c 'echo \$(id -u):\$(id -g) \$(id -un)'

[container.uidgid]
image = $IMG:plain
user = 1000:1000
command = sh -c 'echo \$(id -u):\$(id -g)'

[container.imagecmd]
image = $IMG:plain

[container.command]
image = $IMG:plain
command = echo from-command

[container.entrypoint]
image = $IMG:plain
entrypoint = echo ep

[container.both]
image = $IMG:plain
entrypoint = echo ep
command = a 'b c'
EOF
lt over run "$E2E_DIR/over.ini"
if [[ $(lt_rc over) != 0 ]]; then
	lt_fail over "exit status $(lt_rc over), want 0 (the first container's)" over
else
	e2e_ok over "group of 8 ran, status 0"
	# Names are padded to the longest ("entrypoint").
	if grep -Eqx 'env +\| prod-3-over' "$E2E_DIR/over.out" &&
		grep -Eqx 'entrypoint \| ep' "$E2E_DIR/over.out"; then
		e2e_ok over-prefix "run prefixes each container's lines"
	else
		lt_fail over-prefix "no 'env        | prod-3-over' line in run's output" over
		sed 's/^/# over.out: /' "$E2E_DIR/over.out"
	fi
	while IFS='|' read -r c want; do
		lt "over-$c" logs over "$c"
		lt_expect "over-$c" over 0 "$want"
	done <<-'EOF'
	env|prod-3-over
	workdir|/srv hello from httpd
	username|1000:1000 app
	uidgid|1000:1000
	imagecmd|cmd-from-image
	command|from-command
	entrypoint|ep
	both|ep a b c
	EOF
fi
lt_rm over-rm over

e2e_finish
