# shellcheck shell=bash
# kexec_file_load (-s -l) of Debian's amd64 kernel, then -e.
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1
# shellcheck source=Tests/VM/lib/kexec-scenario.sh
. "$KS_LIB_DIR/kexec-scenario.sh"

scenario_main() {
    ks_kexec_scenario "$1" "-s" boot
}
