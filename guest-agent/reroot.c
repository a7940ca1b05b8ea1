/* reroot.c - move the agent off the initramfs onto a tmpfs root, the way
 * switch_root does: the kernel's rootfs can never be pivot_root'ed away
 * from, and each container's init pivot_roots inside a copy of the
 * agent's mount namespace.  A tmpfs is mounted on AGENT_NEWROOT, the
 * directories the agent needs are made there and /init is copied over;
 * the early mounts (/dev, /proc, /sys) are moved into it; then the tmpfs
 * is moved over / and the agent chroots into it.  The old root stays
 * underneath, unreachable; its /init is unlinked to give the memory back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "agent.h"

#define AGENT_NEWROOT "/newroot"

static const struct {
	const char *path;
	mode_t mode;
} root_dirs[] = {
    {"/dev", 0755}, {"/proc", 0555}, {"/sys", 0555},
    {"/run", 0755}, {"/tmp", 01777},
};

/* Mounts that move along, in this order. */
static const char *const moved_mounts[] = {"/dev", "/proc", "/sys"};

static int copy_file(const char *from, const char *to, mode_t mode,
		     struct lerr *e)
{
	_cleanup_close_ int in = -1, out = -1;
	char buf[65536];
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return lerr_set(e, errno, "reroot: open \"%s\"", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0)
		return lerr_set(e, errno, "reroot: create \"%s\"", to);
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		ssize_t done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lerr_set(e, errno, "reroot: read \"%s\"", from);
		while (done < n) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return lerr_set(e, w < 0 ? errno : EIO,
						"reroot: write \"%s\"", to);
			done += w;
		}
	}
	if (fchmod(out, mode) < 0)
		return lerr_set(e, errno, "reroot: chmod \"%s\"", to);
	return 0;
}

int agent_reroot(struct lerr *e)
{
	_cleanup_close_ int old_root = -1;
	char path[64];
	size_t i;
	int r;

	if (mkdir(AGENT_NEWROOT, 0755) < 0 && errno != EEXIST)
		return lerr_set(e, errno, "reroot: mkdir \"%s\"",
				AGENT_NEWROOT);
	if (mount("tmpfs", AGENT_NEWROOT, "tmpfs", MS_NOSUID, "mode=0755") < 0)
		return lerr_set(e, errno, "reroot: mount tmpfs on \"%s\"",
				AGENT_NEWROOT);
	for (i = 0; i < sizeof(root_dirs) / sizeof(root_dirs[0]); i++) {
		snprintf(path, sizeof(path), AGENT_NEWROOT "%s",
			 root_dirs[i].path);
		if (mkdir(path, root_dirs[i].mode) < 0 ||
		    chmod(path, root_dirs[i].mode) < 0)
			return lerr_set(e, errno, "reroot: mkdir \"%s\"", path);
	}
	r = copy_file("/init", AGENT_NEWROOT "/init", 0755, e);
	if (r < 0)
		return r;
	old_root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (old_root < 0)
		return lerr_set(e, errno, "reroot: open \"/\"");
	for (i = 0; i < sizeof(moved_mounts) / sizeof(moved_mounts[0]); i++) {
		snprintf(path, sizeof(path), AGENT_NEWROOT "%s",
			 moved_mounts[i]);
		if (mount(moved_mounts[i], path, NULL, MS_MOVE, NULL) < 0)
			return lerr_set(e, errno,
					"reroot: move \"%s\" to \"%s\"",
					moved_mounts[i], path);
	}
	if (chdir(AGENT_NEWROOT) < 0)
		return lerr_set(e, errno, "reroot: chdir \"%s\"",
				AGENT_NEWROOT);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return lerr_set(e, errno, "reroot: move \"%s\" over \"/\"",
				AGENT_NEWROOT);
	if (chroot(".") < 0)
		return lerr_set(e, errno, "reroot: chroot");
	if (chdir("/") < 0)
		return lerr_set(e, errno, "reroot: chdir \"/\"");
	/* The old /init (the agent, about a megabyte) is unreachable now;
	 * the running image is mapped and stays. */
	unlinkat(old_root, "init", 0);
	return 0;
}
