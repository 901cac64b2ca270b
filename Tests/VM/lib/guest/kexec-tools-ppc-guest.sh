# shellcheck shell=sh
# Stage 1 of apply-ppc64le's reference mode (KS_PPC_ARM_WITH=kexec-tools; busybox sh,
# /scenario.sh): Debian's ppc64el kexec-tools (/bin/kexec, kexec_load with its own purgatory)
# loads /boot/vmlinux with /boot/initrd.img and the command line $KS_PPC_APPEND, then execs it.
# The initrd's own /scenario.sh (kexec-scenario-guest.sh) reports stage 2.
# Markers: stage1-initrd-id, load-rc, load-seconds, sysfs-kexec-loaded, exec.
# shellcheck source=Tests/VM/lib/guest/guest.sh
. /lib/kexec-suite/guest.sh
K=/bin/kexec

case $KS_STAGE in
1)
    [ -x "$K" ] || ks_fail "$K missing"
    [ -f /boot/vmlinux ] || ks_fail "/boot/vmlinux missing"
    [ -f /boot/initrd.img ] || ks_fail "/boot/initrd.img missing"
    ks_marker stage1-initrd-id "$(cat /etc/kexec-suite/initrd-id)"
    t0=$(cut -d' ' -f1 /proc/uptime)
    out=$("$K" -l /boot/vmlinux --initrd=/boot/initrd.img --append="$KS_PPC_APPEND" 2>&1)
    rc=$?
    ks_marker load-rc "$rc"
    ks_marker load-output "$out"
    ks_marker load-seconds "$t0 $(cut -d' ' -f1 /proc/uptime)"
    [ "$rc" = 0 ] || ks_fail "'kexec -l' exited $rc: $out"
    ks_marker sysfs-kexec-loaded "$(cat /sys/kernel/kexec_loaded)"
    ks_marker exec now
    "$K" -e
    rc=$?
    ks_fail "'kexec -e' returned (exit code $rc)"
    ;;
*)
    ks_fail "kexec-tools-ppc-guest.sh ran at stage '$KS_STAGE'"
    ;;
esac
