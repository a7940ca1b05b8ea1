/* names.c - checking, generating and hostname-ifying group names (see
 * names.h).  The word lists are lighter's own: the adjectives describe
 * light and weight, the nouns are small animals. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "names.h"

static const char *const adjectives[] = {
	"agile",   "airy",    "amber",   "bright",  "brisk",   "buoyant",
	"calm",    "clear",   "crisp",   "deft",    "dim",     "fleet",
	"floaty",  "gentle",  "gleaming", "glowing", "golden",  "hazy",
	"lambent", "lean",    "light",   "lithe",   "lucid",   "luminous",
	"mellow",  "misty",   "nimble",  "pale",    "quick",   "radiant",
	"rapid",   "shiny",   "sleek",   "slim",    "smooth",  "soft",
	"sparkly", "spry",    "sunny",   "swift",   "tiny",    "vivid",
	"wispy",   "zesty",
};

static const char *const nouns[] = {
	"ant",     "bat",     "beetle",  "cricket", "dormouse", "finch",
	"firefly", "gecko",   "gnat",    "hedgehog", "hummingbird", "kestrel",
	"kinglet", "ladybird", "lemming", "mayfly",  "midge",   "minnow",
	"mole",    "moth",    "newt",    "otter",   "pika",    "plover",
	"robin",   "shrew",   "skink",   "sparrow", "squirrel", "stoat",
	"swift",   "tadpole", "tern",    "titmouse", "vole",   "warbler",
	"weasel",  "wren",
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static bool name_first_char(char c)
{
	return name_char(c) && c != '_' && c != '.' && c != '-';
}

bool group_name_valid(const char *s)
{
	size_t i;

	if (!s || !name_first_char(s[0]))
		return false;
	for (i = 0; s[i]; i++) {
		if (i >= GROUP_NAME_MAX || !name_char(s[i]))
			return false;
	}
	return true;
}

int group_name_check(const char *s, struct lerr *e)
{
	size_t i;

	if (!s || !s[0])
		return lerr_fail(e, EINVAL, "group name \"\": empty");
	for (i = 0; s[i]; i++) {
		if (i >= GROUP_NAME_MAX)
			return lerr_fail(e, EINVAL,
					 "group name \"%.*s...\": longer than "
					 "%d characters",
					 GROUP_NAME_MAX, s, GROUP_NAME_MAX);
		if (!name_char(s[i]))
			return lerr_fail(e, EINVAL,
					 "group name \"%s\": only letters, "
					 "digits, '_', '.' and '-' are allowed",
					 s);
	}
	if (!name_first_char(s[0]))
		return lerr_fail(e, EINVAL,
				 "group name \"%s\": must start with a letter "
				 "or digit",
				 s);
	return 0;
}

void group_name_generate(uint64_t seed, char *out)
{
	const size_t nr_adj = sizeof(adjectives) / sizeof(adjectives[0]);
	const size_t nr_noun = sizeof(nouns) / sizeof(nouns[0]);
	const char *adj = adjectives[seed % nr_adj];
	const char *noun = nouns[(seed / nr_adj) % nr_noun];

	snprintf(out, GROUP_NAME_MAX + 1, "%s_%s", adj, noun);
}

uint64_t group_name_seed(void)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)getpid() ^
	       (uint64_t)ts.tv_sec;
}

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

void group_hostname(const char *name, char *out)
{
	size_t o = 0, i = 0;

	while (name[i] && o < GROUP_NAME_MAX) {
		char label[GROUP_NAME_MAX + 1];
		size_t n = 0, a, b;

		/* one label: up to the next '.' */
		for (; name[i] && name[i] != '.'; i++) {
			if (n < GROUP_NAME_MAX)
				label[n++] = label_char(name[i]) ? name[i]
								 : '-';
		}
		if (name[i] == '.')
			i++;
		for (a = 0; a < n && label[a] == '-'; a++)
			;
		for (b = n; b > a && label[b - 1] == '-'; b--)
			;
		if (a == b)
			continue;
		if (o && o < GROUP_NAME_MAX)
			out[o++] = '.';
		while (a < b && o < GROUP_NAME_MAX)
			out[o++] = label[a++];
		/* cut short by the limit: no '-' or '.' may end it */
		while (o && (out[o - 1] == '-' || out[o - 1] == '.'))
			o--;
	}
	out[o] = '\0';
	if (!o)
		strcpy(out, "lighter");
}
