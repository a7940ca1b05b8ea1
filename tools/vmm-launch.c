/* vmm-launch.c - lighter-vmm for one group: command line, spawn, and the
 * reason it ended (see vmm-launch.h).  The flags are lighter-vmm's own
 * (vmm/config.c): --cpus, --memory (bytes), --vsock-uds, --vsock-cid,
 * --console FILE, --cmdline, --drive path=FILE,id=SERIAL. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "vmm-launch.h"

#define VMM_PREFIX "lighter-vmm: "
#define VMM_BOOT_TIMER_PREFIX "lighter-vmm: boot-timer:"

void vmm_build_argv(const struct vmm_params *p, struct vmm_argv_bufs *bufs,
		    const char **argv)
{
	int i = 0;

	snprintf(bufs->cpus, sizeof(bufs->cpus), "%u", p->cpus);
	snprintf(bufs->memory, sizeof(bufs->memory), "%" PRIu64,
		 p->mem_bytes);
	snprintf(bufs->cid, sizeof(bufs->cid), "%d", VMM_VSOCK_CID);
	argv[i++] = p->vmm;
	argv[i++] = "--kernel";
	argv[i++] = p->kernel;
	argv[i++] = "--initrd";
	argv[i++] = p->initrd;
	argv[i++] = "--cpus";
	argv[i++] = bufs->cpus;
	argv[i++] = "--memory";
	argv[i++] = bufs->memory;
	argv[i++] = "--vsock-uds";
	argv[i++] = p->vsock_uds;
	argv[i++] = "--vsock-cid";
	argv[i++] = bufs->cid;
	argv[i++] = "--console";
	argv[i++] = p->console;
	argv[i++] = "--cmdline";
	argv[i++] = VMM_CMDLINE;
	for (size_t k = 0; k < p->nr_drives && k < VMM_MAX_DRIVES; k++) {
		snprintf(bufs->drives[k], sizeof(bufs->drives[k]),
			 "path=%s,id=%s", p->drive_paths[k], p->drive_ids[k]);
		argv[i++] = "--drive";
		argv[i++] = bufs->drives[k];
	}
	argv[i] = NULL;
}

/* In the child: never returns. */
static void __attribute__((noreturn))
exec_vmm(const char **argv, int null_fd, int err_fd, pid_t parent)
{
	sigset_t none;

	/* the monitor may have blocked signals for its loop */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(null_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	execv(argv[0], (char *const *)argv);
	dprintf(STDERR_FILENO, VMM_PREFIX "exec \"%s\": %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

int vmm_spawn(const struct vmm_params *p, const char *stderr_path, pid_t *pid,
	      int *pidfd, struct lerr *e)
{
	const char *argv[VMM_ARGV_MAX];
	struct vmm_argv_bufs bufs;
	_cleanup_close_ int null_fd = -1, err_fd = -1;
	pid_t self = getpid(), child;
	int fd;

	vmm_build_argv(p, &bufs, argv);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return lerr_set(e, errno, "\"/dev/null\"");
	err_fd = open(stderr_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		      0644);
	if (err_fd < 0)
		return lerr_set(e, errno, "\"%s\"", stderr_path);
	child = fork();
	if (child < 0)
		return lerr_set(e, errno, "fork for lighter-vmm");
	if (child == 0)
		exec_vmm(argv, null_fd, err_fd, self);
	fd = (int)syscall(SYS_pidfd_open, child, 0);
	if (fd < 0) {
		int err = errno;

		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return lerr_set(e, err, "pidfd_open for lighter-vmm");
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	*pid = child;
	*pidfd = fd;
	return 0;
}

void vmm_last_line(const char *log_path, char *out, size_t n)
{
	_cleanup_fclose_ FILE *f = fopen(log_path, "re");
	char line[1024];
	struct stat st;

	out[0] = '\0';
	if (!f)
		return;
	/* only the end matters */
	if (fstat(fileno(f), &st) == 0 && st.st_size > 65536)
		fseeko(f, st.st_size - 65536, SEEK_SET);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strncmp(line, VMM_PREFIX, strlen(VMM_PREFIX)) != 0 ||
		    strncmp(line, VMM_BOOT_TIMER_PREFIX,
			    strlen(VMM_BOOT_TIMER_PREFIX)) == 0)
			continue;
		snprintf(out, n, "%s", line + strlen(VMM_PREFIX));
	}
}

void vmm_exit_reason(int wstatus, const char *log_path, char *out, size_t n)
{
	char line[512];

	vmm_last_line(log_path, line, sizeof(line));
	if (WIFSIGNALED(wstatus)) {
		snprintf(out, n, "lighter-vmm killed by signal %d",
			 WTERMSIG(wstatus));
	} else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 2 &&
		   strncmp(line, "guest panic:", 12) == 0) {
		snprintf(out, n, "%s", line);
	} else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0) {
		snprintf(out, n, "lighter-vmm exited with status %d%s%s",
			 WEXITSTATUS(wstatus), line[0] ? ": " : "", line);
	} else if (line[0]) {
		snprintf(out, n, "%s", line);
	} else {
		snprintf(out, n, "the guest powered off");
	}
}
