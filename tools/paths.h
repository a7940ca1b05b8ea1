/* paths.h - the pieces of lighter_paths_runtime() (paths.c), open for
 * tests: one runtime file looked up in order -- its environment
 * variable, next to the running executable, the installed copy -- with
 * an error that names what is missing and the variable to set. */
#ifndef LIGHTER_TOOLS_PATHS_H
#define LIGHTER_TOOLS_PATHS_H

#include <stdbool.h>

#include <lighter/error.h>
#include <lighter/lighter.h>

#ifndef LIGHTER_LIBDIR
#define LIGHTER_LIBDIR "/usr/local/lib/lighter"
#endif

struct runtime_file {
	const char *what;      /* "lighter-vmm", "guest kernel", ... */
	const char *env;       /* "LIGHTER_VMM" */
	const char *build_rel; /* from the executable's dir: "../vmm/..." */
	const char *installed; /* name under LIGHTER_LIBDIR */
	bool executable;
};

extern const struct runtime_file runtime_vmm, runtime_kernel, runtime_initrd;

/* Look f up: env_value (the variable's value, NULL when unset) must name
 * a usable file if given; else exe_dir/build_rel; else
 * libdir/installed.  *out is a malloc'd path. */
int runtime_file_find(const struct runtime_file *f, const char *env_value,
		      const char *exe_dir, const char *libdir, char **out,
		      struct lerr *e);

/* The run dir's default for this user: /run/lighter for root, else
 * $XDG_RUNTIME_DIR/lighter (-EINVAL when it is unset). */
int paths_default_run_dir(char **out, struct lerr *e);

#endif
