#!/usr/bin/env bash
# tests/testhost/nested-guest.sh - inside the test host, QEMU boots lighter's
# *guest* kernel with KVM (-enable-kvm -cpu host) to a busybox init that
# prints a line: proves nested KVM and the guest kernel config.  Needs the
# guest kernel too (kernel-config/build-kernel.sh guest); missing = failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

guest=$("$build_kernel" --path guest) ||
	fail "the guest kernel is not built (kernel-config/build-kernel.sh guest)"

# Throwaway initramfs: static busybox, an init that says hello and reboots.
mkdir -p "$scratch/root/bin" "$scratch/root/dev" "$scratch/root/proc"
cp /bin/busybox "$scratch/root/bin/busybox"
cat >"$scratch/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
exec >/dev/console 2>&1
/bin/busybox mount -t proc proc /proc
echo "nested-guest: init reached, $(/bin/busybox grep -c ^processor /proc/cpuinfo) cpus, guest uptime $(/bin/busybox cut -d' ' -f1 /proc/uptime) s"
/bin/busybox reboot -f
INIT
chmod 755 "$scratch/root/init"
(cd "$scratch/root" && find . | cpio -o -H newc -R 0:0 --quiet) >"$scratch/init.cpio"

chmod -R a+rX "$scratch"
run_th -- bash -c '
	start=$(date +%s%N)
	timeout 300 qemu-system-x86_64 -L /usr/share/qemu \
		-M microvm,x-option-roms=off,rtc=off,isa-serial=on,acpi=off \
		-enable-kvm -cpu host -smp 2 -m 256 -nodefaults -no-user-config \
		-nographic -no-reboot -serial stdio \
		-kernel "$1" -initrd "$2" -append "console=ttyS0 reboot=t panic=-1 quiet" </dev/null
	rc=$?
	echo "nested-guest: qemu status $rc in $(( ($(date +%s%N) - start) / 1000000 )) ms"
	exit $rc
' _ "$guest" "$scratch/init.cpio" >"$scratch/out.raw"
tr -d '\r' <"$scratch/out.raw" >"$scratch/out"
cat "$scratch/out"
[[ $rc == 0 ]] || fail "status $rc"
grep -q '^nested-guest: init reached, 2 cpus,' "$scratch/out" || fail "the guest did not reach its init with 2 cpus"
echo "ok: guest kernel booted under nested KVM"
