#!/bin/sh
# Download one pinned arm64 Debian package and unpack it into OUTDIR.
#   scripts/fetch-target.sh PACKAGE OUTDIR
# The version comes from scripts/target-packages. If the mirror no longer has
# that exact version (Debian point releases replace them), the current one is
# taken instead, with a warning, so a clean clone still builds.
# A stamp file OUTDIR/.stamp records what was unpacked.
set -eu

pkg="$1"
mkdir -p "$2"
out="$(cd "$2" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"

version="$(awk -v p="$pkg" '$1 == p { print $2 }' "$here/target-packages")"
if [ -z "$version" ]; then
	echo "fetch-target: $pkg is not listed in scripts/target-packages" >&2
	exit 1
fi

if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$pkg $version" ]; then
	exit 0
fi

"$here/deps.sh"

tmp="$out.download"
rm -rf "$tmp" "$out"
mkdir -p "$tmp"
cd "$tmp"
if ! apt-get download -q "$pkg:arm64=$version" >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then apt-get update -qq || true; fi
	if ! apt-get download -q "$pkg:arm64=$version" >/dev/null 2>&1; then
		echo "fetch-target: WARNING: $pkg:arm64=$version is gone from the mirror; taking the current version" >&2
		apt-get download -q "$pkg:arm64"
	fi
fi
deb="$(ls ./*.deb)"
mkdir -p "$out"
dpkg -x "$deb" "$out"
cd - >/dev/null
rm -rf "$tmp"
echo "$pkg $version" >"$out/.stamp"
echo "fetch-target: $pkg $version -> $out"
