/* guest-mem.c - guest physical memory: laying RAM out around the MMIO hole,
 * mapping it, and the one bounds-checked translation from guest physical
 * addresses to host pointers (guest_mem_ptr).
 *
 * Each RAM region gets its own anonymous MAP_NORESERVE mapping, so a big
 * guest costs nothing until it touches its pages and the regions can be
 * handed to KVM one memory slot each. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "guest-mem.h"

#define GUEST_PAGE_SIZE 4096ULL

int guest_mem_init(struct guest_mem *m, uint64_t ram_size, struct lerr *e)
{
	uint64_t low_size;
	unsigned int i;

	memset(m, 0, sizeof(*m));
	if (ram_size < GUEST_MEM_MIN || ram_size > GUEST_MEM_MAX)
		return lerr_fail(e, ERANGE,
				"guest memory of %llu bytes is outside [%lluM, %lluG]",
				(unsigned long long)ram_size,
				GUEST_MEM_MIN >> 20, GUEST_MEM_MAX >> 30);
	if (ram_size % GUEST_PAGE_SIZE)
		return lerr_fail(e, EINVAL,
				"guest memory of %llu bytes is not a multiple of 4 KiB",
				(unsigned long long)ram_size);

	low_size = ram_size < GUEST_MMIO_HOLE_START ? ram_size
						    : GUEST_MMIO_HOLE_START;
	m->region[0].gpa = 0;
	m->region[0].size = low_size;
	m->nr_regions = 1;
	if (ram_size > low_size) {
		m->region[1].gpa = GUEST_MMIO_HOLE_END;
		m->region[1].size = ram_size - low_size;
		m->nr_regions = 2;
	}
	m->ram_size = ram_size;

	for (i = 0; i < m->nr_regions; i++) {
		void *p = mmap(NULL, m->region[i].size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			       0);

		if (p == MAP_FAILED) {
			int err = errno;

			guest_mem_free(m);
			return lerr_set(e, err,
					"mmap of %llu bytes of guest memory",
					(unsigned long long)ram_size);
		}
		m->region[i].host = p;
	}
	return 0;
}

void guest_mem_free(struct guest_mem *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_regions && i < 2; i++) {
		if (m->region[i].host)
			munmap(m->region[i].host, m->region[i].size);
	}
	memset(m, 0, sizeof(*m));
}

void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t end;
	unsigned int i;

	if (len == 0)
		len = 1;
	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	for (i = 0; i < m->nr_regions && i < 2; i++) {
		const struct guest_region *r = &m->region[i];

		if (!r->host || gpa < r->gpa)
			continue;
		if (end - r->gpa > r->size)
			continue;
		return r->host + (gpa - r->gpa);
	}
	return NULL;
}
