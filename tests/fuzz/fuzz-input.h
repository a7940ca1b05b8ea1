/* fuzz-input.h - reading a libFuzzer input as a stream of little-endian
 * fields.  Past the end every field reads as zero, so any input, however
 * short, decodes to something and harnesses never check lengths.  And
 * handing an input to code that takes a file name (fuzz_file_put()). */
#ifndef LIGHTER_FUZZ_INPUT_H
#define LIGHTER_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline void fuzz_take(struct fuzz_in *in, void *dst, size_t len)
{
	size_t n = len < in->left ? len : in->left;

	memcpy(dst, in->p, n);
	memset((uint8_t *)dst + n, 0, len - n);
	in->p += n;
	in->left -= n;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

/* A broken invariant is a finding: say which, then abort so libFuzzer
 * saves the input as a crash artifact. */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

/* A file for code that opens a path: a memfd behind /proc/self/fd/N,
 * made on first use (a zeroed struct is unused) and rewritten by each
 * fuzz_file_put(). */
struct fuzz_file {
	int fd;
	char path[64]; /* "" until made */
};

static inline void fuzz_file_put(struct fuzz_file *f, const char *name,
				 const void *data, size_t size)
{
	if (!f->path[0]) {
		f->fd = memfd_create(name, MFD_CLOEXEC);
		FUZZ_CHECK(f->fd >= 0);
		snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
	}
	FUZZ_CHECK(ftruncate(f->fd, 0) == 0);
	FUZZ_CHECK(pwrite(f->fd, data, size, 0) == (ssize_t)size);
}

#endif
