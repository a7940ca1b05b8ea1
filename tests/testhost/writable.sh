#!/usr/bin/env bash
# tests/testhost/writable.sh - CMD runs as root in the caller's cwd with the
# caller's LIGHTER_* variables, may write to /var/tmp and to the checkout, and
# none of it reaches the real host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

checkout=$(cd "$(dirname "$0")/../.." && pwd)
probe=.testhost-probe.$$
cd "$checkout"
LIGHTER_PROBE="a b" run_th -- bash -c '
	set -e
	[[ $(id -u) == 0 ]] || { echo "not root" >&2; exit 10; }
	[[ $PWD == "$1" ]] || { echo "cwd is $PWD" >&2; exit 11; }
	[[ $LIGHTER_PROBE == "a b" ]] || { echo "LIGHTER_PROBE=$LIGHTER_PROBE" >&2; exit 12; }
	echo var-tmp >"/var/tmp/$2"
	echo checkout >"$2"
	cat "/var/tmp/$2" "$2"
' _ "$checkout" "$probe" >"$scratch/out"
[[ $rc == 0 ]] || fail "status $rc"
[[ $(cat "$scratch/out") == $'var-tmp\ncheckout' ]] || fail "read back '$(cat "$scratch/out")'"
[[ ! -e /var/tmp/$probe && ! -e $checkout/$probe ]] || fail "writes leaked to the host"
echo "ok: root, cwd, env, writable /var/tmp and checkout, host untouched"
