# shellcheck shell=bash
# ppc64le kdump through a plan made on the host:
#  (a) Debian's ppc64el kernel with crashkernel=$KS_PPC_CRASHKERNEL (default 256M) in
#      qemu-system-ppc64 -M pseries -m 1G: its /proc/device-tree (with linux,crashkernel-*),
#      kexec_crash_size, vmcoreinfo and crash_notes land in WORK/collect/ (dtc -I fs checked);
#  (b) host: kexec-loader --arch ppc64le --device-tree WORK/collect/device-tree -p VMLINUX
#      --initrd WORK/inner.img --append "console=hvc0 ... kexec_suite_stage=2
#      kexec_suite_marker=TOKEN" $KS_PPC_PLAN_EXTRA --write-plan WORK/plan.kxp;
#  (c) the same configuration plus a raw virtio disk runs `kexec-apply --check` and
#      `--load-only` on the plan (/sys/kernel/kexec_crash_loaded must be 1), sysrq-c; the capture
#      kernel prints the token, insmods virtio and copies /proc/vmcore to the disk; the host
#      checks it with readelf -l and kexec-tools' vmcore-dmesg (the sysrq panic line).
# The collecting and the crashing boot get initramfs images padded to the same size
# (KS_PPC_PAD, default 32M): /sys/kernel/vmcoreinfo moves with the initrd's size, and a plan
# made from another boot's address gives a vmcore without VMCOREINFO (vmcore-dmesg: "Missing the
# log_buf symbol"); the host warns when the crashing boot's vmcoreinfo or crash_notes differ.
# Reference modes (KS_PPC_ARM_WITH; both pass): kexec-tools-plan makes (b) with Debian's ppc64el
# `kexec -p` on the host under qemu-user (apply-ppc64le/kexec-tools-plan.c), (a) and (c)
# unchanged; kexec-tools arms with `kexec -p` inside the guest instead of (a)-(b).
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1
KS_NEEDS_APPLY=1
# shellcheck source=Tests/VM/lib/ppc-scenario.sh
. "$KS_LIB_DIR/ppc-scenario.sh"

scenario_main() {
    ks_ppc_kdump_scenario "$1"
}
