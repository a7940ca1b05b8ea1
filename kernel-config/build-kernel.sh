#!/usr/bin/env bash
# kernel-config/build-kernel.sh - build (once) and cache a kernel for lighter.
#
#   build-kernel.sh NAME           build NAME (guest | testhost) if not cached;
#                                  print the cached vmlinux path on stdout
#   build-kernel.sh --path NAME    print the path only if already cached, else exit 1
#
# A kernel is tinyconfig + kernel-config/NAME.config from Debian's
# linux-source-6.1, built out of tree and cached OUTSIDE the repository:
#
#   ${LIGHTER_CACHE:-/var/cache/lighter}/
#     src/linux-source-<pkgver>/     the extracted tarball, shared by all kernels
#     build/NAME/                    out-of-tree build dir (O=), reused between runs
#     kernels/NAME-<hash>/vmlinux    the result, plus its .config and build.log
#     logs/NAME-<hash>.log           build chatter of the latest attempt
#
# <hash> is the first 16 hex digits of sha256(fragment, this script, package
# version), so editing either file or upgrading linux-source-6.1 rebuilds.
# Builds of one NAME are serialized with flock; a cache entry appears only by
# an atomic rename once the build has succeeded.  After olddefconfig every
# option the fragment sets must have survived (a dropped option means an
# unmet dependency), or the build fails listing them.
set -euo pipefail

readonly script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly script_path="$script_dir/$(basename "${BASH_SOURCE[0]}")"
readonly cache=${LIGHTER_CACHE:-/var/cache/lighter}
readonly tarball=/usr/src/linux-source-6.1.tar.xz

die() { echo "build-kernel.sh: $*" >&2; exit 1; }
log() { echo "build-kernel.sh: $*" >&2; }

usage() {
	echo "usage: $0 [--path] guest|testhost" >&2
	exit 2
}

path_only=0
if [[ ${1:-} == --path ]]; then
	path_only=1
	shift
fi
[[ $# -eq 1 ]] || usage
readonly name=$1
case $name in
guest | testhost) ;;
*) usage ;;
esac
readonly fragment="$script_dir/$name.config"
[[ -r $fragment ]] || die "missing fragment $fragment"

pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	die "linux-source-6.1 is not installed (apt-get install linux-source-6.1)"
[[ -r $tarball ]] || die "$tarball is missing (reinstall linux-source-6.1)"

hash=$( { cat "$fragment" "$script_path"; echo "$pkgver"; } | sha256sum | cut -c1-16)
readonly entry="$cache/kernels/$name-$hash"

if [[ -f $entry/vmlinux ]]; then
	echo "$entry/vmlinux"
	exit 0
fi
if ((path_only)); then
	echo "build-kernel.sh: the $name kernel is not built for this fragment ($entry);" \
		"run: kernel-config/build-kernel.sh $name" >&2
	exit 1
fi

for tool in make gcc ld bison flex bc perl tar xz flock sha256sum; do
	command -v "$tool" >/dev/null ||
		die "missing build tool '$tool' (apt-get install build-essential bc bison flex libelf-dev libssl-dev xz-utils)"
done
[[ -e /usr/include/libelf.h || -e /usr/include/gelf.h ]] ||
	die "missing libelf headers (apt-get install libelf-dev)"
[[ -e /usr/include/openssl/ssl.h ]] || die "missing OpenSSL headers (apt-get install libssl-dev)"

mkdir -p "$cache/src" "$cache/build" "$cache/kernels" "$cache/logs"

# One build per NAME at a time; a second caller waits and then finds the entry.
exec 9>"$cache/kernels/$name.lock"
flock 9
if [[ -f $entry/vmlinux ]]; then
	echo "$entry/vmlinux"
	exit 0
fi

# Extract the source once (shared by every NAME, so under its own lock).
readonly src="$cache/src/linux-source-$pkgver"
(
	flock 8
	if [[ ! -f $src/Makefile ]]; then
		log "extracting $tarball into $src"
		tmp=$(mktemp -d "$cache/src/.extract.XXXXXX")
		tar -C "$tmp" -xf "$tarball"
		rm -rf "$src"
		mv "$tmp/linux-source-6.1" "$src"
		rmdir "$tmp"
	fi
) 8>"$cache/src/.lock"

readonly out="$cache/build/$name"
readonly logfile="$cache/logs/$name-$hash.log"
mkdir -p "$out"
: >"$logfile"
kmake() { make -C "$src" O="$out" ARCH=x86_64 "$@" >>"$logfile" 2>&1; }

log "configuring $name (log: $logfile)"
rm -f "$out/.config"
kmake tinyconfig
(cd "$out" && "$src/scripts/kconfig/merge_config.sh" -m -O "$out" .config "$fragment") >>"$logfile" 2>&1
kmake olddefconfig

# Every option the fragment sets must still be set the same way.
missing=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$out/.config" || missing+=("$line")
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" "$out/.config" || missing+=("$line")
		;;
	*) ;;
	esac
done <"$fragment"
if ((${#missing[@]})); then
	printf 'build-kernel.sh: %s: not honoured by olddefconfig (unmet dependency?):\n' "$fragment" >&2
	printf '  %s\n' "${missing[@]}" >&2
	exit 1
fi

log "building $name vmlinux with -j$(nproc) (log: $logfile)"
start=$SECONDS
if ! kmake -j"$(nproc)" vmlinux; then
	tail -n 30 "$logfile" >&2
	die "building $name failed; full log: $logfile"
fi
log "built $name in $((SECONDS - start)) s"

# Publish atomically: a half-written entry is never visible under its name.
tmp_entry=$(mktemp -d "$cache/kernels/.$name-$hash.XXXXXX")
cp "$out/vmlinux" "$tmp_entry/vmlinux"
cp "$out/.config" "$tmp_entry/config"
cp "$logfile" "$tmp_entry/build.log"
chmod 755 "$tmp_entry"
mv -T "$tmp_entry" "$entry"
echo "$entry/vmlinux"
