/* test-state-life.c - ACI's view of a group's state (tools/state-life.c):
 * group and container phases and reasons from lighter's states, and the
 * event list: repeats counted and moved last, the oldest dropped past the
 * bound, the list through state.json and back, malformed entries refused
 * naming the entry. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "state.h"

TestSuite(state_life);

static struct lighter_container_state ctr(enum lighter_container_status s,
					  int64_t started, int exit_code)
{
	struct lighter_container_state c = { .state = s };

	snprintf(c.name, sizeof(c.name), "c");
	c.started_at_ns = started;
	if (exit_code >= 0) {
		c.has_exit_code = true;
		c.exit_code = exit_code;
	}
	return c;
}

Test(state_life, container_phases_and_reasons)
{
	struct lighter_container_state c;

	c = ctr(LIGHTER_CONTAINER_CREATED, 0, -1);
	cr_expect_str_eq(lighter_container_phase(&c), "Waiting");
	cr_expect_null(lighter_container_reason(&c));
	c = ctr(LIGHTER_CONTAINER_RUNNING, 5, -1);
	cr_expect_str_eq(lighter_container_phase(&c), "Running");
	cr_expect_null(lighter_container_reason(&c));
	c = ctr(LIGHTER_CONTAINER_RESTARTING, 5, 1);
	cr_expect_str_eq(lighter_container_phase(&c), "Waiting");
	cr_expect_str_eq(lighter_container_reason(&c), "BackOff");
	c = ctr(LIGHTER_CONTAINER_EXITED, 5, 0);
	cr_expect_str_eq(lighter_container_phase(&c), "Terminated");
	cr_expect_str_eq(lighter_container_reason(&c), "Completed");
	c = ctr(LIGHTER_CONTAINER_EXITED, 5, 2);
	cr_expect_str_eq(lighter_container_reason(&c), "Error");
	c = ctr(LIGHTER_CONTAINER_EXITED, 5, 137);
	c.oom_killed = true;
	cr_expect_str_eq(lighter_container_reason(&c), "OOMKilled");
	c = ctr(LIGHTER_CONTAINER_EXITED, 0, 127);
	cr_expect_str_eq(lighter_container_reason(&c), "Error",
			 "an exec failure");
	c = ctr(LIGHTER_CONTAINER_EXITED, 0, -1);
	cr_expect_str_eq(lighter_container_reason(&c), "NotStarted");
}

Test(state_life, group_phases)
{
	struct lighter_container_state cs[2];
	struct lighter_group_state st = { .containers = cs,
					  .nr_containers = 2 };

	cs[0] = ctr(LIGHTER_CONTAINER_EXITED, 5, 0);
	cs[1] = ctr(LIGHTER_CONTAINER_EXITED, 6, 0);
	st.state = LIGHTER_GROUP_CREATED;
	cr_expect_str_eq(lighter_group_phase(&st), "Pending");
	st.state = LIGHTER_GROUP_STARTING;
	cr_expect_str_eq(lighter_group_phase(&st), "Pending");
	st.state = LIGHTER_GROUP_RUNNING;
	cr_expect_str_eq(lighter_group_phase(&st), "Running");
	st.state = LIGHTER_GROUP_STOPPING;
	cr_expect_str_eq(lighter_group_phase(&st), "Running");
	st.state = LIGHTER_GROUP_EXITED;
	cr_expect_str_eq(lighter_group_phase(&st), "Succeeded");
	cs[1] = ctr(LIGHTER_CONTAINER_EXITED, 6, 3);
	cr_expect_str_eq(lighter_group_phase(&st), "Failed");
	/* a container behind a failed init never ran */
	cs[0] = ctr(LIGHTER_CONTAINER_EXITED, 5, 0);
	cs[1] = ctr(LIGHTER_CONTAINER_EXITED, 0, -1);
	cr_expect_str_eq(lighter_group_phase(&st), "Failed");
	st.reason = "stopped";
	cr_expect_str_eq(lighter_group_phase(&st), "Stopped");
	st.reason = "the VMM was killed";
	st.state = LIGHTER_GROUP_FAILED;
	cr_expect_str_eq(lighter_group_phase(&st), "Failed");
}

Test(state_life, repeats_are_counted_and_move_last)
{
	struct lighter_group_state st = { 0 };

	cr_assert_eq(state_event_add(&st, 10, "app", "Started",
				     "Started container"),
		     0);
	cr_assert_eq(state_event_add(&st, 20, "app", "BackOff",
				     "Back-off restarting container"),
		     0);
	cr_assert_eq(state_event_add(&st, 30, "app", "Started",
				     "Started container"),
		     0);
	cr_assert_eq(state_event_add(&st, 40, NULL, "Stopping",
				     "Stopping the group"),
		     0);
	cr_assert_eq(st.nr_events, 3);
	cr_expect_str_eq(st.events[0].type, "BackOff");
	cr_expect_str_eq(st.events[1].type, "Started");
	cr_expect_eq(st.events[1].count, 2);
	cr_expect_eq(st.events[1].first_ns, 10);
	cr_expect_eq(st.events[1].last_ns, 30);
	cr_expect_eq(st.events[1].seq, 3, "a repeat takes the next seq");
	cr_expect_str_eq(st.events[2].container, "");
	cr_expect_eq(st.events[2].seq, 4);
	cr_expect_eq(st.event_seq, 4);
	state_events_free(&st);
	cr_expect_null(st.events);
}

Test(state_life, the_list_is_bounded_oldest_first_out)
{
	struct lighter_group_state st = { 0 };
	char msg[32];

	for (int i = 0; i < LIGHTER_EVENTS_MAX + 5; i++) {
		snprintf(msg, sizeof(msg), "number %d", i);
		cr_assert_eq(state_event_add(&st, i + 1, "c", "Exited", msg),
			     0);
	}
	cr_assert_eq(st.nr_events, LIGHTER_EVENTS_MAX);
	cr_expect_str_eq(st.events[0].message, "number 5");
	cr_expect_eq(st.events[LIGHTER_EVENTS_MAX - 1].seq,
		     LIGHTER_EVENTS_MAX + 5);
	state_events_free(&st);
}

Test(state_life, events_and_phases_in_state_json)
{
	struct lighter_container_state cs[1];
	struct lighter_group_state st = { .containers = cs,
					  .nr_containers = 1 },
				   got;
	struct lerr e = { 0 };
	json_t *j, *c;

	memset(cs, 0, sizeof(cs));
	strcpy(st.name, "g");
	st.state = LIGHTER_GROUP_RUNNING;
	cs[0] = ctr(LIGHTER_CONTAINER_RUNNING, 1000000000, -1);
	strcpy(cs[0].name, "app");
	cs[0].init = true;
	cs[0].has_readiness = true;
	cr_assert_eq(state_event_add(&st, 1000000000, "app", "Started",
				     "Started container"),
		     0);
	cr_assert_eq(state_event_add(&st, 2000000000, "app", "Started",
				     "Started container"),
		     0);
	cr_assert_eq(state_event_add(&st, 3000000000, NULL, "Stopping",
				     "Stopping the group"),
		     0);
	j = state_to_json(&st);
	cr_assert_not_null(j);
	cr_expect_str_eq(json_string_value(json_object_get(j, "phase")),
			 "Running");
	c = json_array_get(json_object_get(j, "containers"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(c, "phase")),
			 "Running");
	cr_expect(json_is_false(json_object_get(c, "ready")),
		  "a readiness probe that has not passed");
	cr_expect(json_is_true(json_object_get(c, "init")));
	cr_assert_eq(state_from_json(j, &got, "state.json", &e), 0, "%s",
		     e.msg);
	cr_assert_eq(got.nr_events, 2);
	cr_expect_str_eq(got.events[1].container, "",
			 "a group's own event");
	cr_expect_str_eq(got.events[1].type, "Stopping");
	cr_expect_null(json_object_get(
			   json_array_get(json_object_get(j, "events"), 1),
			   "container"));
	cr_expect_eq(got.events[0].count, 2);
	cr_expect_eq(got.events[0].first_ns, 1000000000);
	cr_expect_eq(got.events[0].last_ns, 2000000000);
	cr_expect_str_eq(got.events[0].message, "Started container");
	cr_expect_eq(got.event_seq, 3);
	cr_expect(got.containers[0].init && got.containers[0].has_readiness &&
		  !got.containers[0].ready);
	lighter_group_state_free(&got);

	json_object_set_new(json_array_get(json_object_get(j, "events"), 0),
			    "count", json_integer(0));
	cr_expect_eq(state_from_json(j, &got, "state.json", &e), -EINVAL);
	cr_expect_str_eq(e.msg, "state.json: events[0]: seq, count, type or "
				"container out of range");
	json_object_set_new(json_array_get(json_object_get(j, "events"), 0),
			    "colour", json_string("red"));
	cr_expect_eq(state_from_json(j, &got, "state.json", &e), -EINVAL);
	cr_expect(strstr(e.msg, "events[0]") != NULL, "%s", e.msg);
	json_decref(j);
	state_events_free(&st);
}
