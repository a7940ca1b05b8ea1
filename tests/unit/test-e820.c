/* test-e820.c - the e820 map for guests below and above the MMIO hole. */
#include <criterion/criterion.h>

#include "e820.h"
#include "layout.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static struct guest_mem m;

static void teardown(void)
{
	guest_mem_free(&m);
}

TestSuite(e820, .fini = teardown);

static int build(uint64_t size, struct e820_entry *map)
{
	struct lerr e = { 0 };

	cr_assert_eq(guest_mem_init(&m, size, &e), 0, "%s", e.msg);
	return e820_build(&m, map, E820_MAX_ENTRIES);
}

static void expect_entry(const struct e820_entry *x, uint64_t addr,
			 uint64_t size, uint32_t type)
{
	cr_expect_eq(x->addr, addr, "addr 0x%llx != 0x%llx",
		     (unsigned long long)x->addr, (unsigned long long)addr);
	cr_expect_eq(x->size, size, "size 0x%llx != 0x%llx at 0x%llx",
		     (unsigned long long)x->size, (unsigned long long)size,
		     (unsigned long long)addr);
	cr_expect_eq(x->type, type);
}

/* Sorted, non-overlapping, and every RAM byte backed by guest memory. */
static void expect_sane(const struct e820_entry *map, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		cr_expect_gt(map[i].size, 0);
		if (i)
			cr_expect_geq(map[i].addr,
				      map[i - 1].addr + map[i - 1].size);
		if (map[i].type == E820_RAM)
			cr_expect_not_null(
				guest_mem_ptr(&m, map[i].addr, map[i].size));
	}
}

Test(e820, small_guest)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n = build(64 * MiB, map);

	cr_assert_eq(n, 4);
	expect_entry(&map[0], 0, 0x9fc00, E820_RAM);
	expect_entry(&map[1], 0x9fc00, 0x400, E820_RESERVED);
	expect_entry(&map[2], 0xf0000, 0x10000, E820_RESERVED);
	expect_entry(&map[3], MiB, 63 * MiB, E820_RAM);
	expect_sane(map, n);
}

Test(e820, exactly_3g_has_no_high_ram)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n = build(3 * GiB, map);

	cr_assert_eq(n, 4);
	expect_entry(&map[3], MiB, 3 * GiB - MiB, E820_RAM);
	expect_sane(map, n);
}

Test(e820, big_guest_has_ram_above_4g)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n = build(6 * GiB, map);

	cr_assert_eq(n, 5);
	expect_entry(&map[3], MiB, 3 * GiB - MiB, E820_RAM);
	expect_entry(&map[4], 4 * GiB, 3 * GiB, E820_RAM);
	expect_sane(map, n);
}

Test(e820, mp_table_is_reserved)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n = build(64 * MiB, map), i;
	bool fp = false, cfg = false;

	for (i = 0; i < n; i++) {
		if (map[i].type != E820_RESERVED)
			continue;
		fp |= map[i].addr <= LAYOUT_MPTABLE_FP &&
		      LAYOUT_MPTABLE_FP + 16 <= map[i].addr + map[i].size;
		cfg |= map[i].addr <= LAYOUT_MPTABLE_CONFIG &&
		       LAYOUT_MPTABLE_CONFIG + 0x1000 <=
			       map[i].addr + map[i].size;
	}
	cr_expect(fp && cfg);
}

Test(e820, too_small_buffer)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	struct lerr e = { 0 };

	cr_assert_eq(guest_mem_init(&m, 4 * GiB, &e), 0, "%s", e.msg);
	cr_expect_eq(e820_build(&m, map, 4), -ENOSPC);
	cr_expect_eq(e820_build(&m, map, 0), -ENOSPC);
	cr_expect_eq(e820_build(&m, map, 5), 5);
}
