#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Boots the ppc64 purgatory objects under qemu-system-ppc64 -M pseries (TCG),
# entered the way the kernel's kexec_sequence enters them:
#     Purgatory/ppc64/test/qemu-test.sh purgatory-ppc64le.o purgatory-ppc64.o
# The test image is qemu's "firmware" (-bios, loaded at 0, started at 0x100 in
# big-endian real mode): entry-be.S switches to the object's byte order,
# harness.S enters purgatory_start with r3 = 0x42 and no stack or TOC,
# landing-be.S is the kernel purgatory jumps to (it checks r3/r4/r5, MSR_LE,
# boot_cpuid_phys and the backup copy). ld.lld links the object (the Swift
# tests prove our relocator writes the same bytes); patch-image.py sets the
# variables. Scenarios: progress on, quiet, corrupted payload (mismatch message
# and halt instead of a landing). Run by Scripts/generate-purgatory.sh when
# qemu-system-ppc64 and python3 exist.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 purgatory-ppc64le.o purgatory-ppc64.o" >&2; exit 2; }
OBJ_LE=$(realpath "$1")
OBJ_BE=$(realpath "$2")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v clang >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/clang ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/purgatory-ppc-qemu.XXXXXX")
QEMU_PID=
cleanup() {
    if [ -n "$QEMU_PID" ]; then kill "$QEMU_PID" 2>/dev/null || true; fi
    if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

say() { echo "ppc purgatory qemu test: $*"; }
fail() { echo "ppc purgatory qemu test: FAIL: $*" >&2; exit 1; }

# Payload and tree (a version-17 header: magic, totalsize 64, version 17 at 20,
# last compatible 16 at 24, boot_cpuid_phys 0 at 28).
{ yes 'qemu payload for the ppc purgatory 0123456789abcdefghijklmnopqrstuvwxyz' || true; } | head -c 100003 > "$WORK/payload.bin"
printf '\xd0\x0d\xfe\xed\x00\x00\x00\x40\x00\x00\x00\x38\x00\x00\x00\x3c\x00\x00\x00\x28\x00\x00\x00\x11\x00\x00\x00\x10\x00\x00\x00\x00' > "$WORK/tree.bin"
head -c 32 /dev/zero >> "$WORK/tree.bin"

# build ORDER OBJECT: the flat image and the symbol list for one object.
build() {
    local order=$1 object=$2 target define=
    if [ "$order" = little ]; then target=powerpc64le-linux-gnu; define=-DHARNESS_LE; else target=powerpc64-linux-gnu; fi
    local dir="$WORK/$order"
    mkdir -p "$dir"
    cp "$WORK/payload.bin" "$WORK/tree.bin" "$dir/"
    clang --target=powerpc64-linux-gnu ${define:+"$define"} -c "$HERE/entry-be.S" -o "$dir/entry-be.o"
    clang --target=powerpc64-linux-gnu -c "$HERE/landing-be.S" -o "$dir/landing-be.o"
    llvm-objcopy -O binary -j .text "$dir/entry-be.o" "$dir/entry-be.bin"
    llvm-objcopy -O binary -j .text "$dir/landing-be.o" "$dir/landing-be.bin"
    (cd "$dir" && clang --target=$target -c "$HERE/harness.S" -o harness.o)
    ld.lld -static -nostdlib --no-relax -e 0x100 -T "$HERE/harness.lds" -o "$dir/image.elf" "$dir/harness.o" "$object"
    llvm-objcopy -O binary "$dir/image.elf" "$dir/image.bin"
    llvm-nm "$dir/image.elf" > "$dir/symbols.txt"
}

# scenario ORDER NAME OPTIONS [corrupt]: patch a copy of the image, boot it,
# and return the console output in $WORK/ORDER-NAME.log.
scenario() {
    local order=$1 name=$2 options=$3 corrupt=${4:-}
    local image="$WORK/$order-$name.bin" log="$WORK/$order-$name.log"
    cp "$WORK/$order/image.bin" "$image"
    python3 "$HERE/patch-image.py" "$image" "$WORK/$order/symbols.txt" "$order" "$options" ${corrupt:+"$corrupt"}
    : > "$log"
    qemu-system-ppc64 -M pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off \
        -cpu POWER9 -m 512 -nographic -no-reboot -bios "$image" > "$log" 2>&1 &
    QEMU_PID=$!
    local waited=0
    while [ $waited -lt 300 ]; do
        if grep -q -e 'landed' -e 'halting' "$log" 2>/dev/null; then sleep 0.3; break; fi
        sleep 0.1
        waited=$((waited + 1))
    done
    kill "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=
    tr -d '\r' < "$log" > "$log.txt"
}

expect_line() { grep -q -- "$2" "$WORK/$1.log.txt" || { cat "$WORK/$1.log.txt" >&2; fail "$1: no \"$2\""; }; }
refuse_line() { ! grep -q -- "$2" "$WORK/$1.log.txt" || { cat "$WORK/$1.log.txt" >&2; fail "$1: unexpected \"$2\""; }; }

for order in little big; do
    object=$OBJ_LE
    [ "$order" = big ] && object=$OBJ_BE
    build "$order" "$object"

    scenario "$order" progress 0x7
    expect_line "$order-progress" "purgatory: started on cpu 66"
    expect_line "$order-progress" "purgatory: sha256 ok, 3 regions, 0x00000000000186e3 bytes"
    expect_line "$order-progress" "purgatory: backup 0x0000000000001003 bytes from 0x0000000000300000 to 0x0000000000390000"
    expect_line "$order-progress" "purgatory: entering the kernel at 0x0000000000003000, device tree at 0x0000000000380000"
    expect_line "$order-progress" "purgatory-test: landed ok"
    say "$order-endian: verified, backed up, boot CPU in the tree, entered big-endian with r3/r4/r5 right"

    scenario "$order" quiet 0x5
    expect_line "$order-quiet" "purgatory-test: landed ok"
    refuse_line "$order-quiet" "purgatory: started"
    say "$order-endian: quiet run lands"

    scenario "$order" corrupt 0x5 corrupt
    expect_line "$order-corrupt" "purgatory: sha256 digest mismatch over 3 regions"
    expect_line "$order-corrupt" "purgatory:   region 2 start 0x0000000000380000 len 0x0000000000000040"
    expect_line "$order-corrupt" "purgatory: halting"
    refuse_line "$order-corrupt" "landed"
    say "$order-endian: corrupted payload stops with the mismatch message"
done
say "all scenarios passed"
