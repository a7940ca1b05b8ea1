/* protocol-layer.c - the layer transfer: the LAYER message that opens it
 * (diff_id, media type, size), the receiving side's accounting of the
 * DATA frames that follow under the same request id (exactly `size`
 * bytes, then LAYER_END), and the OK reply with the unpack time.
 *
 * Decoders and encoders follow protocol-msg.c's rules: strict fields,
 * encoders validated by their own decoder. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol-internal.h"

/* RFC 6838 restricted-name: 1-127 of [A-Za-z0-9!#$&^_.+-], first a letter
 * or digit. */
static bool media_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 127)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') ||
			     (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');

		if (!alnum && (i == 0 || !strchr("!#$&^_.+-", ch)))
			return false;
	}
	return true;
}

static bool media_type_valid(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash && media_name_valid(s, (size_t)(slash - s)) &&
	       media_name_valid(slash + 1, strlen(slash + 1));
}

static int digest_field(const struct pj *c, const json_t *obj, const char *at,
			const char *key, char *out)
{
	char clean[80];
	const char *s;
	int rc;

	out[0] = '\0';
	rc = pj_str(c, obj, at, key, 0, PROTO_STRING_MAX, &s);
	if (rc < 0)
		return rc;
	if (!ldigest_valid(s))
		return pj_fail(c, EINVAL, at, key,
			       "invalid digest \"%s\" (sha256: and 64 "
			       "lowercase hex digits)",
			       pj_clean(clean, sizeof(clean), s));
	strcpy(out, s);
	return 0;
}

int proto_layer_from_json(const json_t *body, struct proto_layer *out,
			  struct lerr *e)
{
	static const char *const keys[] = { "diff_id", "media_type", "size",
					    NULL };
	struct pj c = { "LAYER", e };
	const char *media_type;
	char clean[80];
	int64_t size;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pj_keys(&c, body, "", keys);
	if (rc == 0)
		rc = digest_field(&c, body, "", "diff_id", out->diff_id);
	if (rc == 0)
		rc = pj_str(&c, body, "", "media_type", 1, PROTO_MEDIA_TYPE_MAX,
			    &media_type);
	if (rc == 0 && !media_type_valid(media_type))
		rc = pj_fail(&c, EINVAL, "", "media_type",
			     "\"%s\" is not a media type (type/subtype)",
			     pj_clean(clean, sizeof(clean), media_type));
	if (rc == 0)
		rc = pj_int(&c, body, "", "size", 0, INT64_MAX, &size);
	if (rc == 0)
		rc = pj_dup(&c, "media_type", media_type, &out->media_type);
	if (rc < 0) {
		proto_layer_free(out);
		return rc;
	}
	out->size = (uint64_t)size;
	return 0;
}

int proto_layer_to_json(const struct proto_layer *l, json_t **out,
			struct lerr *e)
{
	json_t *j = json_object();
	struct proto_layer check;
	int rc = 0;

	*out = NULL;
	if (j) {
		rc |= pj_put(j, "diff_id", pj_new_str(l->diff_id));
		rc |= pj_put(j, "media_type", pj_new_str(l->media_type));
		rc |= pj_put(j, "size", json_integer((json_int_t)l->size));
	}
	rc = pj_built("LAYER", j, rc, e);
	if (rc < 0)
		return rc;
	rc = proto_layer_from_json(j, &check, e);
	proto_layer_free(&check);
	return pj_checked(j, rc, out);
}

void proto_layer_free(struct proto_layer *l)
{
	free(l->media_type);
	memset(l, 0, sizeof(*l));
}

int proto_layer_done_from_json(const json_t *body, struct proto_layer_done *out,
			       struct lerr *e)
{
	static const char *const keys[] = { "unpack_us", "bytes", NULL };
	struct pj c = { "OK (LAYER)", e };
	int64_t us = 0, bytes = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pj_keys(&c, body, "", keys);
	if (rc == 0)
		rc = pj_int(&c, body, "", "unpack_us", 0, INT64_MAX, &us);
	if (rc == 0)
		rc = pj_int(&c, body, "", "bytes", 0, INT64_MAX, &bytes);
	if (rc < 0)
		return rc;
	out->unpack_us = (uint64_t)us;
	out->bytes = (uint64_t)bytes;
	return 0;
}

int proto_layer_done_to_json(const struct proto_layer_done *d, json_t **out,
			     struct lerr *e)
{
	json_t *j = json_object();
	struct proto_layer_done check;
	int rc = 0;

	*out = NULL;
	if (j) {
		rc |= pj_put(j, "unpack_us",
			     json_integer((json_int_t)d->unpack_us));
		rc |= pj_put(j, "bytes", json_integer((json_int_t)d->bytes));
	}
	rc = pj_built("OK (LAYER)", j, rc, e);
	if (rc < 0)
		return rc;
	rc = proto_layer_done_from_json(j, &check, e);
	return pj_checked(j, rc, out);
}

void proto_layer_rx_begin(struct proto_layer_rx *t, uint32_t id,
			  const struct proto_layer *l)
{
	t->id = id;
	t->size = l->size;
	t->received = 0;
	memcpy(t->diff_id, l->diff_id, sizeof(t->diff_id));
}

static int layer_rx_id(const struct proto_layer_rx *t,
		       const struct proto_header *h, struct lerr *e)
{
	const char *name = proto_type_name(h->type);

	if (h->id == t->id)
		return 0;
	return lerr_fail(e, EPROTO,
			 "LAYER %s: %s frame with request id %u, expected %u",
			 t->diff_id, name ? name : "unknown", h->id, t->id);
}

int proto_layer_rx_data(struct proto_layer_rx *t, const struct proto_header *h,
			struct lerr *e)
{
	int rc = layer_rx_id(t, h, e);

	if (rc < 0)
		return rc;
	if (h->length > t->size - t->received)
		return lerr_fail(e, E2BIG,
				 "LAYER %s: DATA of %u bytes after %llu runs "
				 "past the announced size of %llu bytes",
				 t->diff_id, h->length,
				 (unsigned long long)t->received,
				 (unsigned long long)t->size);
	t->received += h->length;
	return 0;
}

int proto_layer_rx_end(struct proto_layer_rx *t, const struct proto_header *h,
		       struct lerr *e)
{
	int rc = layer_rx_id(t, h, e);

	if (rc < 0)
		return rc;
	if (t->received != t->size)
		return lerr_fail(e, ENODATA,
				 "LAYER %s: LAYER_END after %llu of the "
				 "announced %llu bytes",
				 t->diff_id, (unsigned long long)t->received,
				 (unsigned long long)t->size);
	return 0;
}
