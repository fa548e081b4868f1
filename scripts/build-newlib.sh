#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Build newlib (the C library of the guest SDK) for bare-metal AArch64 guests.
#
#   scripts/build-newlib.sh [PREFIX]      default PREFIX: build/sdk/newlib
#
# The source is Debian's newlib-source package (/usr/src/newlib/*.tar.xz,
# installed by scripts/deps.sh). There is no aarch64-none-elf compiler in
# Debian, so small wrapper scripts of that name run aarch64-linux-gnu-gcc and
# binutils; the wrapper drops the Linux system headers so nothing from glibc
# leaks into newlib. The result lands in PREFIX/aarch64-none-elf/{include,lib}.
#
# Cached: PREFIX/.newlib-build-id records the tarball's checksum and the
# options used; when they match, the script does nothing. The work happens in
# build/sdk/newlib-work/ and PREFIX is replaced only when the install
# succeeded, so an interrupted build never leaves a half-built newlib.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
sdk_build="$repo/build/sdk"
prefix=${1:-"$sdk_build/newlib"}
case "$prefix" in /*) ;; *) prefix="$(pwd)/$prefix" ;; esac
work="$sdk_build/newlib-work"
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}

tarball=""
for candidate in /usr/src/newlib/newlib-*.tar.*; do # Debian ships one
	if [ -e "$candidate" ]; then
		tarball=$candidate
	fi
done
if [ -z "$tarball" ]; then
	echo "build-newlib: no newlib source in /usr/src/newlib; install Debian's newlib-source" >&2
	echo "build-newlib: (scripts/deps.sh does it: it is in HOST_PACKAGES)" >&2
	exit 1
fi

# -mno-outline-atomics: gcc's default calls __aarch64_* helpers that need
# Linux's getauxval. No stack protector: there is no guard value to check.
# Debian's gcc makes position-independent code by default; guests are linked
# at a fixed address, so -fno-pie spares the GOT indirections.
target_cflags="-O2 -g -mno-outline-atomics -fno-stack-protector -fno-pie"
target_cflags="$target_cflags -ffunction-sections -fdata-sections"
configure_options="--target=aarch64-none-elf --disable-multilib --disable-nls \
--disable-newlib-supplied-syscalls --enable-newlib-io-long-long \
--enable-newlib-io-c99-formats --enable-newlib-io-float"

mkdir -p "$sdk_build"
# Two guest builds started in parallel must not both build newlib.
exec 9>"$sdk_build/.newlib.lock"
flock 9

build_id="$(basename "$tarball") $(sha256sum "$tarball" | cut -d' ' -f1)
cc=${cross}gcc $target_cflags
$configure_options"
if [ -f "$prefix/.newlib-build-id" ] && [ "$(cat "$prefix/.newlib-build-id")" = "$build_id" ]; then
	exit 0
fi

echo "build-newlib: building $(basename "$tarball") into $prefix (about a minute)"
start=$(date +%s)
rm -rf "$work"
mkdir -p "$work/src" "$work/obj" "$work/bin"

# Wrappers named like the target tools, which is what configure looks for.
gcc_include=$("${cross}gcc" -print-file-name=include)
cat >"$work/bin/aarch64-none-elf-gcc" <<EOF
#!/bin/sh
exec ${cross}gcc -nostdinc -isystem $gcc_include "\$@"
EOF
chmod +x "$work/bin/aarch64-none-elf-gcc"
ln -s aarch64-none-elf-gcc "$work/bin/aarch64-none-elf-cc"
for tool in ar as ld nm objcopy objdump ranlib readelf strip; do
	printf '#!/bin/sh\nexec %s%s "$@"\n' "$cross" "$tool" >"$work/bin/aarch64-none-elf-$tool"
	chmod +x "$work/bin/aarch64-none-elf-$tool"
done

tar -xf "$tarball" -C "$work/src" --strip-components=1
jobs=$(nproc 2>/dev/null || echo 2)
log="$work/build.log"
(
	cd "$work/obj"
	export PATH="$work/bin:$PATH"
	# shellcheck disable=SC2086
	"$work/src/configure" $configure_options --prefix="$prefix.tmp" \
		CFLAGS_FOR_TARGET="$target_cflags"
	make -j"$jobs" all-target-newlib
	make install-target-newlib
) >"$log" 2>&1 || {
	echo "build-newlib: failed; last lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
}

printf '%s\n' "$build_id" >"$prefix.tmp/.newlib-build-id"
rm -rf "$prefix"
mv "$prefix.tmp" "$prefix"
if [ "${BH_NEWLIB_KEEP_WORK:-0}" != 1 ]; then
	rm -rf "$work"
fi
echo "build-newlib: done in $(($(date +%s) - start)) s: $prefix/aarch64-none-elf/lib/libc.a"
