/* cmd-stats.c - `lighter stats [--no-stream] [--format table|json|
 * prometheus] [GROUP]`: one exec-port connection per running group
 * (group-agent.h), a STATS reading per second, each turned into rates
 * against the one before (stats.h) with the VMM's VmRSS, printed as a
 * table (redrawn in place on a terminal), a JSON line or Prometheus text.
 * --no-stream takes two readings a second apart and prints once. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "group-agent.h"
#include "stats.h"

#define STATS_INTERVAL_MS 1000

struct watched {
	char name[LIGHTER_NAME_MAX + 1];
	int fd;
	pid_t vmm_pid;
	bool have_prev;
	struct proto_stats prev, cur;
};

static volatile sig_atomic_t stop_now;

static void on_stop(int sig)
{
	(void)sig;
	stop_now = 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* The running groups (or the one named), connected. */
static int watch(const struct cli *c, struct lighter_paths *p,
		 struct watched **out, size_t *n_out)
{
	char **names = NULL, *one[2] = {(char *)c->group, NULL};
	struct watched *w = NULL;
	struct lerr e = {0};
	size_t n = 0, k = 0;

	if (!c->group && lighter_group_list(p, &names, &n, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	w = calloc(c->group ? 1 : (n ? n : 1), sizeof(*w));
	for (char **it = c->group ? one : names; w && it && *it; it++) {
		struct lighter_group_state st;
		bool running;

		if (lighter_group_load(p, *it, &st, &e) < 0)
			continue;
		running = st.state == LIGHTER_GROUP_RUNNING;
		w[k].vmm_pid = st.vmm_pid;
		lighter_group_state_free(&st);
		if (!running && !c->group)
			continue;
		w[k].fd = group_agent_connect(p, *it, &e);
		if (w[k].fd < 0) {
			if (c->group) {
				cmd_error("%s", e.msg);
				free(w);
				return EXIT_LIGHTER;
			}
			continue;
		}
		snprintf(w[k].name, sizeof(w[k].name), "%s", *it);
		k++;
	}
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
	if (!w) {
		cmd_error("out of memory");
		return EXIT_LIGHTER;
	}
	*out = w;
	*n_out = k;
	return 0;
}

/* A reading of every group; false when one failed (it is dropped). */
static void read_all(struct watched *w, size_t *n)
{
	struct lerr e = {0};

	for (size_t i = 0; i < *n; i++) {
		w[i].prev = w[i].cur;
		w[i].have_prev = w[i].cur.time_ns != 0;
		if (group_agent_stats(w[i].fd, w[i].name, &w[i].cur, &e) == 0)
			continue;
		cmd_error("%s", e.msg);
		close(w[i].fd);
		w[i--] = w[--*n];
	}
}

static void print(const struct cli *c, struct watched *w, size_t n, bool redraw)
{
	struct stats_group *g = calloc(n ? n : 1, sizeof(*g));

	if (!g)
		return;
	for (size_t i = 0; i < n; i++)
		stats_compute(w[i].name, w[i].have_prev ? &w[i].prev : NULL,
			      &w[i].cur, stats_vmm_rss(w[i].vmm_pid), &g[i]);
	if (c->json) {
		stats_print_json(stdout, g, n);
	} else if (c->prometheus) {
		stats_print_prometheus(stdout, g, n);
	} else {
		if (redraw)
			fputs("\033[2J\033[H", stdout);
		stats_print_table(stdout, g, n);
	}
	fflush(stdout);
	free(g);
}

int cmd_stats(const struct cli *c, struct lighter_paths *p)
{
	struct watched *w = NULL;
	size_t n = 0;
	int r;

	if (c->group) {
		r = cmd_need_group(p, c->group);
		if (r)
			return r;
	}
	r = watch(c, p, &w, &n);
	if (r)
		return r;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGPIPE, SIG_IGN);
	read_all(w, &n);
	while (!stop_now && (n || !c->group)) {
		sleep_ms(STATS_INTERVAL_MS);
		if (stop_now)
			break;
		read_all(w, &n);
		print(c, w, n, !c->json && !c->prometheus && isatty(1));
		if (c->no_stream || ferror(stdout))
			break;
	}
	for (size_t i = 0; i < n; i++)
		close(w[i].fd);
	free(w);
	return c->group && !n ? EXIT_LIGHTER : 0;
}
