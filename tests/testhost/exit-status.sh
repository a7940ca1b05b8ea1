#!/usr/bin/env bash
# tests/testhost/exit-status.sh - the harness's exit status is CMD's: 0, 3, 77.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for want in 0 3 77; do
	run_th -- sh -c "exit $want"
	[[ $rc == "$want" ]] || fail "exit $want came back as $rc"
	echo "ok: exit $want"
done
