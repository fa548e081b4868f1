#!/bin/sh
# Static checks on the hypervisor's C sources (make lint):
#   boundary      core/ (all of it, whatever the arguments) has no inline assembly and
#                 includes no arch-private header (arch/arm64/private/)
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

# core/ reaches the CPU only through the public arch headers (arch/arm64/include/arch/).
# boundary REGEX WHAT: report each line of core/ matching REGEX as file:line: WHAT: text.
boundary() {
	hits=$(grep -rnE --include='*.c' --include='*.h' "$1" core) || return 0
	printf '%s\n' "$hits" | sed -E "s|^([^:]*:[0-9]+):[[:space:]]*|\1: error: $2: |"
	return 1
}
echo "  BOUNDARY"
w='[^[:alnum:]_]'
private=$(for h in arch/arm64/private/*.h; do basename "$h" .h; done | paste -sd '|' -)
if ! boundary "(^|$w)(__asm__|__asm)($w|\$)|(^|$w)asm[[:space:]]*(\(|volatile|goto|inline)" \
	"inline assembly in core/ (put it behind an arch_*() function in arch/arm64)"; then
	status=1
fi
if ! boundary "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]([^>\"]*/)?(private/|($private)\.h)" \
	"core/ includes an arch-private header (arch/arm64/private/; use <arch/arch.h>)"; then
	status=1
fi

# bh_snprintf (core/lib/printf.c) has only what EL2 and bhconfig use; gcc's format
# checks know libc's printf. So every string literal in arch/ and core/ holds only
# those conversions (or an asm operand like %0, %x1).
echo "  PRINTF"
conv='%%|%[-0]*[0-9]*([.]([0-9]+|[*]))?(ll|l|z)?[dusx]|%[wx]?[0-9]+'
if grep -rnoE --include='*.c' --include='*.h' '"([^"\\]|\\.)*"' arch core | grep '%' |
	grep -vE ":\"([^%\"\\\\]|\\\\.|$conv)*\"\$"; then
	echo "error: a conversion core/lib/printf.c does not have (it has: d u x s %; flags - 0;"
	echo "  width; precision, also .*; length l ll z): add it there, with a test, or use those"
	status=1
fi

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
	--include="$config_h" -Iinclude -Iarch/arm64/include -Iarch/arm64/private -Icore/include \
	-I"$gen_inc" -D__aarch64__ $c_files; then
	status=1
fi

echo "  TIDY"
if ! clang-tidy --quiet --warnings-as-errors='*' $c_files -- \
	--target=aarch64-linux-gnu -std=c11 -ffreestanding -include "$config_h" \
	-Iinclude -Iarch/arm64/include -iquote arch/arm64/private -Icore/include -I"$gen_inc" \
	-isystem "$fdt_inc" -isystem /usr/aarch64-linux-gnu/include 2>/dev/null; then
	status=1
fi

exit $status
