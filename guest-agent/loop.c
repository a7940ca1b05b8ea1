/* loop.c - the serving agent's epoll sources: registering, pausing and
 * closing descriptors, one-shot timerfds, and the two clocks the agent
 * reads (wall clock for timestamps the host sees, monotonic for timing). */
#include <errno.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "serve-internal.h"

void ev_init(struct ev_source *s, ev_fn *fn)
{
	s->fd = -1;
	s->events = 0;
	s->fn = fn;
}

static int ctl(struct agent *a, struct ev_source *s, int op, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = s};

	return epoll_ctl(a->epfd, op, s->fd, &ev) < 0 ? -errno : 0;
}

int ev_open(struct agent *a, struct ev_source *s, int fd, uint32_t events,
	    struct lerr *e)
{
	int r;

	s->fd = fd;
	s->events = 0;
	r = ev_watch(a, s, events);
	if (r < 0) {
		close(fd);
		s->fd = -1;
		return lerr_set(e, r, "epoll: add fd %d", fd);
	}
	return 0;
}

int ev_watch(struct agent *a, struct ev_source *s, uint32_t events)
{
	int r = 0;

	if (s->fd < 0 || events == s->events)
		return 0;
	if (!events)
		r = ctl(a, s, EPOLL_CTL_DEL, 0);
	else if (!s->events)
		r = ctl(a, s, EPOLL_CTL_ADD, events);
	else
		r = ctl(a, s, EPOLL_CTL_MOD, events);
	if (r == 0)
		s->events = events;
	return r;
}

void ev_close(struct agent *a, struct ev_source *s)
{
	if (s->fd < 0)
		return;
	if (s->events)
		ctl(a, s, EPOLL_CTL_DEL, 0);
	close(s->fd);
	s->fd = -1;
	s->events = 0;
}

int ev_timer_open(struct agent *a, struct ev_source *s, ev_fn *fn,
		  struct lerr *e)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	ev_init(s, fn);
	if (fd < 0)
		return lerr_set(e, errno, "timerfd_create");
	return ev_open(a, s, fd, EPOLLIN, e);
}

void ev_timer_arm(struct ev_source *s, uint64_t ms)
{
	struct itimerspec its = {0};

	/* An all-zero it_value would disarm: fire after 1 ns instead. */
	its.it_value.tv_sec = (time_t)(ms / 1000);
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (ms == 0)
		its.it_value.tv_nsec = 1;
	if (s->fd >= 0)
		timerfd_settime(s->fd, 0, &its, NULL);
}

void ev_timer_disarm(struct ev_source *s)
{
	struct itimerspec its = {0};
	uint64_t n;

	if (s->fd < 0)
		return;
	timerfd_settime(s->fd, 0, &its, NULL);
	/* An expiry not yet read would wake the loop once more. */
	if (read(s->fd, &n, sizeof(n)) < 0)
		return;
}

bool ev_timer_fired(struct ev_source *s)
{
	uint64_t n;

	return s->fd >= 0 && read(s->fd, &n, sizeof(n)) == sizeof(n) && n > 0;
}

uint64_t now_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t now_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}
