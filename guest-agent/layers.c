/* layers.c - the agent's side of a layer transfer (LAYER, DATA...,
 * LAYER_END): the blob is streamed into run_dir/blobs/<hex> on tmpfs, then
 * unpacked (unpack_layer(), which checks the diff_id) into
 * run_dir/layers/<hex>.partial and renamed to run_dir/layers/<hex> only
 * when complete, so a directory of that name is always a whole, verified
 * layer; the blob is deleted either way.
 *
 * One answer per transfer, after LAYER_END: OK {"unpack_us","bytes"}, or
 * the first ERROR the transfer met (no SPEC, a layer SPEC does not name, a
 * media type that is not tar, too many bytes, too few, a full disk, a
 * damaged archive or a diff_id mismatch naming the layer and the entry).
 * A layer unpacked before is acknowledged without unpacking again
 * ({"unpack_us":0,"bytes":0}).  A LAYER whose body cannot be decoded is
 * answered at once, as every malformed body is, and the DATA and
 * LAYER_END frames under its id are then swallowed silently.  Frames under
 * another id inside a transfer are answered EPROTO and the transfer goes
 * on. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-root.h"
#include "serve-internal.h"
#include "unpack.h"

int layer_dir(const struct agent *a, const char *diff_id, char *out,
	      size_t size)
{
	int n = snprintf(out, size, "%s/layers/%s", a->cfg->run_dir,
			 ldigest_hex(diff_id));

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool layer_present(const struct agent *a, const char *diff_id)
{
	char dir[PATH_MAX];
	struct stat sb;

	return layer_dir(a, diff_id, dir, sizeof(dir)) == 0 &&
	       stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool in_spec(const struct agent *a, const char *diff_id)
{
	size_t i, k;

	for (i = 0; i < a->spec.n_containers; i++)
		for (k = 0; k < a->spec.containers[i].n_layers; k++)
			if (!strcmp(a->spec.containers[i].layers[k], diff_id))
				return true;
	return volumes_has_layer(a, diff_id);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* OCI and Docker layer types the unpacker reads (it detects the
 * compression from the content; the type only rules out the rest). */
static bool media_supported(const char *mt)
{
	static const char *const tails[] = {
	    "tar", "tar+gzip", "tar+zstd", "tar.gzip", "tar.zstd",
	};
	size_t i;

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++)
		if (ends_with(mt, tails[i]))
			return true;
	return false;
}

/* The first fault of a transfer is its answer. */
static void xfer_fail(struct layer_xfer *x, const struct lerr *e)
{
	if (!x->failed)
		x->err = *e;
	x->failed = true;
}

static void xfer_end(struct layer_xfer *x)
{
	if (x->blob_fd >= 0) {
		close(x->blob_fd);
		x->blob_fd = -1;
	}
	if (x->blob_path[0])
		unlink(x->blob_path);
	x->blob_path[0] = '\0';
	x->state = LAYER_IDLE;
}

void layers_abort(struct agent *a)
{
	xfer_end(&a->layer);
}

static int open_blob(struct agent *a, struct layer_xfer *x, struct lerr *e)
{
	int n = snprintf(x->blob_path, sizeof(x->blob_path), "%s/blobs/%s",
			 a->cfg->run_dir, ldigest_hex(x->rx.diff_id));

	if (n < 0 || (size_t)n >= sizeof(x->blob_path)) {
		x->blob_path[0] = '\0';
		return lerr_fail(e, ENAMETOOLONG,
				 "LAYER %s: blob path too long", x->rx.diff_id);
	}
	x->blob_fd =
	    open(x->blob_path,
		 O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (x->blob_fd < 0) {
		int err = errno;

		x->blob_path[0] = '\0';
		return lerr_set(e, err, "LAYER %s: create \"%s/blobs/%s\"",
				x->rx.diff_id, a->cfg->run_dir,
				ldigest_hex(x->rx.diff_id));
	}
	return 0;
}

void layers_on_layer(struct agent *a, const struct proto_frame *f)
{
	struct layer_xfer *x = &a->layer;
	struct proto_layer l = {0};
	struct lerr e = {0};
	json_t *j = NULL;
	int r;

	r = proto_frame_json(f, &j, &e);
	if (r == 0)
		r = proto_layer_from_json(j, &l, &e);
	json_decref(j);
	if (r < 0) {
		send_error(a, f->h.id, &e);
		x->state = LAYER_DISCARD;
		x->id = f->h.id;
		return;
	}
	x->state = LAYER_RECEIVING;
	x->id = f->h.id;
	x->blob_fd = -1;
	x->blob_path[0] = '\0';
	x->present = false;
	x->failed = false;
	proto_layer_rx_begin(&x->rx, f->h.id, &l);
	if (!a->have_spec)
		lerr_fail(&e, EPROTO, "LAYER %s: no SPEC yet", l.diff_id);
	else if (!in_spec(a, l.diff_id))
		lerr_fail(&e, EINVAL,
			  "LAYER %s: diff_id: no container in SPEC has this "
			  "layer",
			  l.diff_id);
	else if (!media_supported(l.media_type))
		lerr_fail(&e, EOPNOTSUPP,
			  "LAYER %s: media_type: \"%s\" is not a tar, "
			  "tar+gzip or tar+zstd layer",
			  l.diff_id, l.media_type);
	else if (layer_present(a, l.diff_id))
		x->present = true;
	else
		open_blob(a, x, &e);
	if (e.code)
		xfer_fail(x, &e);
	proto_layer_free(&l);
}

void layers_on_data(struct agent *a, const struct proto_frame *f)
{
	struct layer_xfer *x = &a->layer;
	struct lerr e = {0};
	size_t done = 0;
	int r;

	if (x->state == LAYER_DISCARD && f->h.id == x->id)
		return;
	if (x->state != LAYER_RECEIVING) {
		lerr_fail(&e, EPROTO, "DATA outside a layer transfer");
		send_error(a, f->h.id, &e);
		return;
	}
	r = proto_layer_rx_data(&x->rx, &f->h, &e);
	if (r == -EPROTO) {
		send_error(a, f->h.id, &e);
		return;
	}
	if (r < 0) {
		xfer_fail(x, &e);
		return;
	}
	if (x->failed || x->present)
		return;
	while (done < f->h.length) {
		ssize_t n =
		    write(x->blob_fd, f->body + done, f->h.length - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			lerr_set(&e, n < 0 ? errno : EIO,
				 "LAYER %s: write the blob to \"%s\"",
				 x->rx.diff_id, x->blob_path);
			xfer_fail(x, &e);
			return;
		}
		done += (size_t)n;
	}
}

/* Unpack the complete blob into place; the reply. */
static void unpack(struct agent *a, struct layer_xfer *x)
{
	struct proto_layer_done done = {0};
	struct unpack_stats st = {0};
	char final[PATH_MAX], partial[PATH_MAX + 16];
	struct lerr e = {0};
	uint64_t t0;
	json_t *j = NULL;
	int r;

	r = layer_dir(a, x->rx.diff_id, final, sizeof(final));
	if (r < 0) {
		lerr_fail(&e, r, "LAYER %s: layer path too long",
			  x->rx.diff_id);
		goto fail;
	}
	snprintf(partial, sizeof(partial), "%s.partial", final);
	r = container_remove_tree(partial, &e);
	if (r == 0 && mkdir(partial, 0755) < 0)
		r = lerr_set(&e, errno, "LAYER %s: mkdir \"%s\"", x->rx.diff_id,
			     partial);
	if (r == 0 && lseek(x->blob_fd, 0, SEEK_SET) < 0)
		r = lerr_set(&e, errno, "LAYER %s: rewind \"%s\"",
			     x->rx.diff_id, x->blob_path);
	if (r < 0)
		goto fail;
	t0 = now_monotonic_us();
	r = unpack_layer(x->blob_fd, partial, x->rx.diff_id, x->rx.diff_id,
			 NULL, &st, &e);
	done.unpack_us = now_monotonic_us() - t0;
	done.bytes = st.tar_bytes;
	if (r == 0 && rename(partial, final) < 0)
		r = lerr_set(&e, errno, "LAYER %s: rename \"%s\"",
			     x->rx.diff_id, partial);
	if (r < 0) {
		struct lerr ignored = {0};

		container_remove_tree(partial, &ignored);
		goto fail;
	}
	if (st.warnings)
		agent_note(a, "layer %s: %llu warnings, the first: %s",
			   x->rx.diff_id, (unsigned long long)st.warnings,
			   st.warning);
	agent_note(a, "layer %s: %llu bytes (%s) unpacked in %llu us",
		   x->rx.diff_id, (unsigned long long)st.tar_bytes,
		   st.compression, (unsigned long long)done.unpack_us);
	if (proto_layer_done_to_json(&done, &j, &e) < 0)
		goto fail;
	send_ok(a, x->id, j);
	return;
fail:
	send_error(a, x->id, &e);
}

void layers_on_end(struct agent *a, const struct proto_frame *f)
{
	struct layer_xfer *x = &a->layer;
	struct proto_layer_done none = {0};
	struct lerr e = {0};
	json_t *j = NULL;
	int r;

	if (x->state == LAYER_DISCARD && f->h.id == x->id) {
		x->state = LAYER_IDLE;
		return;
	}
	if (x->state != LAYER_RECEIVING) {
		lerr_fail(&e, EPROTO, "LAYER_END outside a layer transfer");
		send_error(a, f->h.id, &e);
		return;
	}
	r = proto_layer_rx_end(&x->rx, &f->h, &e);
	if (r == -EPROTO) {
		send_error(a, f->h.id, &e);
		return;
	}
	if (r < 0)
		xfer_fail(x, &e);
	r = proto_frame_json(f, &j, &e);
	if (r == 0)
		r = proto_empty_from_json(PROTO_LAYER_END, j, &e);
	json_decref(j);
	if (r < 0)
		xfer_fail(x, &e);

	if (x->failed) {
		send_error(a, x->id, &x->err);
	} else if (x->present) {
		if (proto_layer_done_to_json(&none, &j, &e) < 0)
			send_error(a, x->id, &e);
		else
			send_ok(a, x->id, j);
	} else {
		unpack(a, x);
	}
	xfer_end(x);
}
