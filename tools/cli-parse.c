/* cli-parse.c - argv into struct cli (see cli.h): one option table per
 * command, one loop that understands long, short, `=`-joined and `--`,
 * and per-command checks of the positional arguments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lighter/size.h>

#include "cli.h"

enum opt_id {
	OPT_HELP = 1,
	OPT_RUN_DIR,
	OPT_DATA_DIR,
	OPT_VERSION,
	OPT_NAME,
	OPT_DETACH,
	OPT_RM,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_ENV,
	OPT_TIME,
	OPT_FORCE,
	OPT_ALL,
	OPT_FORMAT,
	OPT_FOLLOW,
	OPT_TAIL,
	OPT_TIMESTAMPS,
	OPT_RUNS,
	OPT_IMAGE,
	OPT_QEMU,
	OPT_INTERACTIVE,
	OPT_TTY,
	OPT_NO_STREAM,
};

struct opt_def {
	const char *lng; /* without "--" */
	char shrt;	 /* 0: none */
	bool value;
	enum opt_id id;
};

#define OPT_END { NULL, 0, false, 0 }
#define OPT_HELP_DEF { "help", 'h', false, OPT_HELP }

static const struct opt_def global_opts[] = {
	OPT_HELP_DEF,
	{ "run-dir", 0, true, OPT_RUN_DIR },
	{ "data-dir", 0, true, OPT_DATA_DIR },
	{ "version", 'v', false, OPT_VERSION },
	OPT_END,
};

static const struct opt_def create_opts[] = {
	OPT_HELP_DEF,
	{ "name", 0, true, OPT_NAME },
	{ "cpus", 0, true, OPT_CPUS },
	{ "memory", 'm', true, OPT_MEMORY },
	{ "env", 'e', true, OPT_ENV },
	OPT_END,
};

static const struct opt_def run_opts[] = {
	OPT_HELP_DEF,
	{ "detach", 'd', false, OPT_DETACH },
	{ "rm", 0, false, OPT_RM },
	{ "name", 0, true, OPT_NAME },
	{ "cpus", 0, true, OPT_CPUS },
	{ "memory", 'm', true, OPT_MEMORY },
	{ "env", 'e', true, OPT_ENV },
	OPT_END,
};

static const struct opt_def help_only_opts[] = { OPT_HELP_DEF, OPT_END };

static const struct opt_def stop_opts[] = {
	OPT_HELP_DEF,
	{ "time", 't', true, OPT_TIME },
	OPT_END,
};

static const struct opt_def rm_opts[] = {
	OPT_HELP_DEF,
	{ "force", 'f', false, OPT_FORCE },
	OPT_END,
};

static const struct opt_def ps_opts[] = {
	OPT_HELP_DEF,
	{ "all", 'a', false, OPT_ALL },
	{ "format", 0, true, OPT_FORMAT },
	OPT_END,
};

static const struct opt_def logs_opts[] = {
	OPT_HELP_DEF,
	{ "follow", 'f', false, OPT_FOLLOW },
	{ "tail", 'n', true, OPT_TAIL },
	{ "timestamps", 't', false, OPT_TIMESTAMPS },
	OPT_END,
};

static const struct opt_def events_opts[] = {
	OPT_HELP_DEF,
	{ "follow", 'f', false, OPT_FOLLOW },
	OPT_END,
};

static const struct opt_def bench_opts[] = {
	OPT_HELP_DEF,
	{ "runs", 'n', true, OPT_RUNS },
	{ "image", 0, true, OPT_IMAGE },
	{ "qemu", 0, false, OPT_QEMU },
	OPT_END,
};

static const struct opt_def exec_opts[] = {
	OPT_HELP_DEF,
	{ "interactive", 'i', false, OPT_INTERACTIVE },
	{ "tty", 't', false, OPT_TTY },
	OPT_END,
};

static const struct opt_def stats_opts[] = {
	OPT_HELP_DEF,
	{ "no-stream", 0, false, OPT_NO_STREAM },
	{ "format", 0, true, OPT_FORMAT },
	OPT_END,
};

struct command_def {
	const char *name;
	enum cli_command cmd;
	const struct opt_def *opts;
	bool opts_first; /* options end at the first positional argument */
};

static const struct command_def commands[] = {
	{ "create", CLI_CREATE, create_opts, true },
	{ "run", CLI_RUN, run_opts, true },
	{ "start", CLI_START, help_only_opts, false },
	{ "stop", CLI_STOP, stop_opts, false },
	{ "restart", CLI_RESTART, stop_opts, false },
	{ "rm", CLI_RM, rm_opts, false },
	{ "ps", CLI_PS, ps_opts, false },
	{ "inspect", CLI_INSPECT, help_only_opts, false },
	{ "logs", CLI_LOGS, logs_opts, false },
	{ "events", CLI_EVENTS, events_opts, false },
	{ "bench", CLI_BENCH, bench_opts, false },
	{ "volume", CLI_VOLUME, help_only_opts, false },
	{ "exec", CLI_EXEC, exec_opts, true },
	{ "attach", CLI_ATTACH, help_only_opts, false },
	{ "stats", CLI_STATS, stats_opts, false },
	{ "help", CLI_HELP, help_only_opts, false },
	{ "version", CLI_VERSION, help_only_opts, false },
};

const char *cli_command_name(enum cli_command cmd)
{
	for (size_t i = 0; i < (sizeof(commands) / sizeof(commands[0])); i++) {
		if (commands[i].cmd == cmd)
			return commands[i].name;
	}
	return NULL;
}

bool cli_is_image_ref(const char *arg)
{
	size_t i;

	if (!(arg[0] >= 'a' && arg[0] <= 'z'))
		return false;
	for (i = 1; arg[i] && arg[i] != ':'; i++) {
		char c = arg[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return arg[i] == ':';
}

/* A whole number in [min, max]. */
static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;

	if (!(s[0] >= '0' && s[0] <= '9'))
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (*end || errno)
		return -EINVAL;
	return *out >= min && *out <= max ? 0 : -ERANGE;
}

static int number_opt(const char *who, const char *opt, const char *val,
		      unsigned long min, unsigned long max,
		      unsigned long *out, struct lerr *e)
{
	int r = parse_uint(val, min, max, out);

	if (r == -EINVAL)
		return lerr_fail(e, EINVAL, "%s: %s: \"%s\" is not a whole "
				 "number", who, opt, val);
	if (r < 0)
		return lerr_fail(e, ERANGE, "%s: %s: \"%s\" is out of range "
				 "(%lu..%lu)", who, opt, val, min, max);
	return 0;
}

static int push_env(struct cli *c, const char *kv, struct lerr *e)
{
	const char **v = realloc(c->env, (c->nr_env + 2) * sizeof(*v));

	if (!v)
		return lerr_fail(e, ENOMEM, "out of memory");
	v[c->nr_env++] = kv;
	v[c->nr_env] = NULL;
	c->env = v;
	return 0;
}

/* One option of a command (or, for CLI_NONE, a global one). */
static int apply_opt(struct cli *c, const char *who, const char *opt,
		     enum opt_id id, const char *val, struct lerr *e)
{
	unsigned long n;
	int r = 0;

	switch (id) {
	case OPT_HELP:
		c->help = true;
		break;
	case OPT_VERSION:
		c->cmd = CLI_VERSION;
		break;
	case OPT_RUN_DIR:
		c->run_dir = val;
		break;
	case OPT_DATA_DIR:
		c->data_dir = val;
		break;
	case OPT_NAME:
		c->name = val;
		break;
	case OPT_DETACH:
		c->detach = true;
		break;
	case OPT_RM:
		c->rm = true;
		break;
	case OPT_CPUS:
		r = number_opt(who, opt, val, 1, 64, &n, e);
		c->cpus = (unsigned int)n;
		break;
	case OPT_MEMORY:
		r = parse_size(val, &c->mem_bytes);
		if (r < 0 || c->mem_bytes == 0)
			r = lerr_fail(e, EINVAL, "%s: %s: \"%s\" is not a "
				      "size (like 512M or 2G)", who, opt, val);
		break;
	case OPT_ENV:
		if (!strchr(val, '=') || val[0] == '=')
			return lerr_fail(e, EINVAL, "%s: %s: \"%s\" is not "
					 "NAME=VALUE", who, opt, val);
		r = push_env(c, val, e);
		break;
	case OPT_TIME:
		r = number_opt(who, opt, val, 0, CLI_STOP_MAX_S, &n, e);
		c->stop_timeout_s = (unsigned int)n;
		break;
	case OPT_FORCE:
		c->force = true;
		break;
	case OPT_ALL:
		c->all = true;
		break;
	case OPT_FORMAT:
		c->json = c->prometheus = false;
		if (strcmp(val, "json") == 0)
			c->json = true;
		else if (c->cmd == CLI_STATS && strcmp(val, "prometheus") == 0)
			c->prometheus = true;
		else if (strcmp(val, "table") != 0)
			r = lerr_fail(e, EINVAL, "%s: %s: \"%s\": json%s or "
				      "table", who, opt, val,
				      c->cmd == CLI_STATS ? ", prometheus" : "");
		break;
	case OPT_INTERACTIVE:
		c->interactive = true;
		break;
	case OPT_TTY:
		c->tty = true;
		break;
	case OPT_NO_STREAM:
		c->no_stream = true;
		break;
	case OPT_FOLLOW:
		c->follow = true;
		break;
	case OPT_TAIL:
		if (strcmp(val, "all") == 0) {
			c->tail = -1;
			break;
		}
		r = number_opt(who, opt, val, 0, 100000000, &n, e);
		c->tail = (long)n;
		break;
	case OPT_TIMESTAMPS:
		c->timestamps = true;
		break;
	case OPT_RUNS:
		r = number_opt(who, opt, val, 1, CLI_BENCH_MAX_RUNS, &n, e);
		c->runs = (unsigned int)n;
		break;
	case OPT_IMAGE:
		c->bench_image = val;
		break;
	case OPT_QEMU:
		c->qemu = true;
		break;
	default:
		r = lerr_fail(e, EINVAL, "%s: %s: not handled", who, opt);
		break;
	}
	return r;
}

static const struct opt_def *find_long(const struct opt_def *t,
				       const char *name, size_t len)
{
	for (; t->lng; t++) {
		if (strlen(t->lng) == len && strncmp(t->lng, name, len) == 0)
			return t;
	}
	return NULL;
}

static const struct opt_def *find_short(const struct opt_def *t, char ch)
{
	for (; t->lng; t++) {
		if (t->shrt && t->shrt == ch)
			return t;
	}
	return NULL;
}

/* argv[*i] is an option of table t: apply it, consuming its value
 * (possibly argv[*i + 1]). */
static int parse_opt(struct cli *c, const char *who, const struct opt_def *t,
		     int argc, char **argv, int *i, struct lerr *e)
{
	const char *arg = argv[*i];
	const struct opt_def *d;
	char optname[8];

	if (arg[1] == '-') {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		char lname[32];

		d = find_long(t, name, len);
		if (!d)
			return lerr_fail(e, EINVAL, "%s: unknown option "
					 "\"%.*s\"", who, (int)len + 2, arg);
		snprintf(lname, sizeof(lname), "--%s", d->lng);
		if (!d->value) {
			if (eq)
				return lerr_fail(e, EINVAL, "%s: %s takes no "
						 "value", who, lname);
			return apply_opt(c, who, lname, d->id, NULL, e);
		}
		if (eq)
			return apply_opt(c, who, lname, d->id, eq + 1, e);
		if (*i + 1 >= argc)
			return lerr_fail(e, EINVAL, "%s: %s needs a value",
					 who, lname);
		(*i)++;
		return apply_opt(c, who, lname, d->id, argv[*i], e);
	}
	/* short options: "-d", "-t5", "-t 5", "-da" */
	for (const char *p = arg + 1; *p; p++) {
		int r;

		d = find_short(t, *p);
		snprintf(optname, sizeof(optname), "-%c", *p);
		if (!d)
			return lerr_fail(e, EINVAL, "%s: unknown option "
					 "\"%s\"", who, optname);
		if (!d->value) {
			r = apply_opt(c, who, optname, d->id, NULL, e);
			if (r < 0)
				return r;
			continue;
		}
		if (p[1])
			return apply_opt(c, who, optname, d->id, p + 1, e);
		if (*i + 1 >= argc)
			return lerr_fail(e, EINVAL, "%s: %s needs a value", who,
					 optname);
		(*i)++;
		return apply_opt(c, who, optname, d->id, argv[*i], e);
	}
	return 0;
}

static bool is_option(const char *arg)
{
	return arg[0] == '-' && arg[1] != '\0';
}

/* The create/run positional arguments: SPEC.ini, or IMAGE [CMD...]. */
static int check_create(struct cli *c, const char *who, char **pos, int n,
			struct lerr *e)
{
	if (n == 0)
		return lerr_fail(e, EINVAL, "%s: needs a SPEC file or an IMAGE",
				 who);
	if (!cli_is_image_ref(pos[0])) {
		c->spec_path = pos[0];
		if (n > 1)
			return lerr_fail(e, EINVAL,
					 "%s: \"%s\" is a spec file: it takes "
					 "no command (\"%s\"); an image is "
					 "written TRANSPORT:PATH",
					 who, pos[0], pos[1]);
		if (c->cpus || c->mem_bytes || c->nr_env)
			return lerr_fail(e, EINVAL, "%s: --cpus, --memory and "
					 "--env go with an IMAGE; a spec file "
					 "sets them itself", who);
		return 0;
	}
	c->image = pos[0];
	if (n > 1)
		c->argv = pos + 1;
	return 0;
}

static int check_positional(struct cli *c, const char *who, char **pos,
			    int n, struct lerr *e)
{
	switch (c->cmd) {
	case CLI_CREATE:
	case CLI_RUN:
		return check_create(c, who, pos, n, e);
	case CLI_START:
	case CLI_STOP:
	case CLI_RESTART:
	case CLI_RM:
	case CLI_INSPECT:
		if (n == 0)
			return lerr_fail(e, EINVAL, "%s: needs at least one "
					 "GROUP", who);
		c->groups = pos;
		c->nr_groups = (size_t)n;
		return 0;
	case CLI_PS:
	case CLI_VERSION:
		if (n > 0)
			return lerr_fail(e, EINVAL, "%s: takes no arguments "
					 "(\"%s\")", who, pos[0]);
		return 0;
	case CLI_LOGS:
		if (n == 0 || n > 2)
			return lerr_fail(e, EINVAL, "%s: takes GROUP "
					 "[CONTAINER]", who);
		c->group = pos[0];
		c->container = n > 1 ? pos[1] : NULL;
		return 0;
	case CLI_EXEC:
		if (n > 2 && strcmp(pos[2], "--") == 0) {
			memmove(pos + 2, pos + 3, (size_t)(n - 2) * sizeof(*pos));
			n--;
		}
		if (n < 3)
			return lerr_fail(e, EINVAL, "%s: takes GROUP CONTAINER "
					 "[--] COMMAND [ARG...]", who);
		c->group = pos[0];
		c->container = pos[1];
		c->argv = pos + 2;
		return 0;
	case CLI_ATTACH:
		if (n == 0 || n > 2)
			return lerr_fail(e, EINVAL, "%s: takes GROUP "
					 "[CONTAINER]", who);
		c->group = pos[0];
		c->container = n > 1 ? pos[1] : NULL;
		return 0;
	case CLI_STATS:
	case CLI_EVENTS:
		if (n > 1)
			return lerr_fail(e, EINVAL, "%s: takes at most one "
					 "GROUP", who);
		c->group = n ? pos[0] : NULL;
		return 0;
	case CLI_BENCH:
		if (n != 1 || strcmp(pos[0], "cold-start") != 0)
			return lerr_fail(e, EINVAL, "%s: the only benchmark "
					 "is \"cold-start\"", who);
		c->bench = pos[0];
		return 0;
	case CLI_VOLUME:
		if (n == 0 || (strcmp(pos[0], "ls") != 0 &&
			       strcmp(pos[0], "inspect") != 0 &&
			       strcmp(pos[0], "rm") != 0))
			return lerr_fail(e, EINVAL, "%s: takes ls, inspect "
					 "NAME... or rm NAME...", who);
		c->volume_cmd = pos[0];
		c->volumes = pos + 1;
		c->nr_volumes = (size_t)n - 1;
		if (strcmp(pos[0], "ls") == 0 && n > 1)
			return lerr_fail(e, EINVAL, "%s ls: takes no "
					 "arguments (\"%s\")", who, pos[1]);
		if (strcmp(pos[0], "ls") != 0 && n == 1)
			return lerr_fail(e, EINVAL, "%s %s: needs at least "
					 "one NAME", who, pos[0]);
		return 0;
	case CLI_HELP:
		if (n > 1)
			return lerr_fail(e, EINVAL, "%s: takes at most one "
					 "COMMAND", who);
		c->help_topic = CLI_NONE;
		for (size_t i = 0; n && i < sizeof(commands) /
						     sizeof(commands[0]);
		     i++) {
			if (strcmp(commands[i].name, pos[0]) == 0)
				c->help_topic = commands[i].cmd;
		}
		if (n && c->help_topic == CLI_NONE)
			return lerr_fail(e, EINVAL, "%s: unknown command "
					 "\"%s\"", who, pos[0]);
		return 0;
	case CLI_NONE:
	case CLI_COMMAND_COUNT:
	default:
		return lerr_fail(e, EINVAL, "no command");
	}
}

/* Parse a command's own arguments, argv[first..argc). */
static int parse_command(struct cli *c, const struct command_def *cd,
			 int first, int argc, char **argv, struct lerr *e)
{
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	bool opts_done = false;
	int n = 0, r = 0;

	if (!pos)
		return lerr_fail(e, ENOMEM, "out of memory");
	for (int i = first; r == 0 && i < argc; i++) {
		if (!opts_done && strcmp(argv[i], "--") == 0) {
			opts_done = true;
		} else if (!opts_done && is_option(argv[i])) {
			r = parse_opt(c, cd->name, cd->opts, argc, argv, &i, e);
		} else {
			pos[n++] = argv[i];
			if (cd->opts_first)
				opts_done = true;
		}
	}
	/* --help wins over anything else wrong */
	if (c->help) {
		free(pos);
		return 0;
	}
	if (r == 0)
		r = check_positional(c, cd->name, pos, n, e);
	/* c->argv and c->groups point into pos (NULL-terminated) */
	c->positional = pos;
	return r;
}

int cli_parse(int argc, char **argv, struct cli *c, struct lerr *e)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->stop_timeout_s = CLI_STOP_DEFAULT_S;
	c->tail = -1;
	c->runs = CLI_BENCH_DEFAULT_RUNS;
	for (i = 1; i < argc && is_option(argv[i]); i++) {
		int r;

		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		r = parse_opt(c, "lighter", global_opts, argc, argv, &i, e);
		if (r < 0)
			return r;
	}
	if (c->help || c->cmd == CLI_VERSION) {
		if (c->cmd == CLI_VERSION)
			c->help = false;
		return 0;
	}
	if (i >= argc)
		return lerr_fail(e, EINVAL, "no command given");
	for (size_t k = 0; k < (sizeof(commands) / sizeof(commands[0])); k++) {
		if (strcmp(commands[k].name, argv[i]) == 0) {
			c->cmd = commands[k].cmd;
			return parse_command(c, &commands[k], i + 1, argc, argv,
					     e);
		}
	}
	return lerr_fail(e, EINVAL, "unknown command \"%s\"", argv[i]);
}

void cli_free(struct cli *c)
{
	free(c->env);
	free(c->positional);
	memset(c, 0, sizeof(*c));
}
