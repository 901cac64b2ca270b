# shellcheck shell=bash
# Plan-file scenarios: a kexec plan made on the host for a guest's captured memory map
# (`kexec-loader --arch ARCH --iomem ... --write-plan`) and run in that guest by kexec-apply.
# Needs kexec-scenario.sh (sourced below) for the i386 inner image and stage-2 checks.
#
# ks_apply_i386_scenario WORK: apply-i386-to-i386.
#  (a) boot Debian's 686 kernel in qemu-system-i386 (-m $KS_I386_MEM, default 1G) with an i386
#      busybox image running guest/dump-memory.sh; copy /proc/iomem and /sys/firmware/memmap to
#      WORK/iomem.txt and WORK/memmap/ (md5-checked);
#  (b) on the host: kexec-loader --arch i386 --iomem WORK/iomem.txt --memmap WORK/memmap
#      -l vmlinuz-686 --initrd=WORK/inner-i386.img --append="... kexec_suite_marker=TOKEN"
#      --console-serial --write-plan WORK/plan.kxp;
#  (c) boot the same qemu configuration with inner-i386.img + a segment holding kexec-apply-i386
#      (/bin/kexec-apply), the plan (/boot/plan) and guest/apply-plan-guest.sh; stage 1 runs
#      kexec-apply, the second 686 kernel must report TOKEN, i686 and the inner image's id.

# shellcheck source=Tests/VM/lib/kexec-scenario.sh
. "$KS_LIB_DIR/kexec-scenario.sh"

ks_apply_i386_scenario() {
    local work=$1 mem=${KS_I386_MEM:-1G} token outer_id k686 rc=0 v
    local dump_log="$work/capture.log" log="$work/console.log"
    ks_require_loader || return 1
    ks_require_apply || return 1
    ks_fetch_kernel i386
    k686=$KERNEL_IMAGE
    ks_log "kernel: $KERNEL_PKG ($k686), qemu-system-i386 -m $mem"
    ks_make_i386_inner "$work"

    # (a) capture the memory map of this exact configuration.
    "$KS_LIB_DIR/make-initramfs.sh" --extend "$work/inner-i386.img" -o "$work/dump.img" \
        -s "$KS_LIB_DIR/guest/dump-memory.sh"
    vm_boot --arch i386 --kernel "$k686" --initrd "$work/dump.img" --log "$dump_log" \
        --mem "$mem" --timeout "${KS_TIMEOUT:-180}" \
        --idle-timeout "${KS_IDLE_TIMEOUT:-40}" || rc=$?
    if ! ks_has_marker "$dump_log" result PASS; then
        ks_reason "memory-map capture boot did not finish (qemu rc $rc, last marker: $(ks_last_marker "$dump_log"))"
        return 1
    fi
    ks_extract_iomem "$dump_log" "$work/iomem.txt" ||
        { ks_reason "captured /proc/iomem is corrupt (md5 mismatch)"; return 1; }
    ks_extract_memmap "$dump_log" "$work/memmap" ||
        { ks_reason "captured /sys/firmware/memmap is corrupt (md5 mismatch)"; return 1; }
    ks_log "captured iomem ($(wc -l <"$work/iomem.txt") lines) and memmap ($(find "$work/memmap" -mindepth 1 -maxdepth 1 -type d | wc -l) entries)"

    # (b) plan on the host. No system call: --write-plan only writes the file.
    token=$(ks_random_token 12)
    local plan_cmd=("$KEXEC_LOADER" --arch i386 --iomem "$work/iomem.txt" --memmap "$work/memmap"
        -l "$k686" --initrd="$work/inner-i386.img"
        --append="console=ttyS0 panic=-1 kexec_suite_stage=2 kexec_suite_marker=$token"
        --console-serial --write-plan "$work/plan.kxp")
    printf '%q ' "${plan_cmd[@]}" >"$work/plan.cmd"
    echo >>"$work/plan.cmd"
    rc=0
    "${plan_cmd[@]}" >"$work/plan.out" 2>&1 || rc=$?
    sed 's/^/[plan] /' "$work/plan.out" >&2
    if [ "$rc" != 0 ] || [ ! -s "$work/plan.kxp" ]; then
        ks_reason "kexec-loader --write-plan exited $rc: $(tail -n 1 "$work/plan.out")"
        return 1
    fi

    # (c) run the plan in the same configuration.
    outer_id="outer-$(ks_random_token)"
    printf '%s\n' "$outer_id" >"$work/outer-id"
    "$KS_LIB_DIR/make-initramfs.sh" --extend "$work/inner-i386.img" -o "$work/apply.img" \
        -s "$KS_LIB_DIR/guest/apply-plan-guest.sh" \
        -f "$KEXEC_APPLY_DIR/kexec-apply-i386=/bin/kexec-apply" -f "$work/plan.kxp=/boot/plan" \
        -f "$work/outer-id=/etc/kexec-suite/initrd-id"
    rc=0
    vm_boot --arch i386 --kernel "$k686" --initrd "$work/apply.img" --log "$log" \
        --mem "$mem" --timeout "${KS_TIMEOUT:-180}" \
        --idle-timeout "${KS_IDLE_TIMEOUT:-40}" || rc=$?
    ks_log "plan check in the guest:"
    ks_block "$log" plan-check >&2 || true
    v=$(ks_marker_value "$log" result)
    case $v in
        "FAIL "*) ks_reason "guest: ${v#FAIL }"; return 1 ;;
    esac
    if [ "$rc" = 124 ]; then
        ks_reason "$(ks_killed_reason "$log")"
        return 1
    fi
    ks_expect_marker "$log" stage1-initrd-id "$outer_id" || return 1
    ks_expect_marker "$log" check-rc 0 || return 1
    ks_expect_marker "$log" load-only-rc 0 || return 1
    ks_expect_marker "$log" sysfs-kexec-loaded 1 || return 1
    ks_check_purgatory_32 "$log" || return 1
    ks_check_stage2 "$log" "$token" "$(cat "$work/inner-id")" 'i[36]86' || return 1
    tr -d '\r' <"$log" | grep 'Kernel command line:' | tail -n 1 |
        grep -q "kexec_suite_stage=2 kexec_suite_marker=$token\( \|\$\)" ||
        { ks_reason "second kernel's 'Kernel command line:' lacks the token"; return 1; }
    [ "$rc" = 0 ] || { ks_reason "qemu exit status $rc"; return 1; }
}
