# tests/e2e/lighter-volumes.sh - inner script (runs inside the KVM test
# host): every volume type in two guest boots.
#  - group `vols` (run -d), two containers:
#    writer mounts an emptydir at /shared, a secret at /creds (an inline
#    value and a host file, default mode 0400), a persistent volume at
#    /pdata (a new 32M ext4 image) and a gitrepo (a local repository at
#    tag v1, directory app) at /src; it writes /shared/msg, writes and
#    syncs /pdata/f, prints what it sees (the secret's modes, its value
#    rot13'd so that the logs do not hold it), then sleeps; nothing of
#    the secret is anywhere under the run or data dir;
#    reader mounts the same emptydir read-only at /in/deep: it reads the
#    message and fails to write there;
#  - while vols runs, a second group with the same persistent volume is
#    refused (the image is locked) before any boot;
#  - the VMM of vols is killed with SIGKILL, the group removed;
#  - group `later` mounts the persistent volume again and reads the file
#    the first guest synced;
#  - `lighter volume ls` shows it in use while vols runs; `volume inspect`
#    and `volume rm` once no group holds it.
#
#   bash lighter-volumes.sh VMM KERNEL INITRD   (LIGHTER_E2E_LIGHTER,
#                                                LIGHTER_E2E_IMAGES set)
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/lib.sh"
source "$here/lighter-lib.sh"
lt_init "$@"

# Waits up to SECS for FILTER over GROUP's inspect to print WANT.
wait_for() { # GROUP FILTER WANT SECS
	local i
	for ((i = 0; i < $4 * 2; i++)); do
		[[ $(lt_jq "$1" "$2") == "$3" ]] && return 0
		[[ $(lt_jq "$1" .state) == failed ]] && return 1
		sleep 0.5
	done
	return 1
}

# A repository with two commits; v1 has README "version one".
repo=$E2E_DIR/repo
(
	set -e
	git init -q "$repo"
	cd "$repo"
	git config user.email e2e@lighter
	git config user.name e2e
	echo "version one" >README
	git add README
	git commit -qm one
	git tag v1
	echo "version two" >README
	git commit -qam two
) || e2e_fail repo "could not make the test repository"
printf 'cert-from-host' >"$E2E_DIR/cert.pem"

# "hunter2" in base64
lt_spec "$E2E_DIR/vols.ini" <<EOF
[group]
name = vols
restart = never
memory = 256M

[container.writer]
image = $IMG:plain
volumes = shared:/shared, creds:/creds, pdata:/pdata, src:/src
command = sh -c 'echo from-writer >/shared/msg; echo persisted-1 >/pdata/f && sync && echo synced; echo secret-mode: \$(stat -c "%a %u" /creds/token /creds/cert.pem); echo secret: \$(tr a-z n-za-m </creds/token) \$(cat /creds/cert.pem); if echo x >/creds/new; then echo secret: writable; else echo secret: read-only; fi; echo src: \$(cat /src/app/README); test -f /src/app/.git/HEAD && echo src: git; echo mine >/src/app/NEW && echo src: writable; echo done; exec sleep 1000'

[container.reader]
image = $IMG:plain
volumes = shared:/in/deep:ro
command = sh -c 'for i in \$(seq 300); do test -e /in/deep/msg && break; sleep 0.2; done; echo shared: \$(cat /in/deep/msg); if echo no >/in/deep/y; then echo shared: writable; else echo shared: read-only; fi'

[volume.shared]
type = emptydir
size = 16M

[volume.creds]
type = secret
secret.token = aHVudGVyMg==
file.cert.pem = cert.pem

[volume.pdata]
type = persistent
size = 32M

[volume.src]
type = gitrepo
repository = repo
revision = v1
directory = app
EOF

lt_spec "$E2E_DIR/later.ini" <<EOF
[group]
name = later
restart = never

[container.main]
image = $IMG:plain
volumes = pdata:/data
command = cat /data/f

[volume.pdata]
type = persistent
EOF

lt vols run -d "$E2E_DIR/vols.ini"
if [[ $(lt_rc vols) != 0 || $(lt_out vols) != vols ]]; then
	lt_fail vols "run -d: status $(lt_rc vols), stdout '$(lt_out vols)'" vols
	e2e_finish
fi
e2e_ok vols "run -d printed the group's name"

if ! wait_for vols '.containers[] | select(.name == "reader") | .state' exited 300; then
	lt_fail vols-reader "reader did not exit; group $(lt_jq vols .state)" vols
fi
for _ in $(seq 300); do
	lt vols-logs logs vols writer
	grep -qx done "$E2E_DIR/vols-logs.out" && break
	[[ $(lt_jq vols .state) == failed ]] && break
	sleep 0.5
done
wlog=$(lt_out vols-logs)
lt vols-rlogs logs vols reader
rlog=$(lt_out vols-rlogs)

check_line() { # NAME LOG PREFIX WANT
	local got
	got=$(sed -n "s/^$3: //p" <<<"$2" | tr '\n' '|')
	got=${got%|}
	if [[ $got == "$4" ]]; then
		e2e_ok "$1" "$3: $got"
	else
		lt_fail "$1" "$3: '$got', want '$4'" vols
	fi
}

check_line emptydir-shared "$rlog" shared "from-writer|read-only"
check_line secret-mode "$wlog" secret-mode "400 0 400 0"
check_line secret-content "$wlog" secret "uhagre2 cert-from-host|read-only"
check_line gitrepo "$wlog" src "version one|git|writable"
if grep -qx synced <<<"$wlog"; then
	e2e_ok persistent-write "writer wrote and synced /pdata/f"
else
	lt_fail persistent-write "writer did not say 'synced'" vols
fi

# Nothing of the secret on the host's disk beyond the user's own files.
if found=$(grep -rlsa -e hunter2 -e aHVudGVyMg "$LIGHTER_RUN_DIR" "$LIGHTER_DATA_DIR"); then
	lt_fail secret-host "the secret's value is in: ${found//$'\n'/ }" vols
else
	e2e_ok secret-host "no trace of the secret under the run and data dirs"
fi

# The persistent volume is locked while vols runs.
lt busy run --name busy "$E2E_DIR/later.ini"
if [[ $(lt_rc busy) != 0 ]] && grep -q 'persistent volume "pdata" is in use by another running group' "$E2E_DIR/busy.err"; then
	e2e_ok persistent-locked "$(head -n 1 "$E2E_DIR/busy.err")"
else
	lt_fail busy "a second group got the volume in use: status $(lt_rc busy)" busy
fi
lt busy-rm rm -f busy
lt vol-ls-busy volume ls
if grep -Eq '^pdata +32M +[0-9A-Z]+ +in use$' "$E2E_DIR/vol-ls-busy.out"; then
	e2e_ok volume-ls-in-use "$(grep '^pdata' "$E2E_DIR/vol-ls-busy.out")"
else
	lt_fail vol-ls-busy "volume ls does not show pdata 32M in use" vols
fi

# kill -9 of the VMM after the guest's sync, then rm of the group.
vmm_pid=$(lt_jq vols .vmm_pid)
if [[ $vmm_pid =~ ^[1-9][0-9]*$ ]]; then
	kill -9 "$vmm_pid"
	for _ in $(seq 120); do
		[[ $(lt_jq vols .state) == failed ]] && break
		sleep 0.5
	done
	e2e_ok vmm-killed "lighter-vmm $vmm_pid killed, group $(lt_jq vols .state)"
else
	lt_fail vmm-killed "no vmm_pid for vols" vols
fi
lt_rm vols-rm vols

# A later group reads what the killed one synced.
lt later run --name later "$E2E_DIR/later.ini"
lt later-logs logs later
if [[ $(lt_rc later) == 0 && $(lt_out later-logs) == persisted-1 ]]; then
	e2e_ok persistent-survives "a later group read 'persisted-1' after rm and kill -9"
else
	lt_fail later "status $(lt_rc later), logs '$(lt_out later-logs)' (want 0, 'persisted-1')" later
fi
lt_rm later-rm later

# lighter volume: inspect, then rm of the volume no group holds now.
lt vol-inspect volume inspect pdata
lt vol-rm volume rm pdata
lt vol-ls volume ls
if [[ $(jq -r '.[0] | "\(.name) \(.size) \(.in_use)"' "$E2E_DIR/vol-inspect.out") != "pdata 33554432 false" ]]; then
	lt_fail vol-inspect "volume inspect: $(tr -d '\n' <"$E2E_DIR/vol-inspect.out")"
elif [[ $(lt_rc vol-rm) != 0 || $(lt_out vol-rm) != pdata ]]; then
	lt_fail vol-rm "volume rm pdata: status $(lt_rc vol-rm)"
elif grep -q '^pdata' "$E2E_DIR/vol-ls.out" || [[ -e $LIGHTER_DATA_DIR/volumes/pdata.ext4 ]]; then
	lt_fail vol-ls "pdata still there after volume rm"
else
	e2e_ok volume-rm "volume inspect, rm; the image is gone"
fi

e2e_finish
