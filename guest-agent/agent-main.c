/* agent-main.c - lighter-agent, PID 1 of every lighter guest.
 *
 * This first agent proves the boot path end to end: it mounts the early
 * filesystems, signals "userspace is up" to the VMM's boot timer, prints
 * one readiness line that tests parse (kernel release, online CPUs,
 * memory), syncs and powers the VM off.  The vsock listener, the wire
 * protocol and the container supervisor arrive in later issues.
 *
 * Test knobs: `lighter_test=panic` on the kernel command line makes PID 1
 * exit on purpose, so the kernel panics ("Attempted to kill init!") and
 * the VMM's panic path can be exercised; `lighter_run=/bin/PROBE` runs a
 * guest-side test program before powering off (test-run.c). */
#include <stdlib.h>
#include <sys/reboot.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent.h"
#include "guest-abi.h"

static void report_ready(void)
{
	struct utsname uts;
	struct sysinfo si;
	unsigned long long mem_mib = 0;
	long cpus;

	if (uname(&uts) < 0)
		uts.release[0] = '\0';
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (sysinfo(&si) == 0)
		mem_mib = (unsigned long long)si.totalram * si.mem_unit >> 20;
	agent_log("ready (kernel %s, %ld cpus, %llu MiB)",
		  uts.release[0] ? uts.release : "unknown", cpus, mem_mib);
}

/* Never returns: PID 1 must not exit unless a test asks it to. */
static void __attribute__((noreturn)) power_off(void)
{
	sync();
	console_drain();
	vmm_port_write(GUEST_PORT_POWEROFF);
	/* Still here: a VMM without the port.  With reboot=t the kernel
	 * triple-faults, which QEMU -no-reboot turns into an exit. */
	if (reboot(RB_AUTOBOOT) < 0)
		agent_log("error: reboot: %m");
	if (reboot(RB_POWER_OFF) < 0)
		agent_log("error: power off: %m");
	for (;;)
		pause();
}

int main(void)
{
	struct lerr e = { 0 };

	if (getpid() != 1)
		agent_log("warning: running as pid %d, not as init",
			  (int)getpid());
	if (agent_mount_early(&e) < 0)
		agent_log("error: %s", e.msg);
	console_ensure_open();
	if (vmm_port_open(&e) < 0)
		agent_log("error: %s", e.msg);
	vmm_port_write(GUEST_PORT_BOOT_READY);
	report_ready();

	agent_run_test_program();
	if (cmdline_has_token("lighter_test=panic")) {
		agent_log("lighter_test=panic: exiting PID 1 on purpose");
		console_drain();
		return EXIT_FAILURE;
	}
	power_off();
}
