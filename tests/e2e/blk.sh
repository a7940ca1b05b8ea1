# tests/e2e/blk.sh - inner script (runs inside the KVM test host): the
# virtio-blk device under a real guest kernel, driven by the guest probe
# /bin/blk-probe (tests/e2e/guest/blk-probe.c), whose static binary also
# fills and verifies images on this side.
#
#   blk-rw       read-write drive with id=: the guest sees the serial, writes
#                a seeded pattern with O_DIRECT, fsyncs (FLUSH), reads it
#                back and checks pattern and checksum, the last sector and
#                nothing past it; the image holds the pattern afterwards
#   blk-ro       ro drive: /sys/block/vda/ro = 1, a write fails, the
#                host-filled pattern reads back, the image is untouched
#   blk-durable  the guest writes through its page cache, fsyncs, prints
#                "flushed"; lighter-vmm is killed with SIGKILL the moment
#                that line shows; the image must hold every byte
#
#   bash blk.sh VMM KERNEL INITRD
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"
PROBE=$(dirname "$INITRD")/blk-probe
[[ -x $PROBE ]] || {
	echo "e2e: FAIL: $PROBE is missing (ninja -C build)" >&2
	exit 1
}

BYTES=$((8 << 20))
BASE="console=ttyS0 reboot=t panic=-1 lighter_run=/bin/blk-probe blk_bytes=$BYTES"

# The probe must have run and exited 0, lighter-vmm too; WANT is the
# probe's success line prefix.
check_probe() {
	local name=$1 want=$2 rc line
	rc=$(e2e_rc "$name")
	if [[ $rc != 0 ]]; then
		e2e_fail "$name" "lighter-vmm exited with status $rc"
		return 1
	fi
	line=$(grep -a -m1 "^$want" "$E2E_DIR/$name.console" | tr -d '\r')
	if [[ -z $line ]]; then
		e2e_fail "$name" "no '$want' line on the console"
		return 1
	fi
	if ! grep -aq 'lighter-agent: /bin/blk-probe exited with status 0' "$E2E_DIR/$name.console"; then
		e2e_fail "$name" "the probe did not exit 0"
		return 1
	fi
	echo "# $line"
	return 0
}

# blk-rw
img=$E2E_DIR/rw.img
truncate -s 64M "$img"
e2e_boot blk-rw --memory 128M --drive "path=$img,id=lighter-e2e-disk" \
	--cmdline "$BASE blk_mode=rw blk_seed=11 blk_serial=lighter-e2e-disk"
if check_probe blk-rw "blk-probe: ok rw"; then
	if out=$("$PROBE" --verify "$img" 11 "$BYTES" 2>&1); then
		e2e_ok blk-rw "image holds the guest's pattern ($out)"
	else
		e2e_fail blk-rw "image does not hold the guest's pattern: $out"
	fi
fi

# blk-ro
img=$E2E_DIR/ro.img
truncate -s 64M "$img"
"$PROBE" --fill "$img" 12 "$BYTES" >/dev/null
sum_before=$(sha256sum <"$img")
e2e_boot blk-ro --memory 128M --drive "path=$img,ro" \
	--cmdline "$BASE blk_mode=ro blk_seed=12"
if check_probe blk-ro "blk-probe: ok ro"; then
	if [[ $(sha256sum <"$img") == "$sum_before" ]]; then
		e2e_ok blk-ro "$(grep -a -m1 '^blk-probe: \(open\|write\)' "$E2E_DIR/blk-ro.console" | tr -d '\r'); image unchanged"
	else
		e2e_fail blk-ro "the read-only image changed"
	fi
fi

# blk-durable
name=blk-durable
img=$E2E_DIR/durable.img
truncate -s 64M "$img"
"$VMM" --kernel "$KERNEL" --initrd "$INITRD" --console stdout --memory 128M \
	--drive "path=$img" --cmdline "$BASE blk_mode=durable blk_seed=13" \
	>"$E2E_DIR/$name.console" 2>"$E2E_DIR/$name.stderr" </dev/null &
pid=$!
flushed=0
for ((i = 0; i < E2E_BOOT_TIMEOUT * 20; i++)); do
	if grep -aq '^blk-probe: flushed' "$E2E_DIR/$name.console"; then
		flushed=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rc=$?
echo "$rc" >"$E2E_DIR/$name.rc"
if ((!flushed)); then
	e2e_fail "$name" "no 'blk-probe: flushed' line (lighter-vmm status $rc)"
elif ((rc != 137)); then
	e2e_fail "$name" "lighter-vmm ended with status $rc before the SIGKILL"
elif out=$("$PROBE" --verify "$img" 13 "$BYTES" 2>&1); then
	e2e_ok "$name" "killed -9 after the flush; $out"
else
	e2e_fail "$name" "flushed data lost after kill -9: $out"
fi

e2e_finish
