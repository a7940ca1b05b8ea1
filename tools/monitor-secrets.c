/* monitor-secrets.c - the monitor's SECRET requests: the files of the
 * group's secret volumes, read when the group starts (from the spec file
 * whose path volumes.json keeps: inline values, host files), held in the
 * monitor's memory only until sent, one SECRET at a time after the
 * layers and before START (PROTOCOL.md, "Volumes").  Nothing of them is
 * written to the run dir, the state or the logs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

static void drop(struct monitor *m, size_t i)
{
	json_t *data = json_object_get(m->secrets[i], "data");

	/* jansson frees without clearing: wipe the base64 first */
	if (json_is_string(data))
		explicit_bzero((char *)json_string_value(data),
			       json_string_length(data));
	json_decref(m->secrets[i]);
	m->secrets[i] = NULL;
}

static int add_secret(struct monitor *m, const struct spec_volume *v,
		      const struct spec_secret_item *it, struct lerr *e)
{
	struct proto_secret s = { .mode = v->mode };
	json_t **a;
	int r;

	r = spec_secret_read(v, it, &s.data, &s.len, e);
	if (r < 0)
		return r;
	snprintf(s.volume, sizeof(s.volume), "%s", v->name);
	snprintf(s.name, sizeof(s.name), "%s", it->name);
	a = realloc(m->secrets, (m->nr_secrets + 1) * sizeof(*a));
	if (!a) {
		proto_secret_free(&s);
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	m->secrets = a;
	r = proto_secret_to_json(&s, &a[m->nr_secrets], e);
	proto_secret_free(&s);
	if (r < 0)
		return r;
	m->nr_secrets++;
	return 0;
}

int secrets_load(struct monitor *m, struct lerr *e)
{
	struct group_volumes vols;
	struct spec s;
	int r;

	r = group_volumes_read(m->o->dir_fd, &vols, e);
	if (r < 0 || !vols.spec_path) {
		group_volumes_free(&vols);
		return r;
	}
	r = spec_load(&s, vols.spec_path, e);
	for (size_t i = 0; r == 0 && i < s.nr_volumes; i++) {
		const struct spec_volume *v = &s.volumes[i];

		if (v->type != SPEC_VOLUME_SECRET)
			continue;
		for (size_t k = 0; r == 0 && k < v->nr_items; k++)
			r = add_secret(m, v, &v->items[k], e);
	}
	spec_free(&s);
	group_volumes_free(&vols);
	if (r < 0)
		secrets_free(m);
	return r;
}

bool secrets_send_next(struct monitor *m)
{
	struct lerr e = { 0 };

	if (m->secret_idx > 0 && m->secret_idx <= m->nr_secrets)
		drop(m, m->secret_idx - 1);
	if (m->secret_idx >= m->nr_secrets)
		return false;
	m->phase = SESSION_SECRETS;
	m->id_secret = agent_conn_next_id(&m->conn);
	if (agent_conn_queue_json(&m->conn, PROTO_SECRET, m->id_secret,
				  m->secrets[m->secret_idx], &e) < 0) {
		monitor_fail(m, e.msg);
		return true;
	}
	m->secret_idx++;
	return true;
}

void secrets_free(struct monitor *m)
{
	for (size_t i = 0; i < m->nr_secrets; i++) {
		if (m->secrets[i])
			drop(m, i);
	}
	free(m->secrets);
	m->secrets = NULL;
	m->nr_secrets = m->secret_idx = 0;
}
