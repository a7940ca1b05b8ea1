/* native.h - what the native tests share: the skip check and criterion
 * entry point, a scratch tmpfs in a private mount namespace per test, the
 * busybox test image, and running a container with its stdout and stderr
 * captured. */
#ifndef LIGHTER_TESTS_NATIVE_H
#define LIGHTER_TESTS_NATIVE_H

#include <stddef.h>
#include <sys/types.h>

#include "container.h"

/* /etc/group of the test image (user app, uid 1000, is in staff). */
#define NATIVE_IMAGE_GROUP                                                     \
	"root:x:0:\n"                                                          \
	"staff:x:50:app\n"                                                     \
	"app:x:1000:\n"

/* snprintf into an array, asserting that nothing was cut off. */
#define NATIVE_FMT(buf, ...)                                                   \
	cr_assert(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf),  \
		  "%s: string too long", #buf)

/* Exit 77 with the reason on stdout when the tests cannot run here (not
 * root, no /bin/busybox, no overlay or namespaces); else run criterion. */
int native_main(int argc, char *argv[]);

/* .init: a private mount namespace and a fresh tmpfs scratch directory;
 * .fini: kill the containers the test left running, drop the scratch. */
void native_enter_scratch(void);
void native_leave_scratch(void);

/* scratch/rel into buf (asserts it fits). */
void native_path(char *buf, size_t size, const char *rel);

/* The test image in dir: /bin/busybox with applet links (sh cat ls id
 * hostname pwd echo sleep env sort grep head od cut readlink), /bin/data
 * (0644), /bin/garbage (0755, not a program), /opt/tools/hello (a
 * script), /etc/passwd (root, app 1000:1000), /etc/group
 * (NATIVE_IMAGE_GROUP), /etc/motd ("image\n"), /root (0700). */
void native_make_image(const char *dir);

/* Create (or truncate) path with content, mode 0644 (asserts). */
void native_write(const char *path, const char *content);

/* A file's whole content, NUL-terminated, malloc'd (asserts). */
char *native_read_file(const char *path);

struct native_run {
	char *out, *err; /* the container's stdout and stderr */
	int status;	 /* from waitpid */
	int exit_code;	 /* container_exit_code(status) */
};

/* Spawn (asserting success) with stdout and stderr on fresh pipes, read
 * both to the end, reap.  The pipes are deliberately not close-on-exec. */
void native_run(struct container_spec *s, struct native_run *r);
void native_run_free(struct native_run *r);

/* Spawn, wait until stdout has shown `ready`, send sig, reap. */
void native_run_signal(struct container_spec *s, const char *ready, int sig,
		       int *status);

/* Remember a container's pid so that native_leave_scratch() kills it if
 * the test ends early. */
void native_track(pid_t pid);

#endif
