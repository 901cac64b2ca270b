# shellcheck shell=bash
# Plans the same load with kexec-tools (`kexec -d -l`) and kexec-loader (`--plan-json`) in one
# amd64 guest and keeps both listings in the work directory (kexec-tools.txt,
# kexec-loader.json, iomem.txt) for docs/kexec-tools-comparison.md. Loads nothing it boots.
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1

scenario_main() {
    local work=$1 here log rc=0
    here=$(dirname "${BASH_SOURCE[0]}")
    log="$work/console.log"
    ks_require_loader || return 1
    ks_fetch_kernel amd64
    "$KS_LIB_DIR/make-initramfs.sh" -o "$work/small.img" -s "$here/guest.sh"
    "$KS_LIB_DIR/make-initramfs.sh" -o "$work/guest.img" -s "$here/guest.sh" \
        -b "$KEXEC_LOADER=/bin/kexec-loader" -b "$(command -v kexec)=/bin/kexec" \
        -f "$KERNEL_IMAGE=/boot/vmlinuz" -f "$work/small.img=/boot/initrd.img"
    vm_boot --kernel "$KERNEL_IMAGE" --initrd "$work/guest.img" --log "$log" --mem 1G \
        --timeout "${KS_TIMEOUT:-120}" || rc=$?
    [ "$rc" = 0 ] || { ks_reason "qemu exit status $rc"; return 1; }
    ks_block "$log" kexec-tools >"$work/kexec-tools.txt"
    ks_block "$log" kexec-loader >"$work/kexec-loader.json"
    ks_block "$log" iomem >"$work/iomem.txt"
    grep -q 'segment\[' "$work/kexec-tools.txt" || { ks_reason "kexec -d printed no segment list"; return 1; }
    python3 -m json.tool "$work/kexec-loader.json" >/dev/null ||
        { ks_reason "kexec-loader --plan-json is not JSON"; return 1; }
    ks_log "kexec-tools: $(grep -c 'segment\[' "$work/kexec-tools.txt") segment lines; kexec-loader: $(grep -c '"role"' "$work/kexec-loader.json") segments (see $work)"
    ks_expect_marker "$log" result PASS || return 1
}
