/* console.c - the agent's console output and its view of the kernel
 * command line.  The kernel opens /dev/console for PID 1 before /init
 * runs; when the initramfs has no such node, fds 0-2 stay closed and are
 * opened here once devtmpfs is mounted. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
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

static void drain_timeout(int sig)
{
	(void)sig; /* only interrupts tcdrain() */
}

void console_drain(void)
{
	struct sigaction sa = { .sa_handler = drain_timeout }, old;

	/* write() to a tty returns once the line is in the tty buffer; the
	 * UART sends it later, so a VM powered off right away loses it.
	 * Bounded: a console whose transmit interrupt never comes must not
	 * keep the guest from powering off. */
	if (!isatty(STDOUT_FILENO) || sigaction(SIGALRM, &sa, &old) < 0)
		return;
	alarm(CONSOLE_DRAIN_TIMEOUT_S);
	tcdrain(STDOUT_FILENO);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
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

/* Find the first token of the kernel command line for which match()
 * holds; copy it to out (bounded).  false when none or on error. */
static bool cmdline_find(bool (*match)(const char *tok, const char *arg),
			 const char *arg, char *out, size_t outlen)
{
	_cleanup_close_ int fd = -1;
	char buf[4096];
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
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (!match(tok, arg))
			continue;
		if (out)
			snprintf(out, outlen, "%s", tok);
		return true;
	}
	return false;
}

static bool token_equals(const char *tok, const char *word)
{
	return strcmp(tok, word) == 0;
}

static bool token_has_key(const char *tok, const char *key)
{
	size_t klen = strlen(key);

	return strncmp(tok, key, klen) == 0 && tok[klen] == '=';
}

bool cmdline_has_token(const char *word)
{
	return cmdline_find(token_equals, word, NULL, 0);
}

bool cmdline_value(const char *key, char *out, size_t outlen)
{
	char tok[512];

	if (!cmdline_find(token_has_key, key, tok, sizeof(tok)))
		return false;
	snprintf(out, outlen, "%s", tok + strlen(key) + 1);
	return true;
}
