/* expect-strv.h - NULL-terminated string lists in the host-tool tests
 * (group specs, OCI image configs, the process merge): STRV() literals and
 * expect_strv(), which names the list and the entry that differs.
 * Header-only. */
#ifndef LIGHTER_TESTS_UNIT_EXPECT_STRV_H
#define LIGHTER_TESTS_UNIT_EXPECT_STRV_H

#include <criterion/criterion.h>
#include <stddef.h>

#define STRV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define EMPTY_STRV ((const char *const[]){ NULL })

/* got holds exactly the entries of want, in order; what names the list. */
static inline void expect_strv(char **got, const char *const *want,
			       const char *what)
{
	size_t i;

	cr_assert_not_null(got, "%s: not set", what);
	for (i = 0; want[i]; i++) {
		cr_assert_not_null(got[i],
				   "%s: entry %zu missing (want \"%s\")", what,
				   i, want[i]);
		cr_expect_str_eq(got[i], want[i], "%s[%zu]", what, i);
	}
	cr_expect_null(got[i], "%s: extra entry \"%s\"", what, got[i]);
}

#endif
