#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Boots each purgatory object in qemu (TCG) the way the kernel would enter it:
#     Purgatory/test/qemu-test.sh purgatory-x86_64.o purgatory-i386.o
# load.py (a reference loader written from Purgatory/README.md) lays the object
# out, relocates it and patches its variables; harness.S enters it in long mode
# (x86_64) or 32-bit protected mode without paging (i386); the landing code
# checks registers, segments, CR0/CR4/EFER and the backup copy. Scenarios with a
# corrupted digest or payload must print the mismatch and halt instead.
# Run by Scripts/generate-purgatory.sh when qemu-system-x86_64 and python3 exist.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 purgatory-x86_64.o purgatory-i386.o" >&2; exit 2; }
OBJ64=$(realpath "$1")
OBJ32=$(realpath "$2")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! command -v clang >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/clang ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/purgatory-qemu.XXXXXX")
QEMU_PID=
cleanup() {
    if [ -n "$QEMU_PID" ]; then kill "$QEMU_PID" 2>/dev/null || true; fi
    if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Physical layout (all below 1 GiB, identity-mapped by the harness).
PAYLOAD=0x300000
BACKUP_DEST=0x380000
LAND32=0x110000
LAND64=0x120000
STACK=0x90000

# Payload: 100003 bytes of a pattern, verified as two regions; the first 4099
# bytes are also the backup source.
{ yes 'qemu payload for purgatory 0123456789abcdefghijklmnopqrstuvwxyz' || true; } | head -c 100003 > "$WORK/payload.bin"
PAYLOAD_SIZE=100003
SPLIT=40000
REGIONS="$PAYLOAD:$SPLIT,$((PAYLOAD + SPLIT)):$((PAYLOAD_SIZE - SPLIT))"
DIGEST=$(sha256sum < "$WORK/payload.bin" | cut -c1-64)
if [ "${DIGEST:0:1}" = f ]; then BAD_DIGEST=0${DIGEST:1}; else BAD_DIGEST=f${DIGEST:1}; fi
BACKUP="$PAYLOAD:$BACKUP_DEST:4099"

ENTRY64=$(printf '0x%016x,' 0x0101010101010101 0x0202020202020202 0x0303030303030303 0x0404040404040404 \
    0x0505050505050505 0x0606060606060606 "$STACK" 0x0808080808080808 \
    0x0909090909090909 0x0a0a0a0a0a0a0a0a 0x0b0b0b0b0b0b0b0b 0x0c0c0c0c0c0c0c0c \
    0x0d0d0d0d0d0d0d0d 0x0e0e0e0e0e0e0e0e 0x0f0f0f0f0f0f0f0f 0x1010101010101010)"$LAND64"
ENTRY32=$(printf '0x%08x,' 0x11111111 0x22222222 0x33333333 0x44444444 0x55555555 0x66666666 \
    "$STACK" 0x88888888)"$LAND32"

# scenario NAME OBJECT MODE64 BASE OPTIONS DIGEST PAYLOAD_CORRUPT EXPECT
#   EXPECT: land32 | land64 | mismatch
scenario() {
    local name=$1 obj=$2 mode64=$3 base=$4 options=$5 digest=$6 corrupt=$7 expect=$8
    local dir="$WORK/$name" entry
    mkdir -p "$dir"
    cp "$WORK/payload.bin" "$dir/payload.bin"
    if [ "$corrupt" = 1 ]; then
        printf 'X' | dd of="$dir/payload.bin" bs=1 seek=77777 conv=notrunc status=none
    fi
    entry=$(python3 "$HERE/load.py" "$obj" "$base" "$dir/image.bin" --regions "$REGIONS" --digest "$digest" \
        --options "$options" --backup "$BACKUP" --entry64 "$ENTRY64" --entry32 "$ENTRY32" | sed -n 's/^entry=//p')
    cat > "$dir/harness.lds" <<EOF
ENTRY(_start)
SECTIONS
{
    . = 0x100000;
    .multiboot : { *(.multiboot) }
    .text : { *(.text) }
    .data : { *(.data) }
    .land32 $LAND32 : { *(.land32) }
    .land64 $LAND64 : { *(.land64) }
    .purgatory $base : { *(.purgatory) }
    .payload $PAYLOAD : { *(.payload) }
    .bss 0x400000 : { *(.bss) }
    /DISCARD/ : { *(.comment) *(.note.GNU-stack) }
}
EOF
    printf '\t.section .purgatory, "awx"\n\t.incbin "%s"\n' "$dir/image.bin" > "$dir/image.s"
    printf '\t.section .payload, "aw"\n\t.incbin "%s"\n' "$dir/payload.bin" > "$dir/payload.s"
    clang --target=i386-linux-gnu -c "$dir/image.s" -o "$dir/image.o"
    clang --target=i386-linux-gnu -c "$dir/payload.s" -o "$dir/payload.o"
    clang --target=i386-linux-gnu -c "$HERE/harness.S" -o "$dir/harness.o" \
        -DMODE64="$mode64" -DPURGATORY_ENTRY="$entry" -DBACKUP_SRC="$PAYLOAD" \
        -DBACKUP_DEST="$BACKUP_DEST" -DBACKUP_SIZE=4099
    ld.lld -m elf_i386 -static -T "$dir/harness.lds" -o "$dir/harness.elf" \
        "$dir/harness.o" "$dir/image.o" "$dir/payload.o"

    : > "$dir/serial.log"
    timeout 60 qemu-system-x86_64 -machine pc,accel=tcg -cpu max -m 128 -nodefaults -display none \
        -no-reboot -serial "file:$dir/serial.log" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -kernel "$dir/harness.elf" 2> "$dir/qemu.err" &
    QEMU_PID=$!
    local status=running waited=0
    while [ $waited -lt 300 ]; do
        if ! kill -0 "$QEMU_PID" 2>/dev/null; then status=exited; break; fi
        if [ "$expect" = mismatch ] && grep -q 'purgatory: halting' "$dir/serial.log"; then
            sleep 0.2; status=halted; break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    local code=0
    if [ "$status" = exited ]; then
        wait "$QEMU_PID" || code=$?
    else
        kill "$QEMU_PID" 2>/dev/null || true
        wait "$QEMU_PID" 2>/dev/null || true
    fi
    QEMU_PID=

    local ok=0
    case "$expect" in
        land32|land64)
            # isa-debug-exit: exit status (value << 1) | 1; 0x10 -> 33.
            [ "$status" = exited ] && [ "$code" = 33 ] && grep -q "HARNESS: $expect ok" "$dir/serial.log" && ok=1
            if [ $((options & 2)) != 0 ]; then
                grep -q 'purgatory: entering' "$dir/serial.log" || ok=0
                if [ $((options & 1)) != 0 ]; then grep -q 'purgatory: sha256 ok, 2 regions' "$dir/serial.log" || ok=0; fi
            else
                if grep -q 'purgatory:' "$dir/serial.log"; then ok=0; fi
            fi
            ;;
        mismatch)
            [ "$status" = halted ] && grep -q 'purgatory: sha256 digest mismatch' "$dir/serial.log" &&
                ! grep -q HARNESS "$dir/serial.log" && ok=1
            ;;
    esac
    if [ "$ok" = 1 ]; then
        echo "qemu-test: $name: ok ($expect)"
    else
        echo "qemu-test: $name: FAILED (expected $expect; qemu $status, exit $code); serial output:" >&2
        sed 's/^/    /' "$dir/serial.log" "$dir/qemu.err" >&2
        FAILED=1
    fi
}

FAILED=0
#        name                 object  mode64 base      opts digest        corrupt expect
scenario i386-verify          "$OBJ32" 0 0x200000 3 "$DIGEST"     0 land32
scenario i386-no-verify       "$OBJ32" 0 0x200000 2 "$BAD_DIGEST" 0 land32
scenario i386-bad-digest      "$OBJ32" 0 0x200000 3 "$BAD_DIGEST" 0 mismatch
scenario i386-quiet           "$OBJ32" 0 0x2a0010 1 "$DIGEST"     0 land32
scenario x86_64-verify-64     "$OBJ64" 1 0x200000 3 "$DIGEST"     0 land64
scenario x86_64-verify-32     "$OBJ64" 1 0x2a0010 7 "$DIGEST"     0 land32
scenario x86_64-quiet-64      "$OBJ64" 1 0x200000 1 "$DIGEST"     0 land64
scenario x86_64-bad-payload   "$OBJ64" 1 0x200000 3 "$DIGEST"     1 mismatch
scenario x86_64-bad-payload-q "$OBJ64" 1 0x200000 5 "$DIGEST"     1 mismatch
exit "$FAILED"
