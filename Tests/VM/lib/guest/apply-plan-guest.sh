# shellcheck shell=sh
# Stage 1 of the plan scenarios (busybox sh, /scenario.sh): validates /boot/plan with
# `kexec-apply --check`, loads it with `--load-only` (checks /sys/kernel/kexec_loaded), then runs
# `kexec-apply /boot/plan`, which loads it again and reboots into it. The plan's initrd is an
# image whose /scenario.sh is kexec-scenario-guest.sh, so stage 2 reports as in the load
# scenarios.
# shellcheck source=Tests/VM/lib/guest/guest.sh
. /lib/kexec-suite/guest.sh
A=/bin/kexec-apply
P=/boot/plan

case $KS_STAGE in
1)
    [ -x "$A" ] || ks_fail "$A missing"
    [ -f "$P" ] || ks_fail "$P missing"
    ks_marker stage1-initrd-id "$(cat /etc/kexec-suite/initrd-id)"
    ks_marker stage1-machine "$(uname -m)"
    ks_begin plan-check
    "$A" --check "$P" 2>&1
    rc=$?
    ks_end plan-check
    ks_marker check-rc "$rc"
    [ "$rc" = 0 ] || ks_fail "'kexec-apply --check $P' exited $rc"
    ks_marker sysfs-kexec-loaded-before "$(cat /sys/kernel/kexec_loaded)"
    out=$("$A" --load-only "$P" 2>&1)
    rc=$?
    ks_marker load-only-rc "$rc"
    ks_marker load-only-output "$out"
    [ "$rc" = 0 ] || ks_fail "'kexec-apply --load-only $P' exited $rc: $out"
    ks_marker sysfs-kexec-loaded "$(cat /sys/kernel/kexec_loaded)"
    ks_marker apply now
    "$A" "$P"
    rc=$?
    ks_marker apply-returned "$rc"
    ks_fail "'kexec-apply $P' returned (exit code $rc)"
    ;;
*)
    # Stage 2 runs from the plan's initrd, which has its own /scenario.sh; reaching this means
    # the stage-1 image was booted again.
    ks_fail "apply-plan-guest.sh ran at stage '$KS_STAGE'"
    ;;
esac
