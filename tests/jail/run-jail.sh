#!/usr/bin/env bash
# run-jail.sh - one test of lighter-vmm --jail: a hand-assembled payload
# (tests/smoke/mkpayload.c) booted by the real lighter-vmm in its jail on
# the real /dev/kvm, the jail inspected from outside through /proc and the
# cgroup file systems, and after every run the check that nothing is left
# behind (jail root, mounts, cgroup directories, files the jail created).
#
#   run-jail.sh TEST LIGHTER_VMM PAYLOAD_DIR
#
# Works on cgroup v1 (this project's machines) and v2 (the test host,
# tests/testhost/jail-cgroup2.sh); prints "cgroup: v1" or "cgroup: v2"
# for the hierarchy the memory controller lives in.  Exits 0 on pass, 1 on
# failure, 77 (skip) when not root or /dev/kvm cannot be opened.
set -u

test_name=$1
vmm=$2
payloads=$3

skip() {
	echo "SKIP: $*"
	exit 77
}
[[ $(id -u) == 0 ]] || skip "the jail needs root (mounts, cgroups, ids)"
[[ -c /dev/kvm ]] || skip "/dev/kvm is absent (no KVM on this machine)"
(exec 3<>/dev/kvm) 2>/dev/null || skip "/dev/kvm cannot be opened read-write"

# An id with no other access to anything here: no passwd entry, owns
# nothing but what the test hands it.
JAIL_UID=64201
JAIL_GID=64202

work=$(mktemp -d "${TMPDIR:-/tmp}/lighter-jail.XXXXXX") || exit 1
chmod 755 "$work"
id=jt-$$-$test_name
root=$work/root
out=$work/stdout
err=$work/stderr
sup=
vmm_pid=

# A jail still running when the test ends (it failed): SIGTERM lets the
# supervisor clean up; SIGKILL after 3 s.
cleanup() {
	if [[ -n $sup ]] && kill -TERM "$sup" 2>/dev/null; then
		(sleep 3; kill -KILL "$sup") </dev/null >/dev/null 2>&1 &
		wait "$sup" 2>/dev/null
		kill "$!" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $test_name: $*"
	echo "--- stdout"; cat "$out" 2>/dev/null
	echo "--- stderr"; cat "$err" 2>/dev/null
	exit 1
}

# cg_mount CTRL: "v1 MOUNT" or "v2 MOUNT" for the hierarchy holding CTRL,
# the way the jail picks it (a v1 mount first, else cgroup2).
cg_mount() {
	local m
	m=$(awk -v c="$1" '$4 == "/" {
		for (i = 7; i <= NF && $i != "-"; i++) ;
		if ($(i + 1) != "cgroup") next
		n = split($(i + 3), o, ",")
		for (k = 1; k <= n; k++) if (o[k] == c) { print $5; exit }
	}' /proc/self/mountinfo)
	if [[ -n $m ]]; then
		echo "v1 $m"
		return
	fi
	m=$(awk '$4 == "/" {
		for (i = 7; i <= NF && $i != "-"; i++) ;
		if ($(i + 1) == "cgroup2") { print $5; exit }
	}' /proc/self/mountinfo)
	[[ -n $m ]] && grep -qw "$1" "$m/cgroup.controllers" && echo "v2 $m"
}

declare -A cg_ver cg_mnt lighter_before
for c in memory cpu pids; do
	read -r v m <<<"$(cg_mount "$c")"
	[[ -n ${m:-} ]] || fail "no hierarchy has the $c controller"
	cg_ver[$c]=$v
	cg_mnt[$c]=$m
	[[ -d $m/lighter ]] && lighter_before[$c]=1 || lighter_before[$c]=0
done
echo "cgroup: ${cg_ver[memory]}"

jail_args=(--jail --jail-root "$root" --jail-uid "$JAIL_UID"
	--jail-gid "$JAIL_GID" --jail-id "$id")

# run STATUS CMD...: the (jailed) VMM in the foreground (30 s guard).
run() {
	local want=$1
	shift
	timeout -s KILL 30 "$@" >"$out" 2>"$err" </dev/null
	got=$?
	[[ $got == "$want" ]] || fail "exit status $got, expected $want"
}

# one_line REGEX: stderr is exactly one "lighter-vmm: " line matching.
one_line() {
	[[ $(wc -l <"$err") == 1 ]] || fail "expected exactly one line on stderr"
	grep -qE "^lighter-vmm: $1\$" "$err" || fail "stderr does not match \"$1\""
}

# nothing_left [KEEP_ROOT]: no jail root (or the pre-existing one, as it
# was), no mount under it, no cgroup directory, no new "lighter" parent.
nothing_left() {
	if [[ ${1:-} == keep-root ]]; then
		[[ -d $root ]] || fail "the pre-existing jail root was removed"
	else
		[[ ! -e $root ]] || fail "jail root $root left behind"
	fi
	awk -v r="$root" '$5 == r || index($5, r "/") == 1 { bad = 1 }
		END { exit bad }' /proc/self/mountinfo ||
		fail "a mount under $root is left"
	for c in memory cpu pids; do
		[[ ! -e ${cg_mnt[$c]}/lighter/$id ]] ||
			fail "cgroup ${cg_mnt[$c]}/lighter/$id left behind"
		if ((!lighter_before[$c])) && [[ -e ${cg_mnt[$c]}/lighter ]]; then
			fail "cgroup parent ${cg_mnt[$c]}/lighter left behind"
		fi
	done
}

# start ARGS...: the jailed VMM in the background; sets sup and, once its
# jail is entered (running as the jail's uid), vmm_pid.
start() {
	"$vmm" "${jail_args[@]}" "$@" >"$out" 2>"$err" </dev/null &
	sup=$!
	for _ in $(seq 200); do
		vmm_pid=$(pgrep -P "$sup" | head -1)
		if [[ -n $vmm_pid ]] &&
			grep -q "^Uid:[[:space:]]*$JAIL_UID[[:space:]]" \
				"/proc/$vmm_pid/status" 2>/dev/null &&
			[[ -e /proc/$vmm_pid/fd/3 ]]; then
			sleep 0.2 # let it reach KVM_RUN
			return
		fi
		kill -0 "$sup" 2>/dev/null || fail "the jailed VMM ended early"
		sleep 0.05
	done
	fail "no jailed VMM after 10 s"
}

# stop SIGNAL PID STATUS: signal PID, wait for the supervisor (5 s guard).
stop() {
	kill "-$1" "$2"
	(sleep 5; kill -KILL "$sup") </dev/null >/dev/null 2>&1 &
	local guard=$!
	wait "$sup"
	got=$?
	kill "$guard" 2>/dev/null
	sup=
	[[ $got == "$3" ]] || fail "exit status $got after SIG$1, expected $3"
}

field() { # field FILE NAME: the value of "NAME:\tVALUE"
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ +/, ""); print; exit }' "$1"
}

expect_eq() { # expect_eq GOT WANT WHAT
	[[ $1 == "$2" ]] || fail "$3: \"$1\", expected \"$2\""
}

# The running jail, seen from outside.
inspect() {
	local st=/proc/$vmm_pid/status v m n f
	for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
		expect_eq "$(field "$st" "$cap")" 0000000000000000 "$cap"
	done
	expect_eq "$(field "$st" NoNewPrivs)" 1 NoNewPrivs
	# the main thread loads its seccomp filter once the vCPUs run
	for _ in $(seq 20); do
		[[ $(field "$st" Seccomp) == 2 ]] && break
		sleep 0.1
	done
	expect_eq "$(field "$st" Seccomp)" 2 "Seccomp (filter mode)"
	expect_eq "$(field "$st" Uid | tr -s '\t ' ' ')" \
		"$JAIL_UID $JAIL_UID $JAIL_UID $JAIL_UID" Uid
	expect_eq "$(field "$st" Gid | tr -s '\t ' ' ')" \
		"$JAIL_GID $JAIL_GID $JAIL_GID $JAIL_GID" Gid
	expect_eq "$(field "$st" Groups)" "" Groups
	expect_eq "$(field "$st" NSpid | awk '{ print $NF }')" 1 \
		"PID in its namespace"
	for ns in mnt pid ipc uts cgroup; do
		[[ $(readlink "/proc/$vmm_pid/ns/$ns") != $(readlink /proc/self/ns/$ns) ]] ||
			fail "the VMM shares the $ns namespace"
	done
	expect_eq "$(nsenter -t "$vmm_pid" -u hostname)" "$id" "host name"

	# the jail's root: only what the VM uses, read-only, device nodes
	# of the jail's own
	expect_eq "$(ls -A "/proc/$vmm_pid/root" | tr '\n' ' ')" \
		"console dev drive0 kernel vsock " "jail root entries"
	expect_eq "$(ls -A "/proc/$vmm_pid/root/dev" | tr '\n' ' ')" \
		"kvm null urandom " "jail /dev entries"
	expect_eq "$(stat -c '%u:%g %a %t:%T' "/proc/$vmm_pid/root/dev/kvm")" \
		"$JAIL_UID:$JAIL_GID 600 a:e8" "/dev/kvm in the jail"
	expect_eq "$(ls -A "/proc/$vmm_pid/root/vsock")" v.sock "vsock directory"
	expect_eq "$(awk '{ print $5, substr($6, 1, 2) }' "/proc/$vmm_pid/mountinfo" |
		sort | tr '\n' ' ')" \
		"/ ro /console rw /drive0 rw /kernel ro /vsock rw " "the jail's mounts"

	# cgroups: membership and limits (128M guest + 64M, 2 vCPUs, one drive)
	for c in memory cpu pids; do
		if [[ ${cg_ver[$c]} == v2 ]]; then
			grep -qx "0::/lighter/$id" "/proc/$vmm_pid/cgroup" ||
				fail "not in cgroup v2 /lighter/$id"
		else
			grep -qE "^[0-9]+:([^:]*,)?$c(,[^:]*)?:/lighter/$id\$" \
				"/proc/$vmm_pid/cgroup" ||
				fail "not in the $c cgroup /lighter/$id"
		fi
		grep -qx "$vmm_pid" "${cg_mnt[$c]}/lighter/$id/cgroup.procs" ||
			fail "$c cgroup.procs lacks the VMM"
		! grep -qx "$sup" "${cg_mnt[$c]}/lighter/$id/cgroup.procs" ||
			fail "the supervisor is in the $c cgroup"
	done
	m=${cg_mnt[memory]}/lighter/$id
	if [[ ${cg_ver[memory]} == v2 ]]; then
		expect_eq "$(cat "$m/memory.max")" 201326592 memory.max
	else
		expect_eq "$(cat "$m/memory.limit_in_bytes")" 201326592 \
			memory.limit_in_bytes
	fi
	m=${cg_mnt[cpu]}/lighter/$id
	if [[ ${cg_ver[cpu]} == v2 ]]; then
		expect_eq "$(cat "$m/cpu.max")" "200000 100000" cpu.max
	else
		expect_eq "$(cat "$m/cpu.cfs_quota_us") $(cat "$m/cpu.cfs_period_us")" \
			"200000 100000" "cpu.cfs_quota_us and period"
	fi
	expect_eq "$(cat "${cg_mnt[pids]}/lighter/$id/pids.max")" 38 pids.max

	# no environment, limits, no descriptor it was not meant to have
	expect_eq "$(tr -d '\0' <"/proc/$vmm_pid/environ" | wc -c)" 0 \
		"bytes of environment"
	grep -qE '^Max open files +4096 +4096 ' "/proc/$vmm_pid/limits" ||
		fail "RLIMIT_NOFILE is not 4096"
	grep -qE '^Max core file size +0 +0 ' "/proc/$vmm_pid/limits" ||
		fail "RLIMIT_CORE is not 0"
	grep -qE '^Max file size +1073741824 +1073741824 ' "/proc/$vmm_pid/limits" ||
		fail "RLIMIT_FSIZE is not 1 GiB"
	# files by device and inode: how a path outside the reader's root
	# reads differs (a chroot prefixes it)
	local allowed=" "
	for f in dev/kvm drive0 console; do
		allowed+="$(stat -L -c %d:%i "/proc/$vmm_pid/root/$f") "
	done
	for fd in /proc/"$vmm_pid"/fd/*; do
		n=${fd##*/}
		((n > 2)) || continue
		v=$(readlink "$fd")
		case $v in
		anon_inode:* | socket:* | pipe:*) continue ;;
		esac
		[[ $allowed == *" $(stat -L -c %d:%i "$fd") "* ]] ||
			fail "fd $n -> $v"
	done
}

case $test_name in
lockdown)
	truncate -s 1M "$work/disk.img"
	chown "$JAIL_UID:$JAIL_GID" "$work/disk.img"
	# a descriptor the launcher leaks must not reach the VMM
	exec 7>"$work/inherited"
	start --kernel "$payloads/spin.elf" --cpus 2 \
		--drive "path=$work/disk.img" --vsock-uds "$work/vsock/v.sock" \
		--console "$work/console.log"
	exec 7>&-
	inspect
	[[ -S $work/vsock/v.sock ]] || fail "no vsock socket on the host side"
	stop TERM "$sup" 0
	one_line "stopped by SIGTERM(; vCPU .*)?"
	nothing_left
	[[ ! -e $work/vsock ]] || fail "the vsock directory the jail made is left"
	[[ $(stat -c %u "$work/console.log") == "$JAIL_UID" ]] ||
		fail "the console file the jail made is not the jail user's"
	;;
netns)
	ns=lighter-$id
	ip netns add "$ns" || fail "ip netns add"
	start --kernel "$payloads/spin.elf" --jail-netns "/run/netns/$ns"
	[[ $(stat -L -c %i "/proc/$vmm_pid/ns/net") == $(stat -L -c %i "/run/netns/$ns") ]]
	in_ns=$?
	stop TERM "$sup" 0
	ip netns del "$ns"
	((in_ns == 0)) || fail "the VMM is not in network namespace $ns"
	nothing_left
	;;
net-tap)
	# a TAP in the group's namespace, owned by the jail's uid: the VMM
	# attaches to it through its own /dev/net/tun; one owned by another
	# uid is refused (creating one would take CAP_NET_ADMIN)
	ns=lighter-$id
	ip netns add "$ns" || fail "ip netns add"
	ip -n "$ns" tuntap add dev tap0 mode tap user "$JAIL_UID" vnet_hdr &&
		ip -n "$ns" tuntap add dev tap1 mode tap user 1 vnet_hdr ||
		{ ip netns del "$ns"; fail "ip tuntap add"; }
	start --kernel "$payloads/spin.elf" --jail-netns "/run/netns/$ns" \
		--net tap=tap0
	tun=$(stat -c '%u:%g %a %t:%T' "/proc/$vmm_pid/root/dev/net/tun")
	stop TERM "$sup" 0
	run 1 "$vmm" "${jail_args[@]}" --kernel "$payloads/hello.elf" \
		--jail-netns "/run/netns/$ns" --net tap=tap1
	ip netns del "$ns"
	expect_eq "$tun" "$JAIL_UID:$JAIL_GID 600 a:c8" "/dev/net/tun in the jail"
	one_line "tap \"tap1\": TUNSETIFF: Operation not permitted"
	nothing_left
	;;
killed)
	# an existing socket directory of the jail user's: stays, the socket
	# the killed VMM could not remove goes
	mkdir -m 700 "$work/vs"
	chown "$JAIL_UID:$JAIL_GID" "$work/vs"
	start --kernel "$payloads/spin.elf" --vsock-uds "$work/vs/v.sock"
	stop KILL "$vmm_pid" 137
	one_line "killed by signal 9 \(SIGKILL\)"
	nothing_left
	[[ -d $work/vs && ! -e $work/vs/v.sock ]] ||
		fail "the socket directory is gone or still holds the socket"
	;;
memory-limit)
	run 137 "$vmm" "${jail_args[@]}" --kernel "$payloads/touch.elf" --memory 256M \
		--jail-memory-limit 96M
	one_line "killed: memory limit of 96 MiB reached \(cgroup ${cg_mnt[memory]}/lighter/$id\)"
	nothing_left
	;;
touch-fits)
	# the same guest with the default limit (256M + 64M) runs to the end
	run 0 "$vmm" "${jail_args[@]}" --kernel "$payloads/touch.elf" --memory 256M
	expect_eq "$(cat "$out")" touched "console output"
	one_line "guest powered off"
	nothing_left
	;;
guest-fault)
	run 2 "$vmm" "${jail_args[@]}" --kernel "$payloads/triple.elf"
	one_line "guest triple fault.*"
	nothing_left
	;;
missing-kernel)
	run 1 "$vmm" "${jail_args[@]}" --kernel "$work/no-such-vmlinux" \
		--console "$work/console.log"
	one_line "jail: kernel \"$work/no-such-vmlinux\": No such file or directory"
	nothing_left
	[[ ! -e $work/console.log ]] || fail "the console file the jail made is left"
	;;
unreadable-kernel)
	install -m 600 "$payloads/hello.elf" "$work/vmlinux"
	run 1 "$vmm" "${jail_args[@]}" --kernel "$work/vmlinux"
	one_line "jail: uid $JAIL_UID cannot read the kernel \"$work/vmlinux\": Permission denied"
	nothing_left
	;;
no-kvm)
	# /dev/kvm that is not a device, in a mount namespace of the test's
	: >"$work/not-kvm"
	run 1 unshare -m bash -c 'mount --bind "$1" /dev/kvm && shift && exec "$@"' \
		_ "$work/not-kvm" "$vmm" "${jail_args[@]}" --kernel "$payloads/hello.elf"
	one_line "jail: /dev/kvm is not a character device"
	nothing_left
	;;
kvm-not-kvm)
	# a device that is not KVM: the jail is entered, the VMM fails in it
	run 1 unshare -m bash -c 'mount --bind /dev/null /dev/kvm && exec "$@"' \
		_ "$vmm" "${jail_args[@]}" --kernel "$payloads/hello.elf"
	one_line "KVM_GET_API_VERSION on \"/dev/kvm\": .*"
	nothing_left
	;;
uid-zero)
	run 1 "$vmm" --jail --jail-root "$root" --jail-uid 0 --jail-gid 5 \
		--kernel "$payloads/hello.elf"
	one_line "--jail-uid: 0 is root; the jail needs an unprivileged id"
	nothing_left
	;;
uid-not-a-number)
	run 1 "$vmm" --jail --jail-root "$root" --jail-uid nobody --jail-gid 5 \
		--kernel "$payloads/hello.elf"
	one_line "--jail-uid: \"nobody\" is not a number"
	nothing_left
	;;
root-not-empty)
	mkdir "$root"
	: >"$root/keep"
	run 1 "$vmm" "${jail_args[@]}" --kernel "$payloads/hello.elf"
	one_line "jail: jail root \"$root\" is not empty"
	nothing_left keep-root
	[[ -e $root/keep ]] || fail "the jail root's content was touched"
	;;
root-in-use)
	# a second jail on a running jail's root (empty as the host sees it)
	start --kernel "$payloads/spin.elf"
	timeout -s KILL 30 "$vmm" "${jail_args[@]/$id/$id-2}" \
		--kernel "$payloads/hello.elf" >"$work/out2" 2>"$work/err2" </dev/null
	got=$?
	[[ $got == 1 ]] || fail "the second jail: exit status $got, expected 1"
	[[ $(cat "$work/err2") == "lighter-vmm: jail: jail root \"$root\" is in use by another jail" ]] ||
		fail "the second jail: \"$(cat "$work/err2")\""
	kill -0 "$vmm_pid" || fail "the first jail's VMM died"
	stop TERM "$sup" 0
	one_line "stopped by SIGTERM(; vCPU .*)?"
	nothing_left
	;;
shared-vsock-dir)
	run 1 "$vmm" "${jail_args[@]}" --kernel "$payloads/hello.elf" \
		--vsock-uds "/tmp/$id.sock"
	one_line "jail: vsock directory \"/tmp\" is shared .*"
	nothing_left
	;;
missing-netns)
	run 1 "$vmm" "${jail_args[@]}" --kernel "$payloads/hello.elf" \
		--jail-netns "$work/no-such-netns" --vsock-uds "$work/vs/v.sock"
	one_line "jail: join network namespace \"$work/no-such-netns\": No such file or directory"
	nothing_left
	[[ ! -e $work/vs ]] || fail "the vsock directory the jail made is left"
	;;
*)
	echo "run-jail.sh: unknown test \"$test_name\""
	exit 1
	;;
esac
echo "PASS: $test_name"
