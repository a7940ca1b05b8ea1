# tests/e2e/rng.sh - inner script (runs inside the KVM test host): the
# virtio-rng device under a real guest kernel.  /bin/rng-probe (in the test
# initramfs) runs right after the agent's early mounts and must find
# virtio_rng as the kernel's current hardware RNG and read 256 bytes from
# /dev/hwrng that are not all equal: entropy is there at boot.
#
#   rng-on   --rng on: the probe passes
#   rng-off  no --rng: the probe must fail (no virtio_rng), proving the
#            first case saw our device and not some other source
#
#   bash rng.sh VMM KERNEL INITRD
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"

BASE="console=ttyS0 reboot=t panic=-1 quiet lighter_run=/bin/rng-probe"

e2e_boot rng-on --rng on --cmdline "$BASE"
if [[ $(e2e_rc rng-on) != 0 ]]; then
	e2e_fail rng-on "lighter-vmm exited with status $(e2e_rc rng-on)"
elif ! grep -aq '^rng-probe: ok virtio_rng' "$E2E_DIR/rng-on.console" ||
	! grep -aq 'rng-probe exited with status 0' "$E2E_DIR/rng-on.console"; then
	e2e_fail rng-on "the probe did not read from virtio_rng"
else
	e2e_ok rng-on "$(grep -a -m1 '^rng-probe: ok' "$E2E_DIR/rng-on.console" | tr -d '\r')"
fi

e2e_boot rng-off --cmdline "$BASE"
if [[ $(e2e_rc rng-off) != 0 ]]; then
	e2e_fail rng-off "lighter-vmm exited with status $(e2e_rc rng-off)"
elif grep -aq 'rng-probe exited with status 0' "$E2E_DIR/rng-off.console"; then
	e2e_fail rng-off "the probe passed without a virtio-rng device"
else
	e2e_ok rng-off "no virtio_rng without --rng, as expected"
fi
e2e_finish
