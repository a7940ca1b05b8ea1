/* digest.h - OCI content digests ("sha256:<64 lowercase hex>"), shared by
 * the host's content store and image parser and by the guest agent's layer
 * check against rootfs.diff_ids.  Header-only over nettle's SHA-256 (nettle
 * ships a static library, so the static agent can link it too). */
#ifndef LIGHTER_DIGEST_H
#define LIGHTER_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nettle/sha2.h>

#define LDIGEST_PREFIX "sha256:"
#define LDIGEST_HEX_LEN (2 * SHA256_DIGEST_SIZE)
/* "sha256:" + 64 hex digits + NUL */
#define LDIGEST_STR_LEN (sizeof(LDIGEST_PREFIX) - 1 + LDIGEST_HEX_LEN + 1)

struct ldigest {
	struct sha256_ctx sha;
};

static inline void ldigest_init(struct ldigest *d)
{
	sha256_init(&d->sha);
}

static inline void ldigest_update(struct ldigest *d, const void *buf,
				  size_t len)
{
	sha256_update(&d->sha, len, (const uint8_t *)buf);
}

/* Writes "sha256:<hex>" into out (LDIGEST_STR_LEN bytes); resets d. */
static inline void ldigest_final(struct ldigest *d, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[SHA256_DIGEST_SIZE];
	size_t i, p = sizeof(LDIGEST_PREFIX) - 1;

	sha256_digest(&d->sha, sizeof(raw), raw);
	memcpy(out, LDIGEST_PREFIX, p);
	for (i = 0; i < sizeof(raw); i++) {
		out[p++] = hex[raw[i] >> 4];
		out[p++] = hex[raw[i] & 0xf];
	}
	out[p] = '\0';
}

/* True when s is exactly "sha256:" followed by 64 lowercase hex digits
 * (the only algorithm lighter accepts; the image spec's canonical form). */
static inline bool ldigest_valid(const char *s)
{
	size_t i, p = sizeof(LDIGEST_PREFIX) - 1;

	if (!s || strncmp(s, LDIGEST_PREFIX, p) != 0)
		return false;
	for (i = 0; i < LDIGEST_HEX_LEN; i++) {
		char c = s[p + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return s[p + LDIGEST_HEX_LEN] == '\0';
}

/* The hex part of a valid digest (for file names in a blob store). */
static inline const char *ldigest_hex(const char *s)
{
	return s + sizeof(LDIGEST_PREFIX) - 1;
}

#endif
