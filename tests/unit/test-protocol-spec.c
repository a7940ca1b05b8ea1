/* test-protocol-spec.c - the SPEC message (struct proto_group): a full
 * round trip, one field changed at a time against a valid spec (each
 * with its exact errno and message naming the entry), every count and
 * size limit at and one past its bound, and encoders refusing structs the
 * peer would reject (for SPEC and the other messages). */
#include "test-protocol.h"

TestSuite(protocol_spec);

static void spec_reject(json_t *j, int err, const char *msg)
{
	struct proto_group g;
	struct lerr e = { 0 };
	int rc = proto_group_from_json(j, &g, &e);

	cr_expect_eq(rc, -err, "%s: got %d (%s), want -%d", msg, rc, e.msg,
		     err);
	cr_expect_eq(e.code, err);
	cr_expect_str_eq(e.msg, msg);
	cr_expect(!g.containers && !g.n_containers && !g.name[0],
		  "the group is zeroed after an error");
	proto_group_free(&g);
}

static char *app_args[] = { "/bin/httpd", "-f", "-p", "8080" };
static char *app_env[] = { "PATH=/usr/bin:/bin", "MODE=prod", "EMPTY=" };
static char *app_layers[] = { DIGEST_A, DIGEST_B };
static char *side_args[] = { "sh", "-c", "" };
static char *side_layers[] = { DIGEST_A };

static void sample_group(struct proto_group *g, struct proto_container *c)
{
	memset(g, 0, sizeof(*g));
	memset(c, 0, 2 * sizeof(*c));
	strcpy(g->name, "web");
	strcpy(g->hostname, "web.lighter");
	g->restart = PROTO_RESTART_ON_FAILURE;
	g->containers = c;
	g->n_containers = 2;
	strcpy(c[0].name, "app");
	c[0].args = app_args;
	c[0].n_args = 4;
	c[0].env = app_env;
	c[0].n_env = 3;
	c[0].workdir = "/srv";
	c[0].user = "1000:www-data";
	c[0].cpu_millis = 500;
	c[0].memory_bytes = 128ULL << 20;
	c[0].pids_max = 64;
	c[0].layers = app_layers;
	c[0].n_layers = 2;
	c[0].n_probes = 2;
	strcpy(c[0].probes[0].kind, "liveness");
	c[0].probes[0].http_port = 8080;
	c[0].probes[0].http_path = "/healthz";
	c[0].probes[0].delay_ms = 2000;
	c[0].probes[0].period_ms = 1000;
	c[0].probes[0].timeout_ms = 500;
	c[0].probes[0].failures = 3;
	c[0].probes[0].successes = 1;
	strcpy(c[0].probes[1].kind, "readiness");
	c[0].probes[1].exec = side_args;
	c[0].probes[1].n_exec = 2;
	c[0].probes[1].period_ms = 3000;
	c[0].probes[1].timeout_ms = 1000;
	c[0].probes[1].failures = 1;
	c[0].probes[1].successes = 2;
	strcpy(c[1].name, "side.car-1");
	c[1].args = side_args;
	c[1].n_args = 3;
	c[1].workdir = "/";
	c[1].user = "nobody";
	c[1].layers = side_layers;
	c[1].n_layers = 1;
	c[1].init = true;
}

static void expect_lists(char **got, size_t n_got, char **want, size_t n)
{
	size_t i;

	cr_assert_eq(n_got, n);
	for (i = 0; i < n; i++)
		cr_expect_str_eq(got[i], want[i]);
}

Test(protocol_spec, spec_round_trip)
{
	struct proto_container c[2];
	struct proto_group g, got;
	struct lerr e = { 0 };
	json_t *j, *again;
	size_t i;

	sample_group(&g, c);
	cr_assert_eq(proto_group_to_json(&g, &j, &e), 0, "%s", e.msg);
	j = tp_wire(PROTO_SPEC, 7, j);
	cr_assert_eq(proto_group_from_json(j, &got, &e), 0, "%s", e.msg);
	cr_expect_str_eq(got.name, "web");
	cr_expect_str_eq(got.hostname, "web.lighter");
	cr_expect_eq(got.restart, PROTO_RESTART_ON_FAILURE);
	cr_assert_eq(got.n_containers, 2);
	for (i = 0; i < 2; i++) {
		struct proto_container *gc = &got.containers[i];

		cr_expect_str_eq(gc->name, c[i].name);
		expect_lists(gc->args, gc->n_args, c[i].args, c[i].n_args);
		expect_lists(gc->env, gc->n_env, c[i].env, c[i].n_env);
		expect_lists(gc->layers, gc->n_layers, c[i].layers,
			     c[i].n_layers);
		cr_expect_str_eq(gc->workdir, c[i].workdir);
		cr_expect_str_eq(gc->user, c[i].user);
		cr_expect_eq(gc->cpu_millis, c[i].cpu_millis);
		cr_expect_eq(gc->memory_bytes, c[i].memory_bytes);
		cr_expect_eq(gc->pids_max, c[i].pids_max);
	}
	cr_expect(!got.containers[0].init && got.containers[1].init);
	cr_assert_eq(got.containers[0].n_probes, 2);
	cr_expect_eq(got.containers[1].n_probes, 0);
	cr_expect_str_eq(got.containers[0].probes[0].kind, "liveness");
	cr_expect_eq(got.containers[0].probes[0].http_port, 8080);
	cr_expect_str_eq(got.containers[0].probes[0].http_path, "/healthz");
	cr_expect_eq(got.containers[0].probes[0].delay_ms, 2000);
	cr_expect_null(got.containers[0].probes[0].exec);
	expect_lists(got.containers[0].probes[1].exec,
		     got.containers[0].probes[1].n_exec, side_args, 2);
	cr_expect_eq(got.containers[0].probes[1].successes, 2);
	cr_expect_null(json_object_get(
			   json_array_get(json_object_get(j, "containers"), 1),
			   "probes"),
		       "no probes, no member");
	cr_expect_null(json_object_get(
			   json_array_get(json_object_get(j, "containers"), 0),
			   "init"),
		       "a false init flag is left out (older agents)");
	cr_expect_not_null(got.containers[1].env);
	/* an init has no probes, either way */
	got.containers[1].probes[0] = got.containers[0].probes[0];
	got.containers[1].n_probes = 1;
	cr_expect_eq(proto_group_to_json(&got, &again, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "SPEC: containers[1].probes[0]: an init "
				"container has no probes");
	cr_expect_null(again);
	got.containers[1].n_probes = 0;
	memset(&got.containers[1].probes[0], 0, sizeof(struct proto_probe));
	/* and back: the same JSON */
	cr_assert_eq(proto_group_to_json(&got, &again, &e), 0, "%s", e.msg);
	cr_expect(json_equal(j, again));
	json_decref(again);
	json_decref(j);
	proto_group_free(&got);
	cr_expect_null(got.containers);
	proto_group_free(&got); /* twice is fine */
}

/* ---- SPEC: one field changed at a time ---- */

static const char valid_spec[] =
    "{\"name\":\"web\",\"hostname\":\"web\",\"restart\":\"on-failure\","
    "\"containers\":["
    "{\"name\":\"app\",\"args\":[\"/bin/httpd\",\"-f\"],"
    "\"env\":[\"PATH=/bin\"],\"workdir\":\"/\",\"user\":\"0:0\","
    "\"cpu_millis\":500,\"memory_bytes\":134217728,\"pids_max\":64,"
    "\"layers\":[\"" DIGEST_A "\",\"" DIGEST_B "\"]},"
    "{\"name\":\"side\",\"args\":[\"sh\"],\"env\":[],\"workdir\":\"/tmp\","
    "\"user\":\"nobody:nogroup\",\"cpu_millis\":0,\"memory_bytes\":0,"
    "\"pids_max\":0,\"layers\":[\"" DIGEST_A "\"]}]}";

/* valid_spec with group member (container < 0) or containers[container]
 * member key set to the JSON value (or deleted when value is NULL). */
static json_t *spec_with(int container, const char *key, const char *value)
{
	json_t *j = tp_json(valid_spec);
	json_t *obj = container < 0
			  ? j
			  : json_array_get(json_object_get(j, "containers"),
					   (size_t)container);

	if (!value) {
		json_object_del(obj, key);
		return j;
	}
	{
		json_error_t err;
		json_t *v = json_loads(value, JSON_DECODE_ANY, &err);

		cr_assert_not_null(v, "bad test value %s", value);
		json_object_set_new(obj, key, v);
	}
	return j;
}

struct spec_edit {
	int container;
	const char *key, *value;
	int err;
	const char *msg;
};

#define NAME_RULE                                                              \
	"(1-63 characters of [a-zA-Z0-9_.-], starting with a letter or digit)"
#define USER_RULE                                                              \
	"is not USER[:GROUP] (ids below 4294967295 or names of 1-32 "          \
	"[a-zA-Z0-9_.-])"

static const struct spec_edit spec_edits[] = {
	{ 1, "args", "[1]", EINVAL,
	  "SPEC: containers[1].args[0]: not a string" },
	{ 1, "args", "[]", EINVAL,
	  "SPEC: containers[1].args: 0 entries, at least 1 needed" },
	{ 0, "args", "[\"\"]", EINVAL,
	  "SPEC: containers[0].args[0]: empty (the program to run)" },
	{ 0, "args", NULL, EINVAL, "SPEC: containers[0].args: missing" },
	{ 0, "args", "\"x\"", EINVAL,
	  "SPEC: containers[0].args: not an array" },
	{ 0, "env", "[\"A=1\",\"PATH\"]", EINVAL,
	  "SPEC: containers[0].env[1]: \"PATH\" is not KEY=VALUE" },
	{ 0, "env", "[\"=x\"]", EINVAL,
	  "SPEC: containers[0].env[0]: \"=x\" is not KEY=VALUE" },
	{ 0, "env", "[null]", EINVAL,
	  "SPEC: containers[0].env[0]: not a string" },
	{ 0, "workdir", "\"tmp\"", EINVAL,
	  "SPEC: containers[0].workdir: \"tmp\" is not an absolute path" },
	{ 0, "workdir", "\"\"", EINVAL, "SPEC: containers[0].workdir: empty" },
	{ 0, "user", "\"a:b:c\"", EINVAL,
	  "SPEC: containers[0].user: \"a:b:c\" " USER_RULE },
	{ 0, "user", "\"4294967295\"", EINVAL,
	  "SPEC: containers[0].user: \"4294967295\" " USER_RULE },
	{ 0, "user", "\"root:\"", EINVAL,
	  "SPEC: containers[0].user: \"root:\" " USER_RULE },
	{ 0, "cpu_millis", "-1", ERANGE,
	  "SPEC: containers[0].cpu_millis: -1 out of range 0..1024000" },
	{ 0, "memory_bytes", "1.5", EINVAL,
	  "SPEC: containers[0].memory_bytes: not an integer" },
	{ 0, "pids_max", "4194305", ERANGE,
	  "SPEC: containers[0].pids_max: 4194305 out of range 0..4194304" },
	{ 0, "pids_max", NULL, EINVAL,
	  "SPEC: containers[0].pids_max: missing" },
	{ 0, "layers", "[\"sha256:abc\"]", EINVAL,
	  "SPEC: containers[0].layers[0]: invalid digest \"sha256:abc\" "
	  "(sha256: and 64 lowercase hex digits)" },
	{ 1, "layers", "[\"" DIGEST_A "\",\"sha512:" DIGEST_B "\"]", EINVAL,
	  "SPEC: containers[1].layers[1]: invalid digest \"sha512:" DIGEST_B
	  "\" (sha256: and 64 lowercase hex digits)" },
	{ 0, "layers", "[]", EINVAL,
	  "SPEC: containers[0].layers: 0 entries, at least 1 needed" },
	{ 1, "name", "\"app\"", EINVAL,
	  "SPEC: containers[1].name: \"app\" already used by containers[0]" },
	{ 0, "name", "\"a b\"", EINVAL,
	  "SPEC: containers[0].name: invalid name \"a b\" " NAME_RULE },
	{ 0, "colour", "\"blue\"", EINVAL,
	  "SPEC: containers[0].colour: unknown field" },
	{ -1, "name", "\"-web\"", EINVAL,
	  "SPEC: name: invalid name \"-web\" " NAME_RULE },
	{ -1, "name", "\"caf\\u00e9\"", EINVAL,
	  "SPEC: name: invalid name \"caf??\" " NAME_RULE },
	{ -1, "hostname", "\"web-\"", EINVAL,
	  "SPEC: hostname: \"web-\" is not a host name (dot-separated labels "
	  "of [a-zA-Z0-9-], no '-' at either end)" },
	{ -1, "restart", "\"sometimes\"", EINVAL,
	  "SPEC: restart: \"sometimes\" is not never, on-failure or always" },
	{ -1, "restart", "true", EINVAL, "SPEC: restart: not a string" },
	{ -1, "containers", "[1]", EINVAL,
	  "SPEC: containers[0]: not a JSON object" },
	{ -1, "containers", "[]", EINVAL,
	  "SPEC: containers: 0 entries, at least 1 needed" },
	{ -1, "containers", NULL, EINVAL, "SPEC: containers: missing" },
	{ -1, "devices", "[]", EINVAL, "SPEC: devices: unknown field" },
	{ 0, "init", "1", EINVAL, "SPEC: containers[0].init: not a boolean" },
	{ 0, "probes", "[{\"kind\":\"liveness\",\"delay_ms\":0,\"period_ms\":1000,\"timeout_ms\":500,\"failures\":3,\"successes\":1,\"http_port\":80}, {\"kind\":\"liveness\",\"delay_ms\":0,\"period_ms\":1000,\"timeout_ms\":500,\"failures\":3,\"successes\":1,\"exec\":[\"true\"]}]", EINVAL,
	  "SPEC: containers[0].probes[1].kind: \"liveness\" already used by "
	  "probes[0]" },
	{ 0, "probes", "[{\"kind\":\"liveness\",\"delay_ms\":0,\"period_ms\":1000,\"timeout_ms\":500,\"failures\":3,\"successes\":1,\"exec\":[\"true\"],\"http_port\":80}]",
	  EINVAL, "SPEC: containers[0].probes[0].http_port: not allowed with "
	  "exec" },
	{ 0, "probes", "[{\"kind\":\"liveness\",\"delay_ms\":0,\"period_ms\":1000,\"timeout_ms\":500,\"failures\":3,\"successes\":1,\"exec\":[\"true\"],\"http_path\":\"/x\"}]",
	  EINVAL, "SPEC: containers[0].probes[0].http_path: not allowed "
	  "without http_port" },
	{ 0, "probes", "[{\"kind\":\"liveness\",\"delay_ms\":0,\"period_ms\":1000,\"timeout_ms\":500,\"failures\":3,\"successes\":1}]", EINVAL,
	  "SPEC: containers[0].probes[0].http_port: missing" },
	{ 0, "probes", "[{\"kind\":\"liveness\",\"delay_ms\":0,\"period_ms\":1000,\"timeout_ms\":500,\"failures\":3,\"successes\":2,\"http_port\":80}]", EINVAL,
	  "SPEC: containers[0].probes[0]: successes must be 1 for liveness" },
	{ 0, "probes", "[{\"kind\":\"startup\",\"delay_ms\":0,\"period_ms\":1000,\"timeout_ms\":500,\"failures\":3,\"successes\":1,\"http_port\":80}]", EINVAL,
	  "SPEC: containers[0].probes[0].kind: \"startup\" is not liveness or "
	  "readiness" },
	{ 0, "probes", "[{\"kind\":\"liveness\",\"delay_ms\":0,\"period_ms\":1000,\"timeout_ms\":500,\"failures\":3,\"successes\":1,\"http_port\":0}]", ERANGE,
	  "SPEC: containers[0].probes[0].http_port: 0 out of range 1..65535" },
};

Test(protocol_spec, spec_field_errors)
{
	struct proto_group g;
	struct lerr e = { 0 };
	json_t *j = tp_json(valid_spec);
	size_t i;

	cr_assert_eq(proto_group_from_json(j, &g, &e), 0, "%s", e.msg);
	proto_group_free(&g);
	json_decref(j);
	for (i = 0; i < sizeof(spec_edits) / sizeof(spec_edits[0]); i++) {
		const struct spec_edit *s = &spec_edits[i];

		j = spec_with(s->container, s->key, s->value);
		spec_reject(j, s->err, s->msg);
		json_decref(j);
	}
}

/* valid_spec with containers[0].key holding n strings made by fill(). */
static json_t *spec_list(const char *key, size_t n,
			 void (*fill)(char *buf, size_t i))
{
	json_t *j = tp_json(valid_spec);
	json_t *c = json_array_get(json_object_get(j, "containers"), 0);
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		char buf[80];

		fill(buf, i);
		json_array_append_new(arr, json_string(buf));
	}
	json_object_set_new(c, key, arr);
	return j;
}

static void fill_arg(char *buf, size_t i)
{
	sprintf(buf, "arg%zu", i);
}

static void fill_env(char *buf, size_t i)
{
	sprintf(buf, "K%zu=v", i);
}

static void fill_layer(char *buf, size_t i)
{
	strcpy(buf, i % 2 ? DIGEST_A : DIGEST_B);
}

static void expect_accept(json_t *j)
{
	struct proto_group g;
	struct lerr e = { 0 };

	cr_expect_eq(proto_group_from_json(j, &g, &e), 0, "%s", e.msg);
	proto_group_free(&g);
	json_decref(j);
}

Test(protocol_spec, spec_limits)
{
	static const struct {
		const char *key;
		size_t max;
		void (*fill)(char *buf, size_t i);
		const char *msg;
	} lists[] = {
		{ "args", PROTO_MAX_ARGS, fill_arg,
		  "SPEC: containers[0].args: 257 entries, over the limit of "
		  "256" },
		{ "env", PROTO_MAX_ENV, fill_env,
		  "SPEC: containers[0].env: 1025 entries, over the limit of "
		  "1024" },
		{ "layers", PROTO_MAX_LAYERS, fill_layer,
		  "SPEC: containers[0].layers: 129 entries, over the limit of "
		  "128" },
	};
	json_t *j, *arr;
	char name[PROTO_NAME_MAX + 2];
	char *big;
	size_t i;

	/* each list at its limit passes, one more entry does not */
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		expect_accept(spec_list(lists[i].key, lists[i].max,
					lists[i].fill));
		j = spec_list(lists[i].key, lists[i].max + 1, lists[i].fill);
		spec_reject(j, E2BIG, lists[i].msg);
		json_decref(j);
	}

	/* a string of 4096 bytes passes, 4097 does not */
	big = malloc(PROTO_STRING_MAX + 2);
	memset(big, 'x', PROTO_STRING_MAX + 1);
	big[PROTO_STRING_MAX] = '\0';
	j = tp_json(valid_spec);
	arr = json_object_get(
	    json_array_get(json_object_get(j, "containers"), 0), "args");
	json_array_append_new(arr, json_string(big));
	expect_accept(json_incref(j));
	big[PROTO_STRING_MAX] = 'x';
	big[PROTO_STRING_MAX + 1] = '\0';
	json_array_set_new(arr, 2, json_string(big));
	spec_reject(j, E2BIG,
		    "SPEC: containers[0].args[2]: 4097 bytes, over the limit "
		    "of 4096");
	json_decref(j);
	free(big);

	/* 63-character names pass, 64 do not */
	memset(name, 'n', sizeof(name));
	name[PROTO_NAME_MAX] = '\0';
	j = tp_json(valid_spec);
	json_object_set_new(j, "name", json_string(name));
	expect_accept(json_incref(j));
	name[PROTO_NAME_MAX] = 'n';
	name[PROTO_NAME_MAX + 1] = '\0';
	json_object_set_new(j, "name", json_string(name));
	spec_reject(j, EINVAL,
		    "SPEC: name: invalid name \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
		    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\" " NAME_RULE);
	json_decref(j);

	/* 16 containers pass, 17 do not */
	j = tp_json(valid_spec);
	arr = json_object_get(j, "containers");
	json_array_remove(arr, 1);
	for (i = 1; i < PROTO_MAX_CONTAINERS; i++) {
		json_t *c = json_deep_copy(json_array_get(arr, 0));

		sprintf(name, "c%zu", i);
		json_object_set_new(c, "name", json_string(name));
		json_array_append_new(arr, c);
	}
	expect_accept(json_incref(j));
	json_array_append_new(arr, json_deep_copy(json_array_get(arr, 1)));
	spec_reject(j, E2BIG,
		    "SPEC: containers: 17 entries, over the limit of 16");
	json_decref(j);
}

/* ---- encoders refuse what the peer would reject ---- */

Test(protocol_spec, encoders_validate)
{
	struct proto_container c[2];
	struct proto_group g;
	struct proto_event ev = { .kind = 9, .container = "a" };
	struct proto_hello h = { .client = "bad \xff utf-8" };
	struct proto_signal sig = { .container = "a", .signal = 99 };
	struct lerr e = { 0 };
	char *bad_args[] = { "ok", "\xc3" };
	json_t *j = (json_t *)1;

	sample_group(&g, c);
	c[1].args = NULL;
	cr_expect_eq(proto_group_to_json(&g, &j, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "SPEC: containers[1].args: not an array");
	cr_expect_null(j);
	c[1].args = bad_args;
	c[1].n_args = 2;
	cr_expect_eq(proto_group_to_json(&g, &j, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "SPEC: containers[1].args[1]: not a string");
	c[1].args = side_args;
	c[1].n_args = 3;
	g.restart = 7;
	cr_expect_eq(proto_group_to_json(&g, &j, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "SPEC: restart: not a string");
	g.restart = PROTO_RESTART_ALWAYS;
	g.n_containers = 17;
	cr_expect_eq(proto_group_to_json(&g, &j, &e), -E2BIG);
	cr_expect_str_eq(e.msg,
			 "SPEC: containers: 17 entries, over the limit of 16");
	g.n_containers = 2;
	c[0].workdir = NULL;
	cr_expect_eq(proto_group_to_json(&g, &j, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "SPEC: containers[0].workdir: not a string");

	cr_expect_eq(proto_event_to_json(&ev, &j, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "EVENT: event: not a string");
	ev.kind = PROTO_EVENT_GROUP_EXITED;
	cr_expect_eq(proto_event_to_json(&ev, &j, &e), -EINVAL);
	cr_expect_str_eq(e.msg,
			 "EVENT: container: not allowed on group-exited");
	cr_expect_eq(proto_hello_to_json(&h, &j, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "HELLO: client: not a string");
	cr_expect_eq(proto_signal_to_json(&sig, &j, &e), -ERANGE);
	cr_expect_str_eq(e.msg, "SIGNAL: signal: 99 out of range 1..64");
	cr_expect_null(j);
}
