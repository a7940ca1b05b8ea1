/* cmd-ps-inspect.c - `lighter ps` (a table, or --format json: an array of
 * inspect objects) and `lighter inspect GROUP...` (a JSON array, Docker
 * style: the groups found, and an error on stderr and exit 1 for each
 * missing one). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "state.h"
#include "timefmt.h"

/* Docker's STATUS column: "Up 3 minutes", "Exited (0) 2 hours ago". */
static void status_text(const struct lighter_group_state *st, int64_t now,
			char *out, size_t n)
{
	char ago[64];

	switch (st->state) {
	case LIGHTER_GROUP_RUNNING:
		time_format_human(now - st->started_at_ns, ago, sizeof(ago));
		snprintf(out, n, "Up %s", ago);
		break;
	case LIGHTER_GROUP_EXITED:
		time_format_human(now - st->finished_at_ns, ago, sizeof(ago));
		snprintf(out, n, "Exited (%d) %s ago",
			 lighter_group_exit_status(st), ago);
		break;
	case LIGHTER_GROUP_FAILED:
		snprintf(out, n, "Failed: %.60s",
			 st->reason ? st->reason : "unknown");
		break;
	case LIGHTER_GROUP_STARTING:
		snprintf(out, n, "Starting");
		break;
	case LIGHTER_GROUP_STOPPING:
		snprintf(out, n, "Stopping");
		break;
	case LIGHTER_GROUP_CREATED:
	default:
		snprintf(out, n, "Created");
		break;
	}
}

#define PS_COLUMNS 5

/* One table row: NAME STATE CONTAINERS CREATED STATUS. */
struct ps_row {
	char col[PS_COLUMNS][160];
};

static void fill_row(const struct lighter_group_state *st, int64_t now,
		     struct ps_row *row)
{
	size_t running = 0;
	char ago[64];

	for (size_t i = 0; i < st->nr_containers; i++)
		running += st->containers[i].state ==
			   LIGHTER_CONTAINER_RUNNING;
	snprintf(row->col[0], sizeof(row->col[0]), "%s", st->name);
	snprintf(row->col[1], sizeof(row->col[1]), "%s",
		 lighter_group_status_name(st->state));
	snprintf(row->col[2], sizeof(row->col[2]), "%zu/%zu", running,
		 st->nr_containers);
	time_format_human(now - st->created_at_ns, ago, sizeof(ago));
	snprintf(row->col[3], sizeof(row->col[3]), "%s ago", ago);
	status_text(st, now, row->col[4], sizeof(row->col[4]));
}

/* Columns as wide as their widest cell, three spaces apart. */
static void print_table(const struct ps_row *rows, size_t n)
{
	int w[PS_COLUMNS] = { 0 };

	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < PS_COLUMNS; c++) {
			int len = (int)strlen(rows[i].col[c]);

			if (len > w[c])
				w[c] = len;
		}
	}
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < PS_COLUMNS - 1; c++)
			printf("%-*s   ", w[c], rows[i].col[c]);
		printf("%s\n", rows[i].col[PS_COLUMNS - 1]);
	}
}

/* Load a group; 0, or the exit status after saying why not. */
static int load_one(const struct lighter_paths *p, const char *name,
		    struct lighter_group_state *st)
{
	struct lerr e = { 0 };

	if (lighter_group_load(p, name, st, &e) < 0) {
		cmd_error("%s", e.msg);
		return e.code == ENOENT ? EXIT_NO_GROUP : EXIT_LIGHTER;
	}
	return 0;
}

static int print_json(json_t *arr)
{
	char *text = json_dumps(arr, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

	json_decref(arr);
	if (!text) {
		cmd_error("out of memory");
		return EXIT_LIGHTER;
	}
	printf("%s\n", text);
	free(text);
	return 0;
}

int cmd_ps(const struct cli *c, struct lighter_paths *p)
{
	static const struct ps_row header = {
		{ "NAME", "STATE", "CONTAINERS", "CREATED", "STATUS" },
	};
	struct lerr e = { 0 };
	json_t *arr = c->json ? json_array() : NULL;
	int64_t now = time_wall_ns();
	struct ps_row *rows;
	size_t n, nr_rows = 1;
	char **names;

	if (lighter_group_list(p, &names, &n, &e) < 0) {
		json_decref(arr);
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	rows = calloc(n + 1, sizeof(*rows));
	if (!rows) {
		json_decref(arr);
		cmd_error("out of memory");
		return EXIT_LIGHTER;
	}
	rows[0] = header;
	for (size_t i = 0; i < n; i++) {
		struct lighter_group_state st;

		/* a group removed meanwhile is simply not listed */
		if (lighter_group_load(p, names[i], &st, &e) == 0) {
			bool shown = c->all ||
				     lighter_group_is_active(st.state);

			if (shown && arr)
				json_array_append_new(arr, state_to_json(&st));
			else if (shown)
				fill_row(&st, now, &rows[nr_rows++]);
			lighter_group_state_free(&st);
		}
		free(names[i]);
	}
	free(names);
	if (!arr)
		print_table(rows, nr_rows);
	free(rows);
	return arr ? print_json(arr) : 0;
}

int cmd_inspect(const struct cli *c, struct lighter_paths *p)
{
	json_t *arr = json_array();
	int status = 0;

	for (size_t i = 0; i < c->nr_groups; i++) {
		struct lighter_group_state st;
		int r = load_one(p, c->groups[i], &st);

		if (r) {
			status = r;
			continue;
		}
		json_array_append_new(arr, state_to_json(&st));
		lighter_group_state_free(&st);
	}
	if (print_json(arr))
		return EXIT_LIGHTER;
	return status;
}
