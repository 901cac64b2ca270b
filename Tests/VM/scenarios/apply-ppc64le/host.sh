# shellcheck shell=bash
# ppc64le kexec through a plan made on the host, modeled on apply-i386-to-i386:
#  (a) boot Debian's ppc64el kernel in qemu-system-ppc64 -M pseries (-m $KS_PPC_MEM, default 1G)
#      with guest/dump-devicetree-ppc.sh; its /proc/device-tree lands in WORK/collect/device-tree
#      (checked with dtc -I fs);
#  (b) on the host: kexec-loader --arch ppc64le --device-tree WORK/collect/device-tree -l VMLINUX
#      --initrd WORK/inner.img --append "console=hvc0 panic=-1 kexec_suite_stage=2
#      kexec_suite_marker=TOKEN" --write-plan WORK/plan.kxp (WORK/plan.cmd, plan.out);
#  (c) the same qemu configuration boots inner.img + kexec-apply-ppc64le (/bin/kexec-apply), the
#      plan (/boot/plan) and guest/apply-plan-guest.sh: `kexec-apply --check`, `--load-only`,
#      then `kexec-apply /boot/plan`; the second kernel must print the token, uname -m ppc64le
#      and the inner image's id.
# Reference modes (KS_PPC_ARM_WITH; both pass, see Tests/VM/README.md):
#   kexec-tools-plan  (b) is done by Debian's ppc64el kexec-tools on the host under qemu-user
#                     (kexec-tools-plan.c turns its kexec_load into WORK/plan.kxp; its device
#                     tree is kept as WORK/kexec-tools.dtb/.dts); (a) and (c) unchanged, so this
#                     proves the harness and kexec-apply-ppc64le without our planner;
#   kexec-tools       no plan: `kexec -l` + `kexec -e` inside the guest
#                     (guest/kexec-tools-ppc-guest.sh), same inner image and stage-2 checks.
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1
KS_NEEDS_APPLY=1
# shellcheck source=Tests/VM/lib/ppc-scenario.sh
. "$KS_LIB_DIR/ppc-scenario.sh"

scenario_main() {
    ks_ppc_apply_scenario "$1"
}
