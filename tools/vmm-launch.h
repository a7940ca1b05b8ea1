/* vmm-launch.h - running lighter-vmm for a group (vmm-launch.c): its
 * command line, the spawn (stderr to vmm.log, killed with its monitor),
 * and the one-line reason for its end, from its exit status and the
 * last line it wrote to vmm.log. */
#ifndef LIGHTER_TOOLS_VMM_LAUNCH_H
#define LIGHTER_TOOLS_VMM_LAUNCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lighter/error.h>

#define VMM_CMDLINE "console=ttyS0 quiet panic=-1 reboot=t"
#define VMM_VSOCK_CID 3
#define VMM_MAX_DRIVES 8 /* lighter-vmm's own limit */
#define VMM_ARGV_MAX (24 + 2 * VMM_MAX_DRIVES)

struct vmm_params {
	const char *vmm, *kernel, *initrd;
	unsigned int cpus;
	uint64_t mem_bytes;
	const char *vsock_uds; /* the socket, relative to the group dir */
	const char *console;   /* the console log file */
	/* read-write disks (virtio-blk): a path without ',' each, and
	 * the serial the guest finds it by */
	size_t nr_drives;
	const char *drive_paths[VMM_MAX_DRIVES];
	const char *drive_ids[VMM_MAX_DRIVES];
};

/* argv for lighter-vmm into argv[VMM_ARGV_MAX] (pointing into p and into
 * bufs, which must live as long as argv). */
struct vmm_argv_bufs {
	char cpus[16], memory[32], cid[16];
	char drives[VMM_MAX_DRIVES][4200];
};
void vmm_build_argv(const struct vmm_params *p, struct vmm_argv_bufs *bufs,
		    const char **argv);

/* Fork and exec lighter-vmm in the working directory, stdin and stdout on
 * /dev/null and stderr appended to stderr_path; the child dies with the
 * calling thread (PR_SET_PDEATHSIG).  *pid and a pidfd (readable once it
 * has exited; reap with waitpid) on success. */
int vmm_spawn(const struct vmm_params *p, const char *stderr_path, pid_t *pid,
	      int *pidfd, struct lerr *e);

/* Why lighter-vmm ended, from its wait status and its log (the last
 * "lighter-vmm: " line that is not the boot timer's): "guest panic:
 * Kernel panic - not syncing: ...", "lighter-vmm killed by signal 9",
 * "lighter-vmm exited with status 1: <its line>". */
void vmm_exit_reason(int wstatus, const char *log_path, char *out, size_t n);

/* The last "lighter-vmm: " line of log_path other than the boot timer's,
 * without the prefix, into out ("" when none). */
void vmm_last_line(const char *log_path, char *out, size_t n);

#endif
