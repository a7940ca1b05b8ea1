/* test-guest-mem.c - guest RAM layout around the MMIO hole and the bounds
 * of guest_mem_ptr (overflow, hole, region edges). */
#include <criterion/criterion.h>
#include <string.h>

#include "guest-mem.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static struct guest_mem m;

static void teardown(void)
{
	guest_mem_free(&m);
}

TestSuite(guest_mem, .fini = teardown);

static void init_ok(uint64_t size)
{
	struct lerr e = { 0 };
	int r = guest_mem_init(&m, size, &e);

	cr_assert_eq(r, 0, "guest_mem_init(%llu): %s", (unsigned long long)size,
		     e.msg);
}

Test(guest_mem, layout_64m)
{
	init_ok(64 * MiB);
	cr_expect_eq(m.nr_regions, 1);
	cr_expect_eq(m.region[0].gpa, 0);
	cr_expect_eq(m.region[0].size, 64 * MiB);
	cr_expect_eq(m.ram_size, 64 * MiB);
	cr_expect_not_null(m.region[0].host);
}

Test(guest_mem, layout_3g_fills_low_exactly)
{
	init_ok(3 * GiB);
	cr_expect_eq(m.nr_regions, 1);
	cr_expect_eq(m.region[0].size, GUEST_MMIO_HOLE_START);
}

Test(guest_mem, layout_4g_splits_around_hole)
{
	init_ok(4 * GiB);
	cr_assert_eq(m.nr_regions, 2);
	cr_expect_eq(m.region[0].gpa, 0);
	cr_expect_eq(m.region[0].size, 3 * GiB);
	cr_expect_eq(m.region[1].gpa, GUEST_MMIO_HOLE_END);
	cr_expect_eq(m.region[1].size, 1 * GiB);
	cr_expect_eq(m.ram_size, 4 * GiB);
}

Test(guest_mem, layout_8g)
{
	init_ok(8 * GiB);
	cr_assert_eq(m.nr_regions, 2);
	cr_expect_eq(m.region[0].size + m.region[1].size, 8 * GiB);
	cr_expect_eq(m.region[1].gpa, 4 * GiB);
	cr_expect_eq(m.region[1].size, 5 * GiB);
}

Test(guest_mem, rejects_bad_sizes)
{
	static const uint64_t bad[] = { 0, 63 * MiB, 64 * MiB + 1,
					64 * MiB + 512, 65 * GiB, UINT64_MAX };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lerr e = { 0 };
		int r = guest_mem_init(&m, bad[i], &e);

		cr_expect_lt(r, 0, "size %llu accepted",
			     (unsigned long long)bad[i]);
		cr_expect_neq(e.msg[0], '\0');
		cr_expect_eq(m.nr_regions, 0);
	}
}

Test(guest_mem, max_size_maps)
{
	init_ok(GUEST_MEM_MAX);
	cr_expect_eq(m.region[1].size, GUEST_MEM_MAX - 3 * GiB);
}

Test(guest_mem, ptr_bounds_single_region)
{
	uint8_t *base;

	init_ok(64 * MiB);
	base = m.region[0].host;
	cr_expect_eq(guest_mem_ptr(&m, 0, 1), base);
	cr_expect_eq(guest_mem_ptr(&m, 0, 0), base, "len 0 is treated as 1");
	cr_expect_eq(guest_mem_ptr(&m, 64 * MiB - 1, 1), base + 64 * MiB - 1);
	cr_expect_eq(guest_mem_ptr(&m, 0, 64 * MiB), base);
	cr_expect_null(guest_mem_ptr(&m, 0, 64 * MiB + 1));
	cr_expect_null(guest_mem_ptr(&m, 64 * MiB - 1, 2));
	cr_expect_null(guest_mem_ptr(&m, 64 * MiB, 0));
	cr_expect_null(guest_mem_ptr(&m, 64 * MiB, 1));
	cr_expect_null(guest_mem_ptr(&m, GUEST_MMIO_HOLE_END, 1));
}

Test(guest_mem, ptr_overflow)
{
	init_ok(64 * MiB);
	cr_expect_null(guest_mem_ptr(&m, UINT64_MAX, 1));
	cr_expect_null(guest_mem_ptr(&m, UINT64_MAX, 0));
	cr_expect_null(guest_mem_ptr(&m, 16, UINT64_MAX));
	cr_expect_null(guest_mem_ptr(&m, UINT64_MAX - 15, 32));
	cr_expect_null(guest_mem_ptr(&m, 1, UINT64_MAX - 0));
}

Test(guest_mem, ptr_hole_and_cross_region)
{
	init_ok(5 * GiB);
	cr_expect_not_null(guest_mem_ptr(&m, 3 * GiB - 8, 8));
	cr_expect_null(guest_mem_ptr(&m, 3 * GiB - 8, 16),
		       "range crossing into the hole");
	cr_expect_null(guest_mem_ptr(&m, 3 * GiB, 1), "inside the hole");
	cr_expect_null(guest_mem_ptr(&m, 4 * GiB - 1, 1), "end of the hole");
	cr_expect_null(guest_mem_ptr(&m, 4 * GiB - 1, 2),
		       "range from hole into high RAM");
	cr_expect_null(guest_mem_ptr(&m, 0, 4 * GiB + 1),
		       "range spanning both regions");
	cr_expect_eq(guest_mem_ptr(&m, 4 * GiB, 8), m.region[1].host);
	cr_expect_eq(guest_mem_ptr(&m, 6 * GiB - 1, 1),
		     m.region[1].host + 2 * GiB - 1);
	cr_expect_null(guest_mem_ptr(&m, 6 * GiB - 1, 2));
	cr_expect_null(guest_mem_ptr(&m, 6 * GiB, 1));
}

Test(guest_mem, memory_is_zeroed_and_writable)
{
	uint8_t *p;

	init_ok(4 * GiB);
	p = guest_mem_ptr(&m, 4 * GiB + 4096, 4096);
	cr_assert_not_null(p);
	cr_expect_eq(p[0], 0);
	memset(p, 0xab, 4096);
	cr_expect_eq(*(uint8_t *)guest_mem_ptr(&m, 4 * GiB + 8191, 1), 0xab);
}

Test(guest_mem, free_is_idempotent)
{
	struct guest_mem zero;

	memset(&zero, 0, sizeof(zero));
	guest_mem_free(&zero);
	init_ok(64 * MiB);
	guest_mem_free(&m);
	guest_mem_free(&m);
	cr_expect_eq(m.nr_regions, 0);
	cr_expect_null(guest_mem_ptr(&m, 0, 1));
}
