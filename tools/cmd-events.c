/* cmd-events.c - `lighter events [-f] [GROUP]`: the groups' event lists
 * (state.json "events", see lighter.h), one line each,
 *
 *   TIME GROUP CONTAINER TYPE MESSAGE [(xN)]
 *
 * with the time the event last happened and "-" for a group's own
 * events; every group's, by time, when no GROUP is named.  With -f, new
 * events (and repeats, which take a new sequence number) are printed as
 * the state files change, polled every FOLLOW_POLL_MS: until GROUP has
 * ended (exited or failed) or is removed, or, for every group, until
 * interrupted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "timefmt.h"

#define FOLLOW_POLL_MS 200

struct seen {
	char name[LIGHTER_NAME_MAX + 1];
	int64_t seq; /* the last printed */
};

struct line {
	const char *group;
	const struct lighter_event *ev;
};

static void print_event(const char *group, const struct lighter_event *ev)
{
	char t[TIME_RFC3339_LEN];

	time_format_rfc3339(ev->last_ns, t);
	printf("%s %s %s %s %s", t, group,
	       ev->container[0] ? ev->container : "-", ev->type, ev->message);
	if (ev->count > 1)
		printf(" (x%lld)", (long long)ev->count);
	putchar('\n');
}

static int by_time(const void *a, const void *b)
{
	const struct line *x = a, *y = b;

	if (x->ev->last_ns != y->ev->last_ns)
		return x->ev->last_ns < y->ev->last_ns ? -1 : 1;
	return x->ev->seq < y->ev->seq ? -1 : x->ev->seq > y->ev->seq;
}

static struct seen *seen_of(struct seen **list, size_t *n, const char *name)
{
	struct seen *grown;

	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i].name, name) == 0)
			return &(*list)[i];
	}
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	*list = grown;
	grown = &grown[(*n)++];
	memset(grown, 0, sizeof(*grown));
	snprintf(grown->name, sizeof(grown->name), "%s", name);
	return grown;
}

/* One pass over the groups: what is new since *seen, by time.  *ended is
 * set when the one group asked for has ended or is gone. */
static int pass(const struct cli *c, struct lighter_paths *p,
		struct seen **seen, size_t *nr_seen, bool *ended)
{
	struct lighter_group_state *sts = NULL;
	struct line *lines = NULL;
	size_t nr_names = 0, nr_lines = 0, cap = 0, i;
	char **names = NULL, *one[2] = { (char *)c->group, NULL };
	struct lerr e = { 0 };
	int status = 0;

	if (c->group) {
		names = one;
		nr_names = 1;
	} else if (lighter_group_list(p, &names, &nr_names, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	sts = calloc(nr_names ? nr_names : 1, sizeof(*sts));
	if (!sts) {
		status = EXIT_LIGHTER;
		goto out;
	}
	for (i = 0; i < nr_names; i++) {
		struct seen *s = seen_of(seen, nr_seen, names[i]);
		int r = lighter_group_load(p, names[i], &sts[i], &e);

		if (r == -ENOENT && c->group) {
			*ended = true;
			break;
		}
		if (r < 0 || !s)
			continue; /* removed meanwhile */
		if (c->group && (sts[i].state == LIGHTER_GROUP_EXITED ||
				 sts[i].state == LIGHTER_GROUP_FAILED))
			*ended = true;
		for (size_t k = 0; k < sts[i].nr_events; k++) {
			if (sts[i].events[k].seq <= s->seq)
				continue;
			if (nr_lines == cap) {
				struct line *g;

				cap = cap ? 2 * cap : 64;
				g = realloc(lines, cap * sizeof(*g));
				if (!g) {
					status = EXIT_LIGHTER;
					goto out;
				}
				lines = g;
			}
			lines[nr_lines].group = names[i];
			lines[nr_lines++].ev = &sts[i].events[k];
		}
		if (sts[i].event_seq > s->seq)
			s->seq = sts[i].event_seq;
	}
	if (nr_lines)
		qsort(lines, nr_lines, sizeof(*lines), by_time);
	for (i = 0; i < nr_lines; i++)
		print_event(lines[i].group, lines[i].ev);
	fflush(stdout);
out:
	for (i = 0; sts && i < nr_names; i++)
		lighter_group_state_free(&sts[i]);
	free(sts);
	free(lines);
	if (names != one) {
		for (i = 0; i < nr_names; i++)
			free(names[i]);
		free(names);
	}
	return status;
}

int cmd_events(const struct cli *c, struct lighter_paths *p)
{
	struct timespec poll = { 0, FOLLOW_POLL_MS * 1000000L };
	struct seen *seen = NULL;
	size_t nr_seen = 0;
	bool ended = false;
	int status;

	if (c->group) {
		status = cmd_need_group(p, c->group);
		if (status)
			return status;
	}
	for (;;) {
		status = pass(c, p, &seen, &nr_seen, &ended);
		if (status || !c->follow || ended)
			break;
		nanosleep(&poll, NULL);
	}
	free(seen);
	return status;
}
