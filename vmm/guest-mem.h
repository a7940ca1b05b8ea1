/* guest-mem.h - guest physical memory: layout and the one checked accessor.
 *
 * RAM is at most two regions: [0, min(size, 3 GiB)) and, for larger
 * guests, [4 GiB, 4 GiB + rest).  The hole [3 GiB, 4 GiB) holds MMIO
 * (virtio-mmio windows, IOAPIC, LAPIC).  Every access to guest memory by
 * the VMM goes through guest_mem_ptr(), which checks bounds with overflow
 * builtins: a hostile guest address yields NULL, never a wild pointer. */
#ifndef LIGHTER_VMM_GUEST_MEM_H
#define LIGHTER_VMM_GUEST_MEM_H

#include <stdint.h>

#include <lighter/error.h>

#define GUEST_MEM_MIN (64ULL << 20)
#define GUEST_MEM_MAX (64ULL << 30)
#define GUEST_MMIO_HOLE_START 0xC0000000ULL
#define GUEST_MMIO_HOLE_END 0x100000000ULL

struct guest_region {
	uint64_t gpa;   /* guest physical start */
	uint64_t size;  /* bytes */
	uint8_t *host;  /* host mapping of gpa */
};

struct guest_mem {
	struct guest_region region[2];
	unsigned int nr_regions;
	uint64_t ram_size; /* total RAM bytes, as configured */
};

/* Lay out and mmap (anonymous, MAP_NORESERVE) ram_size bytes of guest RAM.
 * ram_size must be in [GUEST_MEM_MIN, GUEST_MEM_MAX] and a multiple of 4 KiB. */
int guest_mem_init(struct guest_mem *m, uint64_t ram_size, struct lerr *e);

/* Unmap everything guest_mem_init mapped; safe on a zeroed struct. */
void guest_mem_free(struct guest_mem *m);

/* Host pointer for [gpa, gpa + len) when that range lies wholly inside one
 * RAM region, NULL otherwise (including on arithmetic overflow). len 0 is
 * treated as 1. */
void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

#endif
