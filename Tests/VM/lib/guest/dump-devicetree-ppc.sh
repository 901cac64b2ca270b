# shellcheck shell=sh
# Guest side of the ppc64le device-tree capture (busybox sh, /scenario.sh): copies what a
# planner on the host needs about this machine into /tmp/collect and prints it on the console as
# one base64 block (a gzip tar), md5-checked by the host:
#   device-tree/           the running kernel's /proc/device-tree (/sys/firmware/devicetree/base),
#                          every property byte for byte
#   proc/{iomem,cmdline,meminfo}, uname-r
#   sys/kernel/{kexec_crash_size,kexec_crash_loaded,kexec_loaded,vmcoreinfo}
#   sys/devices/system/cpu/{possible,present,online} and cpuN/{crash_notes,crash_notes_size}
#                          (what an elfcorehdr needs; ppc64 has no KASLR, so the addresses are
#                          the same on every boot of the same kernel and configuration)
# Markers: kernel, cmdline, kexec-crash-size, crashkernel-base/-size (the /chosen properties as
# hex, or "absent"), dt-files / dt-bytes (counts for the host to compare), collect-md5, and
# result PASS. Stage 1 only.
# shellcheck source=Tests/VM/lib/guest/guest.sh
. /lib/kexec-suite/guest.sh
# Keep asynchronous kernel messages from landing inside the block.
ks_quiet_console

[ "$KS_STAGE" = 1 ] || ks_fail "dump-devicetree-ppc.sh ran at stage '$KS_STAGE'"
dt=/sys/firmware/devicetree/base
[ -d "$dt" ] || ks_fail "no $dt"
c=/tmp/collect
rm -rf "$c"
mkdir -p "$c"
cp -r "$dt" "$c/device-tree" || ks_fail "cp -r $dt failed"
mkdir -p "$c/proc" "$c/sys/kernel" "$c/sys/devices/system/cpu"
for f in iomem cmdline meminfo; do
    cat "/proc/$f" >"$c/proc/$f"
done
uname -r >"$c/uname-r"
for f in kexec_crash_size kexec_crash_loaded kexec_loaded vmcoreinfo; do
    [ -f "/sys/kernel/$f" ] && cat "/sys/kernel/$f" >"$c/sys/kernel/$f"
done
cpu=/sys/devices/system/cpu
for f in possible present online; do
    cat "$cpu/$f" >"$c/sys/devices/system/cpu/$f"
done
for d in "$cpu"/cpu[0-9]*; do
    [ -f "$d/crash_notes" ] || continue
    mkdir -p "$c$d"
    cat "$d/crash_notes" >"$c$d/crash_notes"
    cat "$d/crash_notes_size" >"$c$d/crash_notes_size"
done

# prop_hex NAME: a /chosen property as hex, or "absent".
prop_hex() {
    if [ -f "$dt/chosen/$1" ]; then
        od -An -v -tx1 "$dt/chosen/$1" | tr -d ' \n'
        echo
    else
        echo absent
    fi
}
ks_marker kernel "$(uname -r)"
ks_marker cmdline "$(cat /proc/cmdline)"
ks_marker kexec-crash-size "$(cat /sys/kernel/kexec_crash_size 2>/dev/null || echo none)"
ks_marker crashkernel-base "$(prop_hex linux,crashkernel-base)"
ks_marker crashkernel-size "$(prop_hex linux,crashkernel-size)"
ks_marker dt-files "$(find "$c/device-tree" -type f | wc -l)"
ks_marker dt-dirs "$(find "$c/device-tree" -type d | wc -l)"
ks_marker dt-bytes "$(find "$c/device-tree" -type f -exec cat {} + | wc -c)"

tar -czf /tmp/collect.tgz -C /tmp collect || ks_fail "tar of $c failed"
ks_marker collect-bytes "$(wc -c </tmp/collect.tgz)"
ks_marker collect-md5 "$(md5sum </tmp/collect.tgz | cut -d' ' -f1)"
ks_begin collect
base64 /tmp/collect.tgz
ks_end collect
ks_marker result PASS
