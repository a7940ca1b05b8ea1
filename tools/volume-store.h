/* volume-store.h - the persistent volumes under DATA/volumes/ as the
 * `lighter volume` command sees them (volume-store.c): listing with size
 * and whether a running group holds one, and removal of one nobody
 * holds.  The images themselves are made by group-volumes.c. */
#ifndef LIGHTER_TOOLS_VOLUME_STORE_H
#define LIGHTER_TOOLS_VOLUME_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lighter/error.h>
#include <lighter/lighter.h>

#include "spec.h"

struct volume_info {
	char name[SPEC_NAME_MAX + 1];
	char *path;	     /* DATA/volumes/<name>.ext4 */
	uint64_t size;	     /* the image's size */
	uint64_t disk_bytes; /* what it takes on the host's disk */
	int64_t changed_ns;  /* last written (mtime) */
	bool in_use;	     /* locked: a running group's VMM or a start */
};

/* Every volume, sorted by name (none: *n == 0, no directory needed). */
int volume_list(const struct lighter_paths *p, struct volume_info **out,
		size_t *n, struct lerr *e);
/* One by name: -ENOENT 'no such volume "x"'. */
int volume_get(const struct lighter_paths *p, const char *name,
	       struct volume_info *out, struct lerr *e);
void volume_info_free(struct volume_info *v, size_t n);

/* Delete a volume's image: -ENOENT, or -EBUSY 'volume "x" is in use by
 * a running group' (the lock is held while it is unlinked, so no start
 * can take it meanwhile). */
int volume_remove(const struct lighter_paths *p, const char *name,
		  struct lerr *e);

#endif
