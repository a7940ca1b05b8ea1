/* fuzz-spec.c - libFuzzer harness for the group spec loader
 * (tools/spec*.c, tools/ini-scan.c, iniparser through
 * include/lighter/ini-util.h): the input is the spec file, written to a
 * memfd and loaded through /proc/self/fd/N; the same bytes (up to the
 * first NUL) also go to the word and env list splitters.
 *
 * spec_load()'s contract (tools/spec.h): 0 with a spec whose every value
 * is in range and whose containers fit the group, or -errno with a
 * one-line message that starts with the file name and the spec freed. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-input.h"
#include "spec.h"
#include "strv.h"

static struct fuzz_file spec_file;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int name_ok(const char *n)
{
	size_t i, len = strlen(n);

	if (!len || len > SPEC_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = n[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (i && strchr("_.-", c))))
			return 0;
	}
	return 1;
}

static void check_spec(const struct spec *s)
{
	uint64_t sum = 0;
	size_t i;

	FUZZ_CHECK(name_ok(s->name));
	FUZZ_CHECK(s->cpus >= 1 && s->cpus <= SPEC_CPUS_MAX);
	FUZZ_CHECK(s->mem_bytes >= SPEC_MEM_MIN &&
		   s->mem_bytes <= SPEC_MEM_MAX && s->mem_bytes % 4096 == 0);
	FUZZ_CHECK(s->restart <= SPEC_RESTART_ALWAYS);
	FUZZ_CHECK(s->nr_containers >= 1 &&
		   s->nr_containers <= SPEC_MAX_CONTAINERS);
	for (i = 0; i < s->nr_containers; i++) {
		const struct spec_container *c = &s->containers[i];

		FUZZ_CHECK(name_ok(c->name));
		FUZZ_CHECK(c->image && c->ref.path && c->ref.path[0]);
		FUZZ_CHECK(c->millicpus <= s->cpus * 1000U);
		FUZZ_CHECK(!c->workdir || c->workdir[0] == '/');
		FUZZ_CHECK(!c->user || c->user[0]);
		FUZZ_CHECK(c->pids <= SPEC_PIDS_MAX);
		for (size_t j = 0; c->env && c->env[j]; j++)
			FUZZ_CHECK(strchr(c->env[j], '=') != NULL);
		sum += c->mem_bytes;
	}
	FUZZ_CHECK(sum <= s->mem_bytes - SPEC_GUEST_RESERVE);
}

static void check_error(int r, const struct lerr *e, const char *prefix)
{
	FUZZ_CHECK(r < 0 && e->code == -r && e->msg[0]);
	FUZZ_CHECK(memchr(e->msg, '\n', sizeof(e->msg)) == NULL);
	if (prefix)
		FUZZ_CHECK(strncmp(e->msg, prefix, strlen(prefix)) == 0);
}

static void split_lists(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size);
	struct lerr e = { 0 };
	char **v = NULL;
	int r;

	FUZZ_CHECK(text);
	r = spec_split_words(text, &v, &e);
	if (r == 0) {
		FUZZ_CHECK(v && strv_len(v) <= SPEC_WORDS_MAX);
		FUZZ_CHECK(strv_len(v) <= strlen(text));
	} else {
		check_error(r, &e, NULL);
		FUZZ_CHECK(!v);
	}
	strv_free(v);
	v = NULL;
	r = spec_split_env(text, &v, &e);
	if (r == 0) {
		for (size_t i = 0; v[i]; i++)
			FUZZ_CHECK(strchr(v[i], '=') && v[i][0] != '=');
	} else {
		check_error(r, &e, NULL);
		FUZZ_CHECK(!v);
	}
	strv_free(v);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec s;
	struct lerr e = { 0 };
	int r;

	fuzz_file_put(&spec_file, "fuzz-spec.ini", data, size);
	r = spec_load(&s, spec_file.path, &e);
	if (r == 0) {
		check_spec(&s);
	} else {
		check_error(r, &e, spec_file.path);
		FUZZ_CHECK(!s.containers && !s.nr_containers);
	}
	spec_free(&s);
	split_lists(data, size);
	return 0;
}
