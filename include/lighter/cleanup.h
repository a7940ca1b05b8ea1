/* cleanup.h - scope-bound ownership helpers (systemd/crun style).
 *
 * `_cleanup_free_ char *p = ...;` frees p when it leaves scope;
 * `TAKE_PTR(p)` hands ownership on and leaves NULL behind so the cleanup
 * becomes a no-op.  Same for file descriptors with `_cleanup_close_` and
 * `TAKE_FD`. */
#ifndef LIGHTER_CLEANUP_H
#define LIGHTER_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))

#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) _tp = (p);                                       \
		(p) = NULL;                                                    \
		_tp;                                                           \
	})

#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int _tf = (fd);                                                \
		(fd) = -1;                                                     \
		_tf;                                                           \
	})

#endif
