# shellcheck shell=sh
# Guest side of kdump-x86_64 (busybox sh).
# Stage 1 (crashkernel=256M): arm the capture kernel with kexec-loader -p (kexec_load, our
# purgatory, our ELF core header), report the memory map, then crash via sysrq.
# Stage 2 (the capture kernel): report /proc/vmcore and its first 16 KiB (ELF headers) for the
# host to check with readelf, and vmcore-dump's report when the binary is present.
# shellcheck source=Tests/VM/lib/guest/guest.sh
. /lib/kexec-suite/guest.sh
L=/bin/kexec-loader

case $KS_STAGE in
1)
    token=$(ks_cmdline_arg kexec_suite_token)
    ks_begin iomem
    cat /proc/iomem
    ks_end iomem
    ks_marker crash-size "$(cat /sys/kernel/kexec_crash_size)"
    args="console=ttyS0 panic=-1 irqpoll nr_cpus=1 reset_devices kexec_suite_stage=2 kexec_suite_marker=$token"
    # The capture kernel: another Debian kernel build when the image carries one (version skew).
    capture=/boot/vmlinuz
    [ -f /boot/vmlinuz-capture ] && capture=/boot/vmlinuz-capture
    ks_marker first-kernel "$(uname -r)"
    if [ "${KS_ARM_WITH:-kexec-loader}" = kexec-tools ]; then
        # The reference: kexec-tools' own kexec_load path (its default, -c).
        /bin/kexec -p "$capture" --initrd=/boot/initrd.img --append="$args"
    else
        "$L" -p "$capture" --initrd=/boot/initrd.img --console-serial --append="$args"
    fi
    rc=$?
    ks_marker load-rc "$rc"
    [ "$rc" = 0 ] || ks_fail "'kexec-loader -p' exited $rc"
    "$L" -S -p >/dev/null
    ks_marker crash-status "$?"
    ks_crash now
    ;;
2)
    ks_marker stage2-marker "$(ks_cmdline_arg kexec_suite_marker)"
    ks_marker capture-kernel "$(uname -r)"
    ks_marker stage2-elfcorehdr "$(ks_cmdline_arg elfcorehdr)"
    if [ -e /proc/vmcore ]; then
        ks_marker vmcore-size "$(stat -c %s /proc/vmcore)"
        ks_quiet_console
        ks_begin vmcore-head
        od -An -tx1 -v -N 16384 /proc/vmcore
        ks_end vmcore-head
        if [ -x /bin/vmcore-dump ]; then
            ks_begin vmcore-info
            /bin/vmcore-dump info --json /proc/vmcore 2>&1
            ks_end vmcore-info
        fi
        ks_marker result PASS
    else
        ks_fail "no /proc/vmcore in the capture kernel"
    fi
    ;;
*)
    ks_fail "unexpected stage '$KS_STAGE'"
    ;;
esac
