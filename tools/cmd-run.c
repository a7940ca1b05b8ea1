/* cmd-run.c - `lighter run`: create, start, and unless detached follow
 * every container's output until the group ends, then exit with the
 * first container's exit status (Docker's: 128+N for a signal, 125 when
 * the VM failed, with the reason on stderr).  SIGINT and SIGTERM become
 * a stop (10 s grace; a second one: no grace).  --rm removes the group
 * at the end (detached: its monitor does). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static volatile sig_atomic_t early_signal;

static void note_signal(int sig)
{
	early_signal = sig;
}

struct run_ctx {
	struct lighter_paths *p;
	const char *name;
	int signals;
};

static void forward_signal(int sig, void *arg)
{
	struct run_ctx *r = arg;
	struct lerr e = { 0 };

	r->signals++;
	if (lighter_group_stop_async(r->p, r->name,
				     r->signals == 1 ? 10000 : 0, &e) < 0)
		cmd_error("%s", e.msg);
}

static void catch_early_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note_signal; /* no SA_RESTART: waits see EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int finish(const struct cli *c, struct lighter_paths *p,
		  const char *name, int start_code)
{
	struct lighter_group_state st;
	struct lerr e = { 0 };
	int status = start_code;

	if (lighter_group_load(p, name, &st, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	/* a command that could not run keeps Docker's 126/127 */
	if (start_code) {
		status = start_code;
	} else if (st.state == LIGHTER_GROUP_FAILED) {
		cmd_error("group \"%s\" failed: %s", name,
			  st.reason ? st.reason : "unknown reason");
		status = EXIT_LIGHTER;
	} else {
		status = lighter_group_exit_status(&st);
	}
	lighter_group_state_free(&st);
	if (c->rm && lighter_group_remove(p, name, true, &e) < 0)
		cmd_error("%s", e.msg);
	return status;
}

int cmd_run(const struct cli *c, struct lighter_paths *p)
{
	struct lighter_create_opts o;
	char name[LIGHTER_NAME_MAX + 1];
	struct run_ctx rc = { .p = p, .name = name };
	struct lighter_log_opts lo = {
		.follow = true,
		.tail = -1,
		.out_fd = 1,
		.err_fd = 2,
		.on_signal = forward_signal,
		.arg = &rc,
	};
	struct lerr e = { 0 };
	int code = 0;

	cmd_create_opts(c, &o);
	o.auto_remove = c->rm && c->detach;
	if (lighter_paths_runtime(p, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	catch_early_signals();
	if (lighter_group_create(p, &o, name, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	if (early_signal) {
		lighter_group_remove(p, name, true, &e);
		return 128 + early_signal;
	}
	if (lighter_group_start(p, name, &code, &e) < 0) {
		cmd_error("%s", e.msg);
		if (code == EXIT_LIGHTER || c->detach) {
			if (c->rm && !c->detach)
				lighter_group_remove(p, name, true, &e);
			return code;
		}
		/* 126/127: one command could not run; the group goes on */
	}
	if (c->detach) {
		printf("%s\n", name);
		return 0;
	}
	if (early_signal)
		forward_signal(early_signal, &rc);
	if (lighter_group_logs(p, name, &lo, &e) < 0)
		cmd_error("%s", e.msg);
	return finish(c, p, name, code);
}
