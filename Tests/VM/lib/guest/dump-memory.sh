# shellcheck shell=sh
# Guest script for capture-fixtures.sh: prints /proc/iomem and /sys/firmware/memmap between
# begin/end markers, with md5 sums so the host can check its extraction byte for byte.
# shellcheck source=Tests/VM/lib/guest/guest.sh
. /lib/kexec-suite/guest.sh
# Keep asynchronous kernel messages from landing inside the dumps.
ks_quiet_console

mm=/sys/firmware/memmap
ks_marker kernel "$(uname -r)"
ks_marker cmdline "$(cat /proc/cmdline)"
ks_marker kexec-crash-size "$(cat /sys/kernel/kexec_crash_size 2>/dev/null || echo none)"
ks_marker iomem-md5 "$(md5sum </proc/iomem | cut -d' ' -f1)"
ks_begin iomem
cat /proc/iomem
ks_end iomem

# shellcheck disable=SC2012 # names are plain numbers
entries=$(ls "$mm" | sort -n)
ks_marker memmap-md5 "$(for n in $entries; do cat "$mm/$n/start" "$mm/$n/end" "$mm/$n/type"; done | md5sum | cut -d' ' -f1)"
ks_begin memmap
for n in $entries; do
    for f in start end type; do
        printf '%s %s %s\n' "$n" "$f" "$(cat "$mm/$n/$f")"
    done
done
ks_end memmap
ks_marker result PASS
