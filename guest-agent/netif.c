/* netif.c - network interfaces the agent brings up itself: `lo`, which
 * the containers of a group share (they live in the agent's network
 * namespace and talk over localhost).  The kernel gives lo its 127.0.0.1
 * and ::1 addresses when it comes up; only the flag is needed. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <lighter/cleanup.h>

#include "agent.h"

int agent_netif_up(const char *name, struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr;

	if (strlen(name) >= sizeof(ifr.ifr_name))
		return lerr_fail(e, EINVAL, "interface \"%s\": name too long",
				 name);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lerr_set(e, errno, "interface \"%s\": socket", name);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return lerr_set(e, errno, "interface \"%s\": SIOCGIFFLAGS",
				name);
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return lerr_set(e, errno, "interface \"%s\": SIOCSIFFLAGS up",
				name);
	return 0;
}
