#!/usr/bin/env bash
# tests/testhost/output.sh - CMD's stdout comes back byte for byte, stderr
# comes back on stderr, and kernel or init noise pollutes neither.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Awkward bytes: no trailing newline, CR, tabs, NUL, high bytes, 64 KiB+.
gen='printf "first line\n\tsecond\r\nno-newline"; printf "\0\377\200"; seq 1 20000'
bash -c "$gen" >"$scratch/want"
run_th -- bash -c "$gen" >"$scratch/got" 2>"$scratch/got.err"
[[ $rc == 0 ]] || fail "status $rc"
cmp "$scratch/want" "$scratch/got" || fail "stdout differs ($(wc -c <"$scratch/got") bytes, want $(wc -c <"$scratch/want"))"
[[ ! -s $scratch/got.err ]] || fail "unexpected stderr: $(head -c 300 "$scratch/got.err")"
echo "ok: stdout exact ($(wc -c <"$scratch/got") bytes), stderr empty"

run_th -- sh -c 'echo to-out; echo to-err >&2; exit 5' >"$scratch/out" 2>"$scratch/err"
[[ $rc == 5 ]] || fail "status $rc, want 5"
[[ $(cat "$scratch/out") == to-out ]] || fail "stdout was '$(cat "$scratch/out")'"
[[ $(cat "$scratch/err") == to-err ]] || fail "stderr was '$(cat "$scratch/err")'"
echo "ok: stdout and stderr kept apart"
