#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the purgatory objects from Purgatory/ and embeds them in Swift:
#     Sources/ArchX86_64/Generated/PurgatoryObjectX86_64.swift
#     Sources/ArchI386/Generated/PurgatoryObjectI386.swift
#
#     Scripts/generate-purgatory.sh            build, test, (re)write the Swift files
#     Scripts/generate-purgatory.sh --check    build, test, exit 1 if the committed
#                                              Swift files differ from a fresh build
#     The qemu boot test (Purgatory/test/qemu-test.sh) runs whenever
#     qemu-system-x86_64 and python3 exist; --qemu makes it mandatory, --no-qemu skips it.
#
# Every run first proves the SHA-256 code (Purgatory/test/sha256_test.c against
# sha256sum), then builds each object twice to prove the build deterministic, and
# checks each object: ET_REL, sections .text/.rodata/.data/.bss only, no undefined
# symbols, only the allowed relocation types, the ABI symbols present with their
# sizes in .data, and no SSE/AVX/MMX/x87 instruction in the code.
#
# Needs clang and ld.lld with the x86_64 and i386 targets (the Swift toolchain's,
# /opt/swift/usr/bin, is found when not on PATH), llvm-objcopy, llvm-objdump,
# llvm-nm, llvm-readelf (or readelf), base64, sha256sum.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

CHECK=0
QEMU=auto
for arg in "$@"; do
    case "$arg" in
        --check) CHECK=1 ;;
        --qemu) QEMU=yes ;;
        --no-qemu) QEMU=no ;;
        -h|--help) sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "generate-purgatory: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

say() { echo "generate-purgatory: $*"; }
fail() { echo "generate-purgatory: error: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------

if ! command -v clang >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/clang ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
CLANG=$(command -v clang) || fail "clang not found (PATH or /opt/swift/usr/bin)"
TOOLDIR=$(dirname "$CLANG")
tool() {
    # Prefer the binary next to clang (same LLVM), then PATH.
    local name
    for name in "$@"; do
        if [ -x "$TOOLDIR/$name" ]; then echo "$TOOLDIR/$name"; return 0; fi
    done
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    done
    return 1
}
LLD=$(tool ld.lld) || fail "ld.lld not found"
OBJCOPY=$(tool llvm-objcopy) || fail "llvm-objcopy not found"
OBJDUMP=$(tool llvm-objdump) || fail "llvm-objdump not found"
NM=$(tool llvm-nm) || fail "llvm-nm not found"
READELF=$(tool llvm-readelf readelf) || fail "llvm-readelf or readelf not found"
for t in base64 sha256sum cmp diff; do
    command -v "$t" >/dev/null 2>&1 || fail "$t not found"
done
CLANG_VERSION=$("$CLANG" --version | head -n 1 | sed 's/ (.*//')

WORK=$(mktemp -d "${TMPDIR:-/tmp}/purgatory.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

export LC_ALL=C
export SOURCE_DATE_EPOCH=0

# --- flags -------------------------------------------------------------------

COMMON_FLAGS=(
    -ffreestanding -fno-builtin -nostdlib -nostdinc
    -fno-stack-protector -fno-pic -fno-pie
    -mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-80387
    -fno-vectorize -fno-slp-vectorize
    -fno-asynchronous-unwind-tables -fno-unwind-tables
    -fno-ident -fno-addrsig -fno-strict-aliasing -fno-common
    -Os -g0
    -Wall -Wextra -Werror
)
X86_64_FLAGS=(--target=x86_64-linux-gnu -mno-red-zone -mcmodel=large)
I386_FLAGS=(--target=i386-linux-gnu)

arch_flags() {
    case "$1" in
        x86_64) printf '%s\n' "${COMMON_FLAGS[@]}" "${X86_64_FLAGS[@]}" ;;
        i386) printf '%s\n' "${COMMON_FLAGS[@]}" "${I386_FLAGS[@]}" ;;
    esac
}

# --- SHA-256 self-test --------------------------------------------------------

sha256_self_test() {
    local dir="$WORK/selftest" arch flags bin input expected actual ran=0
    mkdir -p "$dir/in"

    # Inputs: empty, "abc", the two FIPS 180-2 multi-block messages, the padding
    # boundaries, 1 MiB of a pattern, and 1,000,001 bytes.
    : > "$dir/in/empty"
    printf 'abc' > "$dir/in/abc"
    printf 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq' > "$dir/in/fips-448bit"
    printf 'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu' \
        > "$dir/in/fips-896bit"
    local n
    for n in 1 55 56 57 63 64 65 119 120 128; do
        head -c "$n" /dev/zero | tr '\0' 'x' > "$dir/in/x$n"
    done
    { yes 'purgatory self-test pattern 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ' || true; } |
        head -c 1048576 > "$dir/in/pattern-1MiB"
    head -c 1000001 /dev/zero | tr '\0' 'a' > "$dir/in/a-1000001"

    # Known answers, so a broken sha256sum could not hide a broken sha256.c.
    [ "$(sha256sum < "$dir/in/empty" | cut -c1-64)" = e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ] \
        || fail "sha256sum disagrees with FIPS 180-4 on the empty message"
    [ "$(sha256sum < "$dir/in/abc" | cut -c1-64)" = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ] \
        || fail "sha256sum disagrees with FIPS 180-4 on \"abc\""

    for arch in x86_64 i386; do
        mapfile -t flags < <(arch_flags "$arch")
        (cd Purgatory &&
            "$CLANG" "${flags[@]}" -c common/sha256.c -o "$dir/sha256-$arch.o" &&
            "$CLANG" "${flags[@]}" -c test/sha256_test.c -o "$dir/sha256_test-$arch.o")
        local emulation=elf_x86_64
        [ "$arch" = i386 ] && emulation=elf_i386
        "$LLD" -m "$emulation" -static -e _start -o "$dir/sha256-test-$arch" \
            "$dir/sha256_test-$arch.o" "$dir/sha256-$arch.o"
        bin="$dir/sha256-test-$arch"
        if ! "$bin" < "$dir/in/empty" > /dev/null 2>&1; then
            if [ "$arch" = i386 ]; then
                say "sha256 self-test i386: skipped (this host does not run i386 binaries)"
                continue
            fi
            fail "sha256 self-test $arch: the test program does not run"
        fi
        local count=0
        for input in "$dir"/in/*; do
            expected=$(sha256sum < "$input" | cut -c1-64)
            actual=$("$bin" < "$input" | cut -c1-64) || fail "sha256 self-test $arch: $(basename "$input"): test program failed"
            [ "$expected" = "$actual" ] ||
                fail "sha256 self-test $arch: $(basename "$input"): got $actual, sha256sum says $expected"
            count=$((count + 1))
        done
        say "sha256 self-test $arch: $count inputs match sha256sum (one-shot, chunked and byte-wise)"
        ran=$((ran + 1))
    done
    [ "$ran" -gt 0 ] || fail "sha256 self-test did not run"
}

# --- building ----------------------------------------------------------------

# build_object ARCH OUTPUT: compile Purgatory/ARCH/* and Purgatory/common/*.c
# from inside Purgatory/ (relative paths only) and merge them with ld.lld -r.
build_object() {
    local arch=$1 out=$2 dir flags src objs=()
    dir=$(mktemp -d "$WORK/build-$arch.XXXXXX")
    mapfile -t flags < <(arch_flags "$arch")
    (
        cd Purgatory
        for src in "$arch"/*.S "$arch"/*.c common/*.c; do
            [ -e "$src" ] || continue
            "$CLANG" "${flags[@]}" -c "$src" -o "$dir/$(echo "$src" | tr '/.' '__').o"
        done
    )
    for src in "$dir"/*.o; do objs+=("$src"); done
    "$LLD" -r -T Purgatory/purgatory.lds -o "$dir/merged.o" "${objs[@]}"
    # Plain section flags (drop SHF_X86_64_LARGE from -mcmodel=large and the
    # merge-string flags the folded string sections bring), no .comment.
    "$OBJCOPY" \
        --set-section-flags .text=alloc,code,readonly \
        --set-section-flags .rodata=alloc,readonly,data \
        --set-section-flags .data=alloc,data \
        --remove-section=.comment \
        --remove-section=.note.GNU-stack \
        "$dir/merged.o" "$out"
}

# check_object ARCH OBJECT: the promises Purgatory/README.md makes.
check_object() {
    local arch=$1 obj=$2 allowed sections types bad undefined
    case "$arch" in
        x86_64) allowed='R_X86_64_64 R_X86_64_PC32 R_X86_64_PLT32 R_X86_64_32 R_X86_64_32S' ;;
        i386) allowed='R_386_32 R_386_PC32 R_386_PLT32' ;;
    esac

    "$READELF" -h "$obj" > "$WORK/header.txt"
    grep -Eq 'Type:[[:space:]]+REL ' "$WORK/header.txt" || fail "$arch: not a relocatable object"

    sections=$("$READELF" -S -W "$obj" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p' | grep -v '^NULL$' | tr '\n' ' ')
    for s in $sections; do
        case "$s" in
            .text|.rodata|.data|.bss|.rela.text|.rela.rodata|.rela.data|.rel.text|.rel.rodata|.rel.data|.symtab|.strtab|.shstrtab) ;;
            *) fail "$arch: unexpected section $s" ;;
        esac
    done

    undefined=$("$NM" -u "$obj")
    [ -z "$undefined" ] || fail "$arch: undefined symbols: $undefined"

    types=$("$READELF" -r -W "$obj" | awk '$3 ~ /^R_/ { print $3 }' | sort -u | tr '\n' ' ')
    for t in $types; do
        case " $allowed " in
            *" $t "*) ;;
            *) fail "$arch: relocation type $t is not in the allowed set ($allowed)" ;;
        esac
    done
    RELOC_TYPES=$types

    local symbols want name size section
    symbols=$("$READELF" -s -W "$obj")
    want="sha256_regions:256 sha256_digest:32 purgatory_options:4 backup_src:8 backup_dest:8 backup_size:8 entry32_regs:36"
    [ "$arch" = x86_64 ] && want="$want entry64_regs:136"
    local data_index text_index
    data_index=$("$READELF" -S -W "$obj" | sed -n 's/^ *\[ *\([0-9]*\)\] \.data .*/\1/p')
    text_index=$("$READELF" -S -W "$obj" | sed -n 's/^ *\[ *\([0-9]*\)\] \.text .*/\1/p')
    for item in $want; do
        name=${item%%:*}
        size=${item##*:}
        echo "$symbols" | awk -v n="$name" -v s="$size" -v d="$data_index" \
            '$8 == n && $3 == s && $4 == "OBJECT" && $5 == "GLOBAL" && $7 == d { found = 1 } END { exit !found }' ||
            fail "$arch: symbol $name must be a GLOBAL OBJECT of $size bytes in .data"
    done
    echo "$symbols" | awk -v t="$text_index" \
        '$8 == "purgatory_start" && $2 ~ /^0+$/ && $4 == "FUNC" && $5 == "GLOBAL" && $7 == t { found = 1 } END { exit !found }' ||
        fail "$arch: purgatory_start must be a GLOBAL FUNC at offset 0 of .text"

    "$OBJDUMP" -d --no-show-raw-insn "$obj" > "$WORK/disassembly.txt"
    if grep -Eiq '%(x|y|z)mm|%mm[0-7]|%st|\bf(ld|st|ild|ist|xsave|xrstor)|\b(movdq|movap|movup|pxor|vmov)' "$WORK/disassembly.txt"; then
        fail "$arch: SIMD or x87 instruction in the code"
    fi
}

# --- Swift emission ----------------------------------------------------------

emit_swift() {
    local arch=$1 obj=$2 enum=$3 out=$4 sha size class rel
    sha=$(sha256sum < "$obj" | cut -c1-64)
    size=$(wc -c < "$obj" | tr -d ' ')
    case "$arch" in
        x86_64) class="ELFCLASS64, EM_X86_64, SHT_RELA relocations"; rel="RELA" ;;
        i386) class="ELFCLASS32, EM_386, SHT_REL relocations (addends stored in place)"; rel="REL" ;;
    esac
    {
        echo "// Generated by Scripts/generate-purgatory.sh from Purgatory/ ($arch). DO NOT EDIT."
        echo "// Change the sources in Purgatory/ and run the script again; CI runs it with --check."
        echo "// SPDX-License-Identifier: Apache-2.0"
        echo "// Compiler: $CLANG_VERSION"
        echo
        echo "/// The $arch purgatory: a relocatable ELF object (ET_REL, $class)."
        echo "/// Symbols, layout rules and the relocation types used are described in Purgatory/README.md."
        echo "enum $enum {"
        echo "    /// SHA-256 of \`bytes\` (lowercase hex), for traceability."
        echo "    static let sha256: String = \"$sha\""
        echo
        echo "    /// Length of \`bytes\`."
        echo "    static let byteCount: Int = $size"
        echo
        echo "    /// The object file itself. Relocation sections are $rel."
        echo "    static let bytes: [UInt8] = decodeBase64(\"\"\""
        base64 -w 100 < "$obj" | sed 's/^/        /'
        echo "        \"\"\")"
        echo
        echo "    /// Standard base64 (RFC 4648) to bytes; whitespace and \"=\" padding are skipped."
        echo "    private static func decodeBase64(_ text: String) -> [UInt8] {"
        echo "        var result: [UInt8] = []"
        echo "        result.reserveCapacity(text.utf8.count / 4 * 3)"
        echo "        var accumulator: UInt32 = 0"
        echo "        var pendingBits = 0"
        echo "        for character in text.utf8 {"
        echo "            let value: UInt32"
        echo "            switch character {"
        echo "            case UInt8(ascii: \"A\")...UInt8(ascii: \"Z\"): value = UInt32(character - UInt8(ascii: \"A\"))"
        echo "            case UInt8(ascii: \"a\")...UInt8(ascii: \"z\"): value = UInt32(character - UInt8(ascii: \"a\")) + 26"
        echo "            case UInt8(ascii: \"0\")...UInt8(ascii: \"9\"): value = UInt32(character - UInt8(ascii: \"0\")) + 52"
        echo "            case UInt8(ascii: \"+\"): value = 62"
        echo "            case UInt8(ascii: \"/\"): value = 63"
        echo "            default: continue"
        echo "            }"
        echo "            accumulator = (accumulator << 6) | value"
        echo "            pendingBits += 6"
        echo "            if pendingBits >= 8 {"
        echo "                pendingBits -= 8"
        echo "                result.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(pendingBits)))"
        echo "            }"
        echo "        }"
        echo "        return result"
        echo "    }"
        echo "}"
    } > "$out"
}

# --- main ----------------------------------------------------------------------

sha256_self_test

OUT="$WORK/out"
mkdir -p "$OUT/Sources/ArchX86_64/Generated" "$OUT/Sources/ArchI386/Generated"
TARGETS=(
    "x86_64 PurgatoryObjectX86_64 Sources/ArchX86_64/Generated/PurgatoryObjectX86_64.swift"
    "i386 PurgatoryObjectI386 Sources/ArchI386/Generated/PurgatoryObjectI386.swift"
)
for target in "${TARGETS[@]}"; do
    read -r arch enum path <<< "$target"
    build_object "$arch" "$WORK/purgatory-$arch.o"
    build_object "$arch" "$WORK/purgatory-$arch.again.o"
    cmp -s "$WORK/purgatory-$arch.o" "$WORK/purgatory-$arch.again.o" ||
        fail "$arch: two builds of the same sources differ (non-deterministic build)"
    check_object "$arch" "$WORK/purgatory-$arch.o"
    say "purgatory-$arch.o: $(wc -c < "$WORK/purgatory-$arch.o" | tr -d ' ') bytes, relocations: $RELOC_TYPES"
    emit_swift "$arch" "$WORK/purgatory-$arch.o" "$enum" "$OUT/$path"
done

if [ "$QEMU" != no ]; then
    if command -v qemu-system-x86_64 >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
        Purgatory/test/qemu-test.sh "$WORK/purgatory-x86_64.o" "$WORK/purgatory-i386.o" ||
            fail "qemu boot test failed"
    elif [ "$QEMU" = yes ]; then
        fail "--qemu needs qemu-system-x86_64 and python3"
    else
        say "qemu boot test: skipped (needs qemu-system-x86_64 and python3)"
    fi
fi

if [ "$CHECK" = 1 ]; then
    status=0
    for target in "${TARGETS[@]}"; do
        read -r arch enum path <<< "$target"
        if [ ! -f "$path" ]; then
            echo "generate-purgatory: $path is missing" >&2
            status=1
        elif ! cmp -s "$OUT/$path" "$path"; then
            echo "generate-purgatory: $path is out of date:" >&2
            echo "    committed sha256: $(sed -n 's/.*static let sha256: String = "\(.*\)"/\1/p' "$path")" >&2
            echo "    fresh     sha256: $(sed -n 's/.*static let sha256: String = "\(.*\)"/\1/p' "$OUT/$path")" >&2
            diff -u "$path" "$OUT/$path" | sed -n '1,12p' | sed 's/^/    /' >&2 || true
            status=1
        fi
    done
    if [ "$status" != 0 ]; then
        echo "generate-purgatory: run Scripts/generate-purgatory.sh and commit the result" >&2
        exit 1
    fi
    say "generated Swift files are up to date"
    exit 0
fi

for target in "${TARGETS[@]}"; do
    read -r arch enum path <<< "$target"
    mkdir -p "$(dirname "$path")"
    if cmp -s "$OUT/$path" "$path" 2>/dev/null; then
        say "$path: unchanged"
    else
        cp "$OUT/$path" "$path"
        say "$path: written"
    fi
done
