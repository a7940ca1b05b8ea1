/* container-root.h - a container's root filesystem: an overlay of its
 * image's unpacked layers (read-only, top-first) under a per-container
 * upper and work directory, kept in a state directory of its own, and the
 * removal of all of it.
 *
 * Layout of a state directory (created on demand):
 *   upper/   the container's writes (kept across restarts of the container)
 *   work/    overlayfs' scratch directory
 *   rootfs/  the overlay mount point, handed to container_spawn()
 *   layers/  short symlinks to the layers, made only when the absolute
 *            lowerdir list does not fit the one page of mount options
 *   empty/   the lowerdir of an image without layers */
#ifndef LIGHTER_CONTAINER_ROOT_H
#define LIGHTER_CONTAINER_ROOT_H

#include <stddef.h>

#include <lighter/error.h>

/* overlayfs' own stacking limit (OVL_MAX_STACK). */
#define CONTAINER_ROOT_MAX_LAYERS 500

/* Mount an overlay of lowerdirs[0..n) (lowerdirs[0] is the top layer;
 * absolute paths of existing directories) at state_dir/rootfs, with
 * state_dir/upper and state_dir/work, creating the directories that are
 * missing; n == 0 gives an empty image.  Existing upper and work
 * directories are reused, so a restarted container keeps its writes.
 * Layer paths may hold ':' ',' '\' (escaped for overlayfs), and any
 * number of layers up to CONTAINER_ROOT_MAX_LAYERS fits: when the
 * absolute list is longer than a page, the overlay is mounted from
 * state_dir/layers with relative names.  The mount is made in the
 * caller's mount namespace.  On success the rootfs path is copied into
 * rootfs[rootfs_size].  -EBUSY when state_dir/rootfs is already a mount
 * point.  Errors name the layer or directory at fault. */
int container_root_prepare(const char *const *lowerdirs, size_t n,
			   const char *state_dir, char *rootfs,
			   size_t rootfs_size, struct lerr *e);

/* Undo container_root_prepare(): lazily unmount state_dir/rootfs (every
 * stacked mount there), remove rootfs, upper, work, layers and empty,
 * and remove state_dir itself when nothing else is left in it.  Safe on a
 * partly prepared or already removed state directory.  Call it once the
 * container's processes are gone: their mount namespace holds a copy of
 * the overlay that this unmount does not reach, over the upper and work
 * directories it removes. */
int container_root_teardown(const char *state_dir, struct lerr *e);

/* Remove path and everything below it without following symlinks and
 * without crossing into another filesystem (a mount point inside the tree
 * is an -EBUSY error, so a still-mounted overlay is never emptied through
 * its mount point).  Trees of any depth are removed with a bounded number
 * of open descriptors.  A missing path is not an error. */
int container_remove_tree(const char *path, struct lerr *e);

#endif
