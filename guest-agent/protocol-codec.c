/* protocol-codec.c - the table-driven codec every protocol message is
 * written with: one table of fields (struct pj_msg, protocol-internal.h)
 * decodes a JSON object into its struct, encodes the struct back and frees
 * what decoding allocated.
 *
 * Decoding is strict and goes in a fixed order, so the fault named first
 * does not depend on how the peer ordered its members: the object itself,
 * its version (before anything else, so that a future peer hears "version
 * N not supported" rather than about a member it added), unknown members,
 * then each field in table order: presence, type, length or range,
 * syntax.  Integers must be JSON integers; strings must hold no NUL.
 * Encoding puts the members in table order, then decodes what it built
 * into a scratch struct, so a struct the peer would reject never leaves
 * this side; builders yield JSON null for a NULL or non-UTF-8 string so
 * that this check names the field. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol-internal.h"

#define QUOTE_KEY 48 /* bytes of an unknown member's name quoted */

static void *member(const void *msg, size_t off)
{
	return (char *)msg + off;
}

static size_t *count_of(const void *msg, const struct pj_field *f)
{
	return member(msg, f->count_off);
}

static unsigned int *has_of(const void *msg, const struct pj_msg *m)
{
	return member(msg, m->has_off);
}

static const struct pj_field *find_field(const struct pj_msg *m,
					 const char *key)
{
	const struct pj_field *f;

	for (f = m->fields; f->key; f++)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static int oom(const struct pj *c, const char *at, const char *key)
{
	return lerr_set(c->e, ENOMEM, "%s: %s%s%s", c->msg, at,
			at[0] ? "." : "", key);
}

/* ---- field readers ---- */

static int str_value(const struct pj *c, const json_t *v, const char *at,
		     const char *key, size_t min, size_t max, const char **out)
{
	const char *s;
	size_t len;

	*out = NULL;
	if (!json_is_string(v))
		return pj_fail(c, EINVAL, at, key, "not a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (strlen(s) != len)
		return pj_fail(c, EINVAL, at, key, "contains a NUL character");
	if (len > max)
		return pj_fail(c, E2BIG, at, key,
			       "%zu bytes, over the limit of %zu", len, max);
	if (len < min) {
		if (len == 0)
			return pj_fail(c, EINVAL, at, key, "empty");
		return pj_fail(c, EINVAL, at, key,
			       "%zu bytes, shorter than %zu", len, min);
	}
	*out = s;
	return 0;
}

static int int_value(const struct pj *c, const json_t *v, const char *at,
		     const char *key, int64_t min, int64_t max, int64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return pj_fail(c, EINVAL, at, key, "not an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return pj_fail(c, ERANGE, at, key,
			       "%lld out of range %lld..%lld", (long long)n,
			       (long long)min, (long long)max);
	*out = n;
	return 0;
}

static int array_value(const struct pj *c, const json_t *v, const char *at,
		       const char *key, size_t min, size_t max)
{
	size_t n;

	if (!json_is_array(v))
		return pj_fail(c, EINVAL, at, key, "not an array");
	n = json_array_size(v);
	if (n > max)
		return pj_fail(c, E2BIG, at, key,
			       "%zu entries, over the limit of %zu", n, max);
	if (n < min)
		return pj_fail(c, EINVAL, at, key,
			       "%zu entries, at least %zu needed", n, min);
	return 0;
}

static int bad_value(const struct pj *c, const struct pj_syntax *syn,
		     const char *at, const char *key, const char *s)
{
	char clean[PJ_QUOTE_MAX];
	size_t quote = syn->quote < sizeof(clean) ? syn->quote : sizeof(clean);

	return pj_fail(c, EINVAL, at, key, "%s\"%s\"%s", syn->before,
		       pj_clean(clean, quote, s), syn->after);
}

static int check_syntax(const struct pj *c, const struct pj_syntax *syn,
			const char *at, const char *key, const char *s)
{
	if (!syn || syn->valid(s))
		return 0;
	return bad_value(c, syn, at, key, s);
}

/* Integers live in members of 4 or 8 bytes (f->size). */
static void store_int(void *p, const struct pj_field *f, int64_t v)
{
	if (f->size == sizeof(int64_t)) {
		memcpy(p, &v, sizeof(v));
	} else {
		int32_t n = (int32_t)v;

		memcpy(p, &n, sizeof(n));
	}
}

static int64_t load_int(const void *p, const struct pj_field *f)
{
	int32_t n;
	uint32_t u;
	int64_t v;

	if (f->size == sizeof(int64_t)) {
		memcpy(&v, p, sizeof(v));
		return v;
	}
	if (f->type == PJ_INT) {
		memcpy(&n, p, sizeof(n));
		return n;
	}
	memcpy(&u, p, sizeof(u));
	return u;
}

/* ---- decoding ---- */

static int decode_object(const struct pj *c, const struct pj_msg *m,
			 const json_t *obj, const char *at, void *out);

static int check_version(const struct pj *c, const struct pj_field *f,
			 const json_t *obj, const char *at)
{
	const json_t *v = json_object_get(obj, f->key);
	int64_t n = 0;
	int rc;

	if (!v)
		return pj_fail(c, EINVAL, at, f->key, "missing");
	rc = int_value(c, v, at, f->key, INT64_MIN, INT64_MAX, &n);
	if (rc == 0 && n != PROTO_VERSION)
		rc = pj_fail(c, EPROTONOSUPPORT, at, f->key,
			     "%lld not supported (this side speaks %d)",
			     (long long)n, PROTO_VERSION);
	return rc;
}

static int known_keys(const struct pj *c, const struct pj_msg *m,
		      const json_t *obj, const char *at)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char clean[QUOTE_KEY];

		if (!find_field(m, key))
			return pj_fail(c, EINVAL, at,
				       pj_clean(clean, sizeof(clean), key),
				       "unknown field");
	}
	return 0;
}

static int decode_str(const struct pj *c, const struct pj_field *f,
		      const json_t *v, const char *at, void *p)
{
	const char *s;
	int rc = str_value(c, v, at, f->key, (size_t)f->min, (size_t)f->max,
			   &s);

	if (rc == 0)
		rc = check_syntax(c, f->syntax, at, f->key, s);
	if (rc < 0)
		return rc;
	if (f->type == PJ_STR) {
		*(char **)p = strdup(s);
		return *(char **)p ? 0 : oom(c, at, f->key);
	}
	if (strlen(s) >= f->size)
		return pj_fail(c, E2BIG, at, f->key,
			       "%zu bytes, over the limit of %zu", strlen(s),
			       f->size - 1);
	strcpy(p, s);
	return 0;
}

static int decode_enum(const struct pj *c, const struct pj_field *f,
		       const json_t *v, const char *at, void *p)
{
	const char *s;
	size_t i;
	int rc = str_value(c, v, at, f->key, (size_t)f->min, (size_t)f->max,
			   &s);

	if (rc < 0)
		return rc;
	for (i = 0; i < f->n_names; i++)
		if (f->names[i] && strcmp(s, f->names[i]) == 0) {
			store_int(p, f, (int64_t)i);
			return 0;
		}
	return bad_value(c, f->syntax, at, f->key, s);
}

/* The list and its count grow together, so that pj_free() of the message
 * frees what was copied before a bad entry. */
static int decode_strv(const struct pj *c, const struct pj_field *f,
		       const json_t *arr, const char *at, void *msg)
{
	size_t i, n = json_array_size(arr);
	char **list = calloc(n ? n : 1, sizeof(*list));

	if (!list)
		return oom(c, at, f->key);
	*(char ***)member(msg, f->off) = list;
	for (i = 0; i < n; i++) {
		char key[48];
		const char *s;
		int rc;

		snprintf(key, sizeof(key), "%s[%zu]", f->key, i);
		rc = str_value(c, json_array_get(arr, i), at, key, 0,
			       PROTO_STRING_MAX, &s);
		if (rc == 0 && i == 0 && f->first_empty && !s[0])
			rc = pj_fail(c, EINVAL, at, key, "%s", f->first_empty);
		if (rc == 0)
			rc = check_syntax(c, f->syntax, at, key, s);
		if (rc == 0 && !(list[i] = strdup(s)))
			rc = oom(c, at, key);
		if (rc < 0)
			return rc;
		*count_of(msg, f) = i + 1;
	}
	return 0;
}

static int check_unique(const struct pj *c, const struct pj_field *f,
			const char *base, size_t i, const char *at)
{
	const struct pj_msg *em = f->elem;
	const struct pj_field *u = f->unique ? find_field(em, f->unique) : NULL;
	const char *mine;
	size_t k;

	if (!u)
		return 0;
	mine = base + i * em->size + u->off;
	for (k = 0; k < i; k++)
		if (strcmp(base + k * em->size + u->off, mine) == 0)
			return pj_fail(c, EINVAL, at, u->key,
				       "\"%s\" already used by %s[%zu]", mine,
				       f->key, k);
	return 0;
}

static int decode_objects(const struct pj *c, const struct pj_field *f,
			  const json_t *arr, const char *at, void *msg)
{
	const struct pj_msg *em = f->elem;
	size_t i, n = json_array_size(arr);
	char *base = member(msg, f->off);

	if (f->alloc) {
		base = calloc(n ? n : 1, em->size);
		if (!base)
			return oom(c, at, f->key);
		*(void **)member(msg, f->off) = base;
	} else if (n > f->size / em->size) {
		return pj_fail(c, E2BIG, at, f->key,
			       "%zu entries, over the limit of %zu", n,
			       f->size / em->size);
	}
	for (i = 0; i < n; i++) {
		char eat[64];
		int rc;

		snprintf(eat, sizeof(eat), "%s%s%s[%zu]", at, at[0] ? "." : "",
			 f->key, i);
		rc = decode_object(c, em, json_array_get(arr, i), eat,
				   base + i * em->size);
		if (rc < 0)
			return rc;
		*count_of(msg, f) = i + 1;
		rc = check_unique(c, f, base, i, eat);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int decode_field(const struct pj *c, const struct pj_msg *m,
			const struct pj_field *f, const json_t *obj,
			const char *at, void *msg)
{
	const json_t *v = json_object_get(obj, f->key);
	const char *why = f->forbidden ? f->forbidden(msg) : NULL;
	void *p = member(msg, f->off);
	int64_t n = 0;
	int rc;

	if (why)
		return v ? pj_fail(c, EINVAL, at, f->key, "not allowed %s",
				   why)
			 : 0;
	if (!v)
		return f->optional ? 0
				   : pj_fail(c, EINVAL, at, f->key, "missing");
	switch (f->type) {
	case PJ_STR:
	case PJ_CHARS:
		rc = decode_str(c, f, v, at, p);
		break;
	case PJ_ENUM:
		rc = decode_enum(c, f, v, at, p);
		break;
	case PJ_INT:
	case PJ_UINT:
		rc = int_value(c, v, at, f->key, f->min, f->max, &n);
		if (rc == 0)
			store_int(p, f, n);
		break;
	case PJ_BOOL:
		rc = json_is_boolean(v) ? 0
					: pj_fail(c, EINVAL, at, f->key,
						  "not a boolean");
		if (rc == 0)
			*(bool *)p = json_is_true(v);
		break;
	case PJ_STRV:
	case PJ_OBJECTS:
		rc = array_value(c, v, at, f->key, (size_t)f->min,
				 (size_t)f->max);
		if (rc == 0 && f->type == PJ_STRV)
			rc = decode_strv(c, f, v, at, msg);
		else if (rc == 0)
			rc = decode_objects(c, f, v, at, msg);
		break;
	case PJ_VERSION: /* check_version() */
	default:
		rc = 0;
		break;
	}
	if (rc == 0 && f->has)
		*has_of(msg, m) |= f->has;
	return rc;
}

static int decode_object(const struct pj *c, const struct pj_msg *m,
			 const json_t *obj, const char *at, void *out)
{
	const struct pj_field *f;
	int rc = 0;

	if (!json_is_object(obj))
		return pj_fail(c, EINVAL, at, NULL, "not a JSON object");
	for (f = m->fields; rc == 0 && f->key; f++)
		if (f->type == PJ_VERSION)
			rc = check_version(c, f, obj, at);
	if (rc == 0)
		rc = known_keys(c, m, obj, at);
	for (f = m->fields; rc == 0 && f->key; f++)
		if (f->type != PJ_VERSION)
			rc = decode_field(c, m, f, obj, at, out);
	if (rc < 0)
		pj_free(m, out);
	return rc;
}

int pj_decode(const struct pj_msg *m, const json_t *body, void *out,
	      struct lerr *e)
{
	struct pj c = { m->name, e };

	if (m->size)
		memset(out, 0, m->size);
	return decode_object(&c, m, body, "", out);
}

void pj_free(const struct pj_msg *m, void *msg)
{
	const struct pj_field *f;

	for (f = m->fields; f->key; f++) {
		void *p = member(msg, f->off);
		char *base;
		size_t i;

		switch (f->type) {
		case PJ_STR:
			free(*(char **)p);
			break;
		case PJ_STRV:
			for (i = 0; *(char ***)p && i < *count_of(msg, f); i++)
				free((*(char ***)p)[i]);
			free(*(char ***)p);
			break;
		case PJ_OBJECTS:
			base = f->alloc ? *(char **)p : p;
			for (i = 0; base && i < *count_of(msg, f); i++)
				pj_free(f->elem, base + i * f->elem->size);
			if (f->alloc)
				free(base);
			break;
		default:
			break;
		}
	}
	if (m->size)
		memset(msg, 0, m->size);
}

/* ---- encoding ---- */

static json_t *new_str(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;

	return v ? v : json_null();
}

static int put(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -ENOMEM;
	return json_object_set_new(obj, key, v) == 0 ? 0 : -ENOMEM;
}

static int append(json_t *arr, json_t *v)
{
	if (!v)
		return -ENOMEM;
	return json_array_append_new(arr, v) == 0 ? 0 : -ENOMEM;
}

/* Whether an optional or forbidden member is there to put. */
static bool member_set(const struct pj_msg *m, const struct pj_field *f,
		       const void *msg)
{
	const void *p = member(msg, f->off);

	if (f->has)
		return *has_of(msg, m) & f->has;
	if (f->type == PJ_STR)
		return *(char *const *)p != NULL;
	if (f->type == PJ_CHARS)
		return ((const char *)p)[0] != '\0';
	if (f->type == PJ_BOOL)
		return *(const bool *)p; /* an optional flag: put when true */
	if (f->type == PJ_STRV)
		return *(char *const *)p != NULL;
	if (f->type == PJ_OBJECTS)
		return *count_of(msg, f) > 0;
	if (f->type == PJ_INT || f->type == PJ_UINT)
		return load_int(p, f) != 0;
	return true;
}

static bool wanted(const struct pj_msg *m, const struct pj_field *f,
		   const void *msg)
{
	if (f->optional || (f->forbidden && f->forbidden(msg)))
		return member_set(m, f, msg);
	return true;
}

static int encode_object(const struct pj *c, const struct pj_msg *m,
			 const void *msg, const char *at, json_t **out);

/* STRV and OBJECTS: JSON null for a NULL array of entries, so that the
 * check names the field. */
static int encode_array(const struct pj *c, const struct pj_field *f,
			const void *msg, const char *at, json_t **out)
{
	const char *p = member(msg, f->off);
	const char *base = f->alloc || f->type == PJ_STRV
				   ? *(const char *const *)p
				   : p;
	size_t i, n = *count_of(msg, f);
	json_t *arr;

	*out = NULL;
	if (f->type == PJ_OBJECTS && n > (size_t)f->max)
		return pj_fail(c, E2BIG, at, f->key,
			       "%zu entries, over the limit of %lld", n,
			       (long long)f->max);
	arr = base || n == 0 ? json_array() : json_null();
	for (i = 0; base && arr && i < n; i++) {
		char eat[64];
		json_t *v = NULL;
		int rc = 0;

		snprintf(eat, sizeof(eat), "%s%s%s[%zu]", at, at[0] ? "." : "",
			 f->key, i);
		if (f->type == PJ_STRV)
			v = new_str(((char *const *)base)[i]);
		else
			rc = encode_object(c, f->elem, base + i * f->elem->size,
					   eat, &v);
		if (rc == 0)
			rc = append(arr, v);
		if (rc < 0) {
			json_decref(arr);
			return rc;
		}
	}
	*out = arr;
	return 0;
}

static int encode_field(const struct pj *c, const struct pj_field *f,
			const void *msg, const char *at, json_t **out)
{
	const void *p = member(msg, f->off);
	int64_t n;

	switch (f->type) {
	case PJ_VERSION:
		*out = json_integer(PROTO_VERSION);
		break;
	case PJ_STR:
		*out = new_str(*(char *const *)p);
		break;
	case PJ_CHARS:
		*out = new_str(p);
		break;
	case PJ_ENUM:
		n = load_int(p, f);
		*out = new_str((uint64_t)n < f->n_names ? f->names[n] : NULL);
		break;
	case PJ_INT:
	case PJ_UINT:
		*out = json_integer(load_int(p, f));
		break;
	case PJ_BOOL:
		*out = json_boolean(*(const bool *)p);
		break;
	case PJ_STRV:
	case PJ_OBJECTS:
		return encode_array(c, f, msg, at, out);
	default:
		*out = NULL;
		break;
	}
	return 0;
}

/* 0, -ENOMEM (no message yet) or another error with its message. */
static int encode_object(const struct pj *c, const struct pj_msg *m,
			 const void *msg, const char *at, json_t **out)
{
	const struct pj_field *f;
	json_t *j = json_object();
	int rc = j ? 0 : -ENOMEM;

	*out = NULL;
	for (f = m->fields; rc == 0 && f->key; f++) {
		json_t *v;

		if (!wanted(m, f, msg))
			continue;
		rc = encode_field(c, f, msg, at, &v);
		if (rc == 0)
			rc = put(j, f->key, v);
	}
	if (rc < 0) {
		json_decref(j);
		return rc;
	}
	*out = j;
	return 0;
}

int pj_encode(const struct pj_msg *m, const void *in, json_t **out,
	      struct lerr *e)
{
	struct pj c = { m->name, e };
	json_t *j;
	void *check;
	int rc;

	*out = NULL;
	rc = encode_object(&c, m, in, "", &j);
	check = rc == 0 ? calloc(1, m->size ? m->size : 1) : NULL;
	if (rc == 0 && !check) {
		json_decref(j);
		rc = -ENOMEM;
	}
	if (rc == -ENOMEM)
		return lerr_fail(e, ENOMEM,
				 "%s: out of memory building the body",
				 m->name);
	if (rc < 0)
		return rc;
	rc = pj_decode(m, j, check, e);
	pj_free(m, check);
	free(check);
	if (rc < 0) {
		json_decref(j);
		return rc;
	}
	*out = j;
	return 0;
}
