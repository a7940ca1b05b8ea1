/* test-paths.c - where lighter looks (tools/paths.c): run and data dirs
 * from flags, variables and defaults; lighter-vmm, the kernel and the
 * initramfs by variable, beside the executable as in the build tree, or
 * installed, and every way of not finding one reported with the file and
 * the variable that overrides it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "tmpdir.h"

TestSuite(paths, .init = tmpdir_make, .fini = tmpdir_remove);

static char *touch(const char *rel, mode_t mode)
{
	char *p = tmpdir_join(rel);
	int fd;

	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	cr_assert_geq(fd, 0, "%s", p);
	close(fd);
	chmod(p, mode);
	return p;
}

/* The build tree: B/tools (the executable's dir), B/vmm/lighter-vmm. */
Test(paths, found_beside_the_executable_first)
{
	char *exe_dir, *built, *inst, *out = NULL;
	struct lerr e = { 0 };

	tmpdir_mkdirs("b/tools");
	tmpdir_mkdirs("b/vmm");
	tmpdir_mkdirs("lib");
	exe_dir = tmpdir_join("b/tools");
	built = touch("b/vmm/lighter-vmm", 0755);
	inst = touch("lib/lighter-vmm", 0755);
	cr_assert_eq(runtime_file_find(&runtime_vmm, NULL, exe_dir,
				       tmpdir_join("lib"), &out, &e),
		     0, "%s", e.msg);
	cr_expect_str_eq(out, built);
	free(out);
	unlink(built);
	cr_assert_eq(runtime_file_find(&runtime_vmm, NULL, exe_dir,
				       tmpdir_join("lib"), &out, &e),
		     0, "%s", e.msg);
	cr_expect_str_eq(out, inst, "then the installed one");
	free(out);
	free(exe_dir);
	free(built);
	free(inst);
}

Test(paths, the_variable_wins_and_must_be_right)
{
	char *k = touch("my-vmlinux", 0644), *out = NULL, *lib;
	struct lerr e = { 0 };
	char want[PATH_MAX + 128];

	lib = tmpdir_join("lib");
	cr_assert_eq(runtime_file_find(&runtime_kernel, k, NULL, lib, &out,
				       &e),
		     0, "%s", e.msg);
	cr_expect_str_eq(out, k);
	free(out);
	cr_expect_eq(runtime_file_find(&runtime_kernel, "/nonexistent/vmlinux",
				       NULL, lib, &out, &e),
		     -ENOENT);
	cr_expect_str_eq(e.msg, "guest kernel \"/nonexistent/vmlinux\" (from "
				"LIGHTER_KERNEL): No such file or directory");
	cr_expect_null(out);
	cr_expect_eq(runtime_file_find(&runtime_initrd, tmpdir_path, NULL, lib,
				       &out, &e),
		     -EINVAL);
	snprintf(want, sizeof(want), "initramfs \"%s\" (from LIGHTER_INITRD): "
		 "not a regular file", tmpdir_path);
	cr_expect_str_eq(e.msg, want);
	free(k);
	free(lib);
}

Test(paths, a_vmm_must_be_executable)
{
	char *v = touch("lighter-vmm", 0644), *out = NULL;
	struct lerr e = { 0 };

	/* even root's access(X_OK) wants an x bit somewhere */
	cr_expect_eq(runtime_file_find(&runtime_vmm, v, NULL, "/nonexistent",
				       &out, &e),
		     -EACCES);
	cr_expect(strstr(e.msg, "(from LIGHTER_VMM): Permission denied") !=
			  NULL,
		  "%s", e.msg);
	free(v);
}

Test(paths, not_found_anywhere_names_both_places_and_the_variable)
{
	char *exe_dir = tmpdir_join("b/tools"), *lib = tmpdir_join("lib");
	char *out = NULL, want[3 * PATH_MAX];
	struct lerr e = { 0 };

	cr_expect_eq(runtime_file_find(&runtime_initrd, NULL, exe_dir, lib,
				       &out, &e),
		     -ENOENT);
	snprintf(want, sizeof(want), "initramfs not found: neither "
		 "\"%s/../rootfs/initramfs.cpio\" nor \"%s/initramfs.cpio\" "
		 "is usable (set LIGHTER_INITRD)", exe_dir, lib);
	cr_expect_str_eq(e.msg, want);
	/* no executable dir known: only the installed place */
	cr_expect_eq(runtime_file_find(&runtime_kernel, "", NULL, lib, &out,
				       &e),
		     -ENOENT, "an empty variable counts as unset");
	snprintf(want, sizeof(want), "guest kernel \"%s/vmlinux\": No such "
		 "file or directory (set LIGHTER_KERNEL)", lib);
	cr_expect_str_eq(e.msg, want);
	free(exe_dir);
	free(lib);
}

Test(paths, runtime_lookup_uses_the_variables)
{
	struct lighter_paths p;
	struct lerr e = { 0 };
	char *v = touch("vmm", 0755), *k = touch("k", 0644);

	setenv("LIGHTER_VMM", v, 1);
	setenv("LIGHTER_KERNEL", k, 1);
	setenv("LIGHTER_INITRD", "/nonexistent/initramfs.cpio", 1);
	cr_assert_eq(lighter_paths_init(&p, "/r", "/d", &e), 0);
	cr_expect_eq(lighter_paths_runtime(&p, &e), -ENOENT);
	cr_expect_str_eq(e.msg, "initramfs \"/nonexistent/initramfs.cpio\" "
				"(from LIGHTER_INITRD): No such file or "
				"directory");
	setenv("LIGHTER_INITRD", k, 1);
	cr_assert_eq(lighter_paths_runtime(&p, &e), 0, "%s", e.msg);
	cr_expect_str_eq(p.vmm, v);
	cr_expect_str_eq(p.kernel, k);
	cr_expect_str_eq(p.initrd, k);
	lighter_paths_free(&p);
	free(v);
	free(k);
}

Test(paths, run_and_data_dirs)
{
	struct lighter_paths p;
	struct lerr e = { 0 };
	char cwd[PATH_MAX], want[PATH_MAX + 16];

	unsetenv("LIGHTER_RUN_DIR");
	unsetenv("LIGHTER_DATA_DIR");
	cr_assert_eq(lighter_paths_init(&p, "/flag/run", "/flag/data", &e), 0);
	cr_expect_str_eq(p.run_dir, "/flag/run");
	cr_expect_str_eq(p.data_dir, "/flag/data");
	lighter_paths_free(&p);

	setenv("LIGHTER_RUN_DIR", "/env/run", 1);
	setenv("LIGHTER_DATA_DIR", "/env/data", 1);
	cr_assert_eq(lighter_paths_init(&p, NULL, NULL, &e), 0);
	cr_expect_str_eq(p.run_dir, "/env/run");
	cr_expect_str_eq(p.data_dir, "/env/data");
	lighter_paths_free(&p);
	cr_assert_eq(lighter_paths_init(&p, "/flag/run", NULL, &e), 0);
	cr_expect_str_eq(p.run_dir, "/flag/run", "the flag beats the variable");
	lighter_paths_free(&p);

	/* relative dirs are made absolute: the monitor changes directory */
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(lighter_paths_init(&p, "rel/run", NULL, &e), 0);
	snprintf(want, sizeof(want), "%s/rel/run", cwd);
	cr_expect_str_eq(p.run_dir, want);
	lighter_paths_free(&p);

	unsetenv("LIGHTER_RUN_DIR");
	unsetenv("LIGHTER_DATA_DIR");
	cr_assert_eq(lighter_paths_init(&p, NULL, NULL, &e), 0, "%s", e.msg);
	cr_expect_str_eq(p.data_dir, "/var/lib/lighter");
	if (geteuid() == 0)
		cr_expect_str_eq(p.run_dir, "/run/lighter");
	lighter_paths_free(&p);
}

Test(paths, default_run_dir_of_a_user)
{
	char *dir = NULL;
	struct lerr e = { 0 };

	if (geteuid() == 0 && setresuid(65534, 65534, 65534) < 0)
		cr_skip_test("cannot drop to nobody");
	setenv("XDG_RUNTIME_DIR", "/run/user/65534", 1);
	cr_assert_eq(paths_default_run_dir(&dir, &e), 0, "%s", e.msg);
	cr_expect_str_eq(dir, "/run/user/65534/lighter");
	free(dir);
	unsetenv("XDG_RUNTIME_DIR");
	cr_expect_eq(paths_default_run_dir(&dir, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "no run dir: XDG_RUNTIME_DIR is not set (use "
				"--run-dir or LIGHTER_RUN_DIR)");
}
