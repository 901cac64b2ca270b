# shellcheck shell=bash disable=SC2317 # the judges below run through check()
# kdump capture with vmcore-dump (issue 6): `kexec-loader -p` arms the capture kernel in a
# -m 1G crashkernel=256M amd64 guest, sysrq-c panics it, and the capture kernel runs
# `vmcore-dump save -d 31` on /proc/vmcore straight onto four raw virtio disks: kdump-compressed
# with zstd (serial kszstd) and lzo (kslzo), ELF (kself), and a zstd flattened stream on stdout
# through dd (ksflat); then `vmcore-dump dmesg | tail -n 5` and `vmcore-dump info`. The host cuts
# each image to the byte count the guest reported and judges the files with other tools:
# - makedumpfile --dump-dmesg on the lzo dump (Debian's makedumpfile has no zstd) equals
#   `vmcore-dump dmesg` on it and holds the sysrq panic lines; `vmcore-dump dmesg` on the zstd
#   dump equals it too, and the guest's tail of /proc/vmcore's log is its tail;
# - libkdumpfile (check-dumps.py) opens the zstd and lzo dumps, reads the VMCOREINFO of the ELF
#   output's note, and the same bytes as the ELF output for every page both keep;
# - the ELF output passes readelf -l (PT_NOTE, PT_LOADs, some with FileSiz < MemSiz) and
#   kexec-tools' vmcore-dmesg prints the same log as makedumpfile;
# - makedumpfile -R and `vmcore-dump reassemble` turn the flattened stream into byte-identical
#   files, equal to the direct zstd dump but for the header's timestamp, with the same log.
# Every check runs; the FAIL reason lists them all. Files and *.txt outputs stay in WORK.
#
# Environment: VMCORE_DUMP (the vmcore-dump binary; unset: vmcore-dump next to $KEXEC_LOADER,
# else `swift build -c release --static-swift-stdlib --product vmcore-dump` in the repo root),
# KS_TIMEOUT (qemu limit, default 240 s).
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1

# The judges' python: Debian's, which has python3-libkdumpfile (python3 on PATH may not).
KS_SAVE_PYTHON=${KS_SAVE_PYTHON:-/usr/bin/python3}

scenario_main() {
    local work=$1 here log rc=0 token dump
    here="$KS_VM_DIR/scenarios/kdump-save-x86_64"
    log="$work/console.log"
    ks_require_loader || return 1
    local tool
    for tool in makedumpfile vmcore-dmesg readelf; do
        command -v "$tool" >/dev/null || { ks_reason "$tool is not installed (Scripts/install-deps.sh)"; return 1; }
    done
    "$KS_SAVE_PYTHON" -c 'import kdumpfile' 2>/dev/null ||
        { ks_reason "$KS_SAVE_PYTHON cannot import kdumpfile (Scripts/install-deps.sh: python3-libkdumpfile)"; return 1; }

    # --- vmcore-dump: given, next to the loader, or built ---
    dump=${VMCORE_DUMP:-}
    if [ -z "$dump" ]; then
        dump="$(dirname "$KEXEC_LOADER")/vmcore-dump"
        if [ ! -x "$dump" ] && [ -f "$KS_REPO_ROOT/Package.swift" ]; then
            (cd "$KS_REPO_ROOT" && swift build -c release --static-swift-stdlib --product vmcore-dump) \
                >"$work/vmcore-dump-build.log" 2>&1 ||
                { ks_reason "building vmcore-dump failed ($(tail -n 1 "$work/vmcore-dump-build.log"))"; return 1; }
            dump="$(cd "$KS_REPO_ROOT" && swift build -c release --show-bin-path)/vmcore-dump"
        fi
    fi
    [ -x "$dump" ] || { ks_reason "no vmcore-dump binary at $dump"; return 1; }
    # One copy for guest and host (a rebuild during the run cannot mix versions); stripped, since
    # the capture kernel unpacks the initramfs into its ~200 MB.
    strip -o "$work/vmcore-dump" "$dump" 2>/dev/null || cp "$dump" "$work/vmcore-dump"
    strip -o "$work/kexec-loader" "$KEXEC_LOADER" 2>/dev/null || cp "$KEXEC_LOADER" "$work/kexec-loader"
    local V="$work/vmcore-dump"

    # --- images ---
    ks_fetch_kernel amd64
    token=$(ks_random_token 12)
    "$KS_LIB_DIR/make-initramfs.sh" -o "$work/inner.img" -s "$here/guest.sh" \
        -b "$work/kexec-loader=/bin/kexec-loader" -b "$V=/bin/vmcore-dump" \
        -b "$(command -v dd)=/bin/gnu-dd" \
        -k "$KERNEL_MODULES" -m virtio_blk -m virtio_pci
    "$KS_LIB_DIR/make-initramfs.sh" --extend "$work/inner.img" -o "$work/outer.img" \
        -f "$KERNEL_IMAGE=/boot/vmlinuz" -f "$work/inner.img=/boot/initrd.img"

    # --- four sparse raw disks, one per output ---
    local qemu_args=() name
    for name in zstd lzo elf flat; do
        rm -f "$work/$name.disk"
        truncate -s 1G "$work/$name.disk"
        qemu_args+=(--qemu-arg -drive
            --qemu-arg "file=$work/$name.disk,format=raw,if=none,id=ks$name,cache=unsafe"
            --qemu-arg -device --qemu-arg "virtio-blk-pci,drive=ks$name,serial=ks$name")
    done

    local vm_start=$SECONDS
    vm_boot --kernel "$KERNEL_IMAGE" --initrd "$work/outer.img" --log "$log" --mem 1G \
        --timeout "${KS_TIMEOUT:-240}" --append "crashkernel=256M kexec_suite_token=$token" \
        "${qemu_args[@]}" || rc=$?
    local vm_seconds=$((SECONDS - vm_start))

    local v
    v=$(ks_marker_value "$log" result)
    case $v in
        "FAIL "*) ks_reason "guest: ${v#FAIL }"; return 1 ;;
    esac
    [ "$rc" = 124 ] && { ks_reason "$(ks_killed_reason "$log")"; return 1; }
    ks_expect_marker "$log" load-rc 0 || return 1
    ks_expect_marker "$log" stage2-marker "$token" || return 1
    ks_expect_marker "$log" result PASS || return 1
    local release
    release=$(ks_marker_value "$log" first-kernel)

    # --- the outputs: each disk cut to the size the guest reported (a failed save's disk is
    # kept as NAME.failed.img, its first MiB) ---
    local bytes failures=() sizes=() times=() zstd_bytes="" file
    for name in zstd lzo elf flat; do
        case $name in
            zstd | lzo) file="$work/$name.kdump" ;;
            elf) file="$work/out.elf" ;;
            flat) file="$work/out.flat" ;;
        esac
        rm -f "$file"
        bytes=$(ks_marker_value "$log" "$name-bytes")
        v=$(ks_marker_value "$log" "$name-rc")
        if [ "$v" != 0 ] || ! [[ $bytes =~ ^[0-9]+$ ]] || [ "$bytes" = 0 ]; then
            failures+=("guest save $name: exit ${v:-?}, ${bytes:-no} bytes: $(ks_marker_value "$log" "$name-error")")
            truncate -s 1M "$work/$name.disk"
            mv -f "$work/$name.disk" "$work/$name.failed.img"
            continue
        fi
        truncate -s "$bytes" "$work/$name.disk"
        mv -f "$work/$name.disk" "$file"
        [ "$name" != zstd ] || zstd_bytes=$bytes
        sizes+=("$name=$bytes")
        times+=("$name=$(ks_marker_value "$log" "$name-seconds")s")
    done
    [ "$(ks_marker_value "$log" dmesg-rc)" = 0 ] || failures+=("guest: vmcore-dump dmesg /proc/vmcore exited $(ks_marker_value "$log" dmesg-rc)")
    [ "$(ks_marker_value "$log" info-rc)" = 0 ] || failures+=("guest: vmcore-dump info /proc/vmcore exited $(ks_marker_value "$log" info-rc)")
    v=$(ks_marker_value "$log" flat-kdump-bytes)
    [ -z "$zstd_bytes" ] || [ -z "$v" ] || [ "$v" = "$zstd_bytes" ] || failures+=("guest: the flattened save reported a ${v:-?}-byte dump, the zstd save ${zstd_bytes:-?}")

    # check NAME COMMAND...: runs a judge; a failure (its last output line) is collected.
    check() {
        local what=$1
        shift
        if "$@" >"$work/check-$what.txt" 2>&1; then
            ks_log "ok: $what"
        else
            failures+=("$what: $(grep -v '^[[:space:]]*$' "$work/check-$what.txt" | tail -n 1)")
            ks_log "FAIL: $what (see $work/check-$what.txt)"
        fi
    }
    # has_panic FILE: the log holds the sysrq crash lines.
    has_panic() {
        grep -q 'sysrq: Trigger a crash' "$1" || { echo "$1: no 'sysrq: Trigger a crash' line"; return 1; }
        grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$1" ||
            { echo "$1: no 'Kernel panic - not syncing: sysrq triggered crash' line"; return 1; }
    }
    # same A B: byte-identical files (the first differing line otherwise).
    same() {
        cmp "$1" "$2" && return 0
        diff "$1" "$2" | head -n 6
        echo "$1 and $2 differ"
        return 1
    }
    mdf_dmesg() {
        rm -f "$2"
        makedumpfile --dump-dmesg "$1" "$2" || { echo "makedumpfile --dump-dmesg $1 exited $?"; return 1; }
        has_panic "$2"
    }
    vd_dmesg() { "$V" dmesg "$1" >"$2" || { echo "vmcore-dump dmesg $1 exited $?"; return 1; }; }
    readelf_ok() {
        readelf -l -W "$1" >"$work/out.elf.readelf.txt" 2>&1 || { echo "readelf -l -W exited $?"; return 1; }
        cat "$work/out.elf.readelf.txt"
        grep -q '^[[:space:]]*NOTE ' "$work/out.elf.readelf.txt" || { echo "no PT_NOTE"; return 1; }
        local type off va pa filesz memsz rest loads=0 short=0
        while read -r type off va pa filesz memsz rest; do
            [ "$type" = LOAD ] || continue
            loads=$((loads + 1))
            [ $((filesz)) -ge $((memsz)) ] || short=$((short + 1))
        done <"$work/out.elf.readelf.txt"
        echo "$loads PT_LOAD, $short with FileSiz < MemSiz"
        [ "$loads" -gt 0 ] && [ "$short" -gt 0 ]
    }
    elf_dmesg() {
        vmcore-dmesg "$1" >"$2" || { echo "vmcore-dmesg $1 exited $?"; return 1; }
        has_panic "$2"
    }
    # same_but_timestamp A B: equal files except disk_dump_header.timestamp (bytes 408..423).
    same_but_timestamp() {
        local diffs
        [ "$(stat -c %s "$1")" = "$(stat -c %s "$2")" ] || { echo "$1 and $2 differ in size"; return 1; }
        diffs=$(cmp -l "$1" "$2" | awk '$1 < 409 || $1 > 424' | head -n 5)
        [ -z "$diffs" ] || { echo "$diffs"; echo "$1 and $2 differ outside the header timestamp"; return 1; }
    }
    # mapped_in_place: the guest's saves read /proc/vmcore through mappings, not pread copies
    # (each save's summary line: "read N bytes of input, M of them mapped in place").
    mapped_in_place() {
        local lines
        lines=$(tr -d '\r' <"$log" | grep -a 'bytes of input, .* mapped in place' || true)
        echo "$lines"
        [ -n "$lines" ] || { echo "no 'mapped in place' summary line on the console"; return 1; }
        # grep -c, not -q: under pipefail an early exit of grep -q can fail the pipeline.
        [ "$(echo "$lines" | grep -c ' 0 of them mapped in place')" = 0 ] ||
            { echo "a save mapped nothing of /proc/vmcore"; return 1; }
    }
    mdf_reassemble() { makedumpfile -R "$2" <"$1" || { echo "makedumpfile -R exited $?"; return 1; }; }
    guest_tail() {
        ks_block "$log" dmesg-tail >"$work/guest-dmesg-tail.txt"
        tail -n 5 "$1" >"$work/host-dmesg-tail.txt"
        same "$work/host-dmesg-tail.txt" "$work/guest-dmesg-tail.txt"
    }

    # Each judge runs when the files it needs exist; the lzo dump's makedumpfile log is the
    # reference log.
    local ref="$work/lzo.makedumpfile-dmesg.txt" kdumps=()
    rm -f "$ref"
    if [ -f "$work/lzo.kdump" ]; then
        kdumps+=("$work/lzo.kdump")
        check makedumpfile-dmesg-lzo mdf_dmesg "$work/lzo.kdump" "$ref"
        check vmcore-dump-dmesg-lzo vd_dmesg "$work/lzo.kdump" "$work/lzo.vmcore-dump-dmesg.txt"
        check dmesg-lzo-equal same "$ref" "$work/lzo.vmcore-dump-dmesg.txt"
        check guest-dmesg-tail guest_tail "$ref"
        check mapped-in-place mapped_in_place
    fi
    if [ -f "$work/zstd.kdump" ]; then
        kdumps=("$work/zstd.kdump" "${kdumps[@]+"${kdumps[@]}"}")
        check vmcore-dump-dmesg-zstd vd_dmesg "$work/zstd.kdump" "$work/zstd.vmcore-dump-dmesg.txt"
        [ ! -f "$ref" ] || check dmesg-zstd-equal same "$work/zstd.vmcore-dump-dmesg.txt" "$ref"
    fi
    if [ -f "$work/out.elf" ]; then
        check readelf readelf_ok "$work/out.elf"
        check vmcore-dmesg-elf elf_dmesg "$work/out.elf" "$work/out.elf.vmcore-dmesg.txt"
        [ ! -f "$ref" ] || check dmesg-elf-equal same "$work/out.elf.vmcore-dmesg.txt" "$ref"
        [ ${#kdumps[@]} = 0 ] || check libkdumpfile "$KS_SAVE_PYTHON" "$here/check-dumps.py" \
            --elf "$work/out.elf" --release "$release" "${kdumps[@]}"
    fi
    if [ -f "$work/out.flat" ]; then
        rm -f "$work/flat.makedumpfile-R.kdump" "$work/flat.reassembled.kdump"
        check makedumpfile-R mdf_reassemble "$work/out.flat" "$work/flat.makedumpfile-R.kdump"
        check reassemble "$V" reassemble "$work/out.flat" "$work/flat.reassembled.kdump"
        check reassembled-equal same "$work/flat.makedumpfile-R.kdump" "$work/flat.reassembled.kdump"
        [ ! -f "$work/zstd.kdump" ] ||
            check flat-equals-zstd same_but_timestamp "$work/flat.reassembled.kdump" "$work/zstd.kdump"
        check vmcore-dump-dmesg-flat vd_dmesg "$work/flat.reassembled.kdump" "$work/flat.vmcore-dump-dmesg.txt"
        [ ! -f "$ref" ] || check dmesg-flat-equal same "$work/flat.vmcore-dump-dmesg.txt" "$ref"
    fi

    ks_log "layout: $(ks_marker_value "$log" kernel-layout)"
    ks_log "vmcore $(ks_marker_value "$log" vmcore-size) bytes; outputs: ${sizes[*]}; guest save times: ${times[*]}, dmesg $(ks_marker_value "$log" dmesg-seconds)s; qemu ${vm_seconds}s"
    if [ ${#failures[@]} -gt 0 ]; then
        local joined
        joined=$(printf '%s; ' "${failures[@]}")
        ks_reason "${#failures[@]} check(s) failed: ${joined%; }"
        return 1
    fi
}
