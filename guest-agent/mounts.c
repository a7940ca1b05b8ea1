/* mounts.c - the filesystems the agent mounts for itself: early, before
 * anything else, proc, sysfs and devtmpfs; when it serves a group (after
 * reroot.c), tmpfs on /run (layers, blobs, container state) and /tmp and
 * cgroup2 on /sys/fs/cgroup.  Container roots are container-root.c's. */
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "agent.h"

struct early_mount {
	const char *source;
	const char *target;
	const char *fstype;
	unsigned long flags;
	const char *data;
};

static const struct early_mount early_mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
};

/* /run holds the unpacked layers: neither noexec nor nodev (overlayfs
 * reads the layers' 0:0 whiteout devices). */
static const struct early_mount serve_mounts[] = {
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID, "mode=0755" },
	{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" },
	{ "cgroup2", "/sys/fs/cgroup", "cgroup2",
	  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
};

static int mount_one(const struct early_mount *m, struct lerr *e)
{
	if (mkdir(m->target, 0755) < 0 && errno != EEXIST)
		return lerr_set(e, errno, "mkdir \"%s\"", m->target);
	if (mount(m->source, m->target, m->fstype, m->flags, m->data) == 0)
		return 0;
	/* CONFIG_DEVTMPFS_MOUNT may have mounted /dev already. */
	if (errno == EBUSY)
		return 0;
	return lerr_set(e, errno, "mount %s on \"%s\"", m->fstype, m->target);
}

int agent_mount_early(struct lerr *e)
{
	size_t i;
	int r;

	for (i = 0; i < sizeof(early_mounts) / sizeof(early_mounts[0]); i++) {
		r = mount_one(&early_mounts[i], e);
		if (r < 0)
			return r;
	}
	return 0;
}

int agent_mount_serve(struct lerr *e)
{
	size_t i;
	int r;

	for (i = 0; i < sizeof(serve_mounts) / sizeof(serve_mounts[0]); i++) {
		r = mount_one(&serve_mounts[i], e);
		if (r < 0)
			return r;
	}
	return 0;
}
