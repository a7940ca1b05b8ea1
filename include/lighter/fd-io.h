/* fd-io.h - whole reads and writes on a file descriptor: EINTR retried,
 * short transfers resumed.  Shared by the host tools (the content store,
 * OCI layouts) and the guest agent (cgroup files, the container launcher's
 * report pipe), so header-only: the static agent links no tools code.
 *
 * These return -errno and print nothing; the caller names the file in its
 * own message (error.h). */
#ifndef LIGHTER_FD_IO_H
#define LIGHTER_FD_IO_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads until len bytes are in or the file ends: the count (less than
 * len only at end of file), or -errno. */
static inline ssize_t lfd_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Writes all len bytes: 0 or -errno. */
static inline int lfd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The whole of fd, a regular file of at most max bytes, in a malloc'd
 * NUL-terminated *buf of *len bytes: 0, -EINVAL when fd is not a regular
 * file, -EFBIG when it is larger than max, -ENOMEM, or fstat(2)'s and
 * read(2)'s -errno.  A file that shrinks meanwhile yields what is left. */
static inline int lfd_read_regular(int fd, size_t max, char **buf,
				   size_t *len)
{
	struct stat sb;
	char *b;
	ssize_t n;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	if ((uint64_t)sb.st_size > max)
		return -EFBIG;
	b = malloc((size_t)sb.st_size + 1);
	if (!b)
		return -ENOMEM;
	n = lfd_read_full(fd, b, (size_t)sb.st_size);
	if (n < 0) {
		free(b);
		return (int)n;
	}
	b[n] = '\0';
	*buf = b;
	*len = (size_t)n;
	return 0;
}

#endif
