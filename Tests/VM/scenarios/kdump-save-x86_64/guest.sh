# shellcheck shell=sh
# Guest side of kdump-save-x86_64 (busybox sh).
# Stage 1 (crashkernel=256M): arm the capture kernel with kexec-loader -p, crash via sysrq.
# Stage 2 (the capture kernel): `vmcore-dump save -d 31` of /proc/vmcore straight onto four raw
# virtio disks (kdump zstd, kdump lzo, ELF, and a zstd flattened stream on stdout through dd),
# each reported as NAME-rc / NAME-bytes / NAME-seconds markers, then `vmcore-dump dmesg | tail`
# and `vmcore-dump info` between markers. The host cuts the disk images and judges the files.
# shellcheck source=Tests/VM/lib/guest/guest.sh
. /lib/kexec-suite/guest.sh
D=/bin/vmcore-dump

# now_s: seconds since boot with centiseconds (busybox date has no %N).
now_s() { cut -d' ' -f1 /proc/uptime; }
# since T0: seconds elapsed since T0 (from uptime), two decimals.
since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.2f\n", b - a }'; }
# summary_bytes LOG: N from vmcore-dump save's "...; N bytes (dump level L)" summary line.
summary_bytes() {
    sed -n 's/^vmcore-dump save: .*; \([0-9][0-9]*\) bytes (dump level [0-9]*)$/\1/p' "$1" | tail -n 1
}
# disk SERIAL: the virtio disk with that serial, or a failure.
disk() { ks_disk_by_serial "$1" || ks_fail "no virtio disk with serial $1"; }

# save NAME DEVICE OPTION...: vmcore-dump save OPTION... /proc/vmcore DEVICE, progress lines (stderr
# through a pipe: newline-terminated) on the console and in /tmp/NAME.log; markers NAME-rc,
# NAME-bytes (from the summary line) and NAME-seconds.
save() {
    _n=$1 _dev=$2
    shift 2
    ks_marker "$_n-start" "$D save $* /proc/vmcore $_dev"
    _t=$(now_s)
    { "$D" save "$@" /proc/vmcore "$_dev"; echo $? >"/tmp/$_n.rc"; } 2>&1 | tee "/tmp/$_n.log"
    _s=$(since "$_t")
    _rc=$(cat "/tmp/$_n.rc")
    ks_marker "$_n-rc" "$_rc"
    [ "$_rc" = 0 ] || ks_marker "$_n-error" "$(grep -v -e '^$' -e '% .* ETA ' "/tmp/$_n.log" | head -n 1)"
    ks_marker "$_n-bytes" "$(summary_bytes "/tmp/$_n.log")"
    ks_marker "$_n-seconds" "$_s"
}

case $KS_STAGE in
1)
    token=$(ks_cmdline_arg kexec_suite_token)
    ks_marker first-kernel "$(uname -r)"
    ks_marker crash-size "$(cat /sys/kernel/kexec_crash_size)"
    # The KASLR layout: phys_base (VMCOREINFO's NUMBER(phys_base)) is negative when the kernel
    # sits lower in physical memory than its virtual offset in the text map.
    tp=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : Kernel code$/\1/p' /proc/iomem | head -n 1)
    tv=$(sed -n 's/^\([0-9a-f]*\) [Tt] _text$/\1/p' /proc/kallsyms | head -n 1)
    if [ -n "$tp" ] && [ -n "$tv" ]; then
        ks_marker kernel-layout "text-phys=0x$tp text-virt=0x$tv phys_base=$((0x$tp - (0x$tv - 0xffffffff80000000)))"
    fi
    ks_arm_capture "console=ttyS0 panic=-1 irqpoll nr_cpus=1 reset_devices kexec_suite_stage=2 kexec_suite_marker=$token"
    ks_crash "uptime=$(now_s)"
    ;;
2)
    ks_marker stage2-marker "$(ks_cmdline_arg kexec_suite_marker)"
    ks_marker capture-kernel "$(uname -r)"
    [ -e /proc/vmcore ] || ks_fail "no /proc/vmcore in the capture kernel"
    ks_marker vmcore-size "$(stat -c %s /proc/vmcore)"
    disks=$(ks_virtio_disks) || ks_fail "virtio disks did not appear in the capture kernel"
    echo "$disks"
    zstd_dev=$(disk kszstd)
    lzo_dev=$(disk kslzo)
    elf_dev=$(disk kself)
    flat_dev=$(disk ksflat)
    ks_quiet_console
    ks_begin capture-free
    free -m
    ks_end capture-free

    save zstd "$zstd_dev" -d 31 --compress zstd
    save lzo "$lzo_dev" -d 31 --compress lzo
    save elf "$elf_dev" -d 31 --format elf
    # The flattened stream on stdout, through GNU dd (busybox dd reports no byte count);
    # vmcore-dump's stderr still goes through tee to the console.
    ks_marker flat-start "$D save -d 31 --compress zstd /proc/vmcore - | dd of=$flat_dev bs=1M"
    t=$(now_s)
    {
        { "$D" save -d 31 --compress zstd /proc/vmcore -; echo $? >/tmp/flat.rc; } |
            /bin/gnu-dd of="$flat_dev" bs=1M conv=fsync 2>/tmp/flat.dd
    } 2>&1 | tee /tmp/flat.log
    s=$(since "$t")
    cat /tmp/flat.dd
    rc=$(cat /tmp/flat.rc)
    ks_marker flat-rc "$rc"
    [ "$rc" = 0 ] || ks_marker flat-error "$(grep -v -e '^$' -e '% .* ETA ' /tmp/flat.log | head -n 1)"
    ks_marker flat-bytes "$(sed -n 's/^\([0-9][0-9]*\) bytes .*copied.*/\1/p' /tmp/flat.dd)"
    ks_marker flat-kdump-bytes "$(summary_bytes /tmp/flat.log)"
    ks_marker flat-seconds "$s"
    sync

    t=$(now_s)
    "$D" dmesg /proc/vmcore >/tmp/dmesg.txt 2>/tmp/dmesg.err
    ks_marker dmesg-rc "$?"
    ks_marker dmesg-seconds "$(since "$t")"
    cat /tmp/dmesg.err
    ks_begin dmesg-tail
    tail -n 5 /tmp/dmesg.txt
    ks_end dmesg-tail
    ks_begin info
    "$D" info /proc/vmcore 2>&1
    rc=$?
    ks_end info
    ks_marker info-rc "$rc"
    ks_marker result PASS
    ;;
*)
    ks_fail "unexpected stage '$KS_STAGE'"
    ;;
esac
