/* rng-probe.c - guest side of the virtio-rng end-to-end test: the kernel
 * must have picked virtio_rng as its hardware RNG, and /dev/hwrng must
 * hand out bytes that are not all equal.  Prints one "rng-probe: ok ..."
 * or "rng-probe: FAIL ..." line; exit status 0 on success. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what)
{
	printf("rng-probe: FAIL %s\n", what);
	return 1;
}

int main(void)
{
	char current[64] = "";
	unsigned char buf[256];
	size_t got = 0;
	int fd, distinct = 0;
	ssize_t n;

	fd = open("/sys/class/misc/hw_random/rng_current", O_RDONLY);
	if (fd < 0)
		return fail("no /sys/class/misc/hw_random/rng_current");
	n = read(fd, current, sizeof(current) - 1);
	close(fd);
	if (n <= 0)
		return fail("rng_current unreadable");
	current[n] = '\0';
	current[strcspn(current, "\n")] = '\0';
	if (strncmp(current, "virtio_rng", 10) != 0) {
		printf("rng-probe: FAIL current rng is \"%s\"\n", current);
		return 1;
	}

	fd = open("/dev/hwrng", O_RDONLY);
	if (fd < 0)
		return fail("cannot open /dev/hwrng");
	while (got < sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got < sizeof(buf))
		return fail("short read from /dev/hwrng");
	for (size_t i = 1; i < sizeof(buf); i++)
		if (buf[i] != buf[0])
			distinct = 1;
	if (!distinct)
		return fail("256 identical bytes from /dev/hwrng");
	printf("rng-probe: ok %s gave %zu bytes\n", current, got);
	return 0;
}
