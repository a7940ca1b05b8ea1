/* vsock.c - the agent's vsock endpoint: whether the VM has a virtio-vsock
 * device at all (a guest CID of 3 or more; without one the agent keeps its
 * boot-test behaviour and powers off), and the listening socket the host's
 * connections arrive on (any CID, PROTO_VSOCK_PORT). */
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "agent.h"

int agent_vsock_cid(uint32_t *cid, struct lerr *e)
{
	_cleanup_close_ int fd = -1;
	unsigned int v = VMADDR_CID_ANY;

	*cid = VMADDR_CID_ANY;
	fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lerr_set(e, errno, "open \"/dev/vsock\"");
	if (ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &v) < 0)
		return lerr_set(e, errno, "\"/dev/vsock\": get the local CID");
	/* Without a virtio-vsock device the kernel answers VMADDR_CID_ANY,
	 * or VMADDR_CID_LOCAL (1) when its loopback transport is built in;
	 * a guest's own CID is 3 or more. */
	if (v == VMADDR_CID_ANY || v <= VMADDR_CID_HOST)
		return lerr_fail(e, ENODEV,
				 "\"/dev/vsock\": no guest transport (local "
				 "CID %u)",
				 v);
	*cid = v;
	return 0;
}

int agent_vsock_listen(unsigned int port, struct lerr *e)
{
	struct sockaddr_vm addr = {
	    .svm_family = AF_VSOCK,
	    .svm_cid = VMADDR_CID_ANY,
	    .svm_port = port,
	};
	int fd =
	    socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return lerr_set(e, errno, "vsock: socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 4) < 0) {
		int err = errno;

		close(fd);
		return lerr_set(e, err, "vsock: listen on port %u", port);
	}
	return fd;
}
