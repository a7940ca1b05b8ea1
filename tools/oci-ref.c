/* oci-ref.c - `oci:DIR[:TAG]` and `oci-archive:FILE[:TAG]` references. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci-ref.h"

static const struct {
	const char *prefix;
	enum oci_transport transport;
} transports[] = {
	{ "oci:", OCI_TRANSPORT_LAYOUT },
	{ "oci-archive:", OCI_TRANSPORT_ARCHIVE },
};

static bool tag_valid(const char *t)
{
	size_t i;

	if (!isalnum((unsigned char)t[0]) && t[0] != '_')
		return false;
	for (i = 1; t[i]; i++) {
		if (i >= OCI_TAG_MAX)
			return false;
		if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
			return false;
	}
	return true;
}

int oci_ref_parse(struct oci_ref *r, const char *s, struct lerr *e)
{
	const char *rest = NULL, *slash, *colon;
	size_t i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < sizeof(transports) / sizeof(transports[0]); i++) {
		size_t n = strlen(transports[i].prefix);

		if (strncmp(s, transports[i].prefix, n) == 0) {
			r->transport = transports[i].transport;
			rest = s + n;
			break;
		}
	}
	if (!rest)
		return lerr_fail(e, EINVAL,
				 "\"%s\": unknown transport (want "
				 "oci:DIR[:TAG] or oci-archive:FILE[:TAG])",
				 s);
	slash = strrchr(rest, '/');
	colon = strrchr(slash ? slash : rest, ':');
	if (colon) {
		if (!tag_valid(colon + 1))
			return lerr_fail(e, EINVAL,
					 "\"%s\": tag \"%s\" is not "
					 "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}",
					 s, colon + 1);
		r->tag = strdup(colon + 1);
		r->path = strndup(rest, (size_t)(colon - rest));
	} else {
		r->path = strdup(rest);
	}
	if (!r->path || (colon && !r->tag)) {
		oci_ref_free(r);
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	if (!r->path[0]) {
		oci_ref_free(r);
		return lerr_fail(e, EINVAL, "\"%s\": empty path", s);
	}
	return 0;
}

int oci_ref_rebase(struct oci_ref *r, const char *dir, struct lerr *e)
{
	char *p;

	if (r->path[0] == '/' || !dir || strcmp(dir, ".") == 0)
		return 0;
	if (asprintf(&p, "%s/%s", dir, r->path) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	free(r->path);
	r->path = p;
	return 0;
}

char *oci_ref_format(const struct oci_ref *r)
{
	char *s;

	if (asprintf(&s, "%s%s%s%s",
		     r->transport == OCI_TRANSPORT_ARCHIVE ? "oci-archive:"
							   : "oci:",
		     r->path, r->tag ? ":" : "", r->tag ? r->tag : "") < 0)
		return NULL;
	return s;
}

int oci_ref_copy(struct oci_ref *dst, const struct oci_ref *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->transport = src->transport;
	dst->path = strdup(src->path);
	dst->tag = src->tag ? strdup(src->tag) : NULL;
	if (!dst->path || (src->tag && !dst->tag)) {
		oci_ref_free(dst);
		return -ENOMEM;
	}
	return 0;
}

void oci_ref_free(struct oci_ref *r)
{
	free(r->path);
	free(r->tag);
	r->path = NULL;
	r->tag = NULL;
}
