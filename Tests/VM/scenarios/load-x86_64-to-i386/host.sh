# shellcheck shell=bash
# -l (kexec_load, our purgatory) of Debian's 686 kernel from an amd64 guest, then -e: the image probe must pick the 32-bit-entry loader; the 686 kernel reaches an i386 busybox /init.
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1
# shellcheck source=Tests/VM/lib/kexec-scenario.sh
. "$KS_LIB_DIR/kexec-scenario.sh"

scenario_main() {
    ks_kexec_to_i386_scenario "$1" "--console-serial"
}
