/* protocol-internal.h - helpers shared by the protocol's own files, not
 * part of its interface (protocol.h): header checks with a caller-chosen
 * message prefix, and the JSON field readers and builders the message
 * codecs are written with (protocol-json.c).
 *
 * Field readers take a decoding context (the message name that prefixes
 * every error) and a location: `at` is the object's path ("" for the
 * body, "containers[1]" for an element) and `key` the member or element
 * ("args", "args[0]").  Errors read `SPEC: containers[1].args[0]: not a
 * string`.  Strings they return are borrowed from the JSON value. */
#ifndef LIGHTER_PROTOCOL_INTERNAL_H
#define LIGHTER_PROTOCOL_INTERNAL_H

#include "protocol.h"

/* protocol-frame.c: proto_header_check() with `what` ("frame header",
 * "outgoing frame") starting the message. */
int proto_header_check_as(const struct proto_header *h, const char *what,
			  struct lerr *e);

/* protocol-frame.c: poll(2) until fd is writable (EINTR retried). */
int proto_wait_writable(int fd, struct lerr *e);

/* Copies s into out (size bytes) for quoting in a message: at most
 * size-1 bytes, anything but printable ASCII becomes '?', so messages stay
 * one line of valid UTF-8 whatever the peer sent.  Returns out. */
const char *pj_clean(char *out, size_t size, const char *s);

struct pj {
	const char *msg; /* "SPEC", "HELLO", ... */
	struct lerr *e;
};

__attribute__((format(printf, 5, 6))) int pj_fail(const struct pj *c, int err,
						  const char *at,
						  const char *key,
						  const char *fmt, ...);

/* -EINVAL when obj is not an object or for the first member of obj that
 * is not in keys (a NULL-terminated list). */
int pj_keys(const struct pj *c, const json_t *obj, const char *at,
	    const char *const *keys);

/* A required member: -EINVAL when missing or of another type, -EINVAL
 * when shorter than min bytes, -E2BIG longer than max. */
int pj_str(const struct pj *c, const json_t *obj, const char *at,
	   const char *key, size_t min, size_t max, const char **out);
/* The same checks on a value already in hand (an array element). */
int pj_str_value(const struct pj *c, const json_t *v, const char *at,
		 const char *key, size_t min, size_t max, const char **out);
/* strdup() with an -ENOMEM message naming key. */
int pj_dup(const struct pj *c, const char *key, const char *s, char **out);
/* A string that must satisfy proto_name_valid(), copied into out. */
int pj_name(const struct pj *c, const json_t *obj, const char *at,
	    const char *key, char *out);
/* A required integer (reals are rejected) in min..max: -EINVAL when
 * missing or mistyped, -ERANGE outside. */
int pj_int(const struct pj *c, const json_t *obj, const char *at,
	   const char *key, int64_t min, int64_t max, int64_t *out);
/* Like pj_int() but absence is fine: *present says which. */
int pj_opt_int(const struct pj *c, const json_t *obj, const char *at,
	       const char *key, int64_t min, int64_t max, int64_t *out,
	       bool *present);
int pj_opt_bool(const struct pj *c, const json_t *obj, const char *at,
		const char *key, bool *out, bool *present);
/* A required array of min..max entries: -EINVAL missing, mistyped or
 * short, -E2BIG long. */
int pj_array(const struct pj *c, const json_t *obj, const char *at,
	     const char *key, size_t min, size_t max, const json_t **out);
/* -EINVAL unless v is an object. */
int pj_object_value(const struct pj *c, const json_t *v, const char *at,
		    const char *key);

/* Builders.  pj_new_str() yields JSON null for a NULL or non-UTF-8
 * string, so the validating decode that every encoder ends with names the
 * field; pj_put()/pj_append() take the reference and return -ENOMEM when
 * v is NULL or the insert fails. */
json_t *pj_new_str(const char *s);
int pj_put(json_t *obj, const char *key, json_t *v);
int pj_append(json_t *arr, json_t *v);
/* After building: -ENOMEM (with a message) when built is NULL or rc < 0;
 * frees built then. */
int pj_built(const char *msg, json_t *built, int rc, struct lerr *e);
/* After the validating decode (rc): hands j out in *out, or frees it and
 * returns rc. */
int pj_checked(json_t *j, int rc, json_t **out);

#endif
