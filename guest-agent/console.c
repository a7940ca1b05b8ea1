/* console.c - the agent's console output and its view of the kernel
 * command line.  The kernel opens /dev/console for PID 1 before /init
 * runs; when the initramfs has no such node, fds 0-2 stay closed and are
 * opened here once devtmpfs is mounted. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "agent.h"

void console_ensure_open(void)
{
	int fd, i;

	if (fcntl(STDOUT_FILENO, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i <= 2; i++)
		if (fcntl(i, F_GETFD) < 0)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

void agent_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s", AGENT_PREFIX);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/* One write per line, so lines from the kernel do not split it. */
	if (write(STDOUT_FILENO, line, (size_t)n) < 0)
		return;
}

bool cmdline_has_token(const char *word)
{
	_cleanup_close_ int fd = -1;
	char buf[4096];
	size_t wlen = strlen(word);
	ssize_t n;
	char *tok, *save;

	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save))
		if (strlen(tok) == wlen && memcmp(tok, word, wlen) == 0)
			return true;
	return false;
}
