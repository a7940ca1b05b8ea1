/* test-run.c - the agent's hook for end-to-end tests: run one guest-side
 * probe program named on the kernel command line (`lighter_run=/bin/X`)
 * after the early mounts, report how it ended, then carry on to power
 * off.  The probe's stdout/stderr are the console. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

bool agent_run_test_program(void)
{
	char path[256];
	pid_t pid;
	int status;

	if (!cmdline_value("lighter_run", path, sizeof(path)))
		return false;
	if (path[0] != '/') {
		agent_log("error: lighter_run=%s: not an absolute path", path);
		return true;
	}
	pid = fork();
	if (pid < 0) {
		agent_log("error: fork for %s: %m", path);
		return true;
	}
	if (pid == 0) {
		char *argv[] = { path, NULL };
		char *envp[] = { "PATH=/bin", NULL };

		execve(path, argv, envp);
		agent_log("error: exec %s: %m", path);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	if (WIFEXITED(status))
		agent_log("%s exited with status %d", path, WEXITSTATUS(status));
	else
		agent_log("%s killed by signal %d", path, WTERMSIG(status));
	return true;
}
