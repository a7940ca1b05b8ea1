# tests/e2e/vsock.sh - inner script (runs inside the KVM test host): the
# virtio-vsock device under a real guest kernel, hybrid Unix sockets on
# this side.  /bin/vsock-probe (tests/e2e/guest/vsock-probe.c) runs in the
# guest; its static binary also plays every host role here.
#
#   vsock-guest-echo     guest connects to host port 5001 ("<uds>_5001",
#                        an echo server here), 256 KiB echoed and compared
#   vsock-guest-stream   guest connects to host port 5002 and sends
#                        LIGHTER_VSOCK_BYTES (1 GiB) of a seeded stream; the sink
#                        here checks every byte, both ends compare hashes
#   vsock-host-echo      this side connects through vsock.sock with
#                        "CONNECT 1234", gets "OK <port>", echo compared
#   vsock-host-stream    the same for LIGHTER_VSOCK_BYTES from here to the guest
#   vsock-clean-exit     the guest powers off, lighter-vmm exits 0 and
#                        removes nothing it should keep
#
# Throughput (MB/s, emulated: compare ratios only) is printed per stream.
#
#   bash vsock.sh VMM KERNEL INITRD
# two 1 GiB streams through an emulated machine: longer than a boot
E2E_BOOT_TIMEOUT=${LIGHTER_E2E_BOOT_TIMEOUT:-600}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
PROBE=$(dirname "$INITRD")/vsock-probe
[[ -x $PROBE ]] || {
	echo "e2e: FAIL: $PROBE is missing (ninja -C build)" >&2
	exit 1
}
BYTES=${LIGHTER_VSOCK_BYTES:-$((1 << 30))}
# host clients retry until the guest listens, as long as the boot may take
export VSOCK_PROBE_RETRY=$E2E_BOOT_TIMEOUT
UDS=$E2E_DIR/vsock.sock
D=$E2E_DIR

# Host listeners for the guest's connections, up before the guest boots.
"$PROBE" echo-server "unix:${UDS}_5001" >"$D/echo-server.out" 2>&1 &
echo_server=$!
"$PROBE" sink "unix:${UDS}_5002" 2 >"$D/sink.out" 2>&1 &
sink=$!
for _ in $(seq 50); do
	[[ -S ${UDS}_5001 && -S ${UDS}_5002 ]] && break
	sleep 0.1
done

e2e_boot vsock --memory 256M --vsock-uds "$UDS" --cmdline \
	"console=ttyS0 reboot=t panic=-1 lighter_run=/bin/vsock-probe vsock_listen=1234 vsock_echo=5001 vsock_sink=5002 vsock_bytes=$BYTES" &
vmm=$!

# Host-initiated: retried until the guest listens (the device refuses
# with a closed socket before that).
"$PROBE" echo-client "hybrid:$UDS:1234" >"$D/echo-client.out" 2>&1
echo_client_rc=$?
"$PROBE" source "hybrid:$UDS:1234" "$BYTES" 1 >"$D/source.out" 2>&1
source_rc=$?
wait "$vmm"
# listeners still waiting (the guest never came) must not hang the test
kill "$echo_server" "$sink" 2>/dev/null
wait "$echo_server"
echo_server_rc=$?
wait "$sink"
sink_rc=$?

console=$D/vsock.console
# case NAME RC HOST-OUTPUT GUEST-LINE-PREFIX
check_case() {
	local name=$1 rc=$2 out=$3 want=$4 line
	line=$(grep -a -m1 "^$want" "$console" | tr -d '\r')
	if [[ $rc != 0 ]]; then
		e2e_fail vsock "$name: host side exited $rc: $(tr '\n' ' ' <"$out")"
	elif [[ -z $line ]]; then
		e2e_fail vsock "$name: no '$want' line from the guest"
	else
		e2e_ok "$name" "host: $(tr '\n' ' ' <"$out")| guest: $line"
	fi
}
check_case vsock-guest-echo "$echo_server_rc" "$D/echo-server.out" \
	"vsock-probe guest->host: ok echo"
check_case vsock-guest-stream "$sink_rc" "$D/sink.out" \
	"vsock-probe guest->host: ok sent"
check_case vsock-host-echo "$echo_client_rc" "$D/echo-client.out" \
	"vsock-probe: ok host->guest echo served"
check_case vsock-host-stream "$source_rc" "$D/source.out" \
	"vsock-probe host->guest: ok received"

rc=$(e2e_rc vsock)
if [[ $rc != 0 ]]; then
	e2e_fail vsock "lighter-vmm exited with status $rc"
elif ! grep -aq 'lighter-agent: /bin/vsock-probe exited with status 0' "$console"; then
	e2e_fail vsock "the probe did not exit 0"
elif [[ -e $UDS ]]; then
	e2e_fail vsock "lighter-vmm left $UDS behind"
else
	e2e_ok vsock-clean-exit "probe and lighter-vmm exited 0, socket removed"
fi
# the figures, for the log
grep -a 'MB/s' "$console" | tr -d '\r' | sed 's/^/# guest: /'
sed 's/^/# host: /' "$D/sink.out" "$D/source.out"
e2e_finish
