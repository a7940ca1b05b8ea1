/* protocol-spec.c - the SPEC message: the whole container group the host
 * hands the agent (struct proto_group), after the host merged image
 * configs with the spec's overrides, so every value here is final.
 *
 * The decoder enforces every limit of the protocol (counts of containers,
 * args, env entries and layers; string sizes; names, hostname, user,
 * absolute workdir, diff_id digests; unique container names) and names
 * the entry at fault: `SPEC: containers[1].env[3]: "PATH" is not
 * KEY=VALUE`.  The encoder runs that decoder over its output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol-internal.h"

static const char *const restart_names[] = {
	[PROTO_RESTART_NEVER] = "never",
	[PROTO_RESTART_ON_FAILURE] = "on-failure",
	[PROTO_RESTART_ALWAYS] = "always",
};

#define N_RESTART (sizeof(restart_names) / sizeof(restart_names[0]))

const char *proto_restart_name(enum proto_restart r)
{
	if ((unsigned int)r >= N_RESTART)
		return NULL;
	return restart_names[r];
}

/* Extra check of one entry of a string list; key is "args[3]". */
typedef int entry_check_fn(const struct pj *c, const char *at, const char *key,
			   size_t index, const char *s);

static int arg_check(const struct pj *c, const char *at, const char *key,
		     size_t index, const char *s)
{
	if (index == 0 && !s[0])
		return pj_fail(c, EINVAL, at, key,
			       "empty (the program to run)");
	return 0;
}

static int env_check(const struct pj *c, const char *at, const char *key,
		     size_t index, const char *s)
{
	char clean[48];

	if (s[0] == '=' || !strchr(s, '='))
		return pj_fail(c, EINVAL, at, key, "\"%s\" is not KEY=VALUE",
			       pj_clean(clean, sizeof(clean), s));
	return 0;
}

static int layer_check(const struct pj *c, const char *at, const char *key,
		       size_t index, const char *s)
{
	char clean[80];

	if (!ldigest_valid(s))
		return pj_fail(c, EINVAL, at, key,
			       "invalid digest \"%s\" (sha256: and 64 "
			       "lowercase hex digits)",
			       pj_clean(clean, sizeof(clean), s));
	return 0;
}

static void free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}

/* A required array of min..max strings, each at most PROTO_STRING_MAX
 * bytes and passing check, copied into *out (n entries). */
static int string_list(const struct pj *c, const json_t *obj, const char *at,
		       const char *key, size_t min, size_t max,
		       entry_check_fn *check, char ***out, size_t *n)
{
	const json_t *arr;
	char **list;
	size_t i, len;
	int rc;

	*out = NULL;
	*n = 0;
	rc = pj_array(c, obj, at, key, min, max, &arr);
	if (rc < 0)
		return rc;
	len = json_array_size(arr);
	list = calloc(len ? len : 1, sizeof(*list));
	if (!list)
		return lerr_set(c->e, ENOMEM, "%s: %s.%s", c->msg, at, key);
	for (i = 0; i < len; i++) {
		char ekey[48];
		const char *s;

		snprintf(ekey, sizeof(ekey), "%s[%zu]", key, i);
		rc = pj_str_value(c, json_array_get(arr, i), at, ekey, 0,
				  PROTO_STRING_MAX, &s);
		if (rc == 0)
			rc = check(c, at, ekey, i, s);
		if (rc == 0 && !(list[i] = strdup(s)))
			rc = lerr_set(c->e, ENOMEM, "%s: %s.%s", c->msg, at,
				      ekey);
		if (rc < 0) {
			free_list(list, i);
			return rc;
		}
	}
	*out = list;
	*n = len;
	return 0;
}

static int copy_field(const struct pj *c, const char *at, const char *key,
		      const char *s, char **out)
{
	*out = strdup(s);
	if (!*out)
		return lerr_set(c->e, ENOMEM, "%s: %s.%s", c->msg, at, key);
	return 0;
}

static void container_free(struct proto_container *ct)
{
	free_list(ct->args, ct->n_args);
	free_list(ct->env, ct->n_env);
	free_list(ct->layers, ct->n_layers);
	free(ct->workdir);
	free(ct->user);
	memset(ct, 0, sizeof(*ct));
}

static int container_from_json(const struct pj *c, const json_t *v,
			       const char *at, struct proto_container *ct)
{
	static const char *const keys[] = {
		"name",	      "args",	      "env",	  "workdir", "user",
		"cpu_millis", "memory_bytes", "pids_max", "layers",  NULL
	};
	const char *workdir, *user;
	char clean[80];
	int64_t cpu = 0, mem = 0, pids = 0;
	int rc;

	rc = pj_keys(c, v, at, keys);
	if (rc == 0)
		rc = pj_name(c, v, at, "name", ct->name);
	if (rc == 0)
		rc = string_list(c, v, at, "args", 1, PROTO_MAX_ARGS, arg_check,
				 &ct->args, &ct->n_args);
	if (rc == 0)
		rc = string_list(c, v, at, "env", 0, PROTO_MAX_ENV, env_check,
				 &ct->env, &ct->n_env);
	if (rc == 0)
		rc = pj_str(c, v, at, "workdir", 1, PROTO_STRING_MAX, &workdir);
	if (rc == 0 && workdir[0] != '/')
		rc = pj_fail(c, EINVAL, at, "workdir",
			     "\"%s\" is not an absolute path",
			     pj_clean(clean, sizeof(clean), workdir));
	if (rc == 0)
		rc = pj_str(c, v, at, "user", 1, 2 * PROTO_USER_PART_MAX + 1,
			    &user);
	if (rc == 0 && !proto_user_valid(user))
		rc = pj_fail(c, EINVAL, at, "user",
			     "\"%s\" is not USER[:GROUP] (ids below "
			     "4294967295 or names of 1-%d [a-zA-Z0-9_.-])",
			     pj_clean(clean, sizeof(clean), user),
			     PROTO_USER_PART_MAX);
	if (rc == 0)
		rc = pj_int(c, v, at, "cpu_millis", 0, PROTO_CPU_MILLIS_MAX,
			    &cpu);
	if (rc == 0)
		rc = pj_int(c, v, at, "memory_bytes", 0, INT64_MAX, &mem);
	if (rc == 0)
		rc = pj_int(c, v, at, "pids_max", 0, PROTO_PID_MAX, &pids);
	if (rc == 0)
		rc = string_list(c, v, at, "layers", 1, PROTO_MAX_LAYERS,
				 layer_check, &ct->layers, &ct->n_layers);
	if (rc == 0)
		rc = copy_field(c, at, "workdir", workdir, &ct->workdir);
	if (rc == 0)
		rc = copy_field(c, at, "user", user, &ct->user);
	if (rc < 0) {
		container_free(ct);
		return rc;
	}
	ct->cpu_millis = (uint64_t)cpu;
	ct->memory_bytes = (uint64_t)mem;
	ct->pids_max = (uint64_t)pids;
	return 0;
}

static int restart_from_json(const struct pj *c, const json_t *body,
			     enum proto_restart *out)
{
	char clean[48];
	const char *s;
	unsigned int i;
	int rc = pj_str(c, body, "", "restart", 1, PROTO_STRING_MAX, &s);

	if (rc < 0)
		return rc;
	for (i = 0; i < N_RESTART; i++)
		if (strcmp(s, restart_names[i]) == 0) {
			*out = (enum proto_restart)i;
			return 0;
		}
	return pj_fail(c, EINVAL, "", "restart",
		       "\"%s\" is not never, on-failure or always",
		       pj_clean(clean, sizeof(clean), s));
}

int proto_group_from_json(const json_t *body, struct proto_group *out,
			  struct lerr *e)
{
	static const char *const keys[] = { "name", "hostname", "restart",
					    "containers", NULL };
	struct pj c = { "SPEC", e };
	const json_t *arr = NULL;
	const char *hostname;
	char clean[80];
	size_t i, k, n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pj_keys(&c, body, "", keys);
	if (rc == 0)
		rc = pj_name(&c, body, "", "name", out->name);
	if (rc == 0)
		rc = pj_str(&c, body, "", "hostname", 1, PROTO_HOSTNAME_MAX,
			    &hostname);
	if (rc == 0 && !proto_hostname_valid(hostname))
		rc = pj_fail(&c, EINVAL, "", "hostname",
			     "\"%s\" is not a host name (dot-separated "
			     "labels of [a-zA-Z0-9-], no '-' at either end)",
			     pj_clean(clean, sizeof(clean), hostname));
	if (rc == 0) {
		strcpy(out->hostname, hostname);
		rc = restart_from_json(&c, body, &out->restart);
	}
	if (rc == 0)
		rc = pj_array(&c, body, "", "containers", 1,
			      PROTO_MAX_CONTAINERS, &arr);
	if (rc == 0) {
		n = json_array_size(arr);
		out->containers = calloc(n, sizeof(*out->containers));
		if (!out->containers)
			rc = lerr_set(e, ENOMEM, "SPEC: containers");
	}
	for (i = 0; rc == 0 && i < n; i++) {
		struct proto_container *ct = &out->containers[i];
		char at[40];

		snprintf(at, sizeof(at), "containers[%zu]", i);
		rc = container_from_json(&c, json_array_get(arr, i), at, ct);
		if (rc == 0)
			out->n_containers = i + 1;
		for (k = 0; rc == 0 && k < i; k++)
			if (strcmp(out->containers[k].name, ct->name) == 0)
				rc = pj_fail(&c, EINVAL, at, "name",
					     "\"%s\" already used by "
					     "containers[%zu]",
					     ct->name, k);
	}
	if (rc < 0)
		proto_group_free(out);
	return rc;
}

static json_t *string_array(char *const *list, size_t n)
{
	json_t *arr = list || n == 0 ? json_array() : json_null();
	size_t i;

	for (i = 0; list && arr && i < n; i++)
		if (pj_append(arr, pj_new_str(list[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static json_t *container_to_json(const struct proto_container *ct)
{
	json_t *j = json_object();
	int rc = 0;

	if (!j)
		return NULL;
	rc |= pj_put(j, "name", pj_new_str(ct->name));
	rc |= pj_put(j, "args", string_array(ct->args, ct->n_args));
	rc |= pj_put(j, "env", string_array(ct->env, ct->n_env));
	rc |= pj_put(j, "workdir", pj_new_str(ct->workdir));
	rc |= pj_put(j, "user", pj_new_str(ct->user));
	rc |= pj_put(j, "cpu_millis", json_integer((json_int_t)ct->cpu_millis));
	rc |= pj_put(j, "memory_bytes",
		     json_integer((json_int_t)ct->memory_bytes));
	rc |= pj_put(j, "pids_max", json_integer((json_int_t)ct->pids_max));
	rc |= pj_put(j, "layers", string_array(ct->layers, ct->n_layers));
	if (rc < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int proto_group_to_json(const struct proto_group *g, json_t **out,
			struct lerr *e)
{
	json_t *j, *arr;
	struct proto_group check;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (g->n_containers > PROTO_MAX_CONTAINERS)
		return lerr_fail(
		    e, E2BIG,
		    "SPEC: containers: %zu entries, over the limit "
		    "of %d",
		    g->n_containers, PROTO_MAX_CONTAINERS);
	j = json_object();
	arr =
	    g->containers || g->n_containers == 0 ? json_array() : json_null();
	for (i = 0; g->containers && arr && i < g->n_containers; i++)
		rc |= pj_append(arr, container_to_json(&g->containers[i]));
	if (j) {
		rc |= pj_put(j, "name", pj_new_str(g->name));
		rc |= pj_put(j, "hostname", pj_new_str(g->hostname));
		rc |= pj_put(j, "restart",
			     pj_new_str(proto_restart_name(g->restart)));
		rc |= pj_put(j, "containers", arr);
	} else {
		json_decref(arr);
	}
	rc = pj_built("SPEC", j, rc, e);
	if (rc < 0)
		return rc;
	rc = proto_group_from_json(j, &check, e);
	proto_group_free(&check);
	return pj_checked(j, rc, out);
}

void proto_group_free(struct proto_group *g)
{
	size_t i;

	for (i = 0; g->containers && i < g->n_containers; i++)
		container_free(&g->containers[i]);
	free(g->containers);
	memset(g, 0, sizeof(*g));
}
