# tests/e2e/lighter-limits.sh - inner script (runs inside the KVM test
# host): a container's memory limit (cgroup v2 in the guest).  In one group
# `hog` (memory = 32M) runs `dd bs=64M count=1`, whose 64 MiB buffer cannot
# fit: it is OOM-killed, exit 137, and inspect says oom_killed; `fits`
# (also 32M) runs dd with a 4 MiB buffer and exits 0.  `lighter run`
# passes on hog's status (the first container's).
#
#   bash lighter-limits.sh VMM KERNEL INITRD   (LIGHTER_E2E_LIGHTER,
#                                               LIGHTER_E2E_IMAGES set)
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/lib.sh"
source "$here/lighter-lib.sh"
lt_init "$@"

lt_spec "$E2E_DIR/mem.ini" <<EOT
[group]
name = mem
restart = never
memory = 256M

[container.hog]
image = $IMG:plain
memory = 32M
command = dd if=/dev/zero of=/dev/null bs=64M count=1

[container.fits]
image = $IMG:plain
memory = 32M
command = dd if=/dev/zero of=/dev/null bs=4M count=1
EOT

lt mem run "$E2E_DIR/mem.ini"
rc=$(lt_rc mem)
state=$(lt_jq mem .state)
hog=$(lt_jq mem '.containers[] | select(.name == "hog") | "\(.exit_code) \(.oom_killed)"')
fits=$(lt_jq mem '.containers[] | select(.name == "fits") | "\(.exit_code) \(.oom_killed)"')
if [[ $rc != 137 ]]; then
	lt_fail mem "lighter run exited $rc, want 137 (hog's OOM kill)" mem
else
	e2e_ok mem "lighter run exited 137"
fi
if [[ $state == exited && $hog == "137 true" ]]; then
	e2e_ok mem-oom "hog: exit_code 137, oom_killed true"
else
	lt_fail mem-oom "group '$state', hog exit_code/oom_killed '$hog' (want exited, 137 true)" mem
fi
if [[ $fits == "0 false" ]]; then
	e2e_ok mem-fits "fits: exit_code 0, oom_killed false"
else
	lt_fail mem-fits "fits exit_code/oom_killed '$fits' (want 0 false)" mem
fi
lt_rm mem-rm mem

e2e_finish
