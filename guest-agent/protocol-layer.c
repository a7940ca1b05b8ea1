/* protocol-layer.c - the layer transfer: the LAYER message that opens it
 * (diff_id, media type, size), the receiving side's accounting of the
 * DATA frames that follow under the same request id (exactly `size`
 * bytes, then LAYER_END), and the OK reply with the unpack time.
 *
 * The messages are tables for the codec (protocol-codec.c), with
 * protocol-msg.c's rules: strict fields, encoders validated by their own
 * decoder. */
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

static const struct pj_syntax media_type_syntax = {
	.valid = media_type_valid,
	.before = "",
	.after = " is not a media type (type/subtype)",
	.quote = 80,
};

static const struct pj_field layer_fields[] = {
	{ .key = "diff_id", .type = PJ_CHARS,
	  PJ_AT(struct proto_layer, diff_id), .max = PROTO_STRING_MAX,
	  .syntax = &pj_digest_syntax },
	{ .key = "media_type", .type = PJ_STR,
	  PJ_AT(struct proto_layer, media_type), .min = 1,
	  .max = PROTO_MEDIA_TYPE_MAX, .syntax = &media_type_syntax },
	{ .key = "size", .type = PJ_UINT, PJ_AT(struct proto_layer, size),
	  .max = INT64_MAX },
	{ .key = NULL },
};

static const struct pj_msg layer_msg = {
	.name = "LAYER",
	.size = sizeof(struct proto_layer),
	.fields = layer_fields,
};

int proto_layer_from_json(const json_t *body, struct proto_layer *out,
			  struct lerr *e)
{
	return pj_decode(&layer_msg, body, out, e);
}

int proto_layer_to_json(const struct proto_layer *l, json_t **out,
			struct lerr *e)
{
	return pj_encode(&layer_msg, l, out, e);
}

void proto_layer_free(struct proto_layer *l)
{
	pj_free(&layer_msg, l);
}

static const struct pj_field layer_done_fields[] = {
	{ .key = "unpack_us", .type = PJ_UINT,
	  PJ_AT(struct proto_layer_done, unpack_us), .max = INT64_MAX },
	{ .key = "bytes", .type = PJ_UINT,
	  PJ_AT(struct proto_layer_done, bytes), .max = INT64_MAX },
	{ .key = NULL },
};

static const struct pj_msg layer_done_msg = {
	.name = "OK (LAYER)",
	.size = sizeof(struct proto_layer_done),
	.fields = layer_done_fields,
};

int proto_layer_done_from_json(const json_t *body, struct proto_layer_done *out,
			       struct lerr *e)
{
	return pj_decode(&layer_done_msg, body, out, e);
}

int proto_layer_done_to_json(const struct proto_layer_done *d, json_t **out,
			     struct lerr *e)
{
	return pj_encode(&layer_done_msg, d, out, e);
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
