/* stats-format.c - `lighter stats` numbers (stats.h): rates from two
 * STATS readings, the VMM's VmRSS, and the table, JSON and Prometheus
 * outputs.  No I/O but the FILE given and /proc/PID/status. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stats.h"

static double rate(int64_t before, int64_t after, double seconds)
{
	if (seconds <= 0)
		return 0;
	return after > before ? (double)(after - before) / seconds
			      : (after < before ? (double)after / seconds : 0);
}

static const struct proto_ctr_stats *find_ctr(const struct proto_stats *s,
					      const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (!strcmp(s->c[i].name, name))
			return &s->c[i];
	return NULL;
}

static void net_sum(const struct proto_stats *s, int64_t *rx, int64_t *tx)
{
	*rx = *tx = 0;
	for (size_t i = 0; s && i < s->n_net; i++) {
		*rx += s->net[i].rx_bytes;
		*tx += s->net[i].tx_bytes;
	}
}

void stats_compute(const char *group, const struct proto_stats *prev,
		   const struct proto_stats *cur, int64_t vmm_rss_bytes,
		   struct stats_group *out)
{
	double secs = 0;
	int64_t rx0, tx0, rx1, tx1;
	size_t i, len = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", group);
	out->vmm_rss_bytes = vmm_rss_bytes;
	if (prev && cur->time_ns > prev->time_ns)
		secs = (double)(cur->time_ns - prev->time_ns) / 1e9;
	for (i = 0; i < cur->n && i < PROTO_MAX_CONTAINERS; i++) {
		const struct proto_ctr_stats *c = &cur->c[i];
		const struct proto_ctr_stats *b = find_ctr(prev, c->name);
		struct stats_ctr *o = &out->c[out->n++];

		snprintf(o->name, sizeof(o->name), "%s", c->name);
		o->running = c->running;
		o->memory_bytes = c->memory_bytes;
		o->pids = c->pids;
		/* usec per second / 1000 = thousandths of a CPU */
		o->cpu_millicores =
		    b ? rate(b->cpu_usec, c->cpu_usec, secs) / 1000.0 : 0;
	}
	net_sum(prev, &rx0, &tx0);
	net_sum(cur, &rx1, &tx1);
	if (prev && prev->n_net) {
		out->rx_bytes_per_s = rate(rx0, rx1, secs);
		out->tx_bytes_per_s = rate(tx0, tx1, secs);
	}
	for (i = 0; i < cur->n_net; i++) {
		int n = snprintf(out->netif + len, sizeof(out->netif) - len,
				 "%s%s", len ? "," : "", cur->net[i].name);

		if (n < 0 || (size_t)n >= sizeof(out->netif) - len)
			break;
		len += (size_t)n;
	}
}

int64_t stats_vmm_rss(pid_t pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : (int64_t)kb * 1024;
}

void stats_human_bytes(double bytes, char *out, size_t size)
{
	static const char *const units[] = {"B",   "KiB", "MiB",
					    "GiB", "TiB", "PiB"};
	size_t u = 0;

	while (bytes >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%.0fB", bytes);
	else
		snprintf(out, size, "%.1f%s", bytes, units[u]);
}

void stats_print_table(FILE *f, const struct stats_group *g, size_t n)
{
	fprintf(f, "%-16s %-16s %8s %10s %6s %10s %10s %10s %s\n", "GROUP",
		"CONTAINER", "CPU(m)", "MEMORY", "PIDS", "NET RX/s", "NET TX/s",
		"VMM RSS", "NETIF");
	for (size_t i = 0; i < n; i++) {
		char rx[32], tx[32], rss[32];

		stats_human_bytes(g[i].rx_bytes_per_s, rx, sizeof(rx));
		stats_human_bytes(g[i].tx_bytes_per_s, tx, sizeof(tx));
		if (g[i].vmm_rss_bytes >= 0)
			stats_human_bytes((double)g[i].vmm_rss_bytes, rss,
					  sizeof(rss));
		else
			snprintf(rss, sizeof(rss), "-");
		for (size_t k = 0; k < g[i].n; k++) {
			const struct stats_ctr *c = &g[i].c[k];
			char mem[32], cpu[32];

			stats_human_bytes((double)c->memory_bytes, mem,
					  sizeof(mem));
			if (c->running)
				snprintf(cpu, sizeof(cpu), "%.0f",
					 c->cpu_millicores);
			else
				snprintf(cpu, sizeof(cpu), "-");
			fprintf(f,
				"%-16s %-16s %8s %10s %6" PRId64
				" %10s %10s %10s %s\n",
				g[i].name, c->name, cpu, mem, c->pids, rx, tx,
				rss, g[i].netif[0] ? g[i].netif : "none");
		}
	}
}

static json_t *group_json(const struct stats_group *g)
{
	json_t *ctrs = json_array();

	for (size_t k = 0; k < g->n; k++) {
		const struct stats_ctr *c = &g->c[k];

		json_array_append_new(
		    ctrs, json_pack("{s:s, s:b, s:f, s:I, s:I}", "name",
				    c->name, "running", c->running,
				    "cpu_millicores", c->cpu_millicores,
				    "memory_bytes", (json_int_t)c->memory_bytes,
				    "pids", (json_int_t)c->pids));
	}
	return json_pack("{s:s, s:o, s:{s:s, s:f, s:f}, s:o}", "group", g->name,
			 "vmm_rss_bytes",
			 g->vmm_rss_bytes >= 0 ? json_integer(g->vmm_rss_bytes)
					       : json_null(),
			 "net", "interfaces", g->netif, "rx_bytes_per_second",
			 g->rx_bytes_per_s, "tx_bytes_per_second",
			 g->tx_bytes_per_s, "containers", ctrs);
}

int stats_print_json(FILE *f, const struct stats_group *g, size_t n)
{
	json_t *all = json_array();
	char *text;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(all, group_json(&g[i]));
	text = json_dumps(all, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(all);
	if (!text)
		return -1;
	fprintf(f, "%s\n", text);
	free(text);
	return 0;
}

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

enum metric_kind { PER_CONTAINER, PER_GROUP, PER_GROUP_NET };

struct metric {
	const char *name, *help;
	enum metric_kind kind;
	int which;
};

static const struct metric metrics[] = {
    {"lighter_container_cpu_usage_millicores",
     "CPU used by the container over the last interval, in thousandths "
     "of a CPU.",
     PER_CONTAINER, 0},
    {"lighter_container_memory_usage_bytes",
     "Memory the container's cgroup uses (memory.current).", PER_CONTAINER, 1},
    {"lighter_container_pids", "Processes and threads in the container.",
     PER_CONTAINER, 2},
    {"lighter_container_running", "1 when the container is running.",
     PER_CONTAINER, 3},
    {"lighter_group_network_receive_bytes_per_second",
     "Bytes the group's guest received per second over the last "
     "interval.",
     PER_GROUP_NET, 0},
    {"lighter_group_network_transmit_bytes_per_second",
     "Bytes the group's guest sent per second over the last interval.",
     PER_GROUP_NET, 1},
    {"lighter_group_vmm_resident_memory_bytes",
     "Resident memory of the group's VMM process on the host (VmRSS).",
     PER_GROUP, 0},
};

static double ctr_value(const struct stats_ctr *c, int which)
{
	switch (which) {
	case 0:
		return c->cpu_millicores;
	case 1:
		return (double)c->memory_bytes;
	case 2:
		return (double)c->pids;
	default:
		return c->running ? 1 : 0;
	}
}

void stats_print_prometheus(FILE *f, const struct stats_group *g, size_t n)
{
	for (size_t m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++) {
		const struct metric *mt = &metrics[m];

		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", mt->name,
			mt->help, mt->name);
		for (size_t i = 0; i < n; i++) {
			const struct stats_group *gr = &g[i];

			if (mt->kind == PER_GROUP && gr->vmm_rss_bytes < 0)
				continue;
			if (mt->kind != PER_CONTAINER) {
				fprintf(f, "%s{group=\"", mt->name);
				label(f, gr->name);
				if (mt->kind == PER_GROUP_NET) {
					fputs("\",interface=\"", f);
					label(f, gr->netif[0] ? gr->netif
							      : "none");
				}
				fprintf(f, "\"} %.0f\n",
					mt->kind == PER_GROUP
					    ? (double)gr->vmm_rss_bytes
					    : (mt->which ? gr->tx_bytes_per_s
							 : gr->rx_bytes_per_s));
				continue;
			}
			for (size_t k = 0; k < gr->n; k++) {
				fprintf(f, "%s{group=\"", mt->name);
				label(f, gr->name);
				fputs("\",container=\"", f);
				label(f, gr->c[k].name);
				fprintf(f, "\"} %.0f\n",
					ctr_value(&gr->c[k], mt->which));
			}
		}
	}
}
