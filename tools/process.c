/* process.c - a container's process from its image config and the group
 * spec (Docker's merge rules; see process.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process.h"
#include "strv.h"

/* Set NAME=VALUE in *env: replace the entry with the same NAME in place,
 * or append. */
static int env_set(char ***env, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t i, nlen = eq ? (size_t)(eq - entry) : strlen(entry);

	for (i = 0; *env && (*env)[i]; i++) {
		if (strncmp((*env)[i], entry, nlen) == 0 &&
		    (*env)[i][nlen] == '=') {
			char *copy = strdup(entry);

			if (!copy)
				return -ENOMEM;
			free((*env)[i]);
			(*env)[i] = copy;
			return 0;
		}
	}
	return strv_push(env, entry);
}

static int env_has(char *const *env, const char *name)
{
	size_t i, nlen = strlen(name);

	for (i = 0; env && env[i]; i++) {
		if (strncmp(env[i], name, nlen) == 0 && env[i][nlen] == '=')
			return 1;
	}
	return 0;
}

static int merge_args(struct process *p, const struct spec_container *c,
		      const struct oci_image *img)
{
	char *const *entrypoint = c->entrypoint ? c->entrypoint
						: img->entrypoint;
	char *const *cmd = c->command	 ? c->command
			   : c->entrypoint ? NULL
					   : img->cmd;
	size_t i;

	p->args = strv_new();
	if (!p->args)
		return -ENOMEM;
	for (i = 0; entrypoint && entrypoint[i]; i++) {
		if (strv_push(&p->args, entrypoint[i]) < 0)
			return -ENOMEM;
	}
	for (i = 0; cmd && cmd[i]; i++) {
		if (strv_push(&p->args, cmd[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int merge_env(struct process *p, const struct spec *s,
		     const struct spec_container *c,
		     const struct oci_image *img)
{
	char hostname[sizeof("HOSTNAME=") + SPEC_NAME_MAX];
	size_t i;

	p->env = strv_new();
	if (!p->env)
		return -ENOMEM;
	for (i = 0; img->env && img->env[i]; i++) {
		if (env_set(&p->env, img->env[i]) < 0)
			return -ENOMEM;
	}
	snprintf(hostname, sizeof(hostname), "HOSTNAME=%s", s->name);
	if (env_set(&p->env, hostname) < 0)
		return -ENOMEM;
	for (i = 0; c->env && c->env[i]; i++) {
		if (env_set(&p->env, c->env[i]) < 0)
			return -ENOMEM;
	}
	if (!env_has(p->env, "PATH") &&
	    strv_push(&p->env, PROCESS_DEFAULT_PATH) < 0)
		return -ENOMEM;
	return 0;
}

int process_merge(struct process *p, const struct spec *s,
		  const struct spec_container *c, const struct oci_image *img,
		  struct lerr *e)
{
	const char *cwd = c->workdir ? c->workdir
				     : img->workdir ? img->workdir : "/";
	const char *user = c->user ? c->user : img->user ? img->user : "0";

	memset(p, 0, sizeof(*p));
	if (merge_args(p, c, img) < 0 || merge_env(p, s, c, img) < 0)
		goto oom;
	if (!p->args[0]) {
		process_free(p);
		return lerr_fail(e, EINVAL,
				 "[container.%s]: no command: the spec has no "
				 "command or entrypoint and the image no Cmd "
				 "or Entrypoint",
				 c->name);
	}
	p->cwd = strdup(cwd);
	p->user = strdup(user);
	if (!p->cwd || !p->user)
		goto oom;
	return 0;
oom:
	process_free(p);
	return lerr_fail(e, ENOMEM, "out of memory");
}

void process_free(struct process *p)
{
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->user);
	memset(p, 0, sizeof(*p));
}
