# shellcheck shell=bash
# The kexec scenario shared by file-load-x86_64, load-x86_64 and load-corrupt-x86_64: load
# Debian's amd64 kernel from inside an amd64 guest with $KEXEC_LOADER (copied as
# /bin/kexec-loader) using the flags in KS_LOAD_FLAGS (e.g. "-s" for kexec_file_load, "" for
# the suite's kexec_load path), then exec it.
#
# Image layout: inner.img = busybox + /init + guest.sh + loader + /etc/kexec-suite/initrd-id
# ("inner-<random>"); outer.img = inner.img followed by a second cpio segment with
# /boot/vmlinuz, /boot/initrd.img (= inner.img) and an initrd-id of "outer-<random>" that
# overrides the inner one. The first kernel boots outer.img, the second gets inner.img, so
# stage 2 must see the inner id and no /boot/vmlinuz.
#
# ks_kexec_scenario WORK LOAD_FLAGS [EXPECT]: EXPECT is "boot" (default: the second kernel must
# come up) or "digest-mismatch" (purgatory must refuse to jump and say so on the console).
ks_kexec_scenario() {
    local work=$1 flags=$2 expect=${3:-boot} token inner_id outer_id log
    log="$work/console.log"
    ks_require_loader || return 1
    ks_fetch_kernel amd64

    token=$(ks_random_token 12)
    inner_id="inner-$(ks_random_token)"
    outer_id="outer-$(ks_random_token)"
    printf '%s\n' "$inner_id" >"$work/inner-id"
    printf '%s\n' "$outer_id" >"$work/outer-id"
    "$KS_LIB_DIR/make-initramfs.sh" -o "$work/inner.img" -s "$KS_LIB_DIR/guest/kexec-scenario-guest.sh" \
        -e "KS_LOAD_FLAGS=$flags" \
        -b "$KEXEC_LOADER=/bin/kexec-loader" -f "$work/inner-id=/etc/kexec-suite/initrd-id"
    "$KS_LIB_DIR/make-initramfs.sh" --extend "$work/inner.img" -o "$work/outer.img" \
        -f "$KERNEL_IMAGE=/boot/vmlinuz" -f "$work/inner.img=/boot/initrd.img" \
        -f "$work/outer-id=/etc/kexec-suite/initrd-id"

    local rc=0 stop=()
    [ "$expect" = digest-mismatch ] && stop=(--stop-on 'purgatory: halting')
    vm_boot --kernel "$KERNEL_IMAGE" --initrd "$work/outer.img" --log "$log" --mem 1G \
        --timeout "${KS_TIMEOUT:-180}" --append "kexec_suite_token=$token" "${stop[@]+"${stop[@]}"}" || rc=$?

    local v
    v=$(ks_marker_value "$log" result)
    case $v in
        "FAIL "*) ks_reason "guest: ${v#FAIL }"; return 1 ;;
    esac
    if [ "$rc" = 124 ]; then
        ks_reason "qemu timed out after ${KS_TIMEOUT:-180}s (last marker: $(ks_last_marker "$log"))"
        return 1
    fi
    ks_expect_marker "$log" stage1-initrd-id "$outer_id" || return 1
    ks_expect_marker "$log" status-before 0 || return 1
    ks_expect_marker "$log" load-rc 0 || return 1
    ks_expect_marker "$log" sysfs-kexec-loaded 1 || return 1
    ks_expect_marker "$log" status-after 1 || return 1
    if [ "$expect" = digest-mismatch ]; then
        grep -q 'purgatory: sha256 digest mismatch' "$log" ||
            { ks_reason "purgatory did not report the corrupted segment"; return 1; }
        if ks_has_marker "$log" init stage=2; then
            ks_reason "the corrupted image booted"
            return 1
        fi
        return 0
    fi
    ks_has_marker "$log" init stage=2 ||
        { ks_reason "second kernel never reached /init (qemu rc $rc)"; return 1; }
    # The second kernel must have been started with our command line ...
    tr -d '\r' <"$log" | grep 'Command line:' | sed -n 2p |
        grep -q "kexec_suite_stage=2 kexec_suite_marker=$token\( \|\$\)" ||
        { ks_reason "second kernel's 'Command line:' lacks the token"; return 1; }
    # ... and its /init must have read the exact token from /proc/cmdline.
    ks_expect_marker "$log" stage2-marker "$token" || return 1
    ks_expect_marker "$log" stage2-initrd-id "$inner_id" || return 1
    ks_expect_marker "$log" stage2-outer-files absent || return 1
    ks_expect_marker "$log" result PASS || return 1
    [ "$rc" = 0 ] || { ks_reason "qemu exit status $rc"; return 1; }
}
