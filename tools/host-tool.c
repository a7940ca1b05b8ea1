/* host-tool.c - running one of the host's programs the volumes need (git,
 * tar, mkfs.ext4): argv as given (never a shell), stdin on /dev/null,
 * stdout to a file or /dev/null, stderr kept in a pipe so that a failure
 * reads as the tool's own last line:
 *   git clone "https://x/r": exited with status 128: fatal: repository
 *   'https://x/r/' not found */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-tool.h"

/* Programs under the sbin directories a user's PATH may lack. */
static const char *const sbin_dirs[] = { "/usr/sbin", "/sbin" };

static void __attribute__((noreturn))
child(const char *const *argv, const char *cwd, int out_fd, int err_fd)
{
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	char path[256];

	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		_exit(126);
	if (cwd && chdir(cwd) < 0) {
		dprintf(STDERR_FILENO, "chdir \"%s\": %s\n", cwd,
			strerror(errno));
		_exit(126);
	}
	/* git asks nobody for a password: it fails instead */
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	setenv("LC_ALL", "C", 1);
	execvp(argv[0], (char *const *)argv);
	for (size_t i = 0; errno == ENOENT && !strchr(argv[0], '/') &&
			   i < sizeof(sbin_dirs) / sizeof(sbin_dirs[0]);
	     i++) {
		snprintf(path, sizeof(path), "%s/%s", sbin_dirs[i], argv[0]);
		execv(path, (char *const *)argv);
	}
	dprintf(STDERR_FILENO, "cannot run %s: %s (is it installed? "
		"tools/deps)\n", argv[0], strerror(errno));
	_exit(127);
}

/* The last non-empty line of buf, in place. */
static const char *last_line(char *buf)
{
	char *end = buf + strlen(buf), *start;

	while (end > buf && (end[-1] == '\n' || end[-1] == '\r' ||
			     end[-1] == ' '))
		*--end = '\0';
	start = strrchr(buf, '\n');
	return start ? start + 1 : buf;
}

int host_tool_run(const char *const *argv, const char *cwd, int out_fd,
		  const char *what, struct lerr *e)
{
	char err[4096];
	size_t got = 0;
	int pipefd[2], status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return lerr_set(e, errno, "%s: pipe", what);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return lerr_set(e, errno, "%s: fork", what);
	}
	if (pid == 0)
		child(argv, cwd, out_fd, pipefd[1]);
	close(pipefd[1]);
	for (;;) {
		ssize_t n = read(pipefd[0], err + got, sizeof(err) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(err) - 1) {
			/* keep the tail: the last line is the verdict */
			memmove(err, err + got / 2, got - got / 2);
			got -= got / 2;
		}
	}
	err[got] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return lerr_set(e, errno, "%s: wait", what);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return lerr_fail(e, ENOENT, "%s: %s", what, last_line(err));
	if (WIFEXITED(status))
		return lerr_fail(e, EIO, "%s: exited with status %d: %s", what,
				 WEXITSTATUS(status), last_line(err));
	return lerr_fail(e, EIO, "%s: killed by signal %d", what,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
