#!/bin/sh
# Static checks on the hypervisor's C sources (make lint):
#   clang-format  every file matches .clang-format
#   cppcheck      no warnings (style, portability, performance included)
#   clang-tidy    no warnings with the checks in .clang-tidy
# Usage: scripts/lint.sh CONFIG_H GENERATED_INCLUDE LIBFDT_INCLUDE FILE.c|FILE.h...
# Headers are format-checked; the analyzers run on the .c files.
set -eu

config_h="$1"
gen_inc="$2"
fdt_inc="$3"
shift 3

status=0
c_files=""
for f in "$@"; do
	case "$f" in *.c) c_files="$c_files $f" ;; esac
done

echo "  FORMAT"
for f in "$@"; do
	if ! clang-format --style=file "$f" | cmp -s - "$f"; then
		echo "$f: not clang-formatted (run: clang-format -i $f)"
		status=1
	fi
done

echo "  CPPCHECK"
if ! cppcheck --quiet --error-exitcode=1 --std=c11 --platform=unix64 \
	--enable=warning,style,performance,portability --inline-suppr \
	--suppress=missingIncludeSystem --suppress=unusedFunction \
	--include="$config_h" -Iarch/arm64/include -Icore/include -Iguest-sdk/include -I"$gen_inc" \
	-D__aarch64__ $c_files; then
	status=1
fi

echo "  TIDY"
if ! clang-tidy --quiet --warnings-as-errors='*' $c_files -- \
	--target=aarch64-linux-gnu -std=c11 -ffreestanding -include "$config_h" \
	-Iarch/arm64/include -Icore/include -Iguest-sdk/include -I"$gen_inc" -isystem "$fdt_inc" \
	-isystem /usr/aarch64-linux-gnu/include 2>/dev/null; then
	status=1
fi

exit $status
