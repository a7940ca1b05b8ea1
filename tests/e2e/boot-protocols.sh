# tests/e2e/boot-protocols.sh - inner script (runs inside the KVM test
# host): the same vmlinux and initramfs boot to the agent through both of
# lighter-vmm's x86 entry paths, PVH (--boot pvh) and the Linux 64-bit boot
# protocol (--boot linux64), with 2 vCPUs and 256 MiB.
#
#   bash boot-protocols.sh VMM KERNEL INITRD
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"

for proto in pvh linux64; do
	name="boot-$proto"
	e2e_boot "$name" --boot "$proto" --cpus 2 --memory 256M \
		--cmdline "console=ttyS0 reboot=t panic=-1"
	e2e_check_boot "$name" 2 256
done
e2e_finish
