/* cmd-exec.c - `lighter exec [-i] [-t] GROUP CONTAINER [--] CMD...`: the
 * terminal's side of lighter_group_exec(): with -t on a terminal, raw mode
 * while the command runs (so Ctrl-C and every other key reach the pty in
 * the guest) and the old mode back afterwards, whatever happens; SIGWINCH
 * through a signalfd so the pty follows the window's size.  The exit
 * status is the command's (126/127 when it could not be run, with why on
 * stderr), 125 when lighter itself failed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"

static struct termios saved_mode;
static bool mode_saved;

static void restore_mode(void)
{
	if (mode_saved)
		tcsetattr(0, TCSADRAIN, &saved_mode);
}

/* Termination while raw: the terminal back first. */
static void on_fatal(int sig)
{
	restore_mode();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void raw_mode(void)
{
	struct termios raw;

	if (tcgetattr(0, &saved_mode) < 0)
		return;
	mode_saved = true;
	atexit(restore_mode);
	signal(SIGTERM, on_fatal);
	signal(SIGHUP, on_fatal);
	signal(SIGQUIT, on_fatal);
	raw = saved_mode;
	cfmakeraw(&raw);
	tcsetattr(0, TCSADRAIN, &raw);
}

static int winch_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int cmd_exec(const struct cli *c, struct lighter_paths *p)
{
	struct lighter_exec_opts o = {
	    .container = c->container,
	    .argv = (const char *const *)c->argv,
	    .tty = c->tty,
	    .interactive = c->interactive,
	    .in_fd = 0,
	    .out_fd = 1,
	    .err_fd = 2,
	    .winch_fd = -1,
	    .size_fd = -1,
	};
	struct lighter_exec_result res;
	struct lerr e = {0};
	int r = cmd_need_group(p, c->group);

	if (r)
		return r;
	if (c->tty) {
		o.size_fd = isatty(0) ? 0 : isatty(1) ? 1 : -1;
		if (o.size_fd >= 0)
			o.winch_fd = winch_fd();
		if (c->interactive && isatty(0))
			raw_mode();
	}
	r = lighter_group_exec(p, c->group, &o, &res, &e);
	restore_mode();
	mode_saved = false;
	if (o.winch_fd >= 0)
		close(o.winch_fd);
	if (r < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	if (res.error[0])
		cmd_error("group \"%s\": %s", c->group, res.error);
	return res.exit_code;
}
