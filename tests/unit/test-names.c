/* test-names.c - group names (tools/names.c): Docker's rule as a table,
 * the messages that say what is wrong, generated names (valid, varied,
 * deterministic per seed) and the guest hostname derived from a name
 * (always one the protocol accepts). */
#include <criterion/criterion.h>
#include <string.h>

#include "names.h"
#include "protocol.h"

static const char name63[] =
	"a23456789012345678901234567890123456789012345678901234567890123";
static const char name64[] =
	"a234567890123456789012345678901234567890123456789012345678901234";

Test(names, validity_table)
{
	static const struct {
		const char *name;
		bool valid;
	} cases[] = {
		{ "web", true },      { "a", true },	    { "9", true },
		{ "A.b_c-d", true },  { name63, true },	    { name64, false },
		{ "", false },	      { "-web", false },    { "_web", false },
		{ ".web", false },    { "we b", false },    { "we/b", false },
		{ "wéb", false },     { "web\n", false },   { "web:1", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lerr e = { 0 };

		cr_expect_eq(group_name_valid(cases[i].name), cases[i].valid,
			     "\"%s\"", cases[i].name);
		cr_expect_eq(group_name_check(cases[i].name, &e) == 0,
			     cases[i].valid, "\"%s\": %s", cases[i].name,
			     e.msg);
		cr_expect_eq(proto_name_valid(cases[i].name), cases[i].valid,
			     "the protocol agrees on \"%s\"", cases[i].name);
	}
	cr_expect_not(group_name_valid(NULL));
}

Test(names, messages_say_why)
{
	struct lerr e = { 0 };

	group_name_check("-x", &e);
	cr_expect_str_eq(e.msg, "group name \"-x\": must start with a letter "
				"or digit");
	group_name_check("a b", &e);
	cr_expect_str_eq(e.msg, "group name \"a b\": only letters, digits, "
				"'_', '.' and '-' are allowed");
	group_name_check("", &e);
	cr_expect_str_eq(e.msg, "group name \"\": empty");
	group_name_check(name64, &e);
	cr_expect(strstr(e.msg, "longer than 63 characters") != NULL, "%s",
		  e.msg);
}

Test(names, generated_names_are_valid_and_varied)
{
	char a[GROUP_NAME_MAX + 1], b[GROUP_NAME_MAX + 1];
	char seen[64][GROUP_NAME_MAX + 1];
	size_t distinct = 0;

	for (uint64_t seed = 0; seed < 5000; seed++) {
		group_name_generate(seed * 2654435761u, a);
		cr_assert(group_name_valid(a), "\"%s\"", a);
		cr_assert(strchr(a, '_') != NULL, "\"%s\" is adjective_noun",
			  a);
	}
	group_name_generate(42, a);
	group_name_generate(42, b);
	cr_expect_str_eq(a, b, "the same seed, the same name");
	for (int i = 0; i < 64; i++) {
		bool dup = false;

		group_name_generate(group_name_seed(), seen[distinct]);
		for (size_t k = 0; k < distinct; k++)
			dup |= strcmp(seen[k], seen[distinct]) == 0;
		distinct += !dup;
	}
	cr_expect_gt(distinct, 32, "random seeds give varied names");
}

Test(names, hostnames_from_names)
{
	static const struct {
		const char *name, *host;
	} cases[] = {
		{ "web", "web" },
		{ "my_app", "my-app" },
		{ "a.b.c", "a.b.c" },
		{ "a..b", "a.b" },
		{ "a_.b", "a.b" },
		{ "x-", "x" },
		{ "9lives", "9lives" },
		{ "1_", "1" },
		{ "a._b_.c", "a.b.c" },
		{ "__", "lighter" },
	};
	char out[GROUP_NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		group_hostname(cases[i].name, out);
		cr_expect_str_eq(out, cases[i].host, "\"%s\"", cases[i].name);
		cr_expect(proto_hostname_valid(out), "\"%s\"", out);
	}
	group_hostname(name63, out);
	cr_expect_str_eq(out, name63);
	cr_expect(proto_hostname_valid(out));
	/* every generated name gives a valid hostname */
	for (uint64_t seed = 0; seed < 2000; seed++) {
		char n[GROUP_NAME_MAX + 1];

		group_name_generate(seed * 7919, n);
		group_hostname(n, out);
		cr_assert(proto_hostname_valid(out), "\"%s\" -> \"%s\"", n,
			  out);
	}
}
