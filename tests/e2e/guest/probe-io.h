/* probe-io.h - the socket I/O every guest-side probe needs: whole-buffer
 * send and receive, one line at a time, a monotonic clock in seconds.
 * Header-only (static inline) so each static probe stays one file. */
#ifndef LIGHTER_PROBE_IO_H
#define LIGHTER_PROBE_IO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

/* Send all len bytes (no SIGPIPE); -1 on error or a closed peer. */
static inline int write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Receive exactly len bytes; -1 on error or EOF first. */
static inline int read_all(int fd, void *p, size_t len)
{
	uint8_t *b = p;

	while (len) {
		ssize_t n = recv(fd, b, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One line (without the newline) into line; -1 on EOF first. */
static inline int read_line(int fd, char *line, size_t max)
{
	size_t n = 0;

	while (n + 1 < max) {
		ssize_t r = recv(fd, line + n, 1, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return 0;
}

static inline double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#endif
