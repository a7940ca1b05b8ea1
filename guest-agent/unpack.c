/* unpack.c - unpack_layer(): one OCI layer blob into its own directory,
 * entry by entry: check the entry (layer-path.c), turn OCI whiteouts into
 * overlayfs ones, and write the rest with libarchive's archive_write_disk
 * while layer-stream.c hashes the uncompressed tar for the diff_id.  The
 * contract is in unpack.h.
 *
 * Two walls keep every write inside the layer directory: the checks here
 * (clean relative paths, a symlink-free walk of each entry's existing
 * ancestors, hardlink targets that exist in this layer) come first and
 * give messages that name the entry; archive_write_disk runs with
 * SECURE_SYMLINKS|SECURE_NODOTDOT|SECURE_NOABSOLUTEPATHS behind them,
 * relative to the layer directory as working directory. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <lighter/cleanup.h>

#include "layer-path.h"
#include "layer-stream.h"
#include "unpack.h"

#define OPAQUE_XATTR "trusted.overlay.opaque"
#define XATTR_NAME_LIMIT 255	     /* the kernel's XATTR_NAME_MAX */
#define XATTR_VALUE_LIMIT (64 << 10) /* the kernel's XATTR_SIZE_MAX */

#define DISK_FLAGS                                                             \
	(ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | \
	 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |             \
	 ARCHIVE_EXTRACT_SECURE_NODOTDOT |                                     \
	 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

/* The times of a directory entry that found its directory already there
 * (the root, a parent made for an earlier entry): archive_write_disk sets
 * them at once, and the entries that follow would change them again. */
struct dir_time {
	char *path;
	struct timespec ts[2]; /* atime, mtime */
};

struct unpack {
	int rootfd;
	int blob_fd;
	struct unpack_limits lim;
	struct unpack_stats *st;
	struct archive *disk;
	struct layer_stream stream;
	struct dir_time *times;
	size_t ntimes, times_cap;
	char layer[96];			/* printable layer name */
	char shown[160];		/* printable raw entry path */
	char path[LAYER_PATH_MAX + 1];	/* the entry's clean path */
	char other[LAYER_PATH_MAX + 1]; /* its clean hardlink target, or the
					 * path its whiteout stands for */
};

static int layer_fail(struct unpack *u, const struct lerr *why, struct lerr *e)
{
	return lerr_fail(e, why->code, "layer '%s': %s", u->layer, why->msg);
}

static int entry_fail(struct unpack *u, const struct lerr *why, struct lerr *e)
{
	return lerr_fail(e, why->code, "layer '%s': entry '%s': %s", u->layer,
			 u->shown, why->msg);
}

/* A refusal or failure of the current entry, from a format. */
__attribute__((format(printf, 4, 5))) static int
entry_refuse(struct unpack *u, struct lerr *e, int errnum, const char *fmt, ...)
{
	struct lerr why = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why.msg, sizeof(why.msg), fmt, ap);
	va_end(ap);
	why.code = errnum;
	return entry_fail(u, &why, e);
}

static void note_warning(struct unpack *u)
{
	const char *msg = archive_error_string(u->disk);

	if (!u->st->warnings++)
		snprintf(u->st->warning, sizeof(u->st->warning),
			 "entry '%s': %s", u->shown, msg ? msg : "warning");
}

/* Mark the directory clean[0..len) opaque (made if missing). */
static int set_opaque(struct unpack *u, const char *clean, size_t len,
		      struct lerr *e)
{
	_cleanup_close_ int pfd = -1, fd = -1;
	struct lerr why = { 0 };

	pfd = layer_walk(u->rootfd, clean, len, LAYER_WALK_CREATE, &why);
	if (pfd < 0)
		return entry_fail(u, &why, e);
	fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
		return entry_refuse(u, e, errno, "set %s: %s", OPAQUE_XATTR,
				    strerror(errno));
	u->st->opaques++;
	return 0;
}

/* DIR/.wh.NAME: u->other holds "DIR/NAME". */
static int make_whiteout(struct unpack *u, struct lerr *e)
{
	size_t dl = layer_path_dirlen(u->other);
	const char *name = u->other + (dl ? dl + 1 : 0);
	_cleanup_close_ int dfd = -1;
	struct lerr why = { 0 };
	struct stat st;

	dfd = layer_walk(u->rootfd, u->other, dl, LAYER_WALK_CREATE, &why);
	if (dfd < 0)
		return entry_fail(u, &why, e);
	u->st->whiteouts++;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* This layer has NAME itself: the whiteout applies only to
		 * the layers below, which a directory hides by being opaque
		 * and anything else by being there. */
		if (S_ISDIR(st.st_mode))
			return set_opaque(u, u->other, strlen(u->other), e);
		return 0;
	}
	if (errno != ENOENT)
		return entry_refuse(u, e, errno, "stat whiteout target: %s",
				    strerror(errno));
	if (mknodat(dfd, name, S_IFCHR, makedev(0, 0)) < 0)
		return entry_refuse(u, e, errno, "mknod whiteout: %s",
				    strerror(errno));
	return 0;
}

/* The hardlink target in u->other: clean, in this layer already, and a
 * file, symlink or fifo (never a directory, device or whiteout). */
static int check_hardlink(struct unpack *u, const char *raw, struct lerr *e)
{
	size_t dl;
	_cleanup_close_ int dfd = -1;
	struct lerr why = { 0 };
	char shown[160];
	struct stat st;

	if (layer_path_clean(raw, u->lim.max_path, u->lim.max_name, u->other,
			     sizeof(u->other), &why) < 0)
		return entry_refuse(u, e, why.code, "hardlink target: %s",
				    why.msg);
	layer_path_printable(u->other, shown, sizeof(shown));
	if (!u->other[0] || layer_path_has_wh(u->other))
		return entry_refuse(u, e, EINVAL,
				    "hardlink target '%s' refused", shown);
	if (strcmp(u->other, u->path) == 0)
		return entry_refuse(u, e, EINVAL, "hardlink to itself refused");
	dl = layer_path_dirlen(u->other);
	dfd = layer_walk(u->rootfd, u->other, dl, LAYER_WALK_OPEN, &why);
	if (dfd == -ENOENT)
		return entry_refuse(u, e, ENOENT,
				    "hardlink target '%s' does not exist "
				    "earlier in this layer",
				    shown);
	if (dfd < 0)
		return entry_refuse(u, e, why.code, "hardlink target: %s",
				    why.msg);
	if (fstatat(dfd, u->other + (dl ? dl + 1 : 0), &st,
		    AT_SYMLINK_NOFOLLOW) < 0)
		return entry_refuse(u, e, errno,
				    "hardlink target '%s' does not exist "
				    "earlier in this layer",
				    shown);
	if (S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ||
	    S_ISSOCK(st.st_mode))
		return entry_refuse(u, e, EINVAL,
				    "hardlink target '%s' is a directory, "
				    "device or whiteout",
				    shown);
	return 0;
}

static int check_xattrs(struct unpack *u, struct archive_entry *en,
			struct lerr *e)
{
	int n = archive_entry_xattr_reset(en);
	const char *name;
	const void *value;
	size_t size;

	if (n < 0 || (uint32_t)n > u->lim.max_xattrs)
		return entry_refuse(u, e, E2BIG,
				    "%d extended attributes (limit %u)", n,
				    u->lim.max_xattrs);
	while (archive_entry_xattr_next(en, &name, &value, &size) ==
	       ARCHIVE_OK) {
		char shown[64];

		if (!name || !name[0])
			return entry_refuse(u, e, EINVAL,
					    "unnamed extended attribute");
		layer_path_printable(name, shown, sizeof(shown));
		if (strncmp(name, "trusted.overlay.", 16) == 0 ||
		    strncmp(name, "user.overlay.", 13) == 0)
			return entry_refuse(u, e, EPERM,
					    "xattr '%s' is overlayfs's own",
					    shown);
		if (strlen(name) > XATTR_NAME_LIMIT || size > XATTR_VALUE_LIMIT)
			return entry_refuse(u, e, E2BIG, "xattr '%s' too large",
					    shown);
	}
	return 0;
}

/* What the entry is, as archive_write_disk will see it: a hardlink and a
 * symlink target take precedence over the file type.  *count gets the
 * stats counter to bump. */
static int check_type(struct unpack *u, struct archive_entry *en,
		      uint64_t **count, struct lerr *e)
{
	const char *sym = archive_entry_symlink(en);

	if (archive_entry_hardlink(en)) {
		*count = &u->st->hardlinks;
		return 0;
	}
	if (sym) {
		if (!sym[0])
			return entry_refuse(u, e, EINVAL,
					    "empty symlink target");
		if (strnlen(sym, u->lim.max_path + 1) > u->lim.max_path)
			return entry_refuse(u, e, ENAMETOOLONG,
					    "symlink target longer than %u "
					    "bytes",
					    u->lim.max_path);
		*count = &u->st->symlinks;
		return 0;
	}
	switch (archive_entry_filetype(en)) {
	case AE_IFREG:
		*count = &u->st->files;
		return 0;
	case AE_IFDIR:
		*count = &u->st->dirs;
		return 0;
	case AE_IFIFO:
		*count = &u->st->fifos;
		return 0;
	case AE_IFCHR:
		return entry_refuse(u, e, EPERM, "character device refused");
	case AE_IFBLK:
		return entry_refuse(u, e, EPERM, "block device refused");
	default:
		return entry_refuse(u, e, EINVAL, "file type 0%o refused",
				    (unsigned)archive_entry_filetype(en));
	}
}

static int copy_data(struct unpack *u, struct lerr *e)
{
	struct lerr why = { 0 };
	const void *buf;
	size_t size;
	int64_t off;
	int r;

	while ((r = layer_stream_data(&u->stream, &buf, &size, &off, &why)) >
	       0) {
		la_ssize_t w =
		    archive_write_data_block(u->disk, buf, size, off);

		if (w == ARCHIVE_WARN)
			note_warning(u);
		else if (w < 0)
			return entry_refuse(u, e, EIO, "write: %s",
					    archive_error_string(u->disk));
	}
	return r < 0 ? entry_fail(u, &why, e) : 0;
}

static int defer_dir_time(struct unpack *u, struct archive_entry *en,
			  struct lerr *e)
{
	struct dir_time *t;

	if (u->ntimes == u->times_cap) {
		size_t cap = u->times_cap ? 2 * u->times_cap : 16;

		t = reallocarray(u->times, cap, sizeof(*t));
		if (!t)
			return entry_refuse(u, e, ENOMEM, "out of memory");
		u->times = t;
		u->times_cap = cap;
	}
	t = &u->times[u->ntimes];
	t->path = strdup(u->path);
	if (!t->path)
		return entry_refuse(u, e, ENOMEM, "out of memory");
	t->ts[1].tv_sec = archive_entry_mtime(en);
	t->ts[1].tv_nsec = archive_entry_mtime_nsec(en);
	t->ts[0] = t->ts[1];
	if (archive_entry_atime_is_set(en)) {
		t->ts[0].tv_sec = archive_entry_atime(en);
		t->ts[0].tv_nsec = archive_entry_atime_nsec(en);
	}
	u->ntimes++;
	return 0;
}

/* After every entry: the deferred directory times, on whatever is a
 * directory at that path now (reached without following symlinks). */
static void apply_dir_times(struct unpack *u)
{
	size_t i;

	for (i = 0; i < u->ntimes; i++) {
		const char *p = u->times[i].path;
		_cleanup_close_ int pfd = -1, fd = -1;

		pfd =
		    layer_walk(u->rootfd, p, strlen(p), LAYER_WALK_OPEN, NULL);
		if (pfd >= 0)
			fd = openat(pfd, ".",
				    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			futimens(fd, u->times[i].ts);
	}
}

static void free_dir_times(struct unpack *u)
{
	size_t i;

	for (i = 0; i < u->ntimes; i++)
		free(u->times[i].path);
	free(u->times);
	u->times = NULL;
	u->ntimes = u->times_cap = 0;
}

static int unpack_entry(struct unpack *u, struct archive_entry *en,
			struct lerr *e)
{
	const char *raw = archive_entry_pathname(en);
	const char *hard = archive_entry_hardlink(en);
	struct lerr why = { 0 };
	uint64_t *count = NULL;
	bool opaque_after;
	int r;

	if (!raw)
		raw = archive_entry_pathname_utf8(en);
	layer_path_printable(raw ? raw : "", u->shown, sizeof(u->shown));
	if (++u->st->entries > u->lim.max_entries)
		return entry_refuse(u, e, E2BIG, "more than %llu entries",
				    (unsigned long long)u->lim.max_entries);
	if (layer_path_clean(raw, u->lim.max_path, u->lim.max_name, u->path,
			     sizeof(u->path), &why) < 0)
		return entry_fail(u, &why, e);

	r = layer_path_whiteout(u->path, u->other, sizeof(u->other), &why);
	if (r < 0)
		return entry_fail(u, &why, e);
	if (r == LAYER_WH_FILE)
		return make_whiteout(u, e);
	if (r == LAYER_WH_OPAQUE)
		return set_opaque(u, u->other, strlen(u->other), e);

	r = check_type(u, en, &count, e);
	if (r < 0)
		return r;
	if (!u->path[0] && count != &u->st->dirs)
		return entry_refuse(u, e, EINVAL,
				    "the layer root must be a directory");
	r = check_xattrs(u, en, e);
	if (r < 0)
		return r;
	r = layer_walk(u->rootfd, u->path, layer_path_dirlen(u->path),
		       LAYER_WALK_CHECK, &why);
	if (r < 0)
		return entry_fail(u, &why, e);
	if (hard) {
		r = check_hardlink(u, hard, e);
		if (r < 0)
			return r;
		archive_entry_copy_hardlink(en, u->other);
	}
	if (count == &u->st->dirs) {
		struct stat old;

		if (fstatat(u->rootfd, u->path[0] ? u->path : ".", &old,
			    AT_SYMLINK_NOFOLLOW) < 0)
			old.st_mode = 0;
		/* A directory replacing this layer's whiteout of the same
		 * name must still hide the lower layers' directory. */
		opaque_after = S_ISCHR(old.st_mode) && old.st_rdev == 0;
		if (S_ISDIR(old.st_mode) && archive_entry_mtime_is_set(en)) {
			r = defer_dir_time(u, en, e);
			if (r < 0)
				return r;
		}
	} else {
		opaque_after = false;
	}

	archive_entry_copy_pathname(en, u->path[0] ? u->path : ".");
	r = archive_write_header(u->disk, en);
	if (r == ARCHIVE_WARN)
		note_warning(u);
	else if (r != ARCHIVE_OK)
		return entry_refuse(u, e, EPERM, "%s",
				    archive_error_string(u->disk));
	if (count == &u->st->files ||
	    (count == &u->st->hardlinks && archive_entry_size(en) > 0)) {
		r = copy_data(u, e);
		if (r < 0)
			return r;
	}
	r = archive_write_finish_entry(u->disk);
	if (r == ARCHIVE_WARN)
		note_warning(u);
	else if (r != ARCHIVE_OK)
		return entry_refuse(u, e, EIO, "%s",
				    archive_error_string(u->disk));
	(*count)++;
	if (opaque_after)
		return set_opaque(u, u->path, strlen(u->path), e);
	return 0;
}

/* The whole layer, with the working directory at the layer root. */
static int unpack_all(struct unpack *u, const char *expect, struct lerr *e)
{
	struct archive_entry *en;
	struct lerr why = { 0 };
	bool entry_failed = false;
	int r;

	r = layer_stream_open(&u->stream, u->blob_fd, u->lim.max_bytes, &why);
	if (r < 0)
		return layer_fail(u, &why, e);
	snprintf(u->st->compression, sizeof(u->st->compression), "%s",
		 layer_stream_compression(&u->stream));

	while ((r = layer_stream_next(&u->stream, &en, &why)) > 0) {
		r = unpack_entry(u, en, e);
		if (r < 0) {
			entry_failed = true;
			break;
		}
	}
	if (r == 0)
		r = layer_stream_finish(&u->stream, u->st->diff_id, &why);
	u->st->tar_bytes = u->stream.bytes;
	u->st->blob_bytes = layer_stream_blob_bytes(&u->stream);
	if (r < 0)
		return entry_failed ? r : layer_fail(u, &why, e);

	/* Directory modes and times are set last (a read-only directory
	 * must not stop its own entries); relative to the layer root. */
	if (archive_write_close(u->disk) != ARCHIVE_OK)
		return lerr_fail(e, EIO, "layer '%s': finishing: %s", u->layer,
				 archive_error_string(u->disk));
	apply_dir_times(u);
	if (expect && strcmp(expect, u->st->diff_id) != 0)
		return lerr_fail(e, EBADMSG,
				 "layer '%s': diff_id mismatch: expected %s, "
				 "got %s",
				 u->layer, expect, u->st->diff_id);
	return 0;
}

static int check_empty(struct unpack *u, const char *root_dir, struct lerr *e)
{
	int fd = openat(u->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *d;
	DIR *dir;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return lerr_set(e, errno, "layer '%s': read \"%s\"", u->layer,
				root_dir);
	}
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			break;
	closedir(dir);
	if (d)
		return lerr_fail(e, ENOTEMPTY,
				 "layer '%s': \"%s\" is not empty", u->layer,
				 root_dir);
	return 0;
}

static void set_limits(struct unpack_limits *l, const struct unpack_limits *in)
{
	static const struct unpack_limits none;

	if (!in)
		in = &none;
	l->max_entries =
	    in->max_entries ? in->max_entries : UNPACK_DEFAULT_MAX_ENTRIES;
	l->max_bytes = in->max_bytes ? in->max_bytes : UNPACK_DEFAULT_MAX_BYTES;
	l->max_path = in->max_path && in->max_path < LAYER_PATH_MAX
			  ? in->max_path
			  : LAYER_PATH_MAX;
	l->max_name = in->max_name && in->max_name < LAYER_NAME_MAX
			  ? in->max_name
			  : LAYER_NAME_MAX;
	l->max_xattrs =
	    in->max_xattrs ? in->max_xattrs : UNPACK_DEFAULT_MAX_XATTRS;
}

int unpack_layer(int blob_fd, const char *root_dir, const char *layer_name,
		 const char *expect_diff_id, const struct unpack_limits *limits,
		 struct unpack_stats *st, struct lerr *e)
{
	_cleanup_free_ struct unpack *u = NULL;
	_cleanup_close_ int rootfd = -1, oldcwd = -1;
	struct unpack_stats scratch;
	int r;

	if (!st)
		st = &scratch;
	memset(st, 0, sizeof(*st));
	if (!root_dir)
		return lerr_fail(e, EINVAL, "unpack_layer: no root directory");
	u = calloc(1, sizeof(*u));
	if (!u)
		return lerr_fail(e, ENOMEM, "unpack_layer: out of memory");
	u->st = st;
	u->blob_fd = blob_fd;
	set_limits(&u->lim, limits);
	layer_path_printable(layer_name ? layer_name : root_dir, u->layer,
			     sizeof(u->layer));
	if (expect_diff_id && !ldigest_valid(expect_diff_id))
		return lerr_fail(e, EINVAL,
				 "layer '%s': expected diff_id is not "
				 "\"sha256:<64 hex digits>\"",
				 u->layer);

	rootfd = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return lerr_set(e, errno, "layer '%s': open \"%s\"", u->layer,
				root_dir);
	u->rootfd = rootfd;
	r = check_empty(u, root_dir, e);
	if (r < 0)
		return r;
	u->disk = archive_write_disk_new();
	if (!u->disk)
		return lerr_fail(e, ENOMEM, "libarchive: out of memory");
	/* No user/group lookup: numeric ids only (and no NSS in a static
	 * PID 1). */
	archive_write_disk_set_options(u->disk, DISK_FLAGS);

	oldcwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldcwd < 0 || fchdir(rootfd) < 0) {
		r = lerr_set(e, errno, "layer '%s': enter \"%s\"", u->layer,
			     root_dir);
		archive_write_free(u->disk);
		return r;
	}
	r = unpack_all(u, expect_diff_id, e);
	/* Freeing closes: pending directory fixups still run relative to
	 * the layer root, so the working directory changes back after. */
	archive_write_free(u->disk);
	layer_stream_close(&u->stream);
	free_dir_times(u);
	if (fchdir(oldcwd) < 0 && r == 0)
		r = lerr_set(e, errno,
			     "layer '%s': restore the working "
			     "directory",
			     u->layer);
	return r;
}
