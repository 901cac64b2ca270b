#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds kexec-apply (KexecApply/), the freestanding plan loader, as static,
# stripped ELF executables:
#
#     Scripts/build-kexec-apply.sh [OUTDIR]     (default <repo>/.build/kexec-apply/)
#
# writes OUTDIR/kexec-apply-x86_64, OUTDIR/kexec-apply-i386 and
# OUTDIR/kexec-apply-ppc64le and prints their paths. The binaries are build
# artifacts, not committed. Needs clang and ld.lld with the x86_64, i386 and
# powerpc64le targets (the Swift toolchain's, /opt/swift/usr/bin, is preferred
# when present). No libc, no crt files, no system headers are used.
set -euo pipefail

case "${1:-}" in
    -h|--help) sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -le 1 ] || { echo "build-kexec-apply: usage: $0 [OUTDIR]" >&2; exit 2; }
OUT=${1:-}
[ -z "$OUT" ] || [ "${OUT#/}" != "$OUT" ] || OUT="$(pwd)/$OUT"   # relative to the caller

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
OUT=${OUT:-$ROOT/.build/kexec-apply}

# The Swift toolchain's clang and ld.lld first (they know all three targets).
[ -x /opt/swift/usr/bin/clang ] && export PATH="/opt/swift/usr/bin:$PATH"
for tool in clang ld.lld; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build-kexec-apply: $tool not found" >&2; exit 1; }
done

SRC="$ROOT/KexecApply"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

CFLAGS=(-std=c11 -Os -Wall -Wextra -Werror
        -ffreestanding -fno-builtin -nostdinc -nostdlib
        -fno-pic -fno-pie -fno-stack-protector -fno-stack-clash-protection
        -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-exceptions
        -ffunction-sections -fdata-sections -fno-ident)
LDFLAGS=(-static -nostdlib -e _start --gc-sections -s --build-id=none
         -z noexecstack -z norelro --hash-style=gnu)

# build NAME TARGET EXTRA-CFLAGS...: compiles kexec-apply.c and start-NAME.S, links.
build() {
    local name=$1 target=$2
    shift 2
    local objs=()
    for src in kexec-apply.c "start-$name.S"; do
        local obj="$WORK/$name-${src%.*}.o"
        clang --target="$target" "${CFLAGS[@]}" "$@" -c "$SRC/$src" -o "$obj"
        objs+=("$obj")
    done
    ld.lld "${LDFLAGS[@]}" -o "$OUT/kexec-apply-$name" "${objs[@]}" 2>"$WORK/ld.err" ||
        { cat "$WORK/ld.err" >&2; exit 1; }
    echo "$OUT/kexec-apply-$name"
}

X86_CFLAGS=(-mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-3dnow -mno-80387 -mno-red-zone)
build x86_64 x86_64-linux-gnu "${X86_CFLAGS[@]}"
build i386 i386-linux-gnu "${X86_CFLAGS[@]}" -march=i686
build ppc64le powerpc64le-linux-gnu -mno-altivec -mno-vsx -msoft-float -mabi=elfv2
