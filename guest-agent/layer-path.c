/* layer-path.c - lexical rules for layer entry paths (clean form, length
 * limits, OCI whiteout names) and the symlink-free walk of the layer's own
 * directory that the unpacker does before every write.  See layer-path.h.
 *
 * The walk is the first wall against escapes: every existing ancestor of
 * an entry is opened with O_NOFOLLOW|O_DIRECTORY relative to its parent's
 * fd, so a symlink (or a file) planted by an earlier entry of the layer is
 * found and named before libarchive's own SECURE_SYMLINKS check (the
 * second wall) sees the entry. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "layer-path.h"

/* Bytes of a path or name quoted in a message (the whole message is 512). */
#define SHOWN_MAX 160

/* The first len bytes of s, printable (see layer_path_printable()). */
static void printable_n(const char *s, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	while (n < len && s[n] && n + 1 < outlen) {
		unsigned char c = (unsigned char)s[n];

		out[n] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		n++;
	}
	out[n] = '\0';
	if (n < len && s[n] && outlen > 4)
		memcpy(out + outlen - 4, "...", 4);
}

void layer_path_printable(const char *s, char *out, size_t outlen)
{
	printable_n(s, strlen(s), out, outlen);
}

int layer_path_clean(const char *raw, size_t max_path, size_t max_name,
		     char *out, size_t outlen, struct lerr *e)
{
	const char *p = raw;
	size_t rawlen, o = 0;

	if (max_path > LAYER_PATH_MAX)
		max_path = LAYER_PATH_MAX;
	if (max_name > LAYER_NAME_MAX)
		max_name = LAYER_NAME_MAX;
	if (!raw || !raw[0])
		return lerr_fail(e, EINVAL, "empty path");
	if (raw[0] == '/')
		return lerr_fail(e, EINVAL, "absolute path refused");
	rawlen = strnlen(raw, max_path + 1);
	if (rawlen > max_path)
		return lerr_fail(e, ENAMETOOLONG,
				 "path longer than %zu bytes refused",
				 max_path);
	if (outlen <= rawlen)
		return lerr_fail(e, ENAMETOOLONG, "path buffer too small");

	while (*p) {
		const char *c = p;
		size_t n;

		while (*p && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (*p)
			p++;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return lerr_fail(e, EINVAL, "'..' component refused");
		if (n > max_name)
			return lerr_fail(
			    e, ENAMETOOLONG,
			    "component longer than %zu bytes refused",
			    max_name);
		if (o)
			out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

size_t layer_path_dirlen(const char *clean)
{
	const char *slash = strrchr(clean, '/');

	return slash ? (size_t)(slash - clean) : 0;
}

static bool is_wh_name(const char *c, size_t n)
{
	size_t k = sizeof(LAYER_WH_PREFIX) - 1;

	return n >= k && memcmp(c, LAYER_WH_PREFIX, k) == 0;
}

bool layer_path_has_wh(const char *clean)
{
	const char *p = clean;

	while (*p) {
		const char *c = p;

		while (*p && *p != '/')
			p++;
		if (is_wh_name(c, (size_t)(p - c)))
			return true;
		if (*p)
			p++;
	}
	return false;
}

int layer_path_whiteout(const char *clean, char *target, size_t targetlen,
			struct lerr *e)
{
	size_t dl = layer_path_dirlen(clean), k = sizeof(LAYER_WH_PREFIX) - 1;
	const char *base = clean + (dl ? dl + 1 : 0);
	const char *name = base + k;
	char shown[SHOWN_MAX];
	size_t i = 0;

	while (i < dl) {
		size_t j = i;

		while (j < dl && clean[j] != '/')
			j++;
		if (is_wh_name(clean + i, j - i))
			return lerr_fail(e, EINVAL,
					 "'.wh.' directory component refused");
		i = j + 1;
	}
	if (!is_wh_name(base, strlen(base)))
		return LAYER_WH_NONE;
	if (targetlen <= strlen(clean))
		return lerr_fail(e, ENAMETOOLONG, "whiteout buffer too small");

	if (strcmp(base, LAYER_WH_OPAQUE_NAME) == 0) {
		memcpy(target, clean, dl);
		target[dl] = '\0';
		return LAYER_WH_OPAQUE;
	}
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    is_wh_name(name, strlen(name))) {
		layer_path_printable(base, shown, sizeof(shown));
		return lerr_fail(e, EINVAL, "bogus whiteout name '%s' refused",
				 shown);
	}
	memcpy(target, clean, dl);
	i = dl;
	if (dl)
		target[i++] = '/';
	memcpy(target + i, name, strlen(name) + 1);
	return LAYER_WH_FILE;
}

/* Why openat(dfd, name, O_DIRECTORY|O_NOFOLLOW) failed with err, as an
 * error about the component clean[0..end). */
static int walk_refusal(int dfd, const char *name, const char *clean,
			size_t end, int err, struct lerr *e)
{
	char shown[SHOWN_MAX], link[SHOWN_MAX], target[SHOWN_MAX];
	struct stat st;
	ssize_t n;

	printable_n(clean, end, shown, sizeof(shown));
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return lerr_set(e, errno, "'%s'", shown);
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(dfd, name, link, sizeof(link) - 1);
		link[n < 0 ? 0 : n] = '\0';
		layer_path_printable(link, target, sizeof(target));
		return lerr_fail(e, ELOOP,
				 "'%s' is a symlink (to '%s'); nothing is "
				 "unpacked through a symlink",
				 shown, target);
	}
	if (!S_ISDIR(st.st_mode))
		return lerr_fail(e, ENOTDIR, "'%s' is not a directory", shown);
	return lerr_set(e, err, "open '%s'", shown);
}

int layer_walk(int rootfd, const char *clean, size_t len, enum layer_walk mode,
	       struct lerr *e)
{
	_cleanup_close_ int dfd = -1;
	char name[LAYER_NAME_MAX + 1], shown[SHOWN_MAX];
	size_t i = 0;

	dfd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return lerr_set(e, errno, "open the layer root");
	while (i < len) {
		size_t j = i, n;
		int fd;

		while (j < len && clean[j] != '/')
			j++;
		n = j - i;
		if (n == 0 || n > LAYER_NAME_MAX)
			return lerr_fail(e, EINVAL, "path not clean");
		memcpy(name, clean + i, n);
		name[n] = '\0';

		fd = openat(dfd, name,
			    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			if (mode == LAYER_WALK_CHECK)
				return 0;
			if (mode == LAYER_WALK_OPEN) {
				printable_n(clean, j, shown, sizeof(shown));
				return lerr_fail(e, ENOENT,
						 "'%s' does not exist", shown);
			}
			if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST) {
				printable_n(clean, j, shown, sizeof(shown));
				return lerr_set(e, errno, "mkdir '%s'", shown);
			}
			fd = openat(dfd, name,
				    O_PATH | O_DIRECTORY | O_NOFOLLOW |
					O_CLOEXEC);
		}
		if (fd < 0)
			return walk_refusal(dfd, name, clean, j, errno, e);
		close(dfd);
		dfd = fd;
		i = j + 1;
	}
	if (mode == LAYER_WALK_CHECK)
		return 0;
	return TAKE_FD(dfd);
}
