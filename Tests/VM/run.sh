#!/usr/bin/env bash
# Run VM scenarios one at a time (each boots qemu with TCG).
#
#   Tests/VM/run.sh [scenario ...]       default: every directory in Tests/VM/scenarios
#                                        except pending ones (see KS_INCLUDE_PENDING)
#
# Prints "PASS <scenario> (<seconds>s)" or "FAIL <scenario>: <reason>" per scenario (with the
# tail of the console log on failure), then "VM: N passed, M failed"; exits 1 if any failed.
#
# Environment:
#   KEXEC_LOADER       loader binary copied into guests as /bin/kexec-loader. Unset: built with
#                      `swift build -c release --static-swift-stdlib --product kexec-loader`
#                      in the repo root (e.g. KEXEC_LOADER=/usr/sbin/kexec for kexec-tools).
#   KEXEC_SUITE_CACHE  kernel cache (default /var/cache/kexec-suite)
#   KS_WORK_DIR        where logs and images go (default: a new /tmp/kexec-suite-vm.XXXXXX)
#   KEXEC_APPLY_DIR    directory with kexec-apply-x86_64 / kexec-apply-i386 for scenarios that run
#                      plans (KS_NEEDS_APPLY=1). Unset: built with Scripts/build-kexec-apply.sh
#                      into the work directory.
#   KS_TIMEOUT         per-boot timeout in seconds for scenarios that honour it
#   KS_INCLUDE_PENDING 1: the default run also includes scenarios whose host.sh has a line
#                      "KS_PENDING=1" (they wait for code that does not exist yet and are
#                      otherwise listed as "SKIP <scenario> (pending)"). A scenario named on
#                      the command line always runs.
set -euo pipefail

# shellcheck source=Tests/VM/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=Tests/VM/lib/fetch-kernel.sh
. "$KS_LIB_DIR/fetch-kernel.sh"
# shellcheck source=Tests/VM/lib/boot.sh
. "$KS_LIB_DIR/boot.sh"

if [ "$(id -u)" = 0 ]; then
    "$KS_VM_DIR/install-deps.sh" >&2
fi

scenario_dir="$KS_VM_DIR/scenarios"
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    for d in "$scenario_dir"/*/; do
        [ -f "$d/host.sh" ] || continue
        if [ "${KS_INCLUDE_PENDING:-0}" != 1 ] && grep -q '^KS_PENDING=1' "$d/host.sh"; then
            echo "SKIP $(basename "$d") (pending; KS_INCLUDE_PENDING=1 or name it to run)"
            continue
        fi
        scenarios+=("$(basename "$d")")
    done
fi
for s in "${scenarios[@]}"; do
    [ -f "$scenario_dir/$s/host.sh" ] || ks_die "unknown scenario '$s' (no $scenario_dir/$s/host.sh)"
done

ks_vm_lock
work=${KS_WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/kexec-suite-vm.XXXXXX")}
mkdir -p "$work"
ks_log "work directory: $work"

# Build the project's loader once, only if a selected scenario needs it and none was given.
needs_loader=0
for s in "${scenarios[@]}"; do
    grep -q '^KS_NEEDS_LOADER=1' "$scenario_dir/$s/host.sh" && needs_loader=1
done
KS_LOADER_ERROR=
if [ "$needs_loader" = 1 ] && [ -z "${KEXEC_LOADER:-}" ]; then
    build_log="$work/swift-build.log"
    if ! command -v swift >/dev/null; then
        KS_LOADER_ERROR="KEXEC_LOADER unset and swift is not installed"
    else
        ks_log "building kexec-loader (swift build -c release --static-swift-stdlib)"
        if (cd "$KS_REPO_ROOT" &&
            swift build -c release --static-swift-stdlib --product kexec-loader) \
            >"$build_log" 2>&1; then
            bin_path=$(cd "$KS_REPO_ROOT" && swift build -c release --show-bin-path)
            KEXEC_LOADER="$bin_path/kexec-loader"
            [ -x "$KEXEC_LOADER" ] || KS_LOADER_ERROR="swift build succeeded but $KEXEC_LOADER is missing"
        else
            KS_LOADER_ERROR="swift build of kexec-loader failed ($(tail -n 1 "$build_log"); full log: $build_log)"
        fi
    fi
    [ -z "$KS_LOADER_ERROR" ] || ks_log "$KS_LOADER_ERROR"
fi
export KEXEC_LOADER KS_LOADER_ERROR

# kexec-apply (KexecApply/, freestanding C) for scenarios with KS_NEEDS_APPLY=1, unless given.
needs_apply=0
for s in "${scenarios[@]}"; do
    grep -q '^KS_NEEDS_APPLY=1' "$scenario_dir/$s/host.sh" && needs_apply=1
done
KS_APPLY_ERROR=
if [ "$needs_apply" = 1 ] && [ -z "${KEXEC_APPLY_DIR:-}" ]; then
    apply_log="$work/build-kexec-apply.log"
    if [ ! -x "$KS_REPO_ROOT/Scripts/build-kexec-apply.sh" ]; then
        KS_APPLY_ERROR="KEXEC_APPLY_DIR unset and Scripts/build-kexec-apply.sh does not exist"
    else
        ks_log "building kexec-apply (Scripts/build-kexec-apply.sh)"
        if "$KS_REPO_ROOT/Scripts/build-kexec-apply.sh" "$work/kexec-apply" >"$apply_log" 2>&1; then
            KEXEC_APPLY_DIR="$work/kexec-apply"
        else
            KS_APPLY_ERROR="Scripts/build-kexec-apply.sh failed ($(tail -n 1 "$apply_log"); full log: $apply_log)"
        fi
    fi
    [ -z "$KS_APPLY_ERROR" ] || ks_log "$KS_APPLY_ERROR"
fi
export KEXEC_APPLY_DIR KS_APPLY_ERROR

passed=0 failed=0
for s in "${scenarios[@]}"; do
    dir="$work/$s"
    rm -rf "$dir"
    mkdir -p "$dir"
    start=$SECONDS
    # Background + wait keeps `set -e` active inside the subshell.
    (
        export KS_REASON_FILE="$dir/reason"
        # shellcheck source=/dev/null
        . "$scenario_dir/$s/host.sh"
        scenario_main "$dir"
    ) </dev/null >"$dir/host.log" 2>&1 &
    rc=0
    wait $! || rc=$?
    elapsed=$((SECONDS - start))
    if [ "$rc" = 0 ]; then
        echo "PASS $s (${elapsed}s)"
        passed=$((passed + 1))
    else
        reason=$(head -n 1 "$dir/reason" 2>/dev/null || true)
        echo "FAIL $s: ${reason:-scenario script exited with status $rc (see $dir/host.log)} (${elapsed}s)"
        failed=$((failed + 1))
        echo "---- $s: tail of host log ($dir/host.log)"
        tail -n 15 "$dir/host.log"
        if [ -f "$dir/console.log" ]; then
            echo "---- $s: tail of console log ($dir/console.log)"
            tr -d '\r' <"$dir/console.log" | tail -n 40
        fi
        echo "----"
    fi
done

echo "VM: $passed passed, $failed failed"
[ "$failed" = 0 ]
