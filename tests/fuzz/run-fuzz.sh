#!/bin/sh
# run-fuzz.sh - the 'fuzz' meson test driver: run one libFuzzer harness
# over its committed seed corpus for a bounded time.
#
#   run-fuzz.sh HARNESS CORPUS_DIR ARTIFACT_DIR
#   run-fuzz.sh --skip REASON          (exit 77: the harness cannot be built)
#
# The committed corpus is only read: new inputs go to a fresh temporary
# working corpus (libFuzzer writes to the first directory it is given).
# LIGHTER_FUZZ_SECONDS (default 20) bounds the run.  Any crash, leak,
# timeout or UB report makes libFuzzer exit non-zero, and so this test;
# the failing input is kept in ARTIFACT_DIR for reproduction.
set -eu

if [ "${1:-}" = "--skip" ]; then
	echo "fuzz: skipped: $2" >&2
	exit 77
fi
[ $# -eq 3 ] || { echo "usage: $0 HARNESS CORPUS_DIR ARTIFACT_DIR" >&2; exit 2; }
harness=$1 corpus=$2 artifacts=$3
seconds=${LIGHTER_FUZZ_SECONDS:-20}
case $seconds in
'' | *[!0-9]*) echo "LIGHTER_FUZZ_SECONDS=$seconds is not a number" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/lighter-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$artifacts" "$work/corpus"

status=0
# libFuzzer enforces -max_total_time itself; the outer timeout only
# catches a harness that never returns to it.  Its progress lines stay in
# the log; the test output gets the summary, or the report on failure.
timeout -k 10 $((seconds + 120)) "$harness" \
	-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$artifacts/" \
	"$work/corpus" "$corpus" >"$work/log" 2>&1 || status=$?
# libFuzzer reports findings with exit status 77 by default, which meson
# would read as "skipped": every failure becomes 1 here.
if [ "$status" -ne 0 ]; then
	tail -n 120 "$work/log" >&2
	echo "fuzz: $(basename "$harness") failed (exit $status); inputs kept in $artifacts/" >&2
	echo "fuzz: reproduce with: $harness $artifacts/<crash-file>" >&2
	exit 1
fi
grep -E '^(#[0-9]+[[:space:]]+DONE|Done|stat::)' "$work/log" || tail -n 5 "$work/log"
