# tests/e2e/net-lib.sh - helpers shared by tests/e2e/net.sh and
# tests/bench/net: the test host's TAP and the guests behind it.  Sourced
# after lib.sh (which sets E2E_DIR); runs inside the test host as root.
#
#   net_tap_up NAME                 TAP NAME with 10.0.2.1/24, up
#   net_start_lighter NAME TAP VMM KERNEL INITRD [MEM]
#                                   lighter-vmm in the background
#   net_start_qemu NAME TAP KERNEL INITRD [MEM]
#                                   QEMU microvm in the background
#   net_wait_vmm NAME               wait for it; NAME.rc as e2e_boot does

NET_CMDLINE=${NET_CMDLINE:-"console=ttyS0 reboot=t panic=-1 quiet lighter_run=/bin/net-probe net_port=5001"}

net_tap_up() {
	local tap=$1
	ip link del "$tap" 2>/dev/null
	ip tuntap add dev "$tap" mode tap || return 1
	ip addr add 10.0.2.1/24 dev "$tap" || return 1
	ip link set "$tap" up || return 1
}

net_start_lighter() {
	local name=$1 tap=$2 vmm=$3 kernel=$4 initrd=$5 mem=${6:-256}
	timeout --kill-after=10 "$E2E_BOOT_TIMEOUT" "$vmm" --kernel "$kernel" \
		--initrd "$initrd" --memory "${mem}M" --console stdout \
		--net "tap=$tap" --cmdline "$NET_CMDLINE" \
		>"$E2E_DIR/$name.console" 2>"$E2E_DIR/$name.stderr" </dev/null &
	NET_VMM_PID=$!
}

net_start_qemu() {
	local name=$1 tap=$2 kernel=$3 initrd=$4 mem=${5:-256}
	timeout --kill-after=10 "$E2E_BOOT_TIMEOUT" qemu-system-x86_64 \
		-M microvm,x-option-roms=off,rtc=off,acpi=off \
		-enable-kvm -cpu host -nodefaults -no-user-config -nographic \
		-no-reboot -L /usr/share/qemu -m "${mem}M" -serial stdio \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=off" \
		-device virtio-net-device,netdev=n0,mac=06:00:ac:10:00:02 \
		-kernel "$kernel" -initrd "$initrd" -append "$NET_CMDLINE" \
		>"$E2E_DIR/$name.console" 2>"$E2E_DIR/$name.stderr" </dev/null &
	NET_VMM_PID=$!
}

net_wait_vmm() {
	local rc
	wait "$NET_VMM_PID"
	rc=$?
	echo "$rc" >"$E2E_DIR/$1.rc"
}
