/* proc-threads.h - describe a process's threads (proc-threads.c). */
#ifndef LIGHTER_PROC_THREADS_H
#define LIGHTER_PROC_THREADS_H

#include <stddef.h>

/* "name(tid) STATE wchan syscall N; ..." for every thread of pid into
 * out (always terminated, cut at n); the length written, 0 when the
 * process is gone. */
size_t proc_threads_describe(int pid, char *out, size_t n);

#endif
