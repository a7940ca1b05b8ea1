# tests/e2e/boot-matrix.sh - inner script (runs inside the KVM test host):
# boots the guest kernel with lighter-agent as PID 1 under lighter-vmm for
# 1, 2 and 4 vCPUs x 128, 512 and 2048 MiB, all nine in one test-host boot.
# Each case must exit 0, show the agent's readiness line with every vCPU
# online and the right memory size, and print the boot-timer line.
#
#   bash boot-matrix.sh VMM KERNEL INITRD
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"

for cpus in 1 2 4; do
	for mem in 128 512 2048; do
		name="boot-${cpus}cpu-${mem}M"
		e2e_boot "$name" --cpus "$cpus" --memory "${mem}M" \
			--cmdline "console=ttyS0 reboot=t panic=-1 quiet"
		e2e_check_boot "$name" "$cpus" "$mem"
	done
done
e2e_finish
