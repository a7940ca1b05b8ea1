/* inits.c - the order of a group with init containers (SPEC "init"):
 * the inits one at a time in SPEC order, each to exit code 0, then every
 * other container at once; after an init failed for good the others
 * never run (DONE, "skipped").  supervise.c decides restarts and calls
 * supervise_start_next() whenever an init is done. */
#include "serve-internal.h"

/* The first init (SPEC order) that has not exited 0, or NULL. */
static struct ctr *pending_init(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->n_ctrs; i++) {
		struct ctr *c = &a->ctrs[i];

		if (c->spec->init &&
		    (c->state != CTR_DONE || supervise_failed(c)))
			return c;
	}
	return NULL;
}

bool supervise_has_init(const struct agent *a)
{
	size_t i;

	for (i = 0; i < a->spec.n_containers; i++)
		if (a->spec.containers[i].init)
			return true;
	return false;
}

/* What is due once an init ended for good: the next init, else every
 * other container; after a failed init, nothing ever (the rest are
 * skipped). */
void supervise_start_next(struct agent *a)
{
	struct ctr *init = pending_init(a);
	struct lerr e = {0};
	size_t i;

	if (a->stopping)
		return;
	if (init && init->state == CTR_IDLE) {
		if (supervise_spawn(a, init, &e) < 0)
			supervise_maybe_exited(a, init);
		return;
	}
	if (init && init->state != CTR_DONE)
		return; /* running, or waiting to run again */
	for (i = 0; i < a->n_ctrs; i++) {
		struct ctr *c = &a->ctrs[i];

		if (c->state != CTR_IDLE)
			continue;
		if (init) {
			c->skipped = true;
			c->state = CTR_DONE;
			continue;
		}
		memset(&e, 0, sizeof(e));
		if (supervise_spawn(a, c, &e) < 0)
			supervise_maybe_exited(a, c);
	}
}
