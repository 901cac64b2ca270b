# shellcheck shell=bash
# ks_kexec_scenario (below) is shared by file-load-x86_64, load-x86_64 and load-corrupt-x86_64;
# ks_kexec_to_i386_scenario (further down) by load-x86_64-to-i386, and ks_make_i386_inner /
# ks_check_stage2 / ks_check_purgatory_32 also by apply-scenario.sh.
#
# The amd64 scenario: load Debian's amd64 kernel from inside an amd64 guest with $KEXEC_LOADER
# (copied as /bin/kexec-loader) using the flags in KS_LOAD_FLAGS (e.g. "-s" for
# kexec_file_load, "" for the suite's kexec_load path), then exec it.
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

# --- i386 second kernels (load-x86_64-to-i386, apply-i386-to-i386) ---

# ks_make_i386_inner WORK: builds WORK/inner-i386.img, the second kernel's initrd: i386 busybox
# (busybox-static:i386), /init, kexec-scenario-guest.sh (its stage 2 reports the marker, uname -m
# and this image's id) and /etc/kexec-suite/initrd-id = "inner-<random>" (also in WORK/inner-id).
# Sets BUSYBOX_I386.
ks_make_i386_inner() {
    local work=$1
    ks_fetch_busybox i386
    BUSYBOX_I386=$BUSYBOX
    printf 'inner-%s\n' "$(ks_random_token)" >"$work/inner-id"
    "$KS_LIB_DIR/make-initramfs.sh" --busybox "$BUSYBOX_I386" -o "$work/inner-i386.img" \
        -s "$KS_LIB_DIR/guest/kexec-scenario-guest.sh" \
        -f "$work/inner-id=/etc/kexec-suite/initrd-id"
}

# ks_check_stage2 LOG TOKEN INNER_ID MACHINE_ERE: the second kernel's /init saw the token on its
# command line, the inner initrd's id, no stage-1 files, and uname -m matching MACHINE_ERE.
ks_check_stage2() {
    local log=$1 token=$2 inner_id=$3 machine=$4 m
    ks_has_marker "$log" init stage=2 ||
        { ks_reason "second kernel never reached /init (last marker: $(ks_last_marker "$log"))"; return 1; }
    ks_expect_marker "$log" stage2-marker "$token" || return 1
    m=$(ks_marker_value "$log" stage2-machine)
    printf '%s\n' "$m" | grep -Eqx "$machine" ||
        { ks_reason "second kernel's uname -m is '${m:-<missing>}', want /$machine/"; return 1; }
    ks_expect_marker "$log" stage2-initrd-id "$inner_id" || return 1
    ks_expect_marker "$log" stage2-outer-files absent || return 1
    ks_expect_marker "$log" result PASS || return 1
}

# ks_check_purgatory_32 LOG: purgatory (--console-serial) verified the segments and switched to
# 32-bit protected mode; its lines go to the host log.
ks_check_purgatory_32() {
    local log=$1
    ks_log "purgatory lines:"
    tr -d '\r' <"$log" | grep 'purgatory:' >&2 || true
    # grep -c reads to the end: grep -q would exit early and, with pipefail, tr's SIGPIPE fails the test.
    [ "$(tr -d '\r' <"$log" | grep -c 'purgatory: sha256 ok')" -gt 0 ] ||
        { ks_reason "no 'purgatory: sha256 ok' line on the console"; return 1; }
    [ "$(tr -d '\r' <"$log" | grep -c 'purgatory: entering 32-bit')" -gt 0 ] ||
        { ks_reason "no 'purgatory: entering 32-bit' line on the console"; return 1; }
}

# ks_kexec_to_i386_scenario WORK LOAD_FLAGS: an amd64 guest (Debian amd64 kernel, amd64
# busybox, $KEXEC_LOADER) loads Debian's 686 kernel with `kexec-loader LOAD_FLAGS -l
# /boot/vmlinuz-686 --initrd=/boot/initrd-i386.img --append=...` and execs it; the 686 kernel
# must reach the i386 busybox /init of inner-i386.img and report the token and uname -m i686.
ks_kexec_to_i386_scenario() {
    local work=$1 flags=$2 token outer_id log k686 rc=0 v
    log="$work/console.log"
    ks_require_loader || return 1
    ks_fetch_kernel i386
    k686=$KERNEL_IMAGE
    ks_log "second kernel: $KERNEL_PKG ($k686)"
    ks_fetch_kernel amd64
    ks_make_i386_inner "$work"

    token=$(ks_random_token 12)
    outer_id="outer-$(ks_random_token)"
    printf '%s\n' "$outer_id" >"$work/outer-id"
    "$KS_LIB_DIR/make-initramfs.sh" -o "$work/outer.img" \
        -s "$KS_LIB_DIR/guest/kexec-scenario-guest.sh" \
        -e "KS_LOAD_FLAGS=$flags" -e "KS_EXTRA_APPEND=${KS_SECOND_APPEND:-}" \
        -e KS_KEXEC_KERNEL=/boot/vmlinuz-686 \
        -e KS_KEXEC_INITRD=/boot/initrd-i386.img \
        -b "$KEXEC_LOADER=/bin/kexec-loader" -f "$work/outer-id=/etc/kexec-suite/initrd-id" \
        -f "$k686=/boot/vmlinuz-686" -f "$work/inner-i386.img=/boot/initrd-i386.img"

    vm_boot --kernel "$KERNEL_IMAGE" --initrd "$work/outer.img" --log "$log" --mem 1G \
        --timeout "${KS_TIMEOUT:-180}" \
        --idle-timeout "${KS_IDLE_TIMEOUT:-40}" --append "kexec_suite_token=$token" || rc=$?
    v=$(ks_marker_value "$log" result)
    case $v in
        "FAIL "*) ks_reason "guest: ${v#FAIL }"; return 1 ;;
    esac
    if [ "$rc" = 124 ]; then
        ks_reason "$(ks_killed_reason "$log")"
        return 1
    fi
    ks_expect_marker "$log" stage1-initrd-id "$outer_id" || return 1
    ks_expect_marker "$log" load-rc 0 || return 1
    ks_expect_marker "$log" status-after 1 || return 1
    case " $flags " in
        *" --console-serial "*) ks_check_purgatory_32 "$log" || return 1 ;;
    esac
    ks_check_stage2 "$log" "$token" "$(cat "$work/inner-id")" 'i[36]86' || return 1
    # The 686 kernel (the last "Kernel command line:") got our command line.
    tr -d '\r' <"$log" | grep 'Kernel command line:' | tail -n 1 |
        grep -q "kexec_suite_stage=2 kexec_suite_marker=$token\( \|\$\)" ||
        { ks_reason "second kernel's 'Kernel command line:' lacks the token"; return 1; }
    [ "$rc" = 0 ] || { ks_reason "qemu exit status $rc"; return 1; }
}
