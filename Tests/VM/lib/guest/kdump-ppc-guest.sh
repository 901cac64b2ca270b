# shellcheck shell=sh
# Guest side of kdump-apply-ppc64le (busybox sh, /scenario.sh of both images).
# Stage 1 (the kernel that crashes, booted with crashkernel=): arms the capture kernel, then
# panics with sysrq-c. KS_ARM_WITH=kexec-apply: `kexec-apply --check /boot/plan` and
# `kexec-apply --load-only /boot/plan` (a -p plan made on the host); KS_ARM_WITH=kexec-tools:
# `kexec -p /boot/vmlinux --initrd=/boot/initrd.img --append="$KS_PPC_APPEND"` (the reference).
# Stage 2 (the capture kernel, kexec_suite_stage=2 from the plan's command line): reports the
# token, loads the virtio modules and copies the first $KS_VMCORE_MB MiB of /proc/vmcore (0: all
# of it) to the virtio disk with serial "ksdump"; prints "vmcore-bytes N" for the host to cut
# the disk image to.
# shellcheck source=Tests/VM/lib/guest/guest.sh
. /lib/kexec-suite/guest.sh

now() { cut -d' ' -f1 /proc/uptime; }

case $KS_STAGE in
1)
    ks_marker stage1-initrd-id "$(cat /etc/kexec-suite/initrd-id)"
    ks_marker first-kernel "$(uname -r)"
    ks_marker crash-size "$(cat /sys/kernel/kexec_crash_size)"
    # What an elfcorehdr points at; a plan made from another boot's values must match them.
    ks_marker vmcoreinfo "$(cat /sys/kernel/vmcoreinfo)"
    for d in /sys/devices/system/cpu/cpu[0-9]*; do
        [ -f "$d/crash_notes" ] && ks_marker crash-notes "${d##*/} $(cat "$d/crash_notes") $(cat "$d/crash_notes_size")"
    done
    case ${KS_ARM_WITH:-kexec-apply} in
        kexec-apply)
            ks_begin plan-check
            /bin/kexec-apply --check /boot/plan 2>&1
            rc=$?
            ks_end plan-check
            ks_marker check-rc "$rc"
            [ "$rc" = 0 ] || ks_fail "'kexec-apply --check /boot/plan' exited $rc"
            out=$(/bin/kexec-apply --load-only /boot/plan 2>&1)
            rc=$?
            ks_marker load-output "$out"
            ;;
        kexec-tools)
            out=$(/bin/kexec -p /boot/vmlinux --initrd=/boot/initrd.img --append="$KS_PPC_APPEND" 2>&1)
            rc=$?
            ks_marker load-output "$out"
            ;;
        *) ks_fail "KS_ARM_WITH must be kexec-apply or kexec-tools" ;;
    esac
    ks_marker load-rc "$rc"
    [ "$rc" = 0 ] || ks_fail "arming the capture kernel with ${KS_ARM_WITH:-kexec-apply} exited $rc: $out"
    ks_marker crash-loaded "$(cat /sys/kernel/kexec_crash_loaded)"
    ks_crash "uptime=$(now)"
    ;;
2)
    ks_marker capture-uptime "$(now)"
    ks_marker stage2-marker "$(ks_cmdline_arg kexec_suite_marker)"
    ks_marker capture-kernel "$(uname -r)"
    ks_marker stage2-initrd-id "$(cat /etc/kexec-suite/initrd-id 2>/dev/null || echo missing)"
    ks_marker stage2-elfcorehdr "$(ks_cmdline_arg elfcorehdr)"
    [ -e /proc/vmcore ] || ks_fail "no /proc/vmcore in the capture kernel"
    size=$(stat -c %s /proc/vmcore)
    ks_marker vmcore-size "$size"
    ks_begin capture-free
    free -m
    ks_end capture-free
    disks=$(ks_virtio_disks) || ks_fail "virtio disks did not appear in the capture kernel"
    echo "$disks"
    dump=$(ks_disk_by_serial ksdump) || ks_fail "no virtio disk with serial ksdump"
    ks_quiet_console
    t=$(now)
    if [ "${KS_VMCORE_MB:-0}" = 0 ]; then
        dd if=/proc/vmcore of="$dump" bs=1M 2>/tmp/dd.err || ks_fail "dd /proc/vmcore: $(cat /tmp/dd.err)"
        bytes=$size
    else
        dd if=/proc/vmcore of="$dump" bs=1M count="$KS_VMCORE_MB" 2>/tmp/dd.err ||
            ks_fail "dd /proc/vmcore: $(cat /tmp/dd.err)"
        bytes=$((KS_VMCORE_MB * 1048576))
        [ "$bytes" -le "$size" ] || bytes=$size
    fi
    sync
    ks_marker vmcore-bytes "$bytes"
    ks_marker copy-seconds "$t $(now)"
    ks_marker result PASS
    ;;
*)
    ks_fail "unexpected stage '$KS_STAGE'"
    ;;
esac
