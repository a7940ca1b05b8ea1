/* protocol-internal.h - helpers shared by the protocol's own files, not
 * part of its interface (protocol.h): header checks with a caller-chosen
 * message prefix, the table-driven codec every message is described for
 * (protocol-codec.c), and the quoting and syntax helpers behind it
 * (protocol-json.c).
 *
 * A message is a struct and a table of its fields, one per JSON member
 * (struct pj_msg).  The same table decodes a body into the struct (every
 * field checked for presence, type, length or range and syntax), encodes
 * the struct (and runs that decoder over the result) and frees what the
 * decoder allocated.  Errors name the message, the object's path ("" for
 * the body, "containers[1]" for an element) and the member ("args",
 * "args[0]"): `SPEC: containers[1].args[0]: not a string`. */
#ifndef LIGHTER_PROTOCOL_INTERNAL_H
#define LIGHTER_PROTOCOL_INTERNAL_H

#include <stddef.h>

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

/* A decoding context: the message name that starts every error. */
struct pj {
	const char *msg; /* "SPEC", "HELLO", ... */
	struct lerr *e;
};

/* Fills e with "MSG: AT.KEY: text" (AT or KEY may be empty) and returns
 * -err. */
__attribute__((format(printf, 5, 6))) int pj_fail(const struct pj *c, int err,
						  const char *at,
						  const char *key,
						  const char *fmt, ...);

/* ---- message tables ---- */

enum pj_type {
	PJ_VERSION, /* "version": PROTO_VERSION, checked before anything
		       else (-EPROTONOSUPPORT); no member */
	PJ_STR,	    /* char *: an owned copy of min..max bytes */
	PJ_CHARS,   /* char[size]: min..max bytes copied in */
	PJ_ENUM,    /* an enum, by its name: names[value] */
	PJ_INT,	    /* int64_t or int (size) in min..max */
	PJ_UINT,    /* uint64_t or uint32_t (size) in min..max */
	PJ_BOOL,    /* bool */
	PJ_STRV,    /* char **, min..max strings of 0..PROTO_STRING_MAX
		       bytes, copied */
	PJ_OBJECTS, /* min..max objects of elem: an array of elem structs
		       in the message (size bytes) or, with alloc, malloc'd */
};

/* What a string must be beyond its length: valid(s), or the message
 * reads `before"VALUE"after` with VALUE cleaned (pj_clean()) to at most
 * quote - 1 bytes.  An enum's syntax has no valid(): its names are the
 * rule. */
struct pj_syntax {
	bool (*valid)(const char *s);
	const char *before, *after;
	size_t quote; /* at most PJ_QUOTE_MAX */
};

#define PJ_QUOTE_MAX 80

/* A limit's digits in a syntax's text: PJ_STRINGIFY(PROTO_NAME_MAX). */
#define PJ_STRINGIFY_(x) #x
#define PJ_STRINGIFY(x) PJ_STRINGIFY_(x)

/* protocol-json.c: proto_name_valid() names, ldigest_valid() digests. */
extern const struct pj_syntax pj_name_syntax;
extern const struct pj_syntax pj_digest_syntax;

struct pj_msg;

struct pj_field {
	const char *key; /* NULL ends a table */
	enum pj_type type;
	size_t off, size; /* the member (PJ_AT()) */
	int64_t min, max; /* integers: the range; strings: bytes; arrays:
			     entries */
	/* Absence is fine; the encoder puts the member only when it is set
	 * (its `has` bit, a non-NULL string, a non-empty char array). */
	bool optional;
	unsigned int has; /* a PROTO_EV_* bit set in the message's has mask
			     (pj_msg.has_off) when the member is present */
	/* When set and it returns a reason, given the members decoded
	 * before this one, the member must be absent: "not allowed
	 * <reason>".  The encoder then puts it only when it is set. */
	const char *(*forbidden)(const void *msg);
	const struct pj_syntax *syntax; /* STR, CHARS, STRV entries, ENUM */
	const char *first_empty;	/* STRV: entry 0 must not be empty;
					   the message when it is */
	const char *const *names;	/* ENUM */
	size_t n_names;
	size_t count_off;	     /* STRV, OBJECTS: the size_t count */
	const struct pj_msg *elem;   /* OBJECTS */
	bool alloc;		     /* OBJECTS: a malloc'd array */
	const char *unique;	     /* OBJECTS: a CHARS key of elem no two
					elements share */
};

/* .off and .size of a member. */
#define PJ_AT(type, member)                                                    \
	.off = offsetof(type, member), .size = sizeof(((type *)0)->member)

struct pj_msg {
	const char *name; /* starts every message: "SPEC", "OK (START)" */
	size_t size;	  /* of the struct */
	const struct pj_field *fields;
	size_t has_off; /* the unsigned int mask of PROTO_EV_* bits, if any */
};

/* Decodes body into out (zeroed first; zeroed again on failure). */
int pj_decode(const struct pj_msg *m, const json_t *body, void *out,
	      struct lerr *e);
/* A new object for in in *out, or NULL and -errno: -E2BIG for more
 * OBJECTS entries than their max, -ENOMEM, or what pj_decode() says of
 * the result. */
int pj_encode(const struct pj_msg *m, const void *in, json_t **out,
	      struct lerr *e);
/* Frees what pj_decode() allocated (strings, lists, arrays) and zeroes
 * msg; a zeroed msg is fine. */
void pj_free(const struct pj_msg *m, void *msg);

/* protocol-volume.c: the SPEC's volume and mount objects, and the checks
 * across them once decoded (every mount names a volume of the group, no
 * path twice in a container, a persistent volume's device and a gitrepo
 * volume's layer present). */
extern const struct pj_msg proto_volume_msg;
extern const struct pj_msg proto_mount_msg;
int proto_group_check_volumes(const struct proto_group *g, struct lerr *e);

#endif
