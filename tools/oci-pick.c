/* oci-pick.c - choosing one manifest in an image index: at the top by
 * tag (the org.opencontainers.image.ref.name annotation; "latest" when
 * none is given, or the only entry when there is exactly one and it has
 * no name), in nested indexes by platform (linux/amd64).  Pure functions
 * of a parsed index (oci-json.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "oci-image.h"

static bool is_linux_amd64(const struct oci_index_entry *ent)
{
	return ent->os && ent->arch && strcmp(ent->os, "linux") == 0 &&
	       strcmp(ent->arch, "amd64") == 0;
}

/* "a, b, c" of up to a few names, for messages. */
static void list_names(const struct oci_index *ix, bool platforms, char *out,
		       size_t cap)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < ix->nr_entries && len < cap; i++) {
		const struct oci_index_entry *ent = &ix->entries[i];
		int n;

		if (i == 8) {
			snprintf(out + len, cap - len, ", ...");
			return;
		}
		if (platforms)
			n = snprintf(out + len, cap - len, "%s%s/%s%s%s",
				     i ? ", " : "", ent->os ? ent->os : "?",
				     ent->arch ? ent->arch : "?",
				     ent->variant ? "/" : "",
				     ent->variant ? ent->variant : "");
		else
			n = snprintf(out + len, cap - len, "%s%s",
				     i ? ", " : "",
				     ent->ref_name ? ent->ref_name : "(none)");
		if (n < 0)
			return;
		len += (size_t)n;
	}
}

int oci_index_pick_tag(const struct oci_index *ix, const char *tag,
		       const char *what, struct lerr *e)
{
	const char *want = tag ? tag : "latest";
	int found = -1, amd64 = -1, nr_amd64 = 0;
	bool several = false;
	char names[160];
	size_t i;

	for (i = 0; i < ix->nr_entries; i++) {
		const struct oci_index_entry *ent = &ix->entries[i];

		if (!ent->ref_name || strcmp(ent->ref_name, want) != 0)
			continue;
		if (is_linux_amd64(ent) && nr_amd64++ == 0)
			amd64 = (int)i;
		if (found < 0)
			found = (int)i;
		else if (strcmp(ix->entries[found].desc.digest,
				ent->desc.digest) != 0)
			several = true;
	}
	if (several) {
		/* One name for a multi-platform set: take ours. */
		if (nr_amd64 == 1)
			return amd64;
		return lerr_fail(e, EINVAL,
				 "%s: several different manifests are named "
				 "\"%s\"",
				 what, want);
	}
	if (found >= 0)
		return found;
	if (!tag && ix->nr_entries == 1 && !ix->entries[0].ref_name)
		return 0;
	if (!ix->nr_entries)
		return lerr_fail(e, ENOENT, "%s: manifests: empty", what);
	list_names(ix, false, names, sizeof(names));
	return lerr_fail(e, ENOENT, "%s: no manifest named \"%s\" (names: %s)",
			 what, want, names);
}

int oci_index_pick_platform(const struct oci_index *ix, const char *what,
			    struct lerr *e)
{
	char platforms[160];
	int found = -1;
	size_t i;

	for (i = 0; i < ix->nr_entries; i++) {
		const struct oci_index_entry *ent = &ix->entries[i];

		if (!is_linux_amd64(ent))
			continue;
		/* amd64 has no variants worth preferring; plain first. */
		if (found < 0 || (!ent->variant && ix->entries[found].variant))
			found = (int)i;
	}
	if (found >= 0)
		return found;
	if (ix->nr_entries == 1 && !ix->entries[0].os && !ix->entries[0].arch)
		return 0;
	list_names(ix, true, platforms, sizeof(platforms));
	return lerr_fail(e, ENOENT,
			 "%s: no linux/amd64 manifest (platforms: %s)", what,
			 platforms[0] ? platforms : "none");
}
