/* cmd-volume.c - `lighter volume ls | inspect NAME... | rm NAME...`: the
 * persistent volumes under the data dir (volume-store.c).  inspect and rm
 * go through every NAME; a missing one is an error on stderr and exit 1,
 * one in use (rm) exit 125, the others still handled. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "spec-internal.h"
#include "timefmt.h"
#include "volume-store.h"

static int volume_ls(struct lighter_paths *p)
{
	struct volume_info *v;
	struct lerr e = { 0 };
	size_t n;

	if (volume_list(p, &v, &n, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	printf("%-24s %-8s %-8s %s\n", "NAME", "SIZE", "ON-DISK", "STATUS");
	for (size_t i = 0; i < n; i++) {
		char size[SPEC_SIZE_STR], disk[SPEC_SIZE_STR];

		spec_format_size(v[i].size, size);
		spec_format_size(v[i].disk_bytes, disk);
		printf("%-24s %-8s %-8s %s\n", v[i].name, size, disk,
		       v[i].in_use ? "in use" : "-");
	}
	volume_info_free(v, n);
	return 0;
}

static json_t *info_json(const struct volume_info *v)
{
	char changed[TIME_RFC3339_LEN];

	time_format_rfc3339(v->changed_ns, changed);
	return json_pack("{s:s, s:s, s:I, s:I, s:b, s:s}", "name", v->name,
			 "path", v->path, "size", (json_int_t)v->size,
			 "disk_bytes", (json_int_t)v->disk_bytes, "in_use",
			 v->in_use, "changed", changed);
}

static int volume_inspect(const struct cli *c, struct lighter_paths *p)
{
	json_t *arr = json_array();
	int status = 0;
	char *text;

	if (!arr)
		return EXIT_LIGHTER;
	for (size_t i = 0; i < c->nr_volumes; i++) {
		struct volume_info v;
		struct lerr e = { 0 };
		int r = volume_get(p, c->volumes[i], &v, &e);

		if (r < 0) {
			cmd_error("%s", e.msg);
			status = r == -ENOENT ? EXIT_NO_GROUP : EXIT_LIGHTER;
			continue;
		}
		json_array_append_new(arr, info_json(&v));
		free(v.path);
	}
	text = json_dumps(arr, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	json_decref(arr);
	if (!text)
		return EXIT_LIGHTER;
	puts(text);
	free(text);
	return status;
}

static int volume_rm(const struct cli *c, struct lighter_paths *p)
{
	int status = 0;

	for (size_t i = 0; i < c->nr_volumes; i++) {
		struct lerr e = { 0 };
		int r = volume_remove(p, c->volumes[i], &e);

		if (r < 0) {
			cmd_error("%s", e.msg);
			status = r == -ENOENT ? EXIT_NO_GROUP : EXIT_LIGHTER;
			continue;
		}
		printf("%s\n", c->volumes[i]);
	}
	return status;
}

int cmd_volume(const struct cli *c, struct lighter_paths *p)
{
	if (strcmp(c->volume_cmd, "ls") == 0)
		return volume_ls(p);
	if (strcmp(c->volume_cmd, "inspect") == 0)
		return volume_inspect(c, p);
	return volume_rm(c, p);
}
