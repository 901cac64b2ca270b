#!/usr/bin/env bash
# Make a real ELF vmcore on the host with the project's kdump flow in qemu (TCG).
#
#   make-vmcore.sh -o OUT.elf [--mem 2G] [--crashkernel 256M] [--workload] [options]
#     -o, --output OUT.elf   the vmcore; next to it NAME.console.log (serial console of both
#                            kernels), NAME.info.txt (summary, timings), NAME.readelf.txt and,
#                            unless --no-reference, NAME.vmcore-dmesg.txt (kexec-tools'
#                            vmcore-dmesg) and NAME.makedumpfile-d31.txt (stdout+stderr of
#                            makedumpfile -d 31 -l --message-level 31), NAME = OUT without .elf
#         --mem SIZE         guest RAM (qemu -m; default 2G)
#         --crashkernel SIZE crashkernel= of the first kernel (default 256M)
#         --workload         before the crash, fill memory: block-device page cache (buffered
#                            writes to a scratch virtio disk), tmpfs and ramfs files, anonymous
#                            memory held by a process (lib/workload/ks-workload.c, built with
#                            clang -static), zero-filled pages among them
#         --timeout S        qemu wall-clock limit (default 1800)
#         --sparse           let qemu punch zero blocks out of the image (detect-zeroes=unmap)
#         --no-reference     skip vmcore-dmesg and makedumpfile
#         --work DIR         keep the images and logs there (default: a temporary directory,
#                            removed on success)
#
# Flow: the amd64 guest (Debian's kernel, lib/fetch-kernel.sh) loads virtio from its initramfs
# (make-initramfs.sh -m), arms the capture kernel with kexec-loader -p and panics with sysrq-c;
# the capture kernel (nr_cpus=1, the same kernel and initramfs) copies /proc/vmcore to a raw
# virtio disk (serial ksdump) and prints the byte count, and the host truncates the disk image
# to that size (the image is created next to OUT, so this is a rename, not a copy).
#
# Environment: KEXEC_LOADER (the loader; unset: swift build -c release --static-swift-stdlib
# --product kexec-loader, in KS_SWIFT_SCRATCH as --scratch-path when set), KEXEC_SUITE_KERNEL_PKG
# (another kernel package), KS_CAPTURE_APPEND (more capture kernel arguments), CC (default
# clang, /opt/swift/usr/bin/clang, cc). VM runs are serialised through $KEXEC_SUITE_CACHE/vm.lock.
set -euo pipefail

# shellcheck source=Tests/VM/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=Tests/VM/lib/fetch-kernel.sh
. "$KS_LIB_DIR/fetch-kernel.sh"
# shellcheck source=Tests/VM/lib/boot.sh
. "$KS_LIB_DIR/boot.sh"

usage() { sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

out="" mem=2G crashkernel=256M workload=0 timeout=1800 sparse=0 reference=1 work=""
while [ $# -gt 0 ]; do
    case $1 in
        -o | --output) out=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --crashkernel) crashkernel=$2; shift 2 ;;
        --workload) workload=1; shift ;;
        --timeout) timeout=$2; shift 2 ;;
        --sparse) sparse=1; shift ;;
        --no-reference) reference=0; shift ;;
        --work) work=$2; shift 2 ;;
        -h | --help) usage ;;
        *) ks_log "unknown argument: $1"; usage ;;
    esac
done
[ -n "$out" ] || usage
case $out in *.elf) ;; *) ks_die "-o wants a name ending in .elf, got '$out'" ;; esac

# size_mib SIZE: qemu-style size (512M, 2G, 1536) in MiB.
size_mib() {
    case $1 in
        *[Gg]) echo $((${1%[Gg]} * 1024)) ;;
        *[Mm]) echo "${1%[Mm]}" ;;
        *[!0-9]*) ks_die "bad size '$1' (use e.g. 768M or 2G)" ;;
        *) echo "$1" ;;
    esac
}

started=$SECONDS
mem_mib=$(size_mib "$mem")
out_dir=$(cd "$(dirname "$out")" 2>/dev/null && pwd) || ks_die "no directory for $out"
name=$(basename "$out" .elf)
out="$out_dir/$name.elf"
base="$out_dir/$name"
keep_work=1
if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/kexec-suite-vmcore.XXXXXX")
    keep_work=0
fi
mkdir -p "$work"
disk="$out.disk.tmp"
trap 'rm -f "$disk"' EXIT

# --- the loader and the workload helper ---
if [ -z "${KEXEC_LOADER:-}" ]; then
    scratch_args=()
    [ -z "${KS_SWIFT_SCRATCH:-}" ] || scratch_args=(--scratch-path "$KS_SWIFT_SCRATCH")
    ks_log "building kexec-loader (swift build -c release --static-swift-stdlib ${scratch_args[*]})"
    (cd "$KS_REPO_ROOT" && swift build -c release --static-swift-stdlib --product kexec-loader \
        "${scratch_args[@]+"${scratch_args[@]}"}") >"$work/swift-build.log" 2>&1 ||
        ks_die "swift build failed: $(tail -n 1 "$work/swift-build.log") (log: $work/swift-build.log)"
    KEXEC_LOADER="$(cd "$KS_REPO_ROOT" && swift build -c release --show-bin-path \
        "${scratch_args[@]+"${scratch_args[@]}"}")/kexec-loader"
fi
[ -x "$KEXEC_LOADER" ] || ks_die "no loader at $KEXEC_LOADER"
# Symbols only cost the small capture kernel memory (the initramfs is unpacked into it).
strip -o "$work/kexec-loader" "$KEXEC_LOADER" 2>/dev/null || cp "$KEXEC_LOADER" "$work/kexec-loader"

cc=${CC:-}
if [ -z "$cc" ]; then
    for c in clang /opt/swift/usr/bin/clang cc; do
        if command -v "$c" >/dev/null; then cc=$c; break; fi
    done
fi
[ -n "$cc" ] || ks_die "no C compiler for lib/workload/ks-workload.c (set CC)"
"$cc" -static -O2 -Wall -o "$work/ks-workload" "$KS_LIB_DIR/workload/ks-workload.c" ||
    ks_die "$cc -static failed for ks-workload.c"

# --- kernel and initramfs ---
ks_fetch_kernel amd64
"$KS_LIB_DIR/make-initramfs.sh" -o "$work/inner.img" -s "$KS_LIB_DIR/guest/make-vmcore-guest.sh" \
    -b "$work/kexec-loader=/bin/kexec-loader" -b "$work/ks-workload=/bin/ks-workload" \
    -k "$KERNEL_MODULES" -m virtio_blk -m virtio_pci \
    -e "KS_WORKLOAD=$workload" -e "KS_CAPTURE_APPEND=${KS_CAPTURE_APPEND:-}"
"$KS_LIB_DIR/make-initramfs.sh" --extend "$work/inner.img" -o "$work/outer.img" \
    -f "$KERNEL_IMAGE=/boot/vmlinuz" -f "$work/inner.img=/boot/initrd.img"

# --- disks: the dump target next to OUT (sparse until written), a scratch disk for page cache ---
rm -f "$disk"
truncate -s "$((mem_mib + 1024))M" "$disk"
zero_opts=""
[ "$sparse" = 0 ] || zero_opts=",discard=unmap,detect-zeroes=unmap"
dev_dump=virtio-blk-pci,drive=ksdump,serial=ksdump
drive_dump="file=$disk,format=raw,if=none,id=ksdump,cache=unsafe$zero_opts"
qemu_args=(--qemu-arg -drive --qemu-arg "$drive_dump" --qemu-arg -device --qemu-arg "$dev_dump")
if [ "$workload" = 1 ]; then
    truncate -s "${mem_mib}M" "$work/scratch.img"
    dev_scratch=virtio-blk-pci,drive=ksscratch,serial=ksscratch
    drive_scratch="file=$work/scratch.img,format=raw,if=none,id=ksscratch,cache=unsafe"
    qemu_args+=(--qemu-arg -drive --qemu-arg "$drive_scratch" --qemu-arg -device --qemu-arg "$dev_scratch")
fi

# --- boot: first kernel, crash, capture kernel ---
log="$work/console.log"
ks_vm_lock
ks_log "booting: -m $mem crashkernel=$crashkernel workload=$workload (log: $log)"
boot_start=$SECONDS
rc=0
vm_boot --kernel "$KERNEL_IMAGE" --initrd "$work/outer.img" --log "$log" --mem "$mem" \
    --timeout "$timeout" --append "crashkernel=$crashkernel" "${qemu_args[@]}" || rc=$?
boot_seconds=$((SECONDS - boot_start))
exec {KS_VM_LOCK_FD}>&- # the VM is done: let other runs have the lock
cp "$log" "$base.console.log"

v=$(ks_marker_value "$log" result)
case $v in
    PASS) ;;
    "FAIL "*) ks_die "guest: ${v#FAIL } (log: $base.console.log)" ;;
    *)
        [ "$rc" != 124 ] || ks_die "$(ks_killed_reason "$log") (log: $base.console.log)"
        ks_die "no result marker (qemu status $rc, last marker: $(ks_last_marker "$log"); log: $base.console.log)"
        ;;
esac
bytes=$(ks_marker_value "$log" vmcore-bytes)
size=$(ks_marker_value "$log" vmcore-size)
if [ -z "$bytes" ] || [ "$bytes" != "$size" ]; then
    ks_die "copied ${bytes:-?} bytes but /proc/vmcore has ${size:-?} (log: $base.console.log)"
fi

# --- the vmcore: cut the disk image, check the ELF headers ---
truncate -s "$bytes" "$disk"
mv -f "$disk" "$out"
readelf -h -l -W "$out" >"$base.readelf.txt" 2>&1 || ks_die "readelf cannot read $out"
grep -q 'Type:[[:space:]]*CORE' "$base.readelf.txt" || ks_die "$out is not an ELF core file"
loads=$(grep -c '^[[:space:]]*LOAD ' "$base.readelf.txt" || true)
notes=$(grep -c '^[[:space:]]*NOTE ' "$base.readelf.txt" || true)
if [ "$loads" -lt 1 ] || [ "$notes" -lt 1 ]; then
    ks_die "$out has $notes PT_NOTE and $loads PT_LOAD headers"
fi

release=$(ks_marker_value "$log" first-kernel)
panic=$(tr -d '\r' <"$log" | grep -m 1 'Kernel panic - not syncing' | sed 's/^.*\] //' || true)

# --- reference readings (kexec-tools, makedumpfile) ---
mdf_status="skipped" dmesg_status="skipped" mdf_seconds=0
if [ "$reference" = 1 ]; then
    if command -v vmcore-dmesg >/dev/null; then
        dmesg_status=0
        vmcore-dmesg "$out" >"$base.vmcore-dmesg.txt" 2>"$work/vmcore-dmesg.err" || dmesg_status=$?
        [ "$dmesg_status" = 0 ] || ks_log "vmcore-dmesg exited $dmesg_status: $(head -n 1 "$work/vmcore-dmesg.err")"
    fi
    if command -v makedumpfile >/dev/null; then
        mdf_status=0
        rm -f "$work/x.kdump"
        t=$SECONDS
        makedumpfile -d 31 -l --message-level 31 "$out" "$work/x.kdump" \
            >"$base.makedumpfile-d31.txt" 2>&1 || mdf_status=$?
        mdf_seconds=$((SECONDS - t))
        [ "$mdf_status" = 0 ] || ks_log "makedumpfile exited $mdf_status (see $base.makedumpfile-d31.txt)"
        mdf_size=$(stat -c %s "$work/x.kdump" 2>/dev/null || echo 0)
        rm -f "$work/x.kdump"
    fi
fi

{
    echo "vmcore=$out"
    echo "vmcore_bytes=$bytes"
    echo "program_headers=PT_NOTE:$notes PT_LOAD:$loads"
    echo "kernel_package=$KERNEL_PKG"
    echo "crashed_release=$release"
    echo "capture_release=$(ks_marker_value "$log" capture-kernel)"
    echo "panic=$panic"
    echo "qemu=-accel tcg -m $mem -smp ${KS_QEMU_SMP:-1}"
    echo "first_cmdline=$(ks_marker_value "$log" first-cmdline)"
    echo "crash_size=$(ks_marker_value "$log" crash-size)"
    echo "stage2_elfcorehdr=$(ks_marker_value "$log" stage2-elfcorehdr)"
    echo "workload=$workload"
    echo "workload_plan=$(ks_marker_value "$log" workload-plan)"
    echo "workload_done=$(ks_marker_value "$log" workload-done)"
    echo "capture_copy_seconds=$(ks_marker_value "$log" copy-seconds)"
    echo "qemu_wall_seconds=$boot_seconds"
    echo "vmcore_dmesg_status=$dmesg_status"
    echo "makedumpfile_d31_status=$mdf_status seconds=$mdf_seconds kdump_bytes=${mdf_size:-0}"
    echo "total_wall_seconds=$((SECONDS - started))"
    echo "made=$(date -u +%Y-%m-%dT%H:%M:%SZ) by Tests/VM/lib/make-vmcore.sh"
} >"$base.info.txt"
[ "$keep_work" = 1 ] || rm -rf "$work"
ks_log "vmcore $out: $bytes bytes ($notes PT_NOTE, $loads PT_LOAD), kernel $release, qemu ${boot_seconds}s, total $((SECONDS - started))s"
ks_log "panic: $panic"
