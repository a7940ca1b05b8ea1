/* agent-main.c - lighter-agent, PID 1 of every lighter guest: the boot
 * sequence and the decision between its two lives.
 *
 * Always: mount proc, sysfs and devtmpfs, open the console, tell the VMM's
 * boot timer that userspace is up.  Then:
 *
 *   - boot-test mode, when the kernel command line holds `lighter_run=`
 *     (run a guest-side probe, test-run.c), `lighter_test=panic` (exit PID
 *     1 on purpose so the kernel panics), or when the VM has no vsock
 *     transport: print the readiness line the tests parse (kernel release,
 *     online CPUs, memory), sync and power the VM off;
 *
 *   - serving the group otherwise: move onto a tmpfs root (reroot.c),
 *     mount /run, /tmp and cgroup2 with the cpu, memory and pids
 *     controllers enabled for lighter's cgroups, bring lo up, print the
 *     readiness line, listen on vsock port PROTO_VSOCK_PORT and run the
 *     supervisor (serve.h) until it is time to power off.
 *
 * Power off: sync, let the console drain, write GUEST_PORT_POWEROFF to the
 * VMM's port (reboot(2) as the fallback under other VMMs). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/reboot.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent.h"
#include "cgroup2.h"
#include "guest-abi.h"
#include "protocol.h"
#include "serve.h"

#define RUN_DIR "/run/lighter"

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

/* lighter_dns=ADDR (IPv4 or IPv6) or the default. */
static void pick_dns(char *out, size_t size)
{
	unsigned char addr[16];

	if (cmdline_value("lighter_dns", out, size) &&
	    (inet_pton(AF_INET, out, addr) == 1 ||
	     inet_pton(AF_INET6, out, addr) == 1))
		return;
	if (cmdline_value("lighter_dns", out, size))
		agent_log("warning: lighter_dns=%s is not an address; using %s",
			  out, SERVE_DEFAULT_DNS);
	snprintf(out, size, "%s", SERVE_DEFAULT_DNS);
}

static void __attribute__((noreturn)) serve_group(uint32_t cid)
{
	struct serve_config cfg = {
	    .listen_fd = -1,
	    .conn_fd = -1,
	    .exec_listen_fd = -1,
	    .run_dir = RUN_DIR,
	    .cgroup_root = CGROUP2_ROOT,
	    .cgroup_parent = CGROUP2_PARENT,
	    .set_clock = true,
	    .log = agent_log,
	};
	struct lerr e = {0};
	char dns[64];

	if (agent_reroot(&e) < 0)
		agent_log("error: %s", e.msg);
	if (agent_mount_serve(&e) < 0)
		agent_log("error: %s", e.msg);
	if (cgroup2_prepare_parent(CGROUP2_ROOT, CGROUP2_PARENT,
				   CGROUP2_CONTROLLERS, &e) < 0)
		agent_log("error: %s", e.msg);
	if (agent_netif_up("lo", &e) < 0)
		agent_log("error: %s", e.msg);
	pick_dns(dns, sizeof(dns));
	cfg.dns = dns;
	report_ready();
	cfg.listen_fd = agent_vsock_listen(PROTO_VSOCK_PORT, &e);
	if (cfg.listen_fd < 0) {
		agent_log("error: %s; powering off", e.msg);
		power_off();
	}
	/* exec and stats are extras: the group runs without them */
	cfg.exec_listen_fd = agent_vsock_listen(PROTO_EXEC_VSOCK_PORT, &e);
	if (cfg.exec_listen_fd < 0)
		agent_log("error: %s (no exec, no stats)", e.msg);
	agent_log("listening on vsock ports %d and %d (cid %u)",
		  PROTO_VSOCK_PORT, PROTO_EXEC_VSOCK_PORT, (unsigned int)cid);
	if (agent_serve(&cfg, &e) < 0)
		agent_log("error: %s; powering off", e.msg);
	power_off();
}

int main(void)
{
	struct lerr e = {0};
	uint32_t cid;
	bool boot_test;

	if (getpid() != 1)
		agent_log("warning: running as pid %d, not as init",
			  (int)getpid());
	if (agent_mount_early(&e) < 0)
		agent_log("error: %s", e.msg);
	console_ensure_open();
	if (vmm_port_open(&e) < 0)
		agent_log("error: %s", e.msg);
	vmm_port_write(GUEST_PORT_BOOT_READY);

	boot_test = cmdline_value("lighter_run", NULL, 0) ||
		    cmdline_has_token("lighter_test=panic");
	if (!boot_test && agent_vsock_cid(&cid, &e) == 0)
		serve_group(cid);

	report_ready();
	agent_run_test_program();
	if (cmdline_has_token("lighter_test=panic")) {
		agent_log("lighter_test=panic: exiting PID 1 on purpose");
		console_drain();
		return EXIT_FAILURE;
	}
	power_off();
}
