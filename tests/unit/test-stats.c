/* test-stats.c - `lighter stats` numbers and outputs (tools/stats.h):
 * rates from two STATS readings (millicores, bytes per second, counters
 * that went back), byte units, and the table, JSON and Prometheus texts
 * checked line by line. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

TestSuite(stats);

static void reading(struct proto_stats *s, int64_t t_ns, int64_t cpu_usec,
		    int64_t rx, int64_t tx)
{
	memset(s, 0, sizeof(*s));
	s->time_ns = t_ns;
	s->n = 2;
	strcpy(s->c[0].name, "app");
	s->c[0].running = true;
	s->c[0].cpu_usec = cpu_usec;
	s->c[0].memory_bytes = 3 << 20;
	s->c[0].pids = 4;
	strcpy(s->c[1].name, "side");
	s->n_net = 1;
	strcpy(s->net[0].name, "eth0");
	s->net[0].rx_bytes = rx;
	s->net[0].tx_bytes = tx;
}

static char *capture(void (*fn)(FILE *, const struct stats_group *, size_t),
		     const struct stats_group *g, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	fn(f, g, n);
	fclose(f);
	return buf;
}

Test(stats, rates_from_two_readings)
{
	struct proto_stats a, b;
	struct stats_group g;

	/* 2 s apart: 1.5 CPU-seconds is 750 millicores */
	reading(&a, 1000000000, 500000, 1000, 0);
	reading(&b, 3000000000, 2000000, 5096, 2048);
	stats_compute("web", &a, &b, 8 << 20, &g);
	cr_expect_str_eq(g.name, "web");
	cr_assert_eq(g.n, 2);
	cr_expect_str_eq(g.c[0].name, "app");
	cr_expect_float_eq(g.c[0].cpu_millicores, 750.0, 1e-9);
	cr_expect_eq(g.c[0].memory_bytes, 3 << 20);
	cr_expect_eq(g.c[0].pids, 4);
	cr_expect(!g.c[1].running);
	cr_expect_float_eq(g.c[1].cpu_millicores, 0.0, 1e-9);
	cr_expect_float_eq(g.rx_bytes_per_s, 2048.0, 1e-9);
	cr_expect_float_eq(g.tx_bytes_per_s, 1024.0, 1e-9);
	cr_expect_str_eq(g.netif, "eth0");
	cr_expect_eq(g.vmm_rss_bytes, 8 << 20);

	/* the first reading has nothing to compare with */
	stats_compute("web", NULL, &b, -1, &g);
	cr_expect_float_eq(g.c[0].cpu_millicores, 0.0, 1e-9);
	cr_expect_float_eq(g.rx_bytes_per_s, 0.0, 1e-9);

	/* a restarted container's counter starts again from 0 */
	reading(&a, 1000000000, 900000, 0, 0);
	reading(&b, 2000000000, 250000, 0, 0);
	stats_compute("web", &a, &b, -1, &g);
	cr_expect_float_eq(g.c[0].cpu_millicores, 250.0, 1e-9);
}

Test(stats, human_bytes)
{
	char s[32];

	stats_human_bytes(0, s, sizeof(s));
	cr_expect_str_eq(s, "0B");
	stats_human_bytes(1023, s, sizeof(s));
	cr_expect_str_eq(s, "1023B");
	stats_human_bytes(1536, s, sizeof(s));
	cr_expect_str_eq(s, "1.5KiB");
	stats_human_bytes(3.0 * 1024 * 1024 * 1024, s, sizeof(s));
	cr_expect_str_eq(s, "3.0GiB");
}

static struct stats_group one_group(void)
{
	struct proto_stats a, b;
	struct stats_group g;

	reading(&a, 0, 0, 0, 0);
	reading(&b, 1000000000, 1002000, 1536, 0);
	stats_compute("web", &a, &b, 45 << 20, &g);
	return g;
}

Test(stats, table)
{
	struct stats_group g = one_group();
	char *t = capture(stats_print_table, &g, 1);
	char *l2 = strchr(t, '\n') + 1;

	cr_expect(strncmp(t, "GROUP", 5) == 0, "%s", t);
	cr_expect(strstr(t, "CPU(m)") && strstr(t, "VMM RSS"), "%s", t);
	cr_expect(strstr(l2, "web") == l2, "%s", l2);
	cr_expect(strstr(l2, " app "), "%s", l2);
	cr_expect(strstr(l2, " 1002 "), "%s", l2);
	cr_expect(strstr(l2, " 3.0MiB "), "%s", l2);
	cr_expect(strstr(l2, " 1.5KiB "), "%s", l2);
	cr_expect(strstr(l2, " 45.0MiB "), "%s", l2);
	cr_expect(strstr(l2, " eth0\n"), "%s", l2);
	/* the container that does not run shows no CPU figure */
	cr_expect(strstr(t, " side ") && strstr(t, "  - "), "%s", t);
	free(t);
}

Test(stats, json)
{
	struct stats_group g = one_group();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_error_t err;
	json_t *j, *c;

	cr_assert_eq(stats_print_json(f, &g, 1), 0);
	fclose(f);
	cr_expect_eq(strchr(buf, '\n'), buf + len - 1, "one line: %s", buf);
	j = json_loads(buf, 0, &err);
	cr_assert_not_null(j, "%s: %s", err.text, buf);
	cr_assert_eq(json_array_size(j), 1);
	cr_expect_str_eq(
	    json_string_value(json_object_get(json_array_get(j, 0), "group")),
	    "web");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(j, 0),
							"vmm_rss_bytes")),
		     45 << 20);
	c = json_array_get(json_object_get(json_array_get(j, 0), "containers"),
			   0);
	cr_expect_float_eq(
	    json_real_value(json_object_get(c, "cpu_millicores")), 1002.0,
	    1e-6);
	cr_expect_eq(json_integer_value(json_object_get(c, "pids")), 4);
	cr_expect_float_eq(json_real_value(json_object_get(
			       json_object_get(json_array_get(j, 0), "net"),
			       "rx_bytes_per_second")),
			   1536.0, 1e-6);
	json_decref(j);
	free(buf);
}

Test(stats, prometheus)
{
	struct stats_group g = one_group();
	char *t = capture(stats_print_prometheus, &g, 1);

	cr_expect(strstr(t, "# HELP lighter_container_cpu_usage_millicores "),
		  "%s", t);
	cr_expect(strstr(t, "# TYPE lighter_container_cpu_usage_millicores "
			    "gauge\n"),
		  "%s", t);
	cr_expect(strstr(t, "\nlighter_container_cpu_usage_millicores{group="
			    "\"web\",container=\"app\"} 1002\n"),
		  "%s", t);
	cr_expect(strstr(t, "\nlighter_container_memory_usage_bytes{group="
			    "\"web\",container=\"app\"} 3145728\n"),
		  "%s", t);
	cr_expect(strstr(t, "\nlighter_container_pids{group=\"web\","
			    "container=\"side\"} 0\n"),
		  "%s", t);
	cr_expect(strstr(t, "\nlighter_group_network_receive_bytes_per_second"
			    "{group=\"web\",interface=\"eth0\"} 1536\n"),
		  "%s", t);
	cr_expect(strstr(t, "\nlighter_group_vmm_resident_memory_bytes{group="
			    "\"web\"} 47185920\n"),
		  "%s", t);
	/* every sample line belongs to a metric announced before it */
	for (char *line = t; *line;) {
		char *nl = strchr(line, '\n');

		cr_assert_not_null(nl);
		if (line[0] != '#') {
			char name[128], type[160];

			cr_assert_eq(sscanf(line, "%127[a-z_]{", name), 1);
			snprintf(type, sizeof(type), "# TYPE %s gauge\n", name);
			cr_expect(strstr(t, type) && strstr(t, type) < line,
				  "%s", line);
		}
		line = nl + 1;
	}
	free(t);
}
