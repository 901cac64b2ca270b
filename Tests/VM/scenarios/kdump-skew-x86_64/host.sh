# shellcheck shell=bash
# Version skew: the crashed kernel is Debian's current amd64 kernel, the capture kernel an
# older Debian build (linux-image-6.1.0-47-amd64). The capture side needs nothing but the
# ELF notes, so /proc/vmcore must still describe the crashed kernel exactly.
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1
# shellcheck source=Tests/VM/scenarios/kdump-x86_64/host.sh
. "$KS_VM_DIR/scenarios/kdump-x86_64/host.sh"

scenario_main() {
    ks_kdump_scenario "$1" kexec-loader linux-image-6.1.0-47-amd64
}
