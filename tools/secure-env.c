/* secure-env.c - sealing and opening secure-env values (secure-env.h).
 * The key file is created with O_EXCL, so two first uses cannot write two
 * keys; a key file of the wrong size is an error, never replaced (that
 * would make every sealed value unreadable). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <nettle/base64.h>
#include <nettle/chacha-poly1305.h>

#include <lighter/cleanup.h>

#include "protocol.h"
#include "secure-env.h"

#define NONCE CHACHA_POLY1305_NONCE_SIZE
#define TAG CHACHA_POLY1305_DIGEST_SIZE

struct key {
	uint8_t k[CHACHA_POLY1305_KEY_SIZE];
};

static int read_all(int fd, uint8_t *buf, size_t len, size_t *got)
{
	ssize_t n;

	*got = 0;
	while (*got < len) {
		n = read(fd, buf + *got, len - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

static int fill_random(uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = getrandom(buf + off, len - off, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

/* DATA/secure-env.key: read, or made when create is set and it is
 * missing. */
static int load_key(const char *data_dir, bool create, struct key *key,
		    struct lerr *e)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	uint8_t extra;
	size_t got;
	int r;

	if (asprintf(&path, "%s/%s", data_dir, SECURE_ENV_KEY_FILE) < 0) {
		path = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	if (create) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			r = fill_random(key->k, sizeof(key->k));
			if (r == 0 && write(fd, key->k, sizeof(key->k)) !=
					  (ssize_t)sizeof(key->k))
				r = errno ? -errno : -EIO;
			if (r == 0 && fsync(fd) < 0)
				r = -errno;
			if (r < 0) {
				unlink(path);
				return lerr_set(e, -r, "\"%s\"", path);
			}
			return 0;
		}
		if (errno != EEXIST)
			return lerr_set(e, errno, "\"%s\"", path);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return lerr_set(e, errno, "\"%s\"", path);
	r = read_all(fd, key->k, sizeof(key->k), &got);
	if (r < 0)
		return lerr_set(e, -r, "\"%s\"", path);
	if (got != sizeof(key->k) || read(fd, &extra, 1) != 0)
		return lerr_fail(e, EBADMSG, "\"%s\": not a %zu-byte key", path,
				 sizeof(key->k));
	return 0;
}

/* Bind a value to its group, container and variable. */
static void start(struct chacha_poly1305_ctx *ctx, const struct key *key,
		  const uint8_t *nonce, const char *group,
		  const char *container, const char *var)
{
	static const char label[] = "lighter secure-env";

	chacha_poly1305_set_key(ctx, key->k);
	chacha_poly1305_set_nonce(ctx, nonce);
	chacha_poly1305_update(ctx, sizeof(label), (const uint8_t *)label);
	chacha_poly1305_update(ctx, strlen(group) + 1, (const uint8_t *)group);
	chacha_poly1305_update(ctx, strlen(container) + 1,
			       (const uint8_t *)container);
	chacha_poly1305_update(ctx, strlen(var) + 1, (const uint8_t *)var);
}

/* base64(nonce | ciphertext | tag) of value. */
static int seal_one(const struct key *key, const char *group,
		    const char *container, const char *var, const char *value,
		    json_t **out)
{
	struct chacha_poly1305_ctx ctx;
	size_t n = strlen(value), raw_len = NONCE + n + TAG;
	_cleanup_free_ uint8_t *raw = malloc(raw_len);
	_cleanup_free_ char *b64 =
	    malloc(BASE64_ENCODE_RAW_LENGTH(raw_len) + 1);
	int r;

	if (!raw || !b64)
		return -ENOMEM;
	r = fill_random(raw, NONCE);
	if (r < 0)
		return r;
	start(&ctx, key, raw, group, container, var);
	chacha_poly1305_encrypt(&ctx, n, raw + NONCE, (const uint8_t *)value);
	chacha_poly1305_digest(&ctx, TAG, raw + NONCE + n);
	explicit_bzero(&ctx, sizeof(ctx));
	base64_encode_raw(b64, raw_len, raw);
	b64[BASE64_ENCODE_RAW_LENGTH(raw_len)] = '\0';
	*out = json_pack("{s:s, s:s}", "name", var, "sealed", b64);
	return *out ? 0 : -ENOMEM;
}

static int seal_container(const struct key *key, const struct spec *s,
			  const struct spec_container *c, json_t **out,
			  struct lerr *e)
{
	json_t *arr = json_array();
	size_t i, n_env = 0;

	while (c->env && c->env[n_env])
		n_env++;
	for (i = 0; arr && c->secure_env[i]; i++) {
		char *entry = c->secure_env[i], *eq = strchr(entry, '=');
		char var[SPEC_ENV_MAX];
		json_t *one = NULL;
		int r;

		if (!eq || (size_t)(eq - entry) >= sizeof(var)) {
			json_decref(arr);
			return lerr_fail(e, EINVAL,
					 "[container.%s] secure-env: entry "
					 "%zu: not NAME=VALUE",
					 c->name, i + 1);
		}
		snprintf(var, sizeof(var), "%.*s", (int)(eq - entry), entry);
		if (strlen(entry) > PROTO_STRING_MAX) {
			json_decref(arr);
			return lerr_fail(e, E2BIG,
					 "[container.%s] secure-env: \"%s\": "
					 "longer than %d bytes with its name",
					 c->name, var, PROTO_STRING_MAX);
		}
		if (n_env + i + 1 > PROTO_MAX_ENV) {
			json_decref(arr);
			return lerr_fail(e, E2BIG,
					 "[container.%s]: more than %d env and "
					 "secure-env entries together",
					 c->name, PROTO_MAX_ENV);
		}
		r = seal_one(key, s->name, c->name, var, eq + 1, &one);
		if (r < 0 || json_array_append_new(arr, one) < 0) {
			json_decref(arr);
			return lerr_set(e, r < 0 ? -r : ENOMEM,
					"[container.%s] secure-env: sealing",
					c->name);
		}
	}
	if (!arr)
		return lerr_fail(e, ENOMEM, "out of memory");
	*out = arr;
	return 0;
}

int secure_env_seal(const char *data_dir, const struct spec *s, json_t **out,
		    struct lerr *e)
{
	json_t *all = NULL, *per = NULL;
	struct key key;
	size_t i;
	int r = 0;

	*out = NULL;
	for (i = 0; i < s->nr_containers; i++)
		if (s->containers[i].secure_env &&
		    s->containers[i].secure_env[0])
			break;
	if (i == s->nr_containers)
		return 0;
	r = load_key(data_dir, true, &key, e);
	if (r < 0)
		return r;
	per = json_object();
	for (i = 0; r == 0 && per && i < s->nr_containers; i++) {
		const struct spec_container *c = &s->containers[i];
		json_t *arr;

		if (!c->secure_env || !c->secure_env[0])
			continue;
		r = seal_container(&key, s, c, &arr, e);
		if (r == 0 && json_object_set_new(per, c->name, arr) < 0)
			r = lerr_fail(e, ENOMEM, "out of memory");
	}
	explicit_bzero(&key, sizeof(key));
	if (r == 0 && per)
		all = json_pack("{s:O}", "containers", per);
	json_decref(per);
	if (r == 0 && !all)
		r = lerr_fail(e, ENOMEM, "out of memory");
	*out = all;
	return r;
}

/* "VAR=VALUE" from one sealed entry, malloc'd. */
static int open_one(const struct key *key, const char *group,
		    const char *container, const json_t *entry, char **out,
		    struct lerr *e)
{
	const char *var = json_string_value(json_object_get(entry, "name"));
	const char *b64 = json_string_value(json_object_get(entry, "sealed"));
	struct chacha_poly1305_ctx ctx;
	struct base64_decode_ctx dec;
	uint8_t tag[TAG];
	_cleanup_free_ uint8_t *raw = NULL;
	size_t raw_len = 0, n, vlen;
	char *s;

	if (!var || !b64 || !spec_env_name_valid(var, strlen(var)))
		return lerr_fail(e, EBADMSG,
				 "container \"%s\": a sealed entry without "
				 "its name or value",
				 container);
	raw = malloc(BASE64_DECODE_LENGTH(strlen(b64)) + 1);
	if (!raw)
		return lerr_fail(e, ENOMEM, "out of memory");
	base64_decode_init(&dec);
	if (!base64_decode_update(&dec, &raw_len, raw, strlen(b64), b64) ||
	    !base64_decode_final(&dec) || raw_len < NONCE + TAG)
		goto bad;
	n = raw_len - NONCE - TAG;
	vlen = strlen(var);
	s = malloc(vlen + 1 + n + 1);
	if (!s)
		return lerr_fail(e, ENOMEM, "out of memory");
	memcpy(s, var, vlen);
	s[vlen] = '=';
	start(&ctx, key, raw, group, container, var);
	chacha_poly1305_decrypt(&ctx, n, (uint8_t *)s + vlen + 1, raw + NONCE);
	chacha_poly1305_digest(&ctx, TAG, tag);
	explicit_bzero(&ctx, sizeof(ctx));
	s[vlen + 1 + n] = '\0';
	if (memcmp(tag, raw + NONCE + n, TAG) != 0 ||
	    strlen(s) != vlen + 1 + n) {
		explicit_bzero(s, vlen + 1 + n);
		free(s);
		goto bad;
	}
	*out = s;
	return 0;
bad:
	return lerr_fail(e, EBADMSG,
			 "container \"%s\": secure-env \"%s\" does not open "
			 "with this data dir's key",
			 container, var);
}

static json_t *spec_container_env(json_t *spec, const char *name)
{
	json_t *arr = json_object_get(spec, "containers"), *c, *env;
	size_t i;

	json_array_foreach(arr, i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "name")) ?: "",
			   name) != 0)
			continue;
		env = json_object_get(c, "env");
		if (!json_is_array(env)) {
			env = json_array();
			if (!env || json_object_set_new(c, "env", env) < 0)
				return NULL;
		}
		return env;
	}
	return NULL;
}

int secure_env_open_into(const char *data_dir, const json_t *sealed,
			 json_t *spec, struct lerr *e)
{
	const char *group = json_string_value(json_object_get(spec, "name"));
	json_t *per = json_object_get(sealed, "containers"), *arr, *entry;
	const char *name;
	struct key key;
	size_t i;
	int r;

	if (!group || !json_is_object(per))
		return lerr_fail(e, EBADMSG, "%s: no \"containers\" object",
				 SECURE_ENV_FILE);
	r = load_key(data_dir, false, &key, e);
	if (r < 0)
		return r;
	json_object_foreach(per, name, arr)
	{
		json_t *env = spec_container_env(spec, name);

		if (!env) {
			r = lerr_fail(e, ENOENT,
				      "%s: no container \"%s\" in the spec",
				      SECURE_ENV_FILE, name);
			break;
		}
		json_array_foreach(arr, i, entry)
		{
			char *s = NULL;

			r = open_one(&key, group, name, entry, &s, e);
			if (r < 0)
				break;
			if (json_array_append_new(env, json_string(s)) < 0)
				r = lerr_fail(e, ENOMEM, "out of memory");
			explicit_bzero(s, strlen(s));
			free(s);
			if (r < 0)
				break;
		}
		if (r < 0)
			break;
	}
	explicit_bzero(&key, sizeof(key));
	return r;
}
