# shellcheck shell=bash
# -l with one byte of the kernel segment flipped after the digest: purgatory must halt with a digest-mismatch message.
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1
# shellcheck source=Tests/VM/lib/kexec-scenario.sh
. "$KS_LIB_DIR/kexec-scenario.sh"

scenario_main() {
    ks_kexec_scenario "$1" "--console-serial --test-corrupt-segment 2" digest-mismatch
}
