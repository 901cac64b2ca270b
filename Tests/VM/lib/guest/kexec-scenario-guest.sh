# shellcheck shell=sh
# Guest side of the kexec scenarios (busybox sh, run by /init as /scenario.sh).
# Stage 1: status, load of $KS_KEXEC_KERNEL (default /boot/vmlinuz) + $KS_KEXEC_INITRD (default
# /boot/initrd.img) with $KS_LOAD_FLAGS, status, exec. $KS_EXTRA_APPEND (debugging, e.g.
# earlyprintk=serial,ttyS0,115200) is added to the second kernel's command line.
# Stage 2 (kexec_suite_stage=2 on the new kernel's command line): report what it sees. Stage 2
# alone also serves images whose stage 1 is another script (e.g. apply-plan-guest.sh).
# shellcheck source=Tests/VM/lib/guest/guest.sh
. /lib/kexec-suite/guest.sh
L=/bin/kexec-loader
K=${KS_KEXEC_KERNEL:-/boot/vmlinuz}
I=${KS_KEXEC_INITRD:-/boot/initrd.img}

case $KS_STAGE in
1)
    token=$(ks_cmdline_arg kexec_suite_token)
    [ -n "$token" ] || ks_fail "no kexec_suite_token= on the command line"
    [ -x "$L" ] || ks_fail "$L missing"
    [ -f "$K" ] || ks_fail "$K missing"
    [ -f "$I" ] || ks_fail "$I missing"
    ks_marker stage1-initrd-id "$(cat /etc/kexec-suite/initrd-id)"

    out=$("$L" -S -l 2>&1)
    rc=$?
    ks_marker status-before "$rc"
    ks_marker status-before-output "$out"
    [ "$rc" = 0 ] || ks_fail "'kexec-loader -S -l' exited $rc before loading (want 0: not loaded)"

    # shellcheck disable=SC2086 # KS_LOAD_FLAGS is a list of flags
    "$L" $KS_LOAD_FLAGS -l "$K" --initrd="$I" \
        --append="console=ttyS0 panic=-1 kexec_suite_stage=2 kexec_suite_marker=$token${KS_EXTRA_APPEND:+ $KS_EXTRA_APPEND}"
    rc=$?
    ks_marker load-rc "$rc"
    [ "$rc" = 0 ] || ks_fail "'kexec-loader $KS_LOAD_FLAGS -l' exited $rc"
    ks_marker sysfs-kexec-loaded "$(cat /sys/kernel/kexec_loaded)"

    out=$("$L" -S -l 2>&1)
    rc=$?
    ks_marker status-after "$rc"
    ks_marker status-after-output "$out"
    [ "$rc" = 1 ] || ks_fail "'kexec-loader -S -l' exited $rc after loading (want 1: loaded)"

    ks_marker exec now
    "$L" -e
    rc=$?
    ks_marker exec-returned "$rc"
    ks_fail "'kexec-loader -e' returned (exit code $rc)"
    ;;
2)
    ks_marker stage2-marker "$(ks_cmdline_arg kexec_suite_marker)"
    ks_marker stage2-machine "$(uname -m)"
    ks_marker stage2-kernel "$(uname -r)"
    ks_marker stage2-initrd-id "$(cat /etc/kexec-suite/initrd-id 2>/dev/null || echo missing)"
    # Stage 1 images keep the kernel, initrd or plan under /boot; stage 2 images have no /boot.
    if [ -n "$(ls -A /boot 2>/dev/null)" ]; then
        ks_marker stage2-outer-files present
    else
        ks_marker stage2-outer-files absent
    fi
    ks_marker result PASS
    ;;
*)
    ks_fail "unexpected stage '$KS_STAGE'"
    ;;
esac
