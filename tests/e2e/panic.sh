# tests/e2e/panic.sh - inner script (runs inside the KVM test host): with
# lighter_test=panic on the command line, lighter-agent (PID 1) exits on
# purpose and the kernel panics ("Attempted to kill init!").  lighter-vmm
# must exit non-zero with a one-line "lighter-vmm: guest panic: ..." reason.
#
#   bash panic.sh VMM KERNEL INITRD
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$@"

name=panic
e2e_boot "$name" --cpus 1 --memory 128M \
	--cmdline "console=ttyS0 reboot=t panic=-1 lighter_test=panic"
rc=$(e2e_rc "$name")
reason=$(grep -a -m1 '^lighter-vmm: guest panic: ' "$E2E_DIR/$name.stderr")
if [[ $rc == 0 ]]; then
	e2e_fail "$name" "lighter-vmm exited 0 after a guest panic"
elif [[ $rc == 124 || $rc == 137 ]]; then
	e2e_fail "$name" "lighter-vmm did not exit within ${E2E_BOOT_TIMEOUT}s"
elif [[ -z $reason ]]; then
	e2e_fail "$name" "exit status $rc but no 'lighter-vmm: guest panic: ' line on stderr"
elif ! grep -aq 'lighter-agent: lighter_test=panic' "$E2E_DIR/$name.console"; then
	e2e_fail "$name" "the agent never reached its panic knob"
else
	e2e_ok "$name" "exit status $rc, '$reason'"
	if [[ $reason != *"Attempted to kill init"* ]]; then
		echo "# note: the reason does not quote the kernel's panic message"
	fi
fi
e2e_finish
