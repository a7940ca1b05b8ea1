/* strv.h - NULL-terminated string vectors (argv, envp), the shape every
 * word list in the spec, the image config and the merged process takes.
 * Each vector owns its strings; a NULL vector means "not given", an empty
 * one ({ NULL }) "given, with no entries". */
#ifndef LIGHTER_TOOLS_STRV_H
#define LIGHTER_TOOLS_STRV_H

#include <stddef.h>

size_t strv_len(char *const *v);

/* Append a copy of s.  Returns 0 or -ENOMEM (v unchanged).  *v may be
 * NULL (a new vector). */
int strv_push(char ***v, const char *s);

/* Append s itself, taking ownership (freed on failure). */
int strv_push_take(char ***v, char *s);

/* A new empty vector ({ NULL }) or NULL when out of memory. */
char **strv_new(void);

/* A deep copy (NULL for NULL); -ENOMEM leaves *out NULL. */
int strv_dup(char *const *v, char ***out);

void strv_free(char **v);

static inline void strv_freep(char ***v)
{
	strv_free(*v);
}

#define _cleanup_strv_ __attribute__((cleanup(strv_freep)))

#endif
