# shellcheck shell=bash
# Shared helpers for the kexec-suite VM harness. Source this file; it has no side effects
# beyond defining functions and a few variables.

# Directory layout.
KS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KS_VM_DIR=$(cd "$KS_LIB_DIR/.." && pwd)
KS_REPO_ROOT=$(cd "$KS_VM_DIR/../.." && pwd)
KS_CACHE=${KEXEC_SUITE_CACHE:-/var/cache/kexec-suite}
export KS_LIB_DIR KS_VM_DIR KS_REPO_ROOT KS_CACHE

# Messages go to stderr so stdout stays usable for machine-readable output.
ks_log() { printf '[kexec-suite] %s\n' "$*" >&2; }
ks_die() { printf '[kexec-suite] error: %s\n' "$*" >&2; exit 1; }

# ks_random_token [bytes]: lowercase hex string from /dev/urandom (default 8 bytes).
ks_random_token() {
    local n=${1:-8}
    od -An -tx1 -N"$n" /dev/urandom | tr -d ' \n'
}

# ks_marker_values LOG NAME: every value printed by the guest as "KEXEC-SUITE: NAME VALUE",
# one per line, in console order (\r stripped; the marker may follow kernel text on a line).
ks_marker_values() {
    local log=$1 name=$2
    tr -d '\r' <"$log" | sed -n "s/^.*KEXEC-SUITE: ${name} \\(.*\\)\$/\\1/p"
}

# ks_marker_value LOG NAME: the first value of marker NAME (empty if absent).
ks_marker_value() {
    ks_marker_values "$1" "$2" | head -n 1
}

# ks_has_marker LOG NAME [VALUE]: true when the marker (with exactly VALUE, if given) appears.
ks_has_marker() {
    local log=$1 name=$2
    if [ $# -ge 3 ]; then
        [ "$(ks_marker_values "$log" "$name" | grep -Fxc -- "$3")" -gt 0 ]
    else
        [ "$(tr -d '\r' <"$log" | grep -c "KEXEC-SUITE: ${name}\\( \\|\$\\)")" -gt 0 ]
    fi
}

# ks_block LOG NAME: the lines between "KEXEC-SUITE: begin NAME" and "KEXEC-SUITE: end NAME",
# \r stripped, otherwise byte-exact.
ks_block() {
    local log=$1 name=$2
    tr -d '\r' <"$log" | awk -v b="KEXEC-SUITE: begin $name" -v e="KEXEC-SUITE: end $name" '
        $0 == e { inside = 0; done = 1 }
        inside && !done { print }
        $0 == b && !done { inside = 1 }
    '
}

# --- scenario helpers (used by scenarios/*/host.sh under run.sh) ---

# ks_reason TEXT: records why the current scenario failed (run.sh prints it on the FAIL line).
ks_reason() {
    ks_log "FAIL: $*"
    if [ -n "${KS_REASON_FILE:-}" ] && [ ! -s "$KS_REASON_FILE" ]; then
        printf '%s\n' "$*" >"$KS_REASON_FILE"
    fi
}

# ks_expect_marker LOG NAME VALUE: succeeds when the guest printed "KEXEC-SUITE: NAME VALUE";
# otherwise records a reason naming what was printed instead.
ks_expect_marker() {
    local log=$1 name=$2 want=$3 got
    ks_has_marker "$log" "$name" "$want" && return 0
    got=$(ks_marker_values "$log" "$name" | paste -sd '|' -)
    ks_reason "marker '$name': want '$want', got '${got:-<missing>}'"
    return 1
}

# ks_require_loader: succeeds when $KEXEC_LOADER is an executable file; otherwise records why
# (run.sh puts the swift build failure into KS_LOADER_ERROR).
ks_require_loader() {
    if [ -n "${KEXEC_LOADER:-}" ] && [ -f "$KEXEC_LOADER" ] && [ -x "$KEXEC_LOADER" ]; then
        return 0
    fi
    ks_reason "${KS_LOADER_ERROR:-KEXEC_LOADER (${KEXEC_LOADER:-unset}) is not an executable file}"
    return 1
}

# ks_last_marker LOG: the last "KEXEC-SUITE: ..." line printed (without the prefix).
ks_last_marker() {
    tr -d '\r' <"$1" | sed -n 's/^.*KEXEC-SUITE: //p' | tail -n 1
}

# ks_vm_lock: serialise VM runs across processes (one TCG guest per host core budget); the lock
# is held until the calling script exits.
ks_vm_lock() {
    mkdir -p "$KS_CACHE"
    exec {KS_VM_LOCK_FD}>"$KS_CACHE/vm.lock"
    if ! flock -n "$KS_VM_LOCK_FD"; then
        ks_log "another VM run holds $KS_CACHE/vm.lock; waiting"
        flock "$KS_VM_LOCK_FD"
    fi
}

# ks_extract_iomem LOG OUT: writes the /proc/iomem block printed by guest/dump-memory.sh to OUT
# and checks it against the guest's md5 sum (iomem-md5 marker).
ks_extract_iomem() {
    local log=$1 out=$2 want got
    ks_block "$log" iomem >"$out"
    want=$(ks_marker_value "$log" iomem-md5)
    got=$(md5sum <"$out" | cut -d' ' -f1)
    [ -n "$want" ] && [ "$want" = "$got" ] && return 0
    ks_log "iomem md5 mismatch (guest ${want:-<none>}, host $got)"
    return 1
}

# ks_extract_memmap LOG DIR: recreates the /sys/firmware/memmap block printed by
# guest/dump-memory.sh as DIR/N/{start,end,type} and checks the guest's md5 sum (memmap-md5).
ks_extract_memmap() {
    local log=$1 dir=$2 n f v want got
    rm -rf "$dir"
    mkdir -p "$dir"
    while read -r n f v; do
        mkdir -p "$dir/$n"
        printf '%s\n' "$v" >"$dir/$n/$f"
    done < <(ks_block "$log" memmap)
    want=$(ks_marker_value "$log" memmap-md5)
    # shellcheck disable=SC2012 # names are plain numbers
    got=$(for n in $(ls "$dir" | sort -n); do cat "$dir/$n/start" "$dir/$n/end" "$dir/$n/type"; done |
        md5sum | cut -d' ' -f1)
    [ -n "$want" ] && [ "$want" = "$got" ] && return 0
    ks_log "memmap md5 mismatch (guest ${want:-<none>}, host $got)"
    return 1
}

# ks_require_apply: succeeds when $KEXEC_APPLY_DIR holds kexec-apply-i386 (run.sh builds it with
# Scripts/build-kexec-apply.sh); otherwise records why.
ks_require_apply() {
    if [ -n "${KEXEC_APPLY_DIR:-}" ] && [ -x "$KEXEC_APPLY_DIR/kexec-apply-i386" ]; then
        return 0
    fi
    ks_reason "${KS_APPLY_ERROR:-KEXEC_APPLY_DIR (${KEXEC_APPLY_DIR:-unset}) has no kexec-apply-i386}"
    return 1
}

# ks_killed_reason LOG: for a boot that vm_boot killed (status 124), "qemu killed after <why>
# (last marker: ...; last console line: ...)".
ks_killed_reason() {
    local log=$1 why last
    why=$(tr -d '\r' <"$log" | sed -n 's/^\[kexec-suite: qemu killed after \(.*\)\]$/\1/p' | tail -n 1)
    last=$(tr -d '\r' <"$log" | grep -v '^\[kexec-suite: ' | grep -v '^[[:space:]]*$' | tail -n 1)
    printf 'qemu killed after %s (last marker: %s; last console line: %s)\n' \
        "${why:-a timeout}" "$(ks_last_marker "$log")" "$last"
}
