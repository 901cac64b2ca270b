# shellcheck shell=bash
# ppc64le (qemu-system-ppc64 -M pseries, Debian's ppc64el kernel): the guest's /proc/device-tree,
# /proc/iomem, /sys/kernel/kexec_crash_size, vmcoreinfo and crash_notes are copied to the host
# (md5-checked gzip tar over the hvc0 console) and checked with `dtc -I fs`, once plain and once
# with crashkernel=$KS_PPC_CRASHKERNEL (default 256M), where /chosen must carry
# linux,crashkernel-base/-size and /sys/kernel/kexec_crash_size the same size.
# The work directory keeps plain/ and crash/ (the collected trees), plain.dts/.dtb, crash.dts/.dtb;
# KS_PPC_DT_SAVE=DIR also copies them to DIR/{plain,crash}/ (fixture candidates).
# shellcheck source=Tests/VM/lib/ppc-scenario.sh
. "$KS_LIB_DIR/ppc-scenario.sh"

scenario_main() {
    local work=$1 ck=${KS_PPC_CRASHKERNEL:-256M} bytes
    ks_ppc_setup
    ks_ppc_collect "$work" plain || return 1
    [ "$(cat "$work/plain/sys/kernel/kexec_crash_size")" = 0 ] ||
        { ks_reason "plain: kexec_crash_size is $(cat "$work/plain/sys/kernel/kexec_crash_size") without crashkernel="; return 1; }
    [ ! -e "$work/plain/device-tree/chosen/linux,crashkernel-base" ] ||
        { ks_reason "plain: /chosen/linux,crashkernel-base without crashkernel="; return 1; }
    ks_ppc_save_tree "$work" plain
    ks_ppc_collect "$work" crash "crashkernel=$ck" || return 1
    bytes=$(numfmt --from=iec "$ck")
    ks_ppc_check_crash_tree "$work" crash "$bytes" || return 1
    ks_ppc_save_tree "$work" crash
}
