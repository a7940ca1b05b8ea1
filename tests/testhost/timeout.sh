#!/usr/bin/env bash
# tests/testhost/timeout.sh - --timeout kills the test host: status 124, a
# message, and no QEMU or temp dir left behind.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export TMPDIR=$scratch
start=$SECONDS
run_th --timeout 10 -- sleep 1000 2>"$scratch/err"
took=$((SECONDS - start))
cat "$scratch/err"
[[ $rc == 124 ]] || fail "status $rc, want 124"
grep -q 'timed out' "$scratch/err" || fail "no timeout message"
((took < 60)) || fail "took ${took}s to time out"
sleep 1
! pgrep -f "testhost.dir=$scratch/" >/dev/null || fail "QEMU still running: $(pgrep -af "testhost.dir=$scratch/")"
[[ -z $(find "$scratch" -maxdepth 1 -name 'testhost.*') ]] || fail "temp dir left behind"
echo "ok: timed out in ${took}s with 124, nothing left behind"
