/* gitrepo.c - a gitrepo volume's content, made on the host when the group
 * is created (see gitrepo.h): `git clone` into a temporary directory
 * ($TMPDIR or /tmp), `git checkout --detach REVISION`, `tar` of the tree
 * (.git included, as Kubernetes' gitRepo volume has it), hashed and put
 * in the content store; the temporary directory is removed either way.
 * The repository and revision were checked by the spec (no leading '-',
 * no blanks) and are passed after "--" where git takes it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lighter/cleanup.h>
#include <lighter/digest.h>

#include "gitrepo.h"
#include "host-tool.h"

#define TAR_MEDIA_TYPE "application/vnd.oci.image.layer.v1.tar"

static int hash_file(int fd, char digest[LDIGEST_STR_LEN], uint64_t *size,
		     struct lerr *e)
{
	struct ldigest d;
	char buf[65536];
	ssize_t n;

	ldigest_init(&d);
	*size = 0;
	while ((n = pread(fd, buf, sizeof(buf), (off_t)*size)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lerr_set(e, errno, "read the tar");
		ldigest_update(&d, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	ldigest_final(&d, digest);
	return 0;
}

static int fetch_in(const struct spec_volume *v, const char *tmp,
		    struct store *st, struct group_layer *out, struct lerr *e)
{
	_cleanup_free_ char *tree = NULL, *dest = NULL, *tar = NULL;
	_cleanup_close_ int fd = -1;
	char what[600];
	bool sub = v->directory && strcmp(v->directory, ".") != 0;
	int r;

	if (asprintf(&tree, "%s/tree", tmp) < 0 ||
	    asprintf(&dest, "%s%s%s", tree, sub ? "/" : "",
		     sub ? v->directory : "") < 0 ||
	    asprintf(&tar, "%s/content.tar", tmp) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (sub && mkdir(tree, 0755) < 0)
		return lerr_set(e, errno, "mkdir \"%s\"", tree);
	{
		const char *argv[] = { "git", "clone", "--quiet", "--",
				       v->repository, dest, NULL };

		snprintf(what, sizeof(what), "git clone \"%s\"",
			 v->repository);
		r = host_tool_run(argv, NULL, -1, what, e);
		if (r < 0)
			return r;
	}
	if (v->revision) {
		const char *argv[] = { "git", "-C", dest, "checkout", "--quiet",
				       "--detach", v->revision, NULL };

		snprintf(what, sizeof(what), "git checkout \"%s\" of \"%s\"",
			 v->revision, v->repository);
		r = host_tool_run(argv, NULL, -1, what, e);
		if (r < 0)
			return r;
	}
	fd = open(tar, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return lerr_set(e, errno, "create \"%s\"", tar);
	{
		const char *argv[] = { "tar", "--numeric-owner", "--owner=0",
				       "--group=0", "-C", tree, "-cf", "-",
				       ".", NULL };

		r = host_tool_run(argv, NULL, fd, "tar of the clone", e);
		if (r < 0)
			return r;
	}
	r = hash_file(fd, out->diff_id, &out->size, e);
	if (r < 0)
		return r;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return lerr_set(e, errno, "seek \"%s\"", tar);
	r = store_put_fd(st, out->diff_id, out->size, fd, e);
	if (r < 0)
		return r;
	strcpy(out->digest, out->diff_id); /* not compressed */
	out->media_type = strdup(TAR_MEDIA_TYPE);
	out->path = store_blob_path(st, out->digest);
	if (!out->media_type || !out->path)
		return lerr_fail(e, ENOMEM, "out of memory");
	return 0;
}

int gitrepo_fetch(const struct spec_volume *v, struct store *st,
		  struct group_layer *out, struct lerr *e)
{
	const char *base = getenv("TMPDIR");
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int base_fd = -1;
	struct lerr why = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
	if (!base || base[0] != '/')
		base = "/tmp";
	if (asprintf(&tmp, "%s/lighter-git-XXXXXX", base) < 0)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (!mkdtemp(tmp))
		return lerr_set(e, errno, "[volume.%s]: mkdtemp \"%s\"",
				v->name, tmp);
	r = fetch_in(v, tmp, st, out, &why);
	if (r < 0)
		lerr_fail(e, -r, "[volume.%s]: %s", v->name, why.msg);
	base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd >= 0)
		group_remove_tree(base_fd, strrchr(tmp, '/') + 1, tmp, NULL);
	if (r < 0) {
		free(out->media_type);
		free(out->path);
		memset(out, 0, sizeof(*out));
	}
	return r;
}
