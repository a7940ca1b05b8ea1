/* tap.c - TAP backend of virtio-net: attach to (or create) a TAP with a
 * 12-byte virtio-net header on every frame, probe its offloads, and set
 * the ones the guest accepted.  Nothing here touches guest memory. */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "tap.h"

bool tap_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

static unsigned int tun_flags(unsigned int offloads)
{
	unsigned int f = 0;

	if (offloads & TAP_OFFLOAD_CSUM)
		f |= TUN_F_CSUM;
	if (offloads & TAP_OFFLOAD_TSO4)
		f |= TUN_F_TSO4;
	if (offloads & TAP_OFFLOAD_TSO6)
		f |= TUN_F_TSO6;
	if (offloads & TAP_OFFLOAD_ECN)
		f |= TUN_F_TSO_ECN;
	return f;
}

/* The kernel refuses TSO without CSUM, so probe the useful sets from the
 * largest down and keep the first one it takes. */
static unsigned int probe_offloads(int fd)
{
	static const unsigned int sets[] = {
		TAP_OFFLOAD_CSUM | TAP_OFFLOAD_TSO4 | TAP_OFFLOAD_TSO6 |
			TAP_OFFLOAD_ECN,
		TAP_OFFLOAD_CSUM | TAP_OFFLOAD_TSO4 | TAP_OFFLOAD_TSO6,
		TAP_OFFLOAD_CSUM,
	};
	unsigned int found = 0;

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_flags(sets[i])) ==
		    0) {
			found = sets[i];
			break;
		}
	}
	/* until the guest says what it takes: plain, checksummed frames */
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0)
		return 0;
	return found;
}

int tap_open(struct tap *t, const char *name, struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr = { 0 };
	unsigned int features = 0;
	int hdr_len = TAP_VNET_HDR_LEN, le = 1;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!tap_name_valid(name))
		return lerr_fail(e, EINVAL, "tap \"%s\": not a valid interface name",
				 name ? name : "");
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return lerr_set(e, errno, "tap \"%s\": /dev/net/tun", name);
	if (ioctl(fd, TUNGETFEATURES, &features) == 0 &&
	    !(features & IFF_VNET_HDR))
		return lerr_fail(e, ENOTSUP,
				 "tap \"%s\": kernel TAP lacks IFF_VNET_HDR",
				 name);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		if (errno == EINVAL)
			return lerr_fail(e, EINVAL,
					 "tap \"%s\": exists but is not a single-queue TAP",
					 name);
		return lerr_set(e, errno, "tap \"%s\": TUNSETIFF", name);
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0)
		return lerr_set(e, errno, "tap \"%s\": TUNSETVNETHDRSZ", name);
	/* VERSION_1 headers are little-endian; x86 is anyway, but say so */
	(void)ioctl(fd, TUNSETVNETLE, &le);
	t->offloads = probe_offloads(fd);
	t->is_tap = true;
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->name[IFNAMSIZ - 1] = '\0';
	t->fd = TAKE_FD(fd);
	return 0;
}

int tap_from_fd(struct tap *t, int fd, struct lerr *e)
{
	int fl;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int err = errno;

		close(fd);
		return lerr_set(e, err, "net backend fd %d", fd);
	}
	t->fd = fd;
	strcpy(t->name, "fd");
	return 0;
}

int tap_set_offload(struct tap *t, unsigned int offloads)
{
	if (!t->is_tap)
		return 0;
	if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)tun_flags(offloads)) < 0)
		return -errno;
	return 0;
}

void tap_close(struct tap *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}
