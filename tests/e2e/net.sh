# tests/e2e/net.sh - inner script (runs inside the KVM test host): the
# guest's virtio-net over a TAP.  The test host makes TAP ltap0 with
# 10.0.2.1/24 in its own network namespace; lighter-vmm attaches to it
# (--net tap=ltap0); in the guest, net-probe gives eth0 10.0.2.2/24, pings
# 10.0.2.1 and serves TCP; the host side of net-probe then moves
# LIGHTER_NET_MIB MiB (default 16) each way and checks both checksums.
#
#   bash net.sh VMM KERNEL INITRD
# INITRD is the test initramfs; the host-side net-probe sits next to it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/net-lib.sh"
e2e_init "$@"

PROBE=$(dirname "$INITRD")/net-probe
MIB=${LIGHTER_NET_MIB:-16}
name=net

[[ -x $PROBE ]] || { echo "e2e: FAIL: no host-side net-probe at $PROBE" >&2; exit 1; }
if ! net_tap_up ltap0; then
	e2e_fail "$name" "cannot create TAP ltap0 with 10.0.2.1/24 in the test host"
	e2e_finish
fi

net_start_lighter "$name" ltap0 "$VMM" "$KERNEL" "$INITRD"
echo "# net: guest booting, host client connecting" >&2
timeout --kill-after=5 400 "$PROBE" --client 10.0.2.2 5001 "$MIB" \
	>"$E2E_DIR/$name.client" 2>&1
client_rc=$?
echo "# net: host client exited with status $client_rc" >&2
# a guest nobody talked to would wait for a connection: stop it
((client_rc == 0)) || kill "$NET_VMM_PID" 2>/dev/null
net_wait_vmm "$name"
rc=$(e2e_rc "$name")
sed 's/^/# /' "$E2E_DIR/$name.client"

if [[ $rc != 0 ]]; then
	e2e_fail "$name" "lighter-vmm exited with status $rc (want 0)"
elif ! grep -aq 'net-probe: ping 10.0.2.1 ok' "$E2E_DIR/$name.console"; then
	e2e_fail "$name" "the guest got no echo reply from 10.0.2.1"
elif ((client_rc != 0)); then
	e2e_fail "$name" "host side of the transfer failed: $(tail -n1 "$E2E_DIR/$name.client")"
elif ! grep -aq 'lighter-agent: /bin/net-probe exited with status 0' "$E2E_DIR/$name.console"; then
	e2e_fail "$name" "net-probe did not exit 0 in the guest"
else
	e2e_ok "$name" "ping, $MIB MiB each way intact; $(grep -a -o 'guest->host.*Mbit/s' "$E2E_DIR/$name.client"); $(grep -a -o 'host->guest.*Mbit/s' "$E2E_DIR/$name.client")"
fi

# A bad TAP name and a TUN (not TAP) interface are refused up front.
"$VMM" --kernel "$KERNEL" --net tap=ltap0,mac=01:00:00:00:00:01 \
	>/dev/null 2>"$E2E_DIR/badmac.stderr" </dev/null
if [[ $? == 1 ]] && grep -q -- '--net: .*not a unicast MAC' "$E2E_DIR/badmac.stderr"; then
	e2e_ok badmac "multicast MAC refused naming --net"
else
	e2e_fail badmac "a multicast MAC was not refused: $(cat "$E2E_DIR/badmac.stderr")"
fi
ip tuntap add dev ltun0 mode tun 2>/dev/null
"$VMM" --kernel "$KERNEL" --initrd "$INITRD" --net tap=ltun0 \
	>/dev/null 2>"$E2E_DIR/tun.stderr" </dev/null
if [[ $? == 1 ]] && grep -q 'ltun0' "$E2E_DIR/tun.stderr"; then
	e2e_ok tun "a TUN interface is refused: $(cat "$E2E_DIR/tun.stderr")"
else
	e2e_fail tun "a TUN interface was not refused: $(cat "$E2E_DIR/tun.stderr")"
fi
e2e_finish
