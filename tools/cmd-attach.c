/* cmd-attach.c - `lighter attach GROUP [CONTAINER]`: how the group and its
 * containers started (state.json: status, start time, pid, restarts,
 * failures), on stderr, then their output from now on (the CRI logs the
 * monitor appends to, followed as `logs -f` does) until the named
 * container or the group exits, or Ctrl-C. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "timefmt.h"

static void startup(const struct lighter_group_state *st, const char *container)
{
	char when[TIME_RFC3339_LEN];

	if (st->started_at_ns > 0)
		time_format_rfc3339(st->started_at_ns, when);
	fprintf(stderr, "lighter: group \"%s\" %s%s%s\n", st->name,
		lighter_group_status_name(st->state),
		st->started_at_ns ? " since " : "",
		st->started_at_ns ? when : "");
	for (size_t i = 0; i < st->nr_containers; i++) {
		const struct lighter_container_state *c = &st->containers[i];

		if (container && strcmp(container, c->name))
			continue;
		if (c->started_at_ns > 0)
			time_format_rfc3339(c->started_at_ns, when);
		fprintf(stderr, "lighter: container \"%s\" %s", c->name,
			lighter_container_status_name(c->state));
		if (c->started_at_ns)
			fprintf(stderr, ", started %s", when);
		if (c->pid)
			fprintf(stderr, ", pid %lld", (long long)c->pid);
		if (c->restart_count)
			fprintf(stderr, ", %lld restarts",
				(long long)c->restart_count);
		if (c->has_exit_code)
			fprintf(stderr, ", last exit code %d", c->exit_code);
		if (c->error)
			fprintf(stderr, ": %s", c->error);
		fputc('\n', stderr);
	}
}

int cmd_attach(const struct cli *c, struct lighter_paths *p)
{
	struct lighter_log_opts o = {
	    .container = c->container,
	    .follow = true,
	    .tail = 0, /* from the logs' current ends */
	    .until_container_exits = c->container != NULL,
	    .out_fd = 1,
	    .err_fd = 2,
	};
	struct lighter_group_state st;
	struct lerr e = {0};
	bool found = !c->container;
	int r = cmd_need_group(p, c->group);

	if (r)
		return r;
	if (lighter_group_load(p, c->group, &st, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	for (size_t i = 0; !found && i < st.nr_containers; i++)
		found = !strcmp(st.containers[i].name, c->container);
	if (!found) {
		cmd_error("group \"%s\" has no container \"%s\"", c->group,
			  c->container);
		lighter_group_state_free(&st);
		return EXIT_NO_GROUP;
	}
	r = lighter_group_is_active(st.state);
	startup(&st, c->container);
	lighter_group_state_free(&st);
	if (!r) {
		cmd_error("group \"%s\" is not running", c->group);
		return EXIT_LIGHTER;
	}
	fflush(stderr);
	if (lighter_group_logs(p, c->group, &o, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	return 0;
}
