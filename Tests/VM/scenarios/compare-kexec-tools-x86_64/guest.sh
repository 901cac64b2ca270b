# shellcheck shell=sh
# Guest side of compare-kexec-tools-x86_64: the same kernel, initrd and command line planned
# by kexec-tools (`kexec -d -l`, which prints its segment list) and by kexec-loader
# (`--plan-json --dry-run`); both outputs go to the host between begin/end markers.
# shellcheck source=Tests/VM/lib/guest/guest.sh
. /lib/kexec-suite/guest.sh
ks_quiet_console
args="console=ttyS0 panic=-1 kexec_suite_compare=1"
ks_begin kexec-tools
kexec -d -l /boot/vmlinuz --initrd=/boot/initrd.img --append="$args" 2>&1
ks_end kexec-tools
kexec -u
ks_begin kexec-loader
kexec-loader -l /boot/vmlinuz --initrd=/boot/initrd.img --append="$args" --plan-json --dry-run 2>&1
ks_end kexec-loader
ks_begin iomem
cat /proc/iomem
ks_end iomem
ks_marker result PASS
