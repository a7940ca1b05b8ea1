/* test-agent-volumes.c - the agent's volumes (guest-agent/volumes.c and
 * the container's bind mounts) as root on this machine's kernel, driven
 * over the agent's Unix socket like test-agent-session.c: an emptydir
 * written by one container and read by another through a read-only
 * mount (whose writes fail), a secret delivered by SECRET with its mode
 * and bytes (NUL included), the SECRET rules, and a gitrepo volume whose
 * tar travels as a LAYER and arrives writable.  Persistent volumes need
 * a virtio-blk disk: tests/e2e/lighter-volumes.sh covers them.
 *
 * Exits 77 (skip) as test-agent-session does (native.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lighter/base64.h>
#include <lighter/digest.h>

#include "agent-host.h"
#include "native.h"

static struct agent_child ag;
static struct host h;

static void setup(void)
{
	host_fixture_enter(&h);
}

static void teardown(void)
{
	host_fixture_leave(&h, &ag);
}

TestSuite(agent_volumes, .init = setup, .fini = teardown, .timeout = 120);

static json_t *mount_of(const char *volume, const char *path, bool ro)
{
	return json_pack("{s:s, s:s, s:b}", "volume", volume, "path", path,
			 "readonly", ro);
}

static json_t *with_mounts(json_t *c, json_t *m1, json_t *m2)
{
	json_t *arr = json_array();

	json_array_append_new(arr, m1);
	if (m2)
		json_array_append_new(arr, m2);
	json_object_set_new(c, "mounts", arr);
	return c;
}

static uint32_t send_secret(const char *volume, const char *name,
			    unsigned int mode, const void *data, size_t len)
{
	char *b64 = base64_encode(data, len);
	uint32_t id;

	cr_assert_not_null(b64);
	id = host_send(&h, PROTO_SECRET,
		       json_pack("{s:s, s:s, s:i, s:s}", "volume", volume,
				 "name", name, "mode", (int)mode, "data", b64));
	free(b64);
	return id;
}

static void poweroff_and_wait(void)
{
	int status;

	json_decref(host_ok(&h, host_send(&h, PROTO_POWEROFF, json_object())));
	status = agent_wait(&ag, 15000);
	cr_assert(status >= 0, "the agent did not exit after POWEROFF");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "agent status %d", status);
}

static const char *out(int c, int which)
{
	const char *s = h.out[c][which].buf;

	return s ? s : "";
}

Test(agent_volumes, emptydir_shared_read_only_and_secret)
{
	static const char secret[] = "s3cr\0t";
	json_t *cs[2], *spec;

	agent_start(&ag, 0);
	host_connect(&h, ag.sock);
	host_hello(&h);
	cs[0] = with_mounts(
		spec_container(&ag, "writer",
			       "echo shared-data > /data/x && "
			       "ls -ln /run/creds/token | cut -c1-10 && "
			       "od -An -c /run/creds/token"),
		mount_of("scratch", "/data", false),
		mount_of("creds", "/run/creds", true));
	cs[1] = with_mounts(
		spec_container(&ag, "reader",
			       "while ! [ -e /in/deep/x ]; do sleep 0.1; done; "
			       "cat /in/deep/x; "
			       "if echo no > /in/deep/y; then echo WROTE; fi; "
			       "if echo no > /run/creds/other; then echo "
			       "WROTE-SECRET; fi; echo done"),
		mount_of("scratch", "/in/deep", true),
		mount_of("creds", "/run/creds", false));
	spec = spec_group("never", 2, cs);
	json_object_set_new(
		spec, "volumes",
		json_pack("[{s:s, s:s, s:i}, {s:s, s:s, s:i}]", "name",
			  "scratch", "type", "emptydir", "size_bytes",
			  1 << 20, "name", "creds", "type", "secret",
			  "size_bytes", 0));
	host_spec(&h, spec);
	host_layer(&h, &ag, NULL, NULL);
	json_decref(host_ok(&h, send_secret("creds", "token", 0400, secret,
					    sizeof(secret) - 1)));
	host_error(&h, send_secret("creds", "token", 0400, "x", 1), "EINVAL",
		   "was sent already");
	host_error(&h, send_secret("scratch", "token", 0400, "x", 1),
		   "EINVAL", "no secret volume \"scratch\"");
	json_decref(host_ok(&h, host_send(&h, PROTO_START, json_object())));
	host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	cr_expect_str_eq(out(0, 0), "-r--------\n   s   3   c   r  \\0   t\n",
			 "writer: %s / %s", out(0, 0), out(0, 1));
	cr_expect_str_eq(out(1, 0), "shared-data\ndone\n", "reader: %s / %s",
			 out(1, 0), out(1, 1));
	cr_expect(strstr(out(1, 1), "Read-only file system"), "%s",
		  out(1, 1));
	host_error(&h, send_secret("creds", "late", 0400, "x", 1), "EALREADY",
		   "in use");
	poweroff_and_wait();
}

Test(agent_volumes, gitrepo_layer_arrives_writable)
{
	char dir[1024], tarpath[1024], cmd[4200];
	json_t *cs[1], *spec;
	struct ldigest d;
	char diff_id[LDIGEST_STR_LEN];
	char *tar;
	size_t len = 0;
	uint32_t id;

	agent_start(&ag, 0);
	native_path(dir, sizeof(dir), "repo");
	native_path(tarpath, sizeof(tarpath), "repo.tar");
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/app && echo readme > %s/app/README && "
		 "tar -C %s --numeric-owner -cf %s app",
		 dir, dir, dir, tarpath);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	tar = native_read_file(tarpath);
	{
		FILE *f = fopen(tarpath, "rb");

		cr_assert_not_null(f);
		fseek(f, 0, SEEK_END);
		len = (size_t)ftell(f);
		fclose(f);
	}
	ldigest_init(&d);
	ldigest_update(&d, tar, len);
	ldigest_final(&d, diff_id);

	host_connect(&h, ag.sock);
	host_hello(&h);
	cs[0] = with_mounts(
		spec_container(&ag, "app",
			       "cat /src/app/README && echo new > "
			       "/src/app/NEW && cat /src/app/NEW"),
		mount_of("src", "/src", false), NULL);
	spec = spec_group("never", 1, cs);
	json_object_set_new(spec, "volumes",
			    json_pack("[{s:s, s:s, s:i, s:s}]", "name", "src",
				      "type", "gitrepo", "size_bytes", 0,
				      "layer", diff_id));
	host_spec(&h, spec);
	host_layer(&h, &ag, NULL, NULL);
	id = host_send(&h, PROTO_LAYER,
		       json_pack("{s:s, s:s, s:I}", "diff_id", diff_id,
				 "media_type",
				 "application/vnd.oci.image.layer.v1.tar",
				 "size", (json_int_t)len));
	host_send_raw(&h, PROTO_DATA, id, tar, len);
	host_send_raw(&h, PROTO_LAYER_END, id, "{}", 2);
	free(tar);
	json_decref(host_ok(&h, id));
	json_decref(host_ok(&h, host_send(&h, PROTO_START, json_object())));
	host_event(&h, PROTO_EVENT_GROUP_EXITED, NULL, 0);
	cr_expect_str_eq(out(0, 0), "readme\nnew\n", "%s / %s", out(0, 0),
			 out(0, 1));
	poweroff_and_wait();
}

Test(agent_volumes, start_fails_naming_a_missing_gitrepo_layer)
{
	json_t *cs[1], *spec;

	agent_start(&ag, 0);
	host_connect(&h, ag.sock);
	host_hello(&h);
	cs[0] = with_mounts(spec_container(&ag, "app", "true"),
			    mount_of("src", "/src", false), NULL);
	spec = spec_group("never", 1, cs);
	json_object_set_new(
		spec, "volumes",
		json_pack("[{s:s, s:s, s:i, s:s}]", "name", "src", "type",
			  "gitrepo", "size_bytes", 0, "layer",
			  "sha256:00000000000000000000000000000000000000000000"
			  "00000000000000000000"));
	host_spec(&h, spec);
	host_layer(&h, &ag, NULL, NULL);
	host_error(&h, host_send(&h, PROTO_START, json_object()), "ENOENT",
		   "volume \"src\": its content");
	poweroff_and_wait();
}
