/* jail-status.c - the jailed VMM's end, as lighter-vmm reports it (see
 * jail-status.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "jail-status.h"

int jail_exit_status(int wstatus, const struct jail_death *d, char *line,
		     size_t n)
{
	const char *name;
	int sig;

	if (n)
		line[0] = '\0';
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	/* stopped or continued never reach here: waitpid without WUNTRACED */
	sig = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : SIGKILL;
	if (sig == SIGSYS)
		snprintf(line, n, "killed by seccomp (SIGSYS)");
	else if (sig == SIGKILL && d->oom_killed)
		snprintf(line, n,
			 "killed: memory limit of %llu MiB reached (cgroup %s)",
			 (unsigned long long)(d->memory_limit >> 20),
			 d->memory_cgroup);
	else if ((name = sigabbrev_np(sig)))
		snprintf(line, n, "killed by signal %d (SIG%s)", sig, name);
	else
		snprintf(line, n, "killed by signal %d", sig);
	return 128 + sig;
}
