# tests/e2e/lighter-layers.sh - inner script (runs inside the KVM test
# host): image layers as the guest agent unpacks them.
#  - the multi-layer image (make-busybox-image --variant layers: umoci's
#    `.wh.` whiteouts of a file, a directory and the old content of a
#    recreated directory, and a GNU tar layer with an opaque marker): the
#    guest's `find data` equals what `umoci unpack` shows on the build
#    machine (layers.list beside the images);
#  - the hostile image (a layer with a `../escape` entry): `lighter run`
#    fails, non-zero, with a message naming the layer and the entry, and
#    no `escape` file appears outside the guest.
#
#   bash lighter-layers.sh VMM KERNEL INITRD   (LIGHTER_E2E_LIGHTER,
#                                               LIGHTER_E2E_IMAGES set)
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/lib.sh"
source "$here/lighter-lib.sh"
lt_init "$@"

# ---- whiteouts and opaque directories ----
lt layers run --name layers "$IMG:layers" sh -c 'cd / && find data | sort'
if [[ $(lt_rc layers) != 0 ]]; then
	lt_fail layers "exit status $(lt_rc layers), want 0" layers
elif diff -u "$IMAGES/layers.list" "$E2E_DIR/layers.out" >"$E2E_DIR/layers.diff"; then
	e2e_ok layers "guest's /data equals umoci unpack's ($(wc -l <"$IMAGES/layers.list") entries)"
else
	lt_fail layers "guest's /data differs from umoci unpack's" layers
	sed 's/^/# /' "$E2E_DIR/layers.diff"
fi
# The content too: the recreated dir's new files, the opaque dir's one.
lt layers-content run --rm --name layers-content "$IMG:layers" \
	cat /data/keep.txt /data/opaque/new.txt /data/opaque/sub/new2.txt \
	/data/opaque2/fresh.txt
lt_expect layers-content layers-content 0 "$(printf 'keep\nnew\nnew2\nfresh')"
lt_rm layers-rm layers

# ---- a layer that points out of the root ----
lt hostile run --name hostile "$IMG:hostile" echo unreachable
rc=$(lt_rc hostile)
err=$(lt_err hostile)
if [[ $rc == 0 ]]; then
	lt_fail hostile "lighter run succeeded with a ../escape layer" hostile
elif [[ $rc == 124 || $rc == 137 ]]; then
	lt_fail hostile "lighter run did not end within ${LT_TIMEOUT}s" hostile
elif [[ $(lt_out hostile) == *unreachable* ]]; then
	lt_fail hostile "the container ran (status $rc)" hostile
elif [[ $err != *"../escape"* ]]; then
	lt_fail hostile "status $rc, but stderr does not name '../escape'" hostile
elif [[ $err != *layer* && $err != *sha256:* ]]; then
	lt_fail hostile "status $rc, but stderr does not name the layer" hostile
else
	e2e_ok hostile "status $rc: $(grep -m1 escape <<<"$err")"
fi
escaped=$(find "$E2E_DIR" /tmp "$LIGHTER_RUN_DIR/.." -maxdepth 3 -name escape 2>/dev/null)
if [[ -n $escaped ]]; then
	e2e_fail hostile-escape "found $escaped"
else
	e2e_ok hostile-escape "no escape file around the run and data dirs"
fi
# Whether the failure left a group behind or not, rm -f must clear it.
[[ ! -e $LIGHTER_RUN_DIR/hostile ]] || lt_rm hostile-rm hostile

e2e_finish
