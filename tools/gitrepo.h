/* gitrepo.h - a gitrepo volume's content (gitrepo.c): the repository
 * cloned on the host, the revision checked out, and the work tree (its
 * .git included) packed as an uncompressed tar into the content store,
 * ready to travel to the agent as a layer. */
#ifndef LIGHTER_TOOLS_GITREPO_H
#define LIGHTER_TOOLS_GITREPO_H

#include <lighter/error.h>

#include "group-dir.h"
#include "spec.h"
#include "store.h"

/* Clone v->repository (a path, file:// or remote URL) into a temporary
 * directory, check out v->revision (when given), tar it (under
 * v->directory when that is not "."), with numeric owner 0:0, and put
 * the tar in the store: out gets its diff_id (= digest), size, media
 * type and path.  Errors name the volume and git's own last line. */
int gitrepo_fetch(const struct spec_volume *v, struct store *st,
		  struct group_layer *out, struct lerr *e);

#endif
