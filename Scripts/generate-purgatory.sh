#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the purgatory objects from Purgatory/ and embeds them in Swift:
#     Sources/ArchX86_64/Generated/PurgatoryObjectX86_64.swift
#     Sources/ArchI386/Generated/PurgatoryObjectI386.swift
#     Sources/ArchPPC/Generated/PurgatoryObjectPPC64LE.swift   (Purgatory/ppc64, little-endian)
#     Sources/ArchPPC/Generated/PurgatoryObjectPPC64.swift     (Purgatory/ppc64, big-endian)
#     Sources/ArchPPC/Generated/PurgatoryObjectPPC32.swift     (Purgatory/ppc32)
#
#     Scripts/generate-purgatory.sh            build, test, (re)write the Swift files
#     Scripts/generate-purgatory.sh --check    build, test, exit 1 if the committed
#                                              Swift files differ from a fresh build
#     The qemu boot tests (Purgatory/test/qemu-test.sh, Purgatory/ppc64/test/qemu-test.sh)
#     run whenever qemu-system-x86_64 / qemu-system-ppc64 and python3 exist; --qemu
#     makes them mandatory, --no-qemu skips them.
#
# Every run first proves the SHA-256 code (Purgatory/test/sha256_test.c against
# sha256sum) and the region check (Purgatory/test/regions_test.c), then builds
# each object twice to prove the build deterministic, and checks each object:
# ET_REL, sections .text/.rodata/.data/.bss only, no undefined symbols, only the
# allowed relocation types, the ABI symbols present with their sizes in .data,
# and no SSE/AVX/MMX/x87 instruction in the code.
#
# The PowerPC objects get the same checks (with their own relocation types and
# symbols, Purgatory/ppc64/README.md), and their SHA-256 build runs the same
# self-test under qemu-user (qemu-ppc64le, qemu-ppc64, qemu-ppc) where present.
#
# Needs clang and ld.lld with the x86_64, i386 and PowerPC targets (the Swift toolchain's,
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
        -h|--help) sed -n '3,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# PowerPC: no floating point, AltiVec or VSX (purgatory runs with MSR[FP/VEC/VSX]
# possibly off), TOC-relative data (medium code model: TOC16_HA/LO pairs), and
# the ELFv2 calling convention on both byte orders (no function descriptors).
PPC_COMMON_FLAGS=(
    -ffreestanding -fno-builtin -nostdlib -nostdinc
    -fno-stack-protector -fno-pic -fno-pie
    -msoft-float -mno-altivec
    -fno-vectorize -fno-slp-vectorize
    -fno-asynchronous-unwind-tables -fno-unwind-tables
    -fno-ident -fno-addrsig -fno-strict-aliasing -fno-common -fno-jump-tables
    -Os -g0
    -Wall -Wextra -Werror
)
PPC64LE_FLAGS=(--target=powerpc64le-linux-gnu -mabi=elfv2 -mcmodel=medium -mno-vsx -mcpu=power8)
PPC64_FLAGS=(--target=powerpc64-linux-gnu -mabi=elfv2 -mcmodel=medium -mno-vsx -mcpu=power7)
PPC32_FLAGS=(--target=powerpc-linux-gnu -mcpu=powerpc)

arch_flags() {
    case "$1" in
        x86_64) printf '%s\n' "${COMMON_FLAGS[@]}" "${X86_64_FLAGS[@]}" ;;
        i386) printf '%s\n' "${COMMON_FLAGS[@]}" "${I386_FLAGS[@]}" ;;
        ppc64le) printf '%s\n' "${PPC_COMMON_FLAGS[@]}" "${PPC64LE_FLAGS[@]}" ;;
        ppc64) printf '%s\n' "${PPC_COMMON_FLAGS[@]}" "${PPC64_FLAGS[@]}" ;;
        ppc32) printf '%s\n' "${PPC_COMMON_FLAGS[@]}" "${PPC32_FLAGS[@]}" ;;
    esac
}

# arch_sources ARCH: the sources of one object, relative to Purgatory/. The x86
# objects take their directory and all of common/; the PowerPC ones share
# ppc64/purgatory-ppc.c and only common/regions.c and common/sha256.c
# (common/purgatory.c and serial.c are x86 code).
arch_sources() {
    local src
    case "$1" in
        x86_64|i386) for src in "$1"/*.S "$1"/*.c common/*.c; do [ -e "$src" ] && echo "$src"; done ;;
        ppc64le|ppc64) echo ppc64/entry.S; echo ppc64/purgatory-ppc.c; echo ppc64/console-ppc64.c; echo common/regions.c; echo common/sha256.c ;;
        ppc32) echo ppc32/entry.S; echo ppc64/purgatory-ppc.c; echo ppc32/console-ppc32.c; echo common/regions.c; echo common/sha256.c ;;
    esac
    return 0
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

    # PowerPC builds of the same sha256.c, run under qemu-user where present.
    local emulator target
    for arch in ppc64le ppc64 ppc32; do
        case "$arch" in
            ppc64le) emulator=qemu-ppc64le; emulation=elf64lppc ;;
            ppc64) emulator=qemu-ppc64; emulation=elf64ppc ;;
            ppc32) emulator=qemu-ppc; emulation=elf32ppc ;;
        esac
        if ! command -v "$emulator" >/dev/null 2>&1; then
            say "sha256 self-test $arch: skipped ($emulator not installed)"
            continue
        fi
        mapfile -t flags < <(arch_flags "$arch")
        (cd Purgatory &&
            "$CLANG" "${flags[@]}" -c common/sha256.c -o "$dir/sha256-$arch.o" &&
            "$CLANG" "${flags[@]}" -c ppc64/test/sha256_ppc_test.c -o "$dir/sha256_test-$arch.o")
        "$LLD" -m "$emulation" -static -e _start -o "$dir/sha256-test-$arch" \
            "$dir/sha256_test-$arch.o" "$dir/sha256-$arch.o"
        local count=0
        for input in "$dir"/in/*; do
            # The user-mode test reads at most 4 MiB, which every input fits.
            expected=$(sha256sum < "$input" | cut -c1-64)
            actual=$("$emulator" "$dir/sha256-test-$arch" < "$input" | cut -c1-64) ||
                fail "sha256 self-test $arch: $(basename "$input"): test program failed"
            [ "$expected" = "$actual" ] ||
                fail "sha256 self-test $arch: $(basename "$input"): got $actual, sha256sum says $expected"
            count=$((count + 1))
        done
        say "sha256 self-test $arch: $count inputs match sha256sum under $emulator (one-shot, chunked and byte-wise)"
    done
}

# --- region check self-test ---------------------------------------------------

# common/regions.c (the segment check every purgatory calls) against
# Purgatory/test/regions_test.c, built like the x86 objects and run on the host.
regions_self_test() {
    local dir="$WORK/regions" arch flags emulation output ran=0
    mkdir -p "$dir"
    for arch in x86_64 i386; do
        mapfile -t flags < <(arch_flags "$arch")
        (cd Purgatory &&
            "$CLANG" "${flags[@]}" -c common/sha256.c -o "$dir/sha256-$arch.o" &&
            "$CLANG" "${flags[@]}" -c common/regions.c -o "$dir/regions-$arch.o" &&
            "$CLANG" "${flags[@]}" -c test/regions_test.c -o "$dir/regions_test-$arch.o")
        emulation=elf_x86_64
        [ "$arch" = i386 ] && emulation=elf_i386
        "$LLD" -m "$emulation" -static -e _start -o "$dir/regions-test-$arch" \
            "$dir/regions_test-$arch.o" "$dir/regions-$arch.o" "$dir/sha256-$arch.o"
        if output=$("$dir/regions-test-$arch" 2>&1); then
            say "region check self-test $arch: ${output#regions_test: }"
            ran=$((ran + 1))
        elif [ "$arch" = i386 ] && [ -z "$output" ]; then
            say "region check self-test i386: skipped (this host does not run i386 binaries)"
        else
            fail "region check self-test $arch: ${output:-the test program does not run}"
        fi
    done
    [ "$ran" -gt 0 ] || fail "region check self-test did not run"
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
        arch_sources "$arch" | while read -r src; do
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
        --remove-section=.branch_lt \
        "$dir/merged.o" "$out"
}

# check_object ARCH OBJECT: the promises Purgatory/README.md makes.
check_object() {
    local arch=$1 obj=$2 allowed sections types bad undefined
    case "$arch" in
        x86_64) allowed='R_X86_64_64 R_X86_64_PC32 R_X86_64_PLT32 R_X86_64_32 R_X86_64_32S' ;;
        i386) allowed='R_386_32 R_386_PC32 R_386_PLT32' ;;
        ppc64le|ppc64) allowed='R_PPC64_REL24 R_PPC64_REL16_HA R_PPC64_REL16_LO R_PPC64_TOC16_HA R_PPC64_TOC16_LO R_PPC64_TOC16_LO_DS R_PPC64_ADDR64 R_PPC64_REL32' ;;
        ppc32) allowed='R_PPC_REL24 R_PPC_ADDR16_HA R_PPC_ADDR16_LO R_PPC_ADDR32 R_PPC_REL32' ;;
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
    # ppc64: .TOC. is the linker-defined TOC pointer the relocator supplies.
    case "$arch" in ppc64le|ppc64) undefined=$(echo "$undefined" | grep -v ' \.TOC\.$' || true) ;; esac
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
    case "$arch" in
        x86_64|i386)
            want="sha256_regions:256 sha256_digest:32 purgatory_options:4 backup_src:8 backup_dest:8 backup_size:8 entry32_regs:36"
            [ "$arch" = x86_64 ] && want="$want entry64_regs:136" ;;
        *) want="sha256_regions:256 sha256_digest:32 purgatory_options:4 backup_src:8 backup_dest:8 backup_size:8 kernel_entry:8 device_tree:8" ;;
    esac
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
    case "$arch" in
        ppc64le|ppc64|ppc32)
            # The secondary CPUs' block: kernel_head, 252 bytes at .text + 4.
            echo "$symbols" | awk -v t="$text_index" \
                '$8 == "kernel_head" && $2 ~ /^0+4$/ && $3 == 252 && $5 == "GLOBAL" && $7 == t { found = 1 } END { exit !found }' ||
                fail "$arch: kernel_head must be a GLOBAL symbol of 252 bytes at offset 4 of .text"
            # No floating-point, AltiVec or VSX instruction.
            if awk -F'\t' 'NF >= 2 && $1 ~ /^ *[0-9a-f]+:/ { print $2 }' "$WORK/disassembly.txt" |
                grep -Eq '^(l|st)f[a-z]*|^f[a-z]+|^(mt|mf)fs|^(l|st)v[a-z]*x|^v[a-z]|^xx|^xs|^xv|^(l|st)x[a-z]*|^m[tf]vsr'; then
                fail "$arch: floating-point or vector instruction in the code"
            fi
            return 0 ;;
    esac
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
        ppc64le) class="ELFCLASS64, ELFDATA2LSB, EM_PPC64, ELFv2, SHT_RELA relocations"; rel="RELA" ;;
        ppc64) class="ELFCLASS64, ELFDATA2MSB, EM_PPC64, ELFv2, SHT_RELA relocations"; rel="RELA" ;;
        ppc32) class="ELFCLASS32, ELFDATA2MSB, EM_PPC, SHT_RELA relocations"; rel="RELA" ;;
    esac
    local readme="Purgatory/README.md"
    case "$arch" in ppc*) readme="Purgatory/ppc64/README.md" ;; esac
    {
        echo "// Generated by Scripts/generate-purgatory.sh from Purgatory/ ($arch). DO NOT EDIT."
        echo "// Change the sources in Purgatory/ and run the script again; CI runs it with --check."
        echo "// SPDX-License-Identifier: Apache-2.0"
        echo "// Compiler: $CLANG_VERSION"
        echo
        echo "import KexecCore"
        echo
        echo "/// The $arch purgatory: a relocatable ELF object (ET_REL, $class)."
        echo "/// Symbols, layout rules and the relocation types used are described in $readme."
        echo "enum $enum {"
        echo "    /// SHA-256 of \`bytes\` (lowercase hex), for traceability."
        echo "    static let sha256: String = \"$sha\""
        echo
        echo "    /// Length of \`bytes\`."
        echo "    static let byteCount: Int = $size"
        echo
        echo "    /// The object file itself. Relocation sections are $rel."
        echo "    static let bytes: [UInt8] = Base64.decodeEmbedded(\"\"\""
        base64 -w 100 < "$obj" | sed 's/^/        /'
        echo "        \"\"\")"
        echo "}"
    } > "$out"
}

# --- main ----------------------------------------------------------------------

sha256_self_test
regions_self_test

OUT="$WORK/out"
mkdir -p "$OUT/Sources/ArchX86_64/Generated" "$OUT/Sources/ArchI386/Generated" "$OUT/Sources/ArchPPC/Generated"
TARGETS=(
    "x86_64 PurgatoryObjectX86_64 Sources/ArchX86_64/Generated/PurgatoryObjectX86_64.swift"
    "i386 PurgatoryObjectI386 Sources/ArchI386/Generated/PurgatoryObjectI386.swift"
    "ppc64le PurgatoryObjectPPC64LE Sources/ArchPPC/Generated/PurgatoryObjectPPC64LE.swift"
    "ppc64 PurgatoryObjectPPC64 Sources/ArchPPC/Generated/PurgatoryObjectPPC64.swift"
    "ppc32 PurgatoryObjectPPC32 Sources/ArchPPC/Generated/PurgatoryObjectPPC32.swift"
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
    if command -v qemu-system-ppc64 >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
        Purgatory/ppc64/test/qemu-test.sh "$WORK/purgatory-ppc64le.o" "$WORK/purgatory-ppc64.o" ||
            fail "ppc64 qemu boot test failed"
    elif [ "$QEMU" = yes ]; then
        fail "--qemu needs qemu-system-ppc64 and python3"
    else
        say "ppc64 qemu boot test: skipped (needs qemu-system-ppc64 and python3)"
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
