/* spec-life.c - the group spec's keys for a container's life beyond its
 * process: secure-env, whose values must never leave the spec file except
 * towards the container, so no message here quotes one (an entry is named
 * by its position or its variable name). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

void spec_secrets_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++) {
		explicit_bzero(v[i], strlen(v[i]));
		free(v[i]);
	}
	free(v);
}

int spec_parse_secure_env(const char *s, char ***out, struct lerr *e)
{
	struct lerr why = { 0 };
	unsigned int entry = 0;
	int r = spec_split_env(s, out, &why);

	if (r == 0)
		return 0;
	/* spec_split_env() quotes what it rejects: keep only which entry */
	if (sscanf(why.msg, "entry %u", &entry) != 1)
		entry = 0;
	explicit_bzero(why.msg, sizeof(why.msg));
	if (r == -E2BIG)
		return lerr_fail(e, E2BIG, "more than %d entries",
				 SPEC_ENV_MAX);
	if (r == -ENOMEM)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (entry)
		return lerr_fail(e, -r,
				 "entry %u: not NAME=VALUE with a valid, "
				 "unique NAME (values are not shown)",
				 entry);
	return lerr_fail(e, -r,
			 "not a list of NAME=VALUE (values are not shown)");
}

int spec_check_secure_env(const struct spec_container *c, struct lerr *e)
{
	size_t i, k;

	for (i = 0; c->secure_env && c->secure_env[i]; i++) {
		const char *name = c->secure_env[i];
		size_t len = strcspn(name, "=");

		for (k = 0; c->env && c->env[k]; k++) {
			if (strncmp(c->env[k], name, len + 1) == 0)
				return lerr_fail(e, EINVAL,
						 "\"%.*s\" is set in env too",
						 (int)len, name);
		}
	}
	return 0;
}
