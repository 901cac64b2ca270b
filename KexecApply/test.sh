#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Tests kexec-apply on this host without a single kexec system call: every run
# goes through run_check, which always passes --check (validate and print, then
# exit). Builds the binaries (Scripts/build-kexec-apply.sh), writes plan files
# with make-plan.py and checks, for kexec-apply-x86_64 and kexec-apply-i386 (and
# kexec-apply-ppc64le under qemu-ppc64le when installed; skipped otherwise):
#   - a 1-segment and a 16-segment plan: exit 0 and exactly the expected summary;
#   - hostile plans: exit status exactly 2 (no signal, no crash), nothing on
#     stdout, one line on stderr naming the field;
#   - random corruptions of header and descriptors: exit 0 or 2, never a crash.
#
#     KexecApply/test.sh [--keep]     (--keep leaves the work directory)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

WORK=$(mktemp -d)
cleanup() { if [ "$KEEP" = 1 ]; then echo "test: work directory $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

export KEXEC_SUITE_FORBID_LIVE=1   # belt and braces: kexec-apply refuses live calls with it
PLAN="python3 $ROOT/KexecApply/make-plan.py"
PASSED=0
FAILED=0
SKIPPED=0

ok() { PASSED=$((PASSED + 1)); }
not_ok() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

if ! "$ROOT/Scripts/build-kexec-apply.sh" "$WORK/bin" >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log"
    echo "0 passed, 1 failed"
    exit 1
fi

# The only way this script runs kexec-apply: always with --check.
# run_check RUNNER BINARY ARGS... -> $WORK/out, $WORK/err, $RC
run_check() {
    local runner=$1 binary=$2
    shift 2
    if [ -n "$runner" ]; then
        timeout 20 "$runner" "$binary" --check "$@" >"$WORK/out" 2>"$WORK/err"
    else
        timeout 20 "$binary" --check "$@" >"$WORK/out" 2>"$WORK/err"
    fi
    RC=$?
}

# expect_valid ARCH RUNNER BINARY PLAN EXPECTED-TAIL
expect_valid() {
    local arch=$1 runner=$2 binary=$3 plan=$4 expected=$5
    run_check "$runner" "$binary" "$plan"
    { echo "kexec-apply: $plan: valid plan for $arch"; cat "$expected"; } >"$WORK/expected"
    if [ "$RC" -ne 0 ]; then
        not_ok "$arch $(basename "$plan"): exit $RC: $(cat "$WORK/err")"
    elif ! cmp -s "$WORK/out" "$WORK/expected"; then
        not_ok "$arch $(basename "$plan"): summary differs:"
        diff "$WORK/expected" "$WORK/out" | sed 's/^/    /'
    elif [ -s "$WORK/err" ]; then
        not_ok "$arch $(basename "$plan"): unexpected stderr: $(cat "$WORK/err")"
    else
        ok
    fi
}

# expect_bad ARCH RUNNER BINARY NAME PATTERN [kexec-apply args...]
# PATTERN (grep -E) must match the one line on stderr, e.g. the field's name.
expect_bad() {
    local arch=$1 runner=$2 binary=$3 name=$4 pattern=$5
    shift 5
    run_check "$runner" "$binary" "$@"
    local lines
    lines=$(wc -l <"$WORK/err")
    if [ "$RC" -ne 2 ]; then
        not_ok "$arch $name: exit $RC (want 2$([ "$RC" -gt 128 ] && echo ", got signal $((RC - 128))")): $(head -c 300 "$WORK/err")"
    elif [ -s "$WORK/out" ]; then
        not_ok "$arch $name: stdout not empty: $(head -c 300 "$WORK/out")"
    elif [ "$lines" -ne 1 ] && [ "${name#usage}" = "$name" ]; then
        not_ok "$arch $name: $lines lines on stderr"   # (usage errors add the usage text)
    elif ! head -n 1 "$WORK/err" | grep -Eq -- "$pattern"; then
        not_ok "$arch $name: message does not match /$pattern/: $(cat "$WORK/err")"
    else
        ok
    fi
}

# test_arch ARCH MACHINE RUNNER
test_arch() {
    local arch=$1 machine=$2 runner=$3
    local bin="$WORK/bin/kexec-apply-$arch" d="$WORK/$arch"
    local other=62
    [ "$machine" = 62 ] && other=3
    mkdir -p "$d/fuzz"
    : >"$d/batch"

    # Plans are described first and written by one make-plan.py run (Python
    # starts slowly), then checked. A batch line is the generator's arguments,
    # separated by tabs.
    local valid_names=() bad_names=() bad_patterns=()
    plan() { printf '%s\t' "$@" >>"$d/batch"; echo >>"$d/batch"; }
    valid() { # NAME make-plan options...
        local name=$1
        shift
        plan "$d/$name.plan" --machine "$machine" --expect "$d/$name.expect" "$@"
        valid_names+=("$name")
    }
    bad() { # NAME PATTERN make-plan options...
        local name=$1 pattern=$2
        shift 2
        plan "$d/$name.plan" --machine "$machine" "$@"
        bad_names+=("$name")
        bad_patterns+=("$pattern")
    }

    valid one
    valid sixteen --segments 16 --entry 0x2000000 --flags $((machine << 16))
    valid crash --segments 3 --flags 0x1 --mem-base 0x3f000000 --entry 0xffffffff
    valid top --seg 0.mem=0xffffe000 --seg 0.memsz=0x1000 --seg 0.bufsz=0x800

    bad empty-file 'header: truncated' --truncate 0
    bad truncated-header 'header: truncated: the file has 40 bytes' --truncate 40
    bad header-only-63 'header: truncated' --truncate 63
    bad bad-magic 'magic: not "KXPLAN01"' --set magic=KXPLAN02
    bad elf-magic 'magic' --set magic=$'\x7fELF'
    bad wrong-version 'version: 2 is not supported' --set version=2
    bad version-0 'version: 0 ' --set version=0
    bad header-size 'header size: 72, expected 64' --set header_size=72
    bad other-byte-order 'byte-order mark: plan is for the other byte order' --big-endian --segments 2
    bad swapped-mark-only 'byte-order mark: plan is for the other byte order' --set bom=0x04030201
    bad garbage-mark 'byte-order mark: 0xdeadbeef is not 0x01020304' --set bom=0xdeadbeef
    bad wrong-machine "machine: plan is for ELF machine $other " --set machine=$other
    bad ppc-machine 'machine: plan is for ELF machine 20 \(ppc\)' --set machine=20
    bad reserved-20 'reserved' --set reserved20=1
    bad reserved-56 'reserved' --set reserved56=0x100
    bad count-0 'segment count: 0, expected 1 to 16' --set count=0
    bad count-17 'segment count: 17, expected 1 to 16' --segments 17
    bad count-huge 'segment count: 4294967295' --set count=0xffffffff
    bad count-past-table 'segment count: 16 descriptors end at byte 576' --set count=16 --truncate 96 --set file_size=96
    bad file-size-plus-1 'file size: the header says 4193 bytes, the file has 4192' --set file_size=4193
    bad file-size-huge 'file size' --set file_size=0xffffffffffffffff
    bad file-longer 'file size' --append 8
    bad file-shorter 'file size' --truncate 200
    bad offset-past-end 'segment 0 offset: 0x100000 is past the end of the file' --seg 0.offset=0x100000
    bad offset-huge 'segment 1 offset: 0xfffffffffffffff8 is past the end' --segments 2 --seg 1.offset=0xfffffffffffffff8
    bad offset-misaligned 'segment 0 offset: 0x61 is not 8-byte aligned' --seg 0.offset=0x61
    bad offset-in-header 'segment 0 offset: 0x8 points into the header' --seg 0.offset=8 --seg 0.bufsz=0x10
    bad bufsz-past-end 'segment 2 bufsz: .* run past the end of the file' --segments 3 --seg 2.memsz=0x100000 --seg 2.bufsz=0x100000
    bad bufsz-over-memsz 'segment 0 bufsz: 0x1000 is larger than memsz 0x0' --seg 0.memsz=0
    bad bufsz-over-memsz-16 'segment 15 bufsz: 0x1008 is larger than memsz 0x1000' --segments 16 --seg 15.bufsz=0x1008
    bad mem-misaligned 'segment 0 mem: 0x1000800 is not page-aligned' --seg 0.mem=0x1000800
    bad memsz-odd 'segment 0 memsz: 0x1800 is not a multiple of the page size' --seg 0.memsz=0x1800
    bad overlap 'segment 2 mem: .* overlaps segment 1' --segments 3 --seg 2.mem=0x1001000
    if [ "$arch" = i386 ]; then
        bad above-4g 'segment 0 mem: 0x100000000 \+ memsz 0x1000 is not below 4 GiB' --seg 0.mem=0x100000000
        bad ends-at-4g 'segment 1 mem: 0xfffff000 \+ memsz 0x1000 is not below 4 GiB' --segments 2 --seg 1.mem=0xfffff000 --seg 1.memsz=0x1000 --seg 1.bufsz=0
        bad crosses-4g 'not below 4 GiB' --seg 0.mem=0xfffff000 --seg 0.memsz=0x2000
        bad entry-above-4g 'entry: 0x100000000 is not below 4 GiB' --entry 0x100000000
        bad flags-64-bit 'flags: 0x100000000 does not fit' --flags 0x100000000
    else
        # A 64-bit kexec_segment holds all of these; only wrapping is bad.
        valid high --segments 2 --mem-base 0x100000000 --entry 0x100000200 --flags 0x100000000
        bad wraps 'segment 0 memsz: mem 0xfffffffffffff000 \+ memsz 0x2000 wraps around' --seg 0.mem=0xfffffffffffff000 --seg 0.memsz=0x2000
    fi
    # Random corruption of header and descriptors.
    local count
    for count in 1 4 16; do
        plan "$d/fuzz/$count-segments" --machine "$machine" --segments "$count" --fuzz 50
    done

    $PLAN --batch "$d/batch" || { not_ok "$arch: make-plan.py failed"; return; }

    local i
    for i in "${!valid_names[@]}"; do
        expect_valid "$arch" "$runner" "$bin" "$d/${valid_names[$i]}.plan" "$d/${valid_names[$i]}.expect"
    done
    for i in "${!bad_names[@]}"; do
        expect_bad "$arch" "$runner" "$bin" "${bad_names[$i]}" "${bad_patterns[$i]}" "$d/${bad_names[$i]}.plan"
    done

    # Usage and I/O errors (every call still carries --check).
    expect_bad "$arch" "$runner" "$bin" usage-no-plan 'no PLANFILE'
    expect_bad "$arch" "$runner" "$bin" usage-unknown 'unknown option: --bogus' --bogus "$d/one.plan"
    expect_bad "$arch" "$runner" "$bin" usage-two-plans 'more than one PLANFILE' "$d/one.plan" "$d/one.plan"
    expect_bad "$arch" "$runner" "$bin" missing-file 'plan file: cannot open: ENOENT' "$d/does-not-exist"
    expect_bad "$arch" "$runner" "$bin" directory 'plan file' "$d"

    # Corrupted plans: exit 0 or 2, never a crash or a hang.
    local plan_file fuzzed=0
    for plan_file in "$d"/fuzz/*; do
        run_check "$runner" "$bin" "$plan_file"
        if [ "$RC" -ne 0 ] && [ "$RC" -ne 2 ]; then
            not_ok "$arch fuzz: exit $RC for $plan_file (use --keep to look at it)"
            fuzzed=1
        fi
    done
    [ "$fuzzed" = 0 ] && ok
}

test_arch x86_64 62 ""
test_arch i386 3 ""
QEMU_PPC=$(command -v qemu-ppc64le || command -v qemu-ppc64le-static || true)
if [ -n "$QEMU_PPC" ]; then
    test_arch ppc64le 21 "$QEMU_PPC"
else
    echo "test: skipping ppc64le (qemu-ppc64le not installed; apt-get install qemu-user)"
    SKIPPED=$((SKIPPED + 1))
fi

for arch in x86_64 i386 ppc64le; do
    echo "test: kexec-apply-$arch: $(stat -c %s "$WORK/bin/kexec-apply-$arch") bytes"
done
echo "kexec-apply: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
