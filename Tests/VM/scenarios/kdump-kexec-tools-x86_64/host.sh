# shellcheck shell=bash
# The reference for kdump-x86_64: the same flow armed by kexec-tools' `kexec -p` (its
# kexec_load path). Its vmcore headers (vmcore-phdrs.txt in the work directory) are compared
# with ours in docs/kdump-comparison.md.
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1
# shellcheck source=Tests/VM/scenarios/kdump-x86_64/host.sh
. "$KS_VM_DIR/scenarios/kdump-x86_64/host.sh"

scenario_main() {
    ks_kdump_scenario "$1" kexec-tools
}
