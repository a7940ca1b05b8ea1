/* test-state.c - state.json (tools/state-json.c, tools/state-file.c): a
 * full state survives the JSON round trip field by field; malformed
 * documents are refused naming the field; writes are atomic, so a
 * reader racing a writer in another process always gets a whole state,
 * and a writer's leftover temporary file changes nothing; the lock file
 * serialises writers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state.h"
#include "timefmt.h"
#include "tmpdir.h"

static int dir_fd = -1;

static void setup(void)
{
	tmpdir_make();
	dir_fd = open(tmpdir_path, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(dir_fd, 0);
}

static void teardown(void)
{
	if (dir_fd >= 0)
		close(dir_fd);
	dir_fd = -1;
	tmpdir_remove();
}

TestSuite(state, .init = setup, .fini = teardown);

/* A state with every field set to something recognisable. */
static void fill(struct lighter_group_state *st, size_t n)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->name, "web.1_a-b");
	st->state = LIGHTER_GROUP_FAILED;
	st->reason = strdup("guest panic: Kernel panic - not syncing: \"x\"");
	st->created_at_ns = 1764300000123456789LL;
	st->started_at_ns = 1764300001000000001LL;
	st->finished_at_ns = 1764300002999999999LL;
	st->cpus = 4;
	st->memory = 3ULL << 30;
	st->run_dir = strdup("/run/lighter/web.1_a-b");
	st->monitor_pid = 4242;
	st->vmm_pid = 4343;
	st->vmm_start_ticks = 987654321;
	st->auto_remove = true;
	for (int i = 0; i < LIGHTER_PHASE_COUNT; i++) {
		if (i == LIGHTER_PHASE_FIRST_OUTPUT)
			continue; /* a phase never reached */
		st->timings[i].mono_ns = 1000000LL * (i + 1) + i;
		st->timings[i].wall_ns = 1764300001000000000LL + i * 1000 + 7;
	}
	st->unpack_us = 12345;
	st->layer_bytes = 7654321;
	st->containers = calloc(n, sizeof(*st->containers));
	st->nr_containers = n;
	for (size_t i = 0; i < n; i++) {
		struct lighter_container_state *c = &st->containers[i];

		snprintf(c->name, sizeof(c->name), "c%zu", i);
		c->image = strdup("oci:images/busybox:latest");
		c->state = (enum lighter_container_status)(i % 4);
		c->has_exit_code = i % 2;
		c->exit_code = c->has_exit_code ? 128 + 9 : 0;
		c->signal = c->has_exit_code ? 9 : 0;
		c->restart_count = (int64_t)i * 3;
		c->started_at_ns = 1764300001500000000LL + (int64_t)i;
		c->finished_at_ns = i % 2 ? 1764300001600000000LL : 0;
		c->oom_killed = i == 1;
		c->error = i == 2 ? strdup("exec \"nosuch\": not found") : NULL;
		c->pid = i ? (int64_t)i + 1 : 0;
	}
}

static void expect_equal(const struct lighter_group_state *a,
			 const struct lighter_group_state *b)
{
	cr_expect_str_eq(a->name, b->name);
	cr_expect_eq(a->state, b->state);
	cr_expect_str_eq(a->reason, b->reason);
	cr_expect_eq(a->created_at_ns, b->created_at_ns);
	cr_expect_eq(a->started_at_ns, b->started_at_ns);
	cr_expect_eq(a->finished_at_ns, b->finished_at_ns);
	cr_expect_eq(a->cpus, b->cpus);
	cr_expect_eq(a->memory, b->memory);
	cr_expect_str_eq(a->run_dir, b->run_dir);
	cr_expect_eq(a->monitor_pid, b->monitor_pid);
	cr_expect_eq(a->vmm_pid, b->vmm_pid);
	cr_expect_eq(a->vmm_start_ticks, b->vmm_start_ticks);
	cr_expect_eq(a->auto_remove, b->auto_remove);
	for (int i = 0; i < LIGHTER_PHASE_COUNT; i++) {
		cr_expect_eq(a->timings[i].mono_ns, b->timings[i].mono_ns,
			     "timings.%s.mono_ns", lighter_phase_name(i));
		cr_expect_eq(a->timings[i].wall_ns, b->timings[i].wall_ns,
			     "timings.%s.wall", lighter_phase_name(i));
	}
	cr_expect_eq(a->unpack_us, b->unpack_us);
	cr_expect_eq(a->layer_bytes, b->layer_bytes);
	cr_assert_eq(a->nr_containers, b->nr_containers);
	for (size_t i = 0; i < a->nr_containers; i++) {
		const struct lighter_container_state *x = &a->containers[i],
						     *y = &b->containers[i];

		cr_expect_str_eq(x->name, y->name);
		cr_expect_str_eq(x->image, y->image);
		cr_expect_eq(x->state, y->state, "containers[%zu].state", i);
		cr_expect_eq(x->has_exit_code, y->has_exit_code);
		cr_expect_eq(x->exit_code, y->exit_code);
		cr_expect_eq(x->signal, y->signal);
		cr_expect_eq(x->restart_count, y->restart_count);
		cr_expect_eq(x->started_at_ns, y->started_at_ns);
		cr_expect_eq(x->finished_at_ns, y->finished_at_ns);
		cr_expect_eq(x->oom_killed, y->oom_killed);
		if (x->error || y->error)
			cr_expect_str_eq(x->error, y->error);
		cr_expect_eq(x->pid, y->pid);
	}
}

Test(state, json_round_trip_keeps_every_field)
{
	struct lighter_group_state a, b;
	struct lerr e = { 0 };
	json_t *j;

	fill(&a, 4);
	j = state_to_json(&a);
	cr_assert_not_null(j);
	cr_assert_eq(state_from_json(j, &b, "test", &e), 0, "%s", e.msg);
	expect_equal(&a, &b);
	/* the unreached phase is absent, not zero */
	cr_expect_null(json_object_get(json_object_get(j, "timings"),
				       "first_output"));
	cr_expect(json_is_null(json_object_get(
		json_array_get(json_object_get(j, "containers"), 0),
		"exit_code")));
	json_decref(j);
	lighter_group_state_free(&a);
	lighter_group_state_free(&b);
}

Test(state, file_round_trip)
{
	struct lighter_group_state a, b;
	struct lerr e = { 0 };

	fill(&a, 16);
	cr_assert_eq(state_write(dir_fd, &a, tmpdir_path, &e), 0, "%s", e.msg);
	cr_assert_eq(state_read(dir_fd, &b, tmpdir_path, &e), 0, "%s", e.msg);
	expect_equal(&a, &b);
	cr_expect_neq(faccessat(dir_fd, STATE_TMP_FILE, F_OK, 0), 0,
		      "no temporary file left behind");
	lighter_group_state_free(&a);
	lighter_group_state_free(&b);
}

static const struct {
	const char *json;
	const char *msg;
} bad_docs[] = {
	{ "[]", "doc: not a JSON object" },
	{ "{\"state\":\"running\",\"containers\":[]}",
	  "doc: name: missing or not a string" },
	{ "{\"name\":\"g\",\"state\":\"napping\",\"containers\":[]}",
	  "doc: state: not a group state" },
	{ "{\"name\":\"g\",\"state\":\"running\"}",
	  "doc: containers: missing or not an array" },
	{ "{\"name\":\"g\",\"state\":\"running\",\"cpus\":\"2\","
	  "\"containers\":[]}",
	  "doc: cpus: not an integer" },
	{ "{\"name\":\"g\",\"state\":\"running\",\"created_at\":\"yesterday\","
	  "\"containers\":[]}",
	  "doc: created_at: not an RFC 3339 time" },
	{ "{\"name\":\"g\",\"state\":\"running\",\"containers\":"
	  "[{\"name\":\"a\",\"state\":\"zombie\"}]}",
	  "doc: containers[0].state: not a container state" },
	{ "{\"name\":\"g\",\"state\":\"running\",\"containers\":"
	  "[{\"name\":\"a\",\"state\":\"exited\",\"exit_code\":256}]}",
	  "doc: containers[0].exit_code: 256 out of range" },
	{ "{\"name\":\"g\",\"state\":\"running\",\"timings\":"
	  "{\"vmm_spawned\":{\"mono_ns\":-5}},\"containers\":[]}",
	  "doc: timings.vmm_spawned.mono_ns: -5 out of range" },
};

Test(state, malformed_documents_name_the_field)
{
	for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		struct lighter_group_state st;
		struct lerr e = { 0 };
		json_t *j = json_loads(bad_docs[i].json, 0, NULL);

		cr_assert_not_null(j, "case %zu parses", i);
		cr_expect_eq(state_from_json(j, &st, "doc", &e), -EINVAL,
			     "case %zu", i);
		cr_expect_str_eq(e.msg, bad_docs[i].msg, "case %zu", i);
		cr_expect_eq(st.nr_containers, 0, "case %zu: zeroed", i);
		json_decref(j);
	}
}

Test(state, unreadable_file_is_an_error_naming_it)
{
	struct lighter_group_state st;
	struct lerr e = { 0 };
	int fd = openat(dir_fd, STATE_FILE, O_WRONLY | O_CREAT, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{\"name\": ", 9), 9);
	close(fd);
	cr_expect_eq(state_read(dir_fd, &st, "G", &e), -EINVAL);
	cr_expect(strncmp(e.msg, "\"G/state.json\": line 1:", 23) == 0, "%s",
		  e.msg);
	unlinkat(dir_fd, STATE_FILE, 0);
	cr_expect_eq(state_read(dir_fd, &st, "G", &e), -ENOENT);
	cr_expect(strstr(e.msg, "\"G/state.json\"") != NULL, "%s", e.msg);
}

/* A stale temporary file (a writer that died half-way) is neither read
 * nor in the way of the next write. */
Test(state, stale_temporary_file_changes_nothing)
{
	struct lighter_group_state a, b;
	struct lerr e = { 0 };
	int fd;

	fill(&a, 2);
	cr_assert_eq(state_write(dir_fd, &a, tmpdir_path, &e), 0, "%s", e.msg);
	fd = openat(dir_fd, STATE_TMP_FILE, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{\"name\":\"torn", 13), 13);
	close(fd);
	cr_assert_eq(state_read(dir_fd, &b, tmpdir_path, &e), 0, "%s", e.msg);
	expect_equal(&a, &b);
	lighter_group_state_free(&b);
	a.cpus = 7;
	cr_assert_eq(state_write(dir_fd, &a, tmpdir_path, &e), 0, "%s", e.msg);
	cr_assert_eq(state_read(dir_fd, &b, tmpdir_path, &e), 0, "%s", e.msg);
	cr_expect_eq(b.cpus, 7);
	lighter_group_state_free(&a);
	lighter_group_state_free(&b);
}

/* A writer in another process rewrites the state as fast as it can,
 * its size changing every time (the reason string grows and shrinks,
 * and restart_count says how long it is); every read must parse and be
 * consistent. */
Test(state, readers_never_see_a_torn_state, .timeout = 60)
{
	struct lighter_group_state st;
	struct lerr e = { 0 };
	int reads = 0, status;
	pid_t writer;

	fill(&st, 3);
	st.containers[0].restart_count = (int64_t)strlen(st.reason);
	cr_assert_eq(state_write(dir_fd, &st, tmpdir_path, &e), 0);
	lighter_group_state_free(&st);
	writer = fork();
	cr_assert_geq(writer, 0);
	if (writer == 0) {
		for (int i = 0; i < 3000; i++) {
			struct lighter_group_state w;
			size_t len = (size_t)(i * 37) % 3000;

			fill(&w, 1 + (size_t)i % 16);
			free(w.reason);
			w.reason = malloc(len + 1);
			memset(w.reason, 'a' + i % 26, len);
			w.reason[len] = '\0';
			w.containers[0].restart_count = (int64_t)len;
			if (state_write(dir_fd, &w, "w", NULL) < 0)
				_exit(1);
			lighter_group_state_free(&w);
		}
		_exit(0);
	}
	for (;;) {
		pid_t done = waitpid(writer, &status, WNOHANG);

		cr_assert_eq(state_read(dir_fd, &st, tmpdir_path, &e), 0,
			     "read %d: %s", reads, e.msg);
		cr_assert_geq(st.nr_containers, 1);
		cr_assert_eq((int64_t)strlen(st.reason),
			     st.containers[0].restart_count,
			     "read %d: reason of %zu bytes, written as %lld",
			     reads, strlen(st.reason),
			     (long long)st.containers[0].restart_count);
		lighter_group_state_free(&st);
		reads++;
		if (done == writer)
			break;
	}
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the writer succeeded");
	cr_expect_gt(reads, 10, "reads raced the writer");
}

/* The lock excludes a second writer until the first lets go. */
Test(state, lock_serialises_writers)
{
	struct lerr e = { 0 };
	int a = state_lock(dir_fd, LOCK_EX, &e), b;

	cr_assert_geq(a, 0, "%s", e.msg);
	b = openat(dir_fd, STATE_LOCK_FILE, O_RDONLY);
	cr_assert_geq(b, 0);
	cr_expect_eq(flock(b, LOCK_EX | LOCK_NB), -1);
	cr_expect_eq(errno, EWOULDBLOCK);
	cr_expect_eq(flock(b, LOCK_SH | LOCK_NB), -1, "readers wait too");
	close(a);
	cr_expect_eq(flock(b, LOCK_EX | LOCK_NB), 0);
	close(b);
}

Test(state, exit_status_is_dockers)
{
	struct lighter_group_state st;

	fill(&st, 2);
	st.state = LIGHTER_GROUP_EXITED;
	st.containers[0].has_exit_code = true;
	st.containers[0].exit_code = 3;
	cr_expect_eq(lighter_group_exit_status(&st), 3);
	st.containers[0].exit_code = 137;
	cr_expect_eq(lighter_group_exit_status(&st), 137);
	st.containers[0].has_exit_code = false;
	cr_expect_eq(lighter_group_exit_status(&st), 125);
	st.containers[0].has_exit_code = true;
	st.state = LIGHTER_GROUP_FAILED;
	cr_expect_eq(lighter_group_exit_status(&st), 125);
	lighter_group_state_free(&st);
}
