/* paths.c - where lighter keeps and finds things: the run dir and data
 * dir (flags, environment, defaults) and the runtime files a start needs
 * (lighter-vmm, the guest kernel, the initramfs), looked up by variable,
 * then beside the executable as the build tree lays them out, then as
 * installed. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "paths.h"

const struct runtime_file runtime_vmm = {
	.what = "lighter-vmm",
	.env = "LIGHTER_VMM",
	.build_rel = "../vmm/lighter-vmm",
	.installed = "lighter-vmm",
	.executable = true,
};

const struct runtime_file runtime_kernel = {
	.what = "guest kernel",
	.env = "LIGHTER_KERNEL",
	.build_rel = "../guest-vmlinux",
	.installed = "vmlinux",
};

const struct runtime_file runtime_initrd = {
	.what = "initramfs",
	.env = "LIGHTER_INITRD",
	.build_rel = "../rootfs/initramfs.cpio",
	.installed = "initramfs.cpio",
};

/* 0 when path is a regular file (following links) we may use; -errno. */
static int usable(const char *path, bool executable)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (access(path, executable ? X_OK : R_OK) < 0)
		return -errno;
	return 0;
}

/* The absolute, resolved form of a found file (the monitor runs with
 * another working directory), malloc'd. */
static int absolute_file(const char *path, char **out, struct lerr *e)
{
	*out = realpath(path, NULL);
	if (!*out)
		return lerr_set(e, errno, "\"%s\"", path);
	return 0;
}

static const char *why(int r)
{
	return r == -EINVAL ? "not a regular file" : strerror(-r);
}

int runtime_file_find(const struct runtime_file *f, const char *env_value,
		      const char *exe_dir, const char *libdir, char **out,
		      struct lerr *e)
{
	_cleanup_free_ char *built = NULL, *inst = NULL;
	int r;

	*out = NULL;
	if (env_value && env_value[0]) {
		r = usable(env_value, f->executable);
		if (r < 0)
			return lerr_fail(e, -r, "%s \"%s\" (from %s): %s",
					 f->what, env_value, f->env, why(r));
		return absolute_file(env_value, out, e);
	}
	if (exe_dir && asprintf(&built, "%s/%s", exe_dir, f->build_rel) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (asprintf(&inst, "%s/%s", libdir, f->installed) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (built && usable(built, f->executable) == 0)
		return absolute_file(built, out, e);
	r = usable(inst, f->executable);
	if (r == 0)
		return absolute_file(inst, out, e);
	if (built)
		return lerr_fail(e, ENOENT,
				 "%s not found: neither \"%s\" nor \"%s\" is "
				 "usable (set %s)",
				 f->what, built, inst, f->env);
	return lerr_fail(e, -r, "%s \"%s\": %s (set %s)", f->what, inst,
			 why(r), f->env);
}

int paths_default_run_dir(char **out, struct lerr *e)
{
	const char *xdg;

	*out = NULL;
	if (geteuid() == 0) {
		*out = strdup("/run/lighter");
	} else {
		xdg = getenv("XDG_RUNTIME_DIR");
		if (!xdg || xdg[0] != '/')
			return lerr_fail(e, EINVAL,
					 "no run dir: XDG_RUNTIME_DIR is not "
					 "set (use --run-dir or "
					 "LIGHTER_RUN_DIR)");
		if (asprintf(out, "%s/lighter", xdg) < 0)
			*out = NULL;
	}
	return *out ? 0 : lerr_fail(e, ENOMEM, "out of memory");
}

/* The flag's value, else the variable's, made absolute against the
 * working directory (it need not exist yet): 1, 0 when neither is set,
 * -ENOMEM. */
static int pick(const char *arg, const char *env, char **out,
		struct lerr *e)
{
	const char *v = arg && arg[0] ? arg : getenv(env);
	char cwd[PATH_MAX];

	if (!v || !v[0])
		return 0;
	if (v[0] == '/') {
		*out = strdup(v);
		return *out ? 1 : lerr_fail(e, ENOMEM, "out of memory");
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return lerr_set(e, errno, "\"%s\": working directory", v);
	if (asprintf(out, "%s/%s", cwd, v) < 0) {
		*out = NULL;
		return lerr_fail(e, ENOMEM, "out of memory");
	}
	return 1;
}

int lighter_paths_init(struct lighter_paths *p, const char *run_dir,
		       const char *data_dir, struct lerr *e)
{
	int r;

	memset(p, 0, sizeof(*p));
	r = pick(run_dir, "LIGHTER_RUN_DIR", &p->run_dir, e);
	if (r == 0)
		r = paths_default_run_dir(&p->run_dir, e);
	if (r >= 0) {
		r = pick(data_dir, "LIGHTER_DATA_DIR", &p->data_dir, e);
		if (r == 0) {
			p->data_dir = strdup("/var/lib/lighter");
			if (!p->data_dir)
				r = lerr_fail(e, ENOMEM, "out of memory");
		}
	}
	if (r < 0) {
		lighter_paths_free(p);
		return r;
	}
	return 0;
}

/* The directory of the running executable, malloc'd; NULL if unknown. */
static char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(dirname(buf));
}

int lighter_paths_runtime(struct lighter_paths *p, struct lerr *e)
{
	_cleanup_free_ char *dir = exe_dir();
	const char *libdir = getenv("LIGHTER_LIBDIR");
	int r;

	if (!libdir || !libdir[0])
		libdir = LIGHTER_LIBDIR;
	free(p->vmm);
	free(p->kernel);
	free(p->initrd);
	p->vmm = p->kernel = p->initrd = NULL;
	r = runtime_file_find(&runtime_vmm, getenv(runtime_vmm.env), dir,
			      libdir, &p->vmm, e);
	if (r == 0)
		r = runtime_file_find(&runtime_kernel,
				      getenv(runtime_kernel.env), dir, libdir,
				      &p->kernel, e);
	if (r == 0)
		r = runtime_file_find(&runtime_initrd,
				      getenv(runtime_initrd.env), dir, libdir,
				      &p->initrd, e);
	return r;
}

void lighter_paths_free(struct lighter_paths *p)
{
	free(p->run_dir);
	free(p->data_dir);
	free(p->vmm);
	free(p->kernel);
	free(p->initrd);
	memset(p, 0, sizeof(*p));
}
