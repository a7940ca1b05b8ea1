/* stats.h - `lighter stats`: two STATS readings of a group's agent (and
 * the VMM's resident memory on the host) turned into rates
 * (stats_compute()), and the three ways of printing them: a table, one
 * JSON document per sample, Prometheus's text exposition format
 * (stats-format.c; pure, unit-tested). */
#ifndef LIGHTER_TOOLS_STATS_H
#define LIGHTER_TOOLS_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <lighter/lighter.h>

#include "protocol.h"

#define STATS_NETIF_MAX 48

struct stats_ctr {
	char name[PROTO_NAME_MAX + 1];
	bool running;
	double cpu_millicores; /* over the interval; 1000 = one CPU */
	int64_t memory_bytes;
	int64_t pids;
};

struct stats_group {
	char name[LIGHTER_NAME_MAX + 1];
	/* The interfaces counted, comma-separated ("eth0"; "lo" while the
	 * guest has no other; "" when it reported none). */
	char netif[STATS_NETIF_MAX + 1];
	double rx_bytes_per_s, tx_bytes_per_s;
	int64_t vmm_rss_bytes; /* -1: unknown */
	size_t n;
	struct stats_ctr c[PROTO_MAX_CONTAINERS];
};

/* Rates between two readings of the same group (prev NULL, or not older
 * than cur: every rate 0).  A counter that went back (a container's new
 * run, a new cgroup) counts from 0. */
void stats_compute(const char *group, const struct proto_stats *prev,
		   const struct proto_stats *cur, int64_t vmm_rss_bytes,
		   struct stats_group *out);

/* VmRSS of /proc/PID/status in bytes, -1 when unknown. */
int64_t stats_vmm_rss(pid_t pid);

/* "1.5KiB", "12.0MiB", "0B": docker's binary units, one decimal. */
void stats_human_bytes(double bytes, char *out, size_t size);

void stats_print_table(FILE *f, const struct stats_group *g, size_t n);
/* One line: [{"group":…,"vmm_rss_bytes":…,"net":{…},"containers":[…]}…] */
int stats_print_json(FILE *f, const struct stats_group *g, size_t n);
/* # HELP / # TYPE, then every sample of each metric. */
void stats_print_prometheus(FILE *f, const struct stats_group *g, size_t n);

#endif
