/* strv.c - NULL-terminated string vectors (see strv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

char **strv_new(void)
{
	return calloc(1, sizeof(char *));
}

int strv_push_take(char ***v, char *s)
{
	size_t n = strv_len(*v);
	char **nv;

	if (!s)
		return -ENOMEM;
	nv = realloc(*v, (n + 2) * sizeof(*nv));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[n] = s;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

int strv_push(char ***v, const char *s)
{
	return strv_push_take(v, strdup(s));
}

int strv_dup(char *const *v, char ***out)
{
	size_t i, n = strv_len(v);
	char **d;

	*out = NULL;
	if (!v)
		return 0;
	d = calloc(n + 1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		d[i] = strdup(v[i]);
		if (!d[i]) {
			strv_free(d);
			return -ENOMEM;
		}
	}
	*out = d;
	return 0;
}

void strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}
