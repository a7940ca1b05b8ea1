/* spec-life.c - the group spec's keys for a container's life beyond its
 * process: secure-env, whose values must never leave the spec file except
 * towards the container, so no message here quotes one (an entry is named
 * by its position or its variable name); and the liveness-* and
 * readiness-* probe keys with their defaults (Kubernetes': period 10s,
 * timeout 1s, 3 failures, 1 success). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "strv.h"

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

/* ---- probes ---- */

static const char *const probe_fields[] = {
	"exec", "http", "delay", "period", "timeout", "failures", "successes",
};

#define NR_PROBE_FIELDS (sizeof(probe_fields) / sizeof(probe_fields[0]))

void spec_probe_free(struct spec_probe *p)
{
	strv_free(p->exec);
	free(p->http_path);
	memset(p, 0, sizeof(*p));
}

/* "10s", "500ms", "2m", "3" (seconds) into ms, at most max. */
static int parse_duration(const char *v, uint32_t min, uint32_t max,
			  uint32_t *out, struct lerr *e)
{
	unsigned long long n, unit = 1000;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		goto bad;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno == ERANGE)
		goto range;
	if (strcmp(end, "ms") == 0)
		unit = 1;
	else if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (*end && strcmp(end, "s") != 0)
		goto bad;
	if (n > max / unit || n * unit < min)
		goto range;
	*out = (uint32_t)(n * unit);
	return 0;
bad:
	return lerr_fail(e, EINVAL,
			 "\"%s\": not a duration (like 10s, 500ms, 2m)", v);
range:
	return lerr_fail(e, ERANGE, "\"%s\": not in %ums..%us", v, min,
			 max / 1000);
}

static int parse_count(const char *v, uint32_t *out, struct lerr *e)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!isdigit((unsigned char)v[0]) || *end)
		return lerr_fail(e, EINVAL, "\"%s\": not a number", v);
	if (errno == ERANGE || n < 1 || n > SPEC_PROBE_COUNT_MAX)
		return lerr_fail(e, ERANGE, "\"%s\": not in 1..%u", v,
				 SPEC_PROBE_COUNT_MAX);
	*out = (uint32_t)n;
	return 0;
}

/* PORT[/PATH]: the path goes into a request line, so no blanks or
 * control characters. */
static int parse_http(const char *v, struct spec_probe *p, struct lerr *e)
{
	unsigned long long port;
	const char *s;
	char *end;

	errno = 0;
	port = strtoull(v, &end, 10);
	if (!isdigit((unsigned char)v[0]) || (*end && *end != '/'))
		return lerr_fail(e, EINVAL, "\"%s\": not PORT[/PATH]", v);
	if (errno == ERANGE || port < 1 || port > 65535)
		return lerr_fail(e, ERANGE, "\"%s\": port not in 1..65535", v);
	for (s = end; *s; s++) {
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return lerr_fail(e, EINVAL,
					 "\"%s\": blank or control character "
					 "in the path",
					 v);
	}
	if (strlen(end) > 1024)
		return lerr_fail(e, ENAMETOOLONG, "\"%.64s...\": path too long",
				 v);
	free(p->http_path);
	p->http_path = *end ? strdup(end) : NULL;
	if (*end && !p->http_path)
		return lerr_fail(e, ENOMEM, "out of memory");
	p->http_port = (uint16_t)port;
	return 0;
}

int spec_set_probe_key(struct spec_container *c, const char *key,
		       const char *v, struct lerr *e)
{
	struct spec_probe *p;
	struct lerr why = { 0 };
	const char *field;
	size_t i;
	int r;

	if (strncmp(key, "liveness-", 9) == 0) {
		p = &c->liveness;
		field = key + 9;
	} else if (strncmp(key, "readiness-", 10) == 0) {
		p = &c->readiness;
		field = key + 10;
	} else {
		return -ENOENT;
	}
	for (i = 0; i < NR_PROBE_FIELDS; i++)
		if (strcmp(field, probe_fields[i]) == 0)
			break;
	if (i == NR_PROBE_FIELDS)
		return -ENOENT;
	if (c->init)
		return lerr_fail(e, EINVAL, "init containers have no probes");
	if (!p->set) {
		p->set = true;
		p->period_ms = 10000;
		p->timeout_ms = 1000;
		p->failures = 3;
		p->successes = 1;
	}
	switch (i) {
	case 0:
		strv_free(p->exec);
		p->exec = NULL;
		r = spec_split_words(v, &p->exec, &why);
		if (r == 0 && (!p->exec[0] || !p->exec[0][0]))
			r = lerr_fail(&why, EINVAL, "no command");
		if (r < 0)
			return lerr_fail(e, -r, "\"%s\": %s", v, why.msg);
		return 0;
	case 1:
		return parse_http(v, p, e);
	case 2:
		return parse_duration(v, 0, SPEC_PROBE_MS_MAX, &p->delay_ms, e);
	case 3:
		return parse_duration(v, 1, SPEC_PROBE_MS_MAX, &p->period_ms,
				      e);
	case 4:
		return parse_duration(v, 1, SPEC_PROBE_MS_MAX, &p->timeout_ms,
				      e);
	case 5:
		return parse_count(v, &p->failures, e);
	case 6:
	default:
		return parse_count(v, &p->successes, e);
	}
}

static int check_probe(const struct spec_probe *p, const char *kind,
		       struct lerr *e)
{
	if (!p->set)
		return 0;
	if (!p->exec && !p->http_port)
		return lerr_fail(e, EINVAL, "%s: needs %s-exec or %s-http",
				 kind, kind, kind);
	if (p->exec && p->http_port)
		return lerr_fail(e, EINVAL,
				 "%s: %s-exec and %s-http, only one may be "
				 "given",
				 kind, kind, kind);
	if (strcmp(kind, "liveness") == 0 && p->successes != 1)
		return lerr_fail(e, EINVAL,
				 "liveness: liveness-successes must be 1");
	return 0;
}

int spec_check_probes(const struct spec_container *c, struct lerr *e)
{
	int r = check_probe(&c->liveness, "liveness", e);

	return r < 0 ? r : check_probe(&c->readiness, "readiness", e);
}
