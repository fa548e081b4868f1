#!/bin/sh
# Install the Debian host packages Bulkhead needs, only those missing.
# Called by `make run`, `make check` and friends; safe to run again (a no-op
# once everything is there). apt-get runs as root, or through sudo otherwise.
# `scripts/deps.sh bench` also installs BENCH_PACKAGES, for `make bench` only.
# Target (arm64) packages are never installed here: scripts/fetch-target.sh
# and scripts/fetch-linux.sh download and unpack them into the build folder
# (linux-kbuild too, which is a host package, so that its version can follow
# the kernel's; libelf1 and libssl3 are what its programs link against).
set -eu

HOST_PACKAGES="
make gcc libc6-dev
gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross
qemu-system-arm ipxe-qemu
device-tree-compiler libfdt-dev
u-boot-qemu u-boot-tools
libcmocka-dev pkg-config
python3 python3-pytest python3-pexpect python3-kconfiglib
dosfstools mtools e2fsprogs cpio
libelf1 libssl3
newlib-source
clang-format clang-tidy cppcheck
spin clang libclang-rt-14-dev
"
BENCH_PACKAGES="dpdk-dev pkg-config stress-ng"
case "${1:-}" in
"") ;;
bench) HOST_PACKAGES="$HOST_PACKAGES $BENCH_PACKAGES" ;;
*) echo "usage: scripts/deps.sh [bench]" >&2; exit 2 ;;
esac

missing=""
for p in $HOST_PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

need_arm64=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	need_arm64=1
fi

if [ -z "$missing" ] && [ "$need_arm64" = 0 ]; then
	exit 0
fi

if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing" >&2
	echo "deps: not root and no sudo; install them with apt-get and retry" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$need_arm64" = 1 ]; then
	echo "deps: enabling the arm64 architecture for apt-get download"
	$SUDO dpkg --add-architecture arm64
fi
echo "deps: installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
