# tests/testhost/lib.sh - shared setup of the testhost suite (sourced).
# Every script is called as: SCRIPT TESTHOST BUILD_KERNEL.  The test-host
# kernel must be built: a missing kernel is a failure, not a skip, because it
# means a build step was left out.
set -euo pipefail

testhost=${1:?usage: $0 TESTHOST BUILD_KERNEL}
build_kernel=${2:?usage: $0 TESTHOST BUILD_KERNEL}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

LIGHTER_TESTHOST_KERNEL=$("$build_kernel" --path testhost) ||
	fail "the test-host kernel is not built (kernel-config/build-kernel.sh testhost)"
export LIGHTER_TESTHOST_KERNEL

# A private scratch dir, removed at exit.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/testhost-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# run_th ARGS...: run the harness, leaving its status in $rc (set -e safe).
# --force-vm: these tests are about the test host itself, so boot it even
# where /dev/kvm is hardware-backed (the harness would run CMD directly).
run_th() {
	rc=0
	"$testhost" --force-vm "$@" || rc=$?
}
