/* secure-env.h - secure-env values at rest (secure-env.c): sealed with
 * ChaCha20-Poly1305 (nettle) under a key the data dir keeps
 * (DATA/secure-env.key, 0600, made on first use) into the group's
 * RUN/<group>/secure-env.json, and opened only by the group's monitor, in
 * memory, into the SPEC it sends the agent.  Neither spec.json,
 * state.json, `inspect`, `ps` nor any log holds a value in plain text.
 *
 * This keeps values out of files, listings and logs; it is not a defence
 * against someone who can read both the run dir and the data dir (the
 * key), which a root user can. */
#ifndef LIGHTER_TOOLS_SECURE_ENV_H
#define LIGHTER_TOOLS_SECURE_ENV_H

#include <jansson.h>

#include <lighter/error.h>

#include "spec.h"

#define SECURE_ENV_FILE "secure-env.json"
#define SECURE_ENV_KEY_FILE "secure-env.key"

/* Every container's secure-env sealed into a new object
 * {"containers":{"NAME":[{"name":VAR,"sealed":BASE64}...]}} (nonce,
 * ciphertext and tag; the group, container and variable names are bound
 * in as associated data).  *out is NULL when no container has any.  Each
 * VAR=VALUE must fit the protocol's string limit and each container's env
 * and secure-env together its entry limit (-E2BIG naming the variable or
 * container, never a value). */
int secure_env_seal(const char *data_dir, const struct spec *s, json_t **out,
		    struct lerr *e);

/* Open what secure_env_seal() made and append each VAR=VALUE to the env
 * of its container in spec (a SPEC body): -EBADMSG for anything that does
 * not open (another key, a value moved between containers, an edited
 * file), -ENOENT for a container the SPEC does not have. */
int secure_env_open_into(const char *data_dir, const json_t *sealed,
			 json_t *spec, struct lerr *e);

#endif
