/* test-group-volumes.c - the host's side of volumes (tools/group-volumes.c,
 * gitrepo.c, host-tool.c) with the real tools: a spec's volumes into the
 * SPEC's volumes and mounts (accepted by the protocol's decoder), a
 * gitrepo cloned from a local repository at a revision into the content
 * store as a tar, volumes.json without any secret, and persistent images
 * made with mkfs.ext4 on first use, kept afterwards, and locked against
 * a second group; `lighter volume`'s listing and removal
 * (volume-store.c) while one is held and after.  Skips (77) without
 * git, tar or mkfs.ext4. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitrepo.h"
#include "group-volumes.h"
#include "host-tool.h"
#include "tmpdir.h"
#include "volume-store.h"

static struct spec s;
static struct store st;

static void run_sh(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static bool have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "PATH=$PATH:/usr/sbin:/sbin command -v %s >/dev/null", prog);
	return system(cmd) == 0;
}

static void setup(void)
{
	struct lerr e = { 0 };
	char *data;

	if (!have("git") || !have("tar") || !have("mkfs.ext4")) {
		fprintf(stderr, "skip: git, tar or mkfs.ext4 missing\n");
		exit(77);
	}
	tmpdir_make();
	data = tmpdir_join("data");
	cr_assert_eq(store_open(&st, data, &e), 0, "%s", e.msg);
	free(data);
}

static void teardown(void)
{
	spec_free(&s);
	store_close(&st);
	tmpdir_remove();
}

TestSuite(group_volumes, .init = setup, .fini = teardown, .timeout = 60);

/* A repository in tmpdir/repo with two commits; the first's tag v1. */
static void make_repo(void)
{
	char *cmd;

	cr_assert(asprintf(&cmd,
			   "set -e; cd %s; git init -q repo; cd repo; "
			   "git config user.email t@t; git config user.name t; "
			   "echo one > f; git add f; git commit -qm one; "
			   "git tag v1; echo two > f; git commit -qam two",
			   tmpdir_path) > 0);
	run_sh(cmd);
	free(cmd);
}

static void load(const char *text)
{
	char *path = tmpdir_write_str("g.ini", text);
	struct lerr e = { 0 };

	cr_assert_eq(spec_load(&s, path, &e), 0, "%s", e.msg);
	free(path);
}

Test(group_volumes, build_gives_a_spec_the_agent_accepts)
{
	struct proto_container pcs[2] = { 0 };
	struct proto_group g = { .name = "g", .hostname = "g",
				 .containers = pcs, .n_containers = 2 };
	static char *args[] = { "sh" };
	static char *layers[] = { "sha256:0000000000000000000000000000000000"
				  "000000000000000000000000000000" };
	struct group_layer *gl = NULL;
	struct group_volumes rec;
	size_t nr = 0;
	struct lerr e = { 0 };
	json_t *j;
	char *list, *path, *spec_path;

	make_repo();
	load("[group]\nname = g\n"
	     "[container.a]\nimage = oci:/i\n"
	     "volumes = t:/t, s:/s, p:/p, r:/r\n"
	     "[container.b]\nimage = oci:/i\nvolumes = t:/other:ro\n"
	     "[volume.t]\ntype = emptydir\nsize = 8M\n"
	     "[volume.s]\ntype = secret\nsecret.k = c2VjcmV0\n"
	     "[volume.p]\ntype = persistent\nsize = 32M\n"
	     "[volume.r]\ntype = gitrepo\nrepository = repo\nrevision = v1\n"
	     "directory = src\n");
	for (int i = 0; i < 2; i++) {
		snprintf(pcs[i].name, sizeof(pcs[i].name), "%c", 'a' + i);
		pcs[i].args = args;
		pcs[i].n_args = 1;
		pcs[i].workdir = "/";
		pcs[i].user = "0";
		pcs[i].layers = layers;
		pcs[i].n_layers = 1;
	}
	spec_path = tmpdir_join("g.ini");
	cr_assert_eq(group_volumes_build(&s, spec_path, &st, &g, &gl, &nr,
					 &rec, &e),
		     0, "%s", e.msg);
	cr_assert_eq(g.n_volumes, 4);
	cr_expect_eq(g.volumes[0].size_bytes, 8 << 20);
	cr_expect_str_eq(g.volumes[2].device, "lv0");
	cr_assert_eq(nr, 1);
	cr_expect_str_eq(g.volumes[3].layer, gl[0].diff_id);
	cr_expect_str_eq(gl[0].digest, gl[0].diff_id);
	cr_assert_eq(pcs[0].n_mounts, 4);
	cr_expect(pcs[0].mounts[1].readonly, "a secret is read-only");
	cr_expect(pcs[1].mounts[0].readonly);
	cr_assert_eq(proto_group_to_json(&g, &j, &e), 0, "%s", e.msg);
	json_decref(j);

	/* the tar holds the tree at v1, .git included, under src/ */
	cr_assert(asprintf(&list, "tar -tf %s | sort > %s/list && "
			   "grep -qx './src/f' %s/list && "
			   "grep -qx './src/.git/HEAD' %s/list && "
			   "tar -xOf %s ./src/f | grep -qx one",
			   gl[0].path, tmpdir_path, tmpdir_path, tmpdir_path,
			   gl[0].path) > 0);
	run_sh(list);
	free(list);

	/* volumes.json: the disk and the spec's path, nothing secret */
	cr_expect_str_eq(rec.spec_path, spec_path);
	j = group_volumes_to_json(&rec);
	cr_assert_not_null(j);
	list = json_dumps(j, 0);
	cr_expect_null(strstr(list, "c2VjcmV0"));
	cr_expect_null(strstr(list, "secret\""));
	free(list);
	path = tmpdir_join("");
	{
		int dfd = open(path, O_RDONLY | O_DIRECTORY);
		struct group_volumes again;

		cr_assert_eq(group_json_write(dfd, GROUP_VOLUMES_FILE, j, path,
					      &e), 0, "%s", e.msg);
		cr_assert_eq(group_volumes_read(dfd, &again, &e), 0, "%s",
			     e.msg);
		cr_expect_eq(again.nr_disks, 1);
		cr_expect_str_eq(again.disks[0].name, "p");
		cr_expect_eq(again.disks[0].size, 32 << 20);
		cr_expect_str_eq(again.spec_path, spec_path);
		group_volumes_free(&again);
		close(dfd);
	}
	json_decref(j);
	free(path);
	free(spec_path);
	group_volumes_free(&rec);
	group_volumes_proto_free(&g);
	group_layers_free(gl, nr);
}

Test(group_volumes, gitrepo_errors_name_the_volume_and_git)
{
	struct spec_volume v = { .name = "r", .type = SPEC_VOLUME_GITREPO };
	struct group_layer l;
	struct lerr e = { 0 };

	make_repo();
	v.repository = tmpdir_join("repo");
	v.revision = "no-such-rev";
	cr_expect_eq(gitrepo_fetch(&v, &st, &l, &e), -EIO);
	cr_expect(strncmp(e.msg, "[volume.r]: git checkout \"no-such-rev\"",
			  38) == 0, "%s", e.msg);
	cr_expect(strstr(e.msg, "exited with status"), "%s", e.msg);
	free(v.repository);
	v.repository = "file:///nonexistent/repo";
	v.revision = NULL;
	cr_expect_eq(gitrepo_fetch(&v, &st, &l, &e), -EIO);
	cr_expect(strstr(e.msg, "git clone \"file:///nonexistent/repo\""),
		  "%s", e.msg);
}

Test(group_volumes, disks_are_made_once_and_locked)
{
	struct group_volumes v = { .nr_disks = 1 };
	struct volume_disks d1, d2;
	struct lerr e = { 0 };
	char *data = tmpdir_join("data"), *cmd;
	struct stat sb1, sb2;

	snprintf(v.disks[0].name, sizeof(v.disks[0].name), "db");
	snprintf(v.disks[0].device, sizeof(v.disks[0].device), "lv0");
	v.disks[0].size = 32 << 20;
	cr_assert_eq(group_volumes_attach(data, &v, &d1, &e), 0, "%s", e.msg);
	cr_assert_eq(d1.n, 1);
	cr_expect_str_eq(d1.ids[0], "lv0");
	cr_assert_eq(stat(d1.paths[0], &sb1), 0);
	cr_expect_eq(sb1.st_size, 32 << 20);
	cr_assert(asprintf(&cmd, "PATH=$PATH:/sbin:/usr/sbin dumpe2fs -h %s "
			   "2>/dev/null | grep -q 'Filesystem magic number: "
			   " 0xEF53'", d1.paths[0]) > 0);
	run_sh(cmd);
	free(cmd);

	/* a second group is refused while the first holds it */
	cr_expect_eq(group_volumes_attach(data, &v, &d2, &e), -EBUSY);
	cr_expect(strstr(e.msg, "persistent volume \"db\" is in use by "
			 "another running group"), "%s", e.msg);
	cr_expect_eq(d2.n, 0);
	volume_disks_close(&d1);

	/* free again, and kept as it is (a bigger size is not applied) */
	v.disks[0].size = 64 << 20;
	cr_assert_eq(group_volumes_attach(data, &v, &d2, &e), 0, "%s", e.msg);
	cr_assert_eq(stat(d2.paths[0], &sb2), 0);
	cr_expect_eq(sb2.st_size, 32 << 20);
	cr_expect_eq(sb2.st_mtim.tv_sec, sb1.st_mtim.tv_sec);
	cr_expect_eq(sb2.st_mtim.tv_nsec, sb1.st_mtim.tv_nsec);
	volume_disks_close(&d2);
	free(data);
}

Test(group_volumes, host_tool_reports_the_last_line)
{
	const char *fails[] = { "sh", "-c", "echo first >&2; echo 'the "
				"reason' >&2; exit 3", NULL };
	const char *missing[] = { "lighter-no-such-tool", NULL };
	struct lerr e = { 0 };

	cr_expect_eq(host_tool_run(fails, NULL, -1, "demo", &e), -EIO);
	cr_expect_str_eq(e.msg, "demo: exited with status 3: the reason");
	cr_expect_eq(host_tool_run(missing, NULL, -1, "demo", &e), -ENOENT);
	cr_expect(strstr(e.msg, "demo: cannot run lighter-no-such-tool"),
		  "%s", e.msg);
}

Test(group_volumes, volume_store_lists_and_removes_what_nobody_holds)
{
	struct group_volumes v = { .nr_disks = 2 };
	struct lighter_paths p = { 0 };
	struct volume_disks d;
	struct volume_info *list, one;
	struct lerr e = { 0 };
	size_t n;

	p.data_dir = tmpdir_join("data");
	cr_assert_eq(volume_list(&p, &list, &n, &e), 0, "%s", e.msg);
	cr_expect_eq(n, 0);
	volume_info_free(list, n);
	snprintf(v.disks[0].name, sizeof(v.disks[0].name), "zeta");
	snprintf(v.disks[1].name, sizeof(v.disks[1].name), "alpha");
	for (int i = 0; i < 2; i++) {
		snprintf(v.disks[i].device, sizeof(v.disks[i].device), "lv%d",
			 i);
		v.disks[i].size = 16 << 20;
	}
	cr_assert_eq(group_volumes_attach(p.data_dir, &v, &d, &e), 0, "%s",
		     e.msg);

	cr_assert_eq(volume_list(&p, &list, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(list[0].name, "alpha"); /* sorted */
	cr_expect_str_eq(list[1].name, "zeta");
	cr_expect_eq(list[0].size, 16 << 20);
	cr_expect(list[0].in_use && list[1].in_use);
	volume_info_free(list, n);
	cr_expect_eq(volume_remove(&p, "alpha", &e), -EBUSY);
	cr_expect_str_eq(e.msg, "volume \"alpha\" is in use by a running "
			 "group");

	volume_disks_close(&d);
	cr_assert_eq(volume_get(&p, "alpha", &one, &e), 0, "%s", e.msg);
	cr_expect_not(one.in_use);
	cr_expect_gt(one.disk_bytes, 0);
	free(one.path);
	cr_expect_eq(volume_remove(&p, "alpha", &e), 0, "%s", e.msg);
	cr_expect_eq(volume_remove(&p, "alpha", &e), -ENOENT);
	cr_expect_str_eq(e.msg, "no such volume \"alpha\"");
	cr_expect_eq(volume_get(&p, "../etc", &one, &e), -ENOENT);
	cr_assert_eq(volume_list(&p, &list, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(list[0].name, "zeta");
	volume_info_free(list, n);
	free(p.data_dir);
}
