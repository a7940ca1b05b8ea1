/* group-volumes.h - a group's volumes on the host (group-volumes.c):
 * what `create` turns the spec's volumes into (the SPEC's volumes and
 * mounts, gitrepo content in the store, and RUN/<group>/volumes.json,
 * which holds no secret: the spec file's path and the persistent disks),
 * and what `start` does with them (each persistent volume's ext4 image
 * under DATA/volumes/, made on first use, locked for as long as the
 * group's VMM runs, attached as a virtio-blk drive). */
#ifndef LIGHTER_TOOLS_GROUP_VOLUMES_H
#define LIGHTER_TOOLS_GROUP_VOLUMES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <lighter/error.h>
#include <lighter/lighter.h>

#include "group-dir.h"
#include "protocol.h"
#include "spec.h"
#include "store.h"

#define GROUP_VOLUMES_FILE "volumes.json"
#define VOLUMES_DATA_DIR "volumes" /* DATA/volumes/<name>.ext4 */

struct group_disk {
	char name[SPEC_NAME_MAX + 1];
	char device[PROTO_DEVICE_ID_MAX + 1]; /* the drive's serial: "lv0" */
	uint64_t size;			      /* for a new image */
};

/* volumes.json. */
struct group_volumes {
	char *spec_path; /* absolute; only when the group has secrets */
	struct group_disk disks[SPEC_MAX_PERSISTENT];
	size_t nr_disks;
};

/* From the spec (loaded from spec_path): g->volumes (malloc'd) and each
 * g->containers[i].mounts (malloc'd; paths borrowed from s), the record
 * for volumes.json, and the content of each gitrepo volume fetched into
 * the store, its layer appended to *layers (realloc'd). */
int group_volumes_build(const struct spec *s, const char *spec_path,
			struct store *st, struct proto_group *g,
			struct group_layer **layers, size_t *nr_layers,
			struct group_volumes *rec, struct lerr *e);
/* Free what build put in g (not the borrowed strings). */
void group_volumes_proto_free(struct proto_group *g);

json_t *group_volumes_to_json(const struct group_volumes *v);
/* RUN/<group>/volumes.json; a group without one has no volumes. */
int group_volumes_read(int dir_fd, struct group_volumes *v, struct lerr *e);
void group_volumes_free(struct group_volumes *v);

/* The persistent disks of a starting group, open and locked. */
struct volume_disks {
	size_t n;
	int fds[SPEC_MAX_PERSISTENT]; /* flock LOCK_EX held */
	char *paths[SPEC_MAX_PERSISTENT];
	char ids[SPEC_MAX_PERSISTENT][PROTO_DEVICE_ID_MAX + 1];
};

/* DATA/volumes/<name>.ext4 of every disk: opened, locked without waiting
 * (-EBUSY 'persistent volume "db" is in use by another running group':
 * another start holds it, or a VMM has it as its drive), and when new
 * (or never finished) sized and made ext4.  The locks live in the open
 * descriptors, inherited by the monitor, which drops them with
 * volume_disks_unlock() right before lighter-vmm takes its own.  d is
 * safe for volume_disks_close() on failure. */
int group_volumes_attach(const char *data_dir, const struct group_volumes *v,
			 struct volume_disks *d, struct lerr *e);
/* Close the descriptors (the locks); the paths stay. */
void volume_disks_unlock(struct volume_disks *d);
void volume_disks_close(struct volume_disks *d);

#endif
