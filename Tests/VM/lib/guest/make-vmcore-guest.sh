# shellcheck shell=sh
# Guest side of make-vmcore.sh (busybox sh, installed as /scenario.sh).
# Stage 1 (the kernel that crashes): load the virtio modules, optionally fill memory
# (KS_WORKLOAD=1: block-device page cache on the disk with serial "ksscratch", tmpfs and ramfs
# files, anonymous memory held by a process), arm the capture kernel with kexec-loader -p,
# panic with sysrq-c.
# Stage 2 (the capture kernel): copy /proc/vmcore to the start of the disk with serial "ksdump"
# and print its size as "vmcore-bytes N"; the host cuts the disk image to that size.
# shellcheck source=Tests/VM/lib/guest/guest.sh
. /lib/kexec-suite/guest.sh
W=/bin/ks-workload

# now: seconds since boot (the guest clock is good enough for step timings).
now() { cut -d. -f1 /proc/uptime; }

# workload: fills fractions of MemAvailable with each kind of page; prints what went where.
workload() {
    avail=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) / 1024))
    cache=$((avail * ${KS_WL_CACHE_PCT:-35} / 100))
    tmpfs=$((avail * ${KS_WL_TMPFS_PCT:-10} / 100))
    ramfs=$((avail * ${KS_WL_RAMFS_PCT:-2} / 100))
    anon=$((avail * ${KS_WL_ANON_PCT:-30} / 100))
    scratch=$(ks_disk_by_serial ksscratch) || ks_fail "no virtio disk with serial ksscratch"
    max=$(($(cat "/sys/block/${scratch#/dev/}/size") / 2048))
    [ "$cache" -le "$max" ] || cache=$max
    ks_marker workload-plan "MemAvailable=${avail}MiB blockdev-cache=${cache}MiB tmpfs=${tmpfs}MiB ramfs=${ramfs}MiB anon=${anon}MiB"
    t=$(now)
    # Block-device page cache (buffered writes, clean after fsync, with buffer heads). The
    # kernel drops a block device's page cache at its last close: a sleeper keeps it open.
    # shellcheck disable=SC2217 # the redirection is the point: an open file descriptor
    sleep 100000 <"$scratch" &
    "$W" fill "$scratch" "$cache" 1 || ks_fail "workload: fill $scratch"
    # shmem (tmpfs) and ramfs (unevictable) file pages, plus a real ELF file in tmpfs.
    mkdir -p /mnt/tmpfs /mnt/ramfs
    mount -t tmpfs -o size=$((tmpfs + 64))m tmpfs /mnt/tmpfs || ks_fail "workload: mount tmpfs"
    "$W" fill /mnt/tmpfs/data "$tmpfs" 2 || ks_fail "workload: fill tmpfs"
    cp /bin/kexec-loader /mnt/tmpfs/kexec-loader.copy
    mount -t ramfs ramfs /mnt/ramfs || ks_fail "workload: mount ramfs"
    "$W" fill /mnt/ramfs/data "$ramfs" 3 || ks_fail "workload: fill ramfs"
    # Anonymous memory (half THP, half 4 KiB pages) held by a sleeping process.
    held=$("$W" hold "$anon" 4) || ks_fail "workload: hold $anon MiB"
    echo "$held"
    # A few plain user processes for the task list.
    sh -c 'while :; do sleep 1000; done' &
    ks_marker workload-done "seconds=$(($(now) - t)) ${held#holding }"
}

case $KS_STAGE in
1)
    ks_marker first-kernel "$(uname -r)"
    ks_marker first-cmdline "$(cat /proc/cmdline)"
    disks=$(ks_virtio_disks) || ks_fail "virtio disks did not appear in the first kernel"
    echo "$disks"
    ks_disk_by_serial ksdump >/dev/null || ks_fail "no virtio disk with serial ksdump"
    ks_marker crash-size "$(cat /sys/kernel/kexec_crash_size)"
    [ "${KS_WORKLOAD:-0}" = 1 ] && workload
    ks_begin free
    free -m
    ks_end free
    ks_begin meminfo
    cat /proc/meminfo
    ks_end meminfo
    ks_arm_capture "console=ttyS0 panic=-1 irqpoll nr_cpus=1 reset_devices kexec_suite_stage=2 ${KS_CAPTURE_APPEND:-}"
    ks_crash "$(uname -r) uptime=$(now)"
    ;;
2)
    ks_marker capture-kernel "$(uname -r)"
    ks_marker stage2-elfcorehdr "$(ks_cmdline_arg elfcorehdr)"
    [ -e /proc/vmcore ] || ks_fail "no /proc/vmcore in the capture kernel"
    size=$(stat -c %s /proc/vmcore)
    ks_marker vmcore-size "$size"
    ks_begin capture-free
    free -m
    ks_end capture-free
    disks=$(ks_virtio_disks) || ks_fail "virtio disks did not appear in the capture kernel"
    echo "$disks"
    dump=$(ks_disk_by_serial ksdump) || ks_fail "no virtio disk with serial ksdump"
    sectors=$(cat "/sys/block/${dump#/dev/}/size")
    [ "$size" -le $((sectors * 512)) ] || ks_fail "dump disk too small: $((sectors * 512)) < $size"
    ks_quiet_console
    t=$(now)
    out=$("$W" copy /proc/vmcore "$dump") || ks_fail "copying /proc/vmcore to $dump failed"
    ks_marker vmcore-bytes "${out#bytes }"
    ks_marker copy-seconds "$(($(now) - t))"
    ks_marker result PASS
    ;;
*)
    ks_fail "unexpected stage '$KS_STAGE'"
    ;;
esac
