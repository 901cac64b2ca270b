# shellcheck shell=bash
# A plan written on the host (kexec-loader --arch i386 --iomem CAPTURED --write-plan) for a qemu-system-i386 guest, run there by kexec-apply-i386: the 686 kernel kexecs into another 686 kernel.
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1
KS_NEEDS_APPLY=1
# shellcheck source=Tests/VM/lib/apply-scenario.sh
. "$KS_LIB_DIR/apply-scenario.sh"

scenario_main() {
    ks_apply_i386_scenario "$1"
}
