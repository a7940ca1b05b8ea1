/* jail-config.c - validating the --jail* flags (see jail-config.h).
 *
 * Each value is checked on its own here, with the flag named in the
 * message; whether the combination makes sense (uid, gid and root given
 * with --jail, nothing given without it) is jail_config_finish()'s.  What
 * the jail does with the values is jail.c's. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config-value.h"
#include "config.h"
#include "jail-config.h"

const char jail_usage_text[] =
	"jail (all need --jail, which needs root):\n"
	"  --jail            run the VMM jailed: new mount, PID, IPC and UTS\n"
	"                    namespaces, a root holding only what the VM uses,\n"
	"                    cgroup limits, an unprivileged id, no capabilities\n"
	"  --jail-root DIR   the jail's root, an absolute path that must not\n"
	"                    exist or be an empty directory (required)\n"
	"  --jail-uid N      unprivileged user id the VMM runs as (required)\n"
	"  --jail-gid N      unprivileged group id the VMM runs as (required)\n"
	"  --jail-id ID      the jail's name: host name, default cgroup\n"
	"                    (default vmm-<pid>)\n"
	"  --jail-netns PATH join this network namespace (default: stay)\n"
	"  --jail-cgroup NAME  cgroup path below each hierarchy's root\n"
	"                    (default lighter/<id>)\n"
	"  --jail-mem-overhead SIZE  memory limit on top of guest memory\n"
	"                    (default 64M)\n"
	"  --jail-memory-limit SIZE  the whole memory limit (for tests)\n"
	"  a VMM killed by a signal exits 128+signal, the cause on stderr\n";

static const char *const jail_flag[JAIL_OPT_COUNT] = {
	[JAIL_OPT_ENABLE] = "--jail",
	[JAIL_OPT_ROOT] = "--jail-root",
	[JAIL_OPT_ID] = "--jail-id",
	[JAIL_OPT_UID] = "--jail-uid",
	[JAIL_OPT_GID] = "--jail-gid",
	[JAIL_OPT_NETNS] = "--jail-netns",
	[JAIL_OPT_CGROUP] = "--jail-cgroup",
	[JAIL_OPT_MEM_OVERHEAD] = "--jail-mem-overhead",
	[JAIL_OPT_MEMORY_LIMIT] = "--jail-memory-limit",
};

#define JAIL_SIZE_MAX (1ULL << 40) /* of either memory flag */

/* A user or group id: decimal, 1..2^32-2 (0 is root, 2^32-1 is "no id"). */
static int parse_id(const struct cfg_origin *at, const char *val,
		    uint32_t *out, struct lerr *e)
{
	uint64_t v;
	int r = cfg_uint(val, 1, 0xfffffffeULL, at, &v, e);

	if (r == -ERANGE && v == 0)
		return cfg_error(e, EINVAL, at,
				 "0 is root; the jail needs an unprivileged "
				 "id");
	if (r < 0)
		return r;
	*out = (uint32_t)v;
	return 0;
}

/* The jail's name: a host name and a cgroup path component. */
static bool id_valid(const char *s)
{
	return cfg_name_valid(s, JAIL_ID_MAX) && s[0] != '.' && s[0] != '-';
}

/* "a/b/c": relative, no empty, "." or ".." components, each of
 * [A-Za-z0-9_.@:-]. */
static bool cgroup_name_valid(const char *s)
{
	size_t n = strlen(s), comp = 0;

	if (n == 0 || n > JAIL_CGROUP_NAME_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (comp == 0 || (comp == 1 && s[i - 1] == '.') ||
			    (comp == 2 && s[i - 1] == '.' && s[i - 2] == '.'))
				return false;
			comp = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && !strchr("_.@:-", s[i]))
			return false;
		comp++;
	}
	return true;
}

int jail_config_set(struct jail_config *j, enum jail_opt o, const char *val,
		    struct lerr *e)
{
	struct cfg_origin at;
	int r;

	if ((unsigned int)o >= JAIL_OPT_COUNT)
		return lerr_fail(e, EINVAL, "internal: jail option %d", (int)o);
	at = (struct cfg_origin){ .flag = jail_flag[o] };
	j->given |= 1u << o;
	if (o == JAIL_OPT_ENABLE) {
		j->enabled = true;
		return 0;
	}
	if (!val || val[0] == '\0')
		return cfg_error(e, EINVAL, &at, "empty value");
	switch (o) {
	case JAIL_OPT_ROOT:
		if (val[0] != '/' || strspn(val, "/") == strlen(val))
			return cfg_error(e, EINVAL, &at,
					 "\"%s\" is not an absolute path "
					 "below /",
					 val);
		return cfg_set_string(&j->root, val, e);
	case JAIL_OPT_ID:
		if (!id_valid(val))
			return cfg_error(e, EINVAL, &at,
					 "\"%s\" is not 1..%d of A-Z a-z 0-9 _ . - (not starting with . or -)",
					 val, JAIL_ID_MAX);
		return cfg_set_string(&j->id, val, e);
	case JAIL_OPT_UID:
		return parse_id(&at, val, &j->uid, e);
	case JAIL_OPT_GID:
		return parse_id(&at, val, &j->gid, e);
	case JAIL_OPT_NETNS:
		return cfg_set_string(&j->netns, val, e);
	case JAIL_OPT_CGROUP:
		if (!cgroup_name_valid(val))
			return cfg_error(e, EINVAL, &at,
					 "\"%s\" is not a relative cgroup path (components of A-Z a-z 0-9 _ . @ : -, no . or ..)",
					 val);
		return cfg_set_string(&j->cgroup, val, e);
	case JAIL_OPT_MEM_OVERHEAD:
		return cfg_size(val, JAIL_SIZE_MAX, &at, &j->mem_overhead, e);
	case JAIL_OPT_MEMORY_LIMIT:
		r = cfg_size(val, JAIL_SIZE_MAX, &at, &j->memory_limit, e);
		if (r == 0 && j->memory_limit < (4ULL << 20))
			r = cfg_error(e, ERANGE, &at, "\"%s\" is below 4M",
				      val);
		return r;
	case JAIL_OPT_ENABLE:
	case JAIL_OPT_COUNT:
	default:
		break;
	}
	return lerr_fail(e, EINVAL, "internal: jail option %d", (int)o);
}

int jail_config_finish(struct jail_config *j, struct lerr *e)
{
	static const enum jail_opt required[] = { JAIL_OPT_ROOT, JAIL_OPT_UID,
						  JAIL_OPT_GID };

	if (!j->enabled) {
		for (unsigned int o = 0; o < JAIL_OPT_COUNT; o++) {
			if (j->given & (1u << o))
				return lerr_fail(e, EINVAL, "%s: needs --jail",
						 jail_flag[o]);
		}
		return 0;
	}
	for (unsigned int i = 0; i < sizeof(required) / sizeof(required[0]);
	     i++) {
		if (!(j->given & (1u << required[i])))
			return lerr_fail(e, EINVAL, "--jail: needs %s",
					 jail_flag[required[i]]);
	}
	if (!(j->given & (1u << JAIL_OPT_MEM_OVERHEAD)))
		j->mem_overhead = JAIL_DEFAULT_MEM_OVERHEAD;
	return 0;
}

void jail_config_free(struct jail_config *j)
{
	free(j->root);
	free(j->id);
	free(j->netns);
	free(j->cgroup);
	memset(j, 0, sizeof(*j));
}
