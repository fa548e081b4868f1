#!/bin/sh
# Download Debian's arm64 kernel and what building a module for it takes, as
# one matched set, and unpack them into TARGET (build/target):
#   scripts/fetch-linux.sh TARGET
#
#   linux-image-ABI-arm64:arm64    the kernel       -> TARGET/linux-image/
#   linux-headers-ABI-arm64:arm64  its .config, Module.symvers, generated headers,
#   linux-headers-ABI-common       the headers and the kbuild Makefile,
#   linux-kbuild-X.Y               fixdep, modpost... for this host, of the same
#                                  upstream version   -> TARGET/linux-headers/
#
# The ABI is pinned in scripts/target-packages. Debian removes a kernel from
# its archive when it uploads the next one, and publishes linux-kbuild at the
# newest upload only, so when the pinned set cannot be downloaded any more the
# newest complete set is taken instead (from the linux-image-arm64 and
# linux-headers-arm64 metapackages' dependencies), with a message.
#
# Version-independent paths, for the Makefile and the tests:
#   TARGET/linux/vmlinuz  the kernel (an arm64 Image)
#   TARGET/linux/dtbs     the kernel's device trees (usr/lib/linux-image-*)
#   TARGET/linux/build    the kernel build dir: make -C it M=... modules
#   TARGET/linux/VERSION  what was unpacked (printed after each download)
# Nothing is downloaded again while VERSION names the current pin. Packages
# are only downloaded and unpacked, never installed.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$1"
target="$(cd "$1" && pwd -P)"
links="$target/linux"
record="$links/VERSION"

die() {
	echo "fetch-linux: $*" >&2
	exit 1
}

pin="$(awk '$1 ~ /^linux-image-.*-arm64$/ { print $1, $2 }' "$here/target-packages")"
[ -n "$pin" ] || die "scripts/target-packages pins no linux-image-ABI-arm64"
pin_abi="$(echo "$pin" | sed 's/^linux-image-\(.*\)-arm64 .*/\1/')"
pin_version="${pin#* }"
kbuild_pkg="linux-kbuild-$(echo "$pin_version" | cut -d. -f1,2)"

if [ -f "$record" ] && grep -qx "pin $pin_abi $pin_version" "$record" &&
	[ -f "$links/vmlinuz" ] && [ -f "$links/build/Makefile" ]; then
	# Rewritten (not touched: build/target may be hard-linked from another
	# tree) so that make sees it is up to date.
	cp "$record" "$record.new"
	mv "$record.new" "$record"
	exit 0
fi

"$here/deps.sh"

# apt's versions of the packages named, "PACKAGE VERSION" a line, without
# architecture qualifiers. One apt-cache run for many packages: each run
# reads all of apt's lists (seconds).
lookup() {
	apt-cache madison "$@" 2>/dev/null |
		awk -F'|' '{ gsub(/ /, ""); sub(/:.*/, "", $1); print $1, $2 }' | sort -u
}

# Whether the last lookup found PACKAGE at exactly VERSION.
known() {
	echo "$table" | grep -Fqx "$1 $2"
}

# Whether the whole set for ABI $1 at Debian version $2 can be downloaded,
# the host's linux-kbuild of the same upstream version included (that very
# upload's if there, else the newest of that upstream version); sets abi,
# version, kbuild_pkg and kbuild_version if so.
complete_set() {
	upstream="${2%-*}"
	kbuild_pkg="linux-kbuild-$(echo "$upstream" | cut -d. -f1,2)"
	table="$(lookup "linux-image-$1-arm64:arm64" "linux-headers-$1-arm64:arm64" \
		"linux-headers-$1-common" "$kbuild_pkg")"
	if ! known "linux-image-$1-arm64" "$2" || ! known "linux-headers-$1-arm64" "$2" ||
		! known "linux-headers-$1-common" "$2"; then
		return 1
	fi
	kbuild_versions="$(echo "$table" |
		awk -v p="$kbuild_pkg" -v u="$upstream-" '$1 == p && index($2, u) == 1 { print $2 }' | sort -rV)"
	if echo "$kbuild_versions" | grep -Fqx "$2"; then
		kbuild_version="$2"
	else
		kbuild_version="$(echo "$kbuild_versions" | head -n 1)"
	fi
	[ -n "$kbuild_version" ] || return 1
	abi="$1"
	version="$2"
}

# The pinned set, else the newest complete set that the metapackages of one
# upload name (linux-headers-arm64 and linux-image-arm64, for the same kernel).
resolve() {
	source=pinned
	complete_set "$pin_abi" "$pin_version" && return 0
	source=fallback
	# "METAPACKAGE VERSION DEPENDENCY (= DEPENDENCY-VERSION)", one per upload.
	metas="$(apt-cache show linux-headers-arm64:arm64 linux-image-arm64:arm64 2>/dev/null |
		awk 'BEGIN { RS = ""; FS = "\n" } {
			p = v = d = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Package: /) p = substr($i, 10)
				if ($i ~ /^Version: /) v = substr($i, 10)
				if ($i ~ /^Depends: /) { d = substr($i, 10); sub(/,.*/, "", d) }
			}
			print p, v, d }')"
	for meta in $(echo "$metas" | awk '$1 == "linux-headers-arm64" { print $2 }' | sort -urV); do
		dep="$(echo "$metas" | awk -v v="$meta" '$1 == "linux-headers-arm64" && $2 == v { print $3, $5; exit }')"
		meta_abi="$(echo "$dep" | sed -n 's/^linux-headers-\(.*\)-arm64 .*/\1/p')"
		meta_version="$(echo "$dep" | sed -n 's/^[^ ]* \(.*\))$/\1/p')"
		if [ -z "$meta_abi" ] || [ -z "$meta_version" ] ||
			! echo "$metas" | grep -Fqx "linux-image-arm64 $meta linux-image-$meta_abi-arm64 (= $meta_version)"; then
			continue
		fi
		complete_set "$meta_abi" "$meta_version" && return 0
	done
	return 1
}

tmp="$target/linux.download"
download() {
	rm -rf "$tmp"
	mkdir -p "$tmp"
	(cd "$tmp" && apt-get download -q "linux-image-$abi-arm64:arm64=$version" \
		"linux-headers-$abi-arm64:arm64=$version" "linux-headers-$abi-common=$version" \
		"$kbuild_pkg=$kbuild_version" >"$tmp/log" 2>&1)
}

# Resolve and download from apt's lists; if they are stale (or were never
# read), update them once and try again.
if ! { resolve && download; }; then
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq || true
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n apt-get update -qq || true
	fi
	resolve || die "no downloadable Debian arm64 kernel with headers and $kbuild_pkg of the same upstream version (pinned: $pin_abi $pin_version)"
	download || { cat "$tmp/log" >&2; die "apt-get download failed"; }
fi
if [ "$source" = fallback ]; then
	echo "fetch-linux: the pinned kernel $pin_abi ($pin_version, scripts/target-packages) can no longer be downloaded with matching headers and kbuild; using Debian's current $abi ($version, $kbuild_pkg $kbuild_version)" >&2
fi

# Unpack next to the old trees, then swap, so an interrupted run leaves no
# half-unpacked tree behind a valid record.
rm -rf "$target/linux-image.new" "$target/linux-headers.new"
dpkg -x "$tmp/linux-image-${abi}-arm64_"*.deb "$target/linux-image.new"
for deb in "$tmp/linux-headers-"*.deb "$tmp/${kbuild_pkg}_"*.deb; do
	dpkg -x "$deb" "$target/linux-headers.new"
done
kdir="usr/src/linux-headers-$abi-arm64"
common="usr/src/linux-headers-$abi-common"
# The arm64 headers' Makefile includes the common one by its installed
# absolute path (/usr/src/...): point it at the unpacked sibling instead,
# relative (make -C runs in that directory), so the tree still works when
# build/ is moved or hard-linked. A new file, not an edit of a shared inode.
makefile="$target/linux-headers.new/$kdir/Makefile"
grep -q "^include /usr/src/linux-headers-$abi-common/Makefile\$" "$makefile" ||
	die "$kdir/Makefile does not include the common headers' Makefile as expected"
sed "s|^include /usr/src/linux-headers-$abi-common/Makefile\$|include ../linux-headers-$abi-common/Makefile|" \
	"$makefile" >"$makefile.new"
mv "$makefile.new" "$makefile"
# The headers reach kbuild's programs through ../../lib/linux-kbuild-X.Y:
# make sure those are the unpacked ones, not a host's /usr/lib.
for tool in scripts/basic/fixdep scripts/mod/modpost; do
	case "$(readlink -f "$target/linux-headers.new/$common/$tool")" in
	"$target/linux-headers.new/"*) [ -x "$target/linux-headers.new/$common/$tool" ] ;;
	*) false ;;
	esac || die "$common/$tool does not resolve to a program inside $target/linux-headers"
done

rm -rf "$target/linux-image" "$target/linux-headers" "$links"
mv "$target/linux-image.new" "$target/linux-image"
mv "$target/linux-headers.new" "$target/linux-headers"
rm -rf "$tmp"
mkdir -p "$links"
ln -s "../linux-image/boot/vmlinuz-$abi-arm64" "$links/vmlinuz"
ln -s "../linux-image/usr/lib/linux-image-$abi-arm64" "$links/dtbs"
ln -s "../linux-headers/$kdir" "$links/build"
for link in vmlinuz dtbs build/Makefile; do
	[ -e "$links/$link" ] || die "$links/$link does not resolve"
done
cat >"$record.new" <<EOF
pin $pin_abi $pin_version
source $source
abi $abi
image linux-image-$abi-arm64 $version
headers linux-headers-$abi-arm64 $version
common linux-headers-$abi-common $version
kbuild $kbuild_pkg $kbuild_version
EOF
mv "$record.new" "$record"
sed 's/^/fetch-linux: /' "$record"
