/* stats.c - the counters behind a STATS reply: per container, its cgroup's
 * cpu.stat usage_usec, memory.current and pids.current (a container run
 * without cgroups, as in the native tests, reports its init's CPU time
 * and resident memory from /proc/PID/stat and statm, and 1 pid); per
 * Ethernet interface (eth0; not lo nor tunnels such as sit0), the
 * received and sent bytes of /proc/net/dev (lo alone when there is none
 * yet, as before eth0 exists).  Counters only: the host turns two readings into rates. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup2.h"
#include "serve-internal.h"

/* A small /proc or cgroup file, NUL-terminated: its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)got + 1 < size) {
		n = read(fd, buf + got, size - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

static int64_t read_number(const char *dir, const char *name)
{
	char path[PATH_MAX + 32], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	return strtoll(buf, NULL, 10);
}

static void cgroup_counters(const struct ctr *c, struct proto_ctr_stats *s)
{
	char path[PATH_MAX + 32], buf[1024];
	uint64_t usec = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cpu.stat", c->cgroup);
	n = read_small(path, buf, sizeof(buf));
	if (n > 0 &&
	    cgroup2_parse_keyed(buf, (size_t)n, "usage_usec", &usec) == 0 &&
	    usec <= INT64_MAX)
		s->cpu_usec = (int64_t)usec;
	s->memory_bytes = read_number(c->cgroup, "memory.current");
	s->pids = read_number(c->cgroup, "pids.current");
}

pid_t stats_proc_pid(const struct container_proc *p)
{
	char path[64], buf[512], *line;

	if (p->pidfd < 0)
		return p->pid;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", p->pidfd);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return p->pid;
	line = strstr(buf, "\nPid:");
	if (!line)
		return p->pid;
	return (pid_t)strtol(line + 5, NULL, 10);
}

/* Without a cgroup: the init's own (and its reaped children's) times. */
static void proc_counters(const struct ctr *c, struct proto_ctr_stats *s)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st, cut, cst, size, rss;
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	int pid = (int)stats_proc_pid(&c->proc);

	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof(buf)) > 0 &&
	    (p = strrchr(buf, ')')) != NULL &&
	    sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		   "%llu %llu",
		   &ut, &st, &cut, &cst) == 4 &&
	    tick > 0)
		s->cpu_usec = (int64_t)((ut + st + cut + cst) * 1000000ULL /
					(unsigned long long)tick);
	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if (read_small(path, buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%llu %llu", &size, &rss) == 2 && page > 0)
		s->memory_bytes = (int64_t)(rss * (unsigned long long)page);
	s->pids = 1;
}

/* An Ethernet device (ARPHRD_ETHER: eth0, a veth); not the tunnels a
 * kernel brings along (sit0, tunl0) nor lo. */
static bool is_ether(const char *name)
{
	char path[64], buf[16];

	snprintf(path, sizeof(path), "/sys/class/net/%s/type", name);
	return read_small(path, buf, sizeof(buf)) > 0 && atoi(buf) == 1;
}

/* /proc/net/dev: "  eth0: RXBYTES p e d f f c m TXBYTES ..." */
static void net_counters(struct proto_stats *st)
{
	static char buf[8192];
	struct proto_net_stats lo = {0};
	bool have_lo = false;
	char *line, *save = NULL;

	if (read_small("/proc/net/dev", buf, sizeof(buf)) <= 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct proto_net_stats n = {0};
		unsigned long long rx, tx;
		char *colon = strchr(line, ':'), *name = line;
		size_t len;

		if (!colon)
			continue; /* the two header lines */
		*colon = '\0';
		while (*name == ' ')
			name++;
		len = strlen(name);
		if (!len || len > PROTO_IFNAME_MAX ||
		    sscanf(colon + 1, "%llu %*u %*u %*u %*u %*u %*u %*u %llu",
			   &rx, &tx) != 2)
			continue;
		memcpy(n.name, name, len + 1);
		n.rx_bytes = (int64_t)(rx & INT64_MAX);
		n.tx_bytes = (int64_t)(tx & INT64_MAX);
		if (!strcmp(name, "lo")) {
			lo = n;
			have_lo = true;
		} else if (is_ether(name) && st->n_net < PROTO_MAX_NETIFS) {
			st->net[st->n_net++] = n;
		}
	}
	if (!st->n_net && have_lo)
		st->net[st->n_net++] = lo;
}

int stats_collect(struct agent *a, struct proto_stats *st, struct lerr *e)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	st->time_ns = (int64_t)now_realtime_ns();
	if (a->have_spec) {
		for (i = 0; i < a->spec.n_containers; i++) {
			const struct ctr *c = &a->ctrs[i];
			struct proto_ctr_stats *s = &st->c[st->n++];

			snprintf(s->name, sizeof(s->name), "%s",
				 a->spec.containers[i].name);
			s->running = i < a->n_ctrs && c->state == CTR_RUNNING;
			if (i < a->n_ctrs && c->cgroup_ready)
				cgroup_counters(c, s);
			else if (s->running)
				proc_counters(c, s);
		}
	}
	net_counters(st);
	(void)e;
	return 0;
}
