# shellcheck shell=bash
# ppc64le scenarios: Debian's ppc64el kernel (an ELF vmlinux) in `qemu-system-ppc64 -M pseries`
# (vm_boot --arch ppc64le: TCG, VOF firmware, console hvc0) with a ppc64el busybox initramfs.
# Used by scenarios/devicetree-ppc64le, apply-ppc64le and kdump-apply-ppc64le.
#
# ks_ppc_setup                     fetches the kernel and busybox (KS_PPC_KERNEL, KS_PPC_KMODS,
#                                  KS_PPC_BUSYBOX)
# ks_ppc_boot LOG INITRD [vm_boot options...]
#                                  one boot of the fixed configuration (-m $KS_PPC_MEM, default 1G)
# ks_ppc_collect WORK NAME [APPEND [vm_boot options...]]
#                                  boot with guest/dump-devicetree-ppc.sh; the guest's
#                                  /proc/device-tree and friends end up in WORK/NAME/ (md5-checked
#                                  gzip tar over the console), checked with dtc -I fs into
#                                  WORK/NAME.dts and WORK/NAME.dtb
# ks_ppc_make_inner WORK SCRIPT    WORK/inner.img: the second kernel's initrd (busybox, SCRIPT as
#                                  /scenario.sh, /etc/kexec-suite/initrd-id from WORK/inner-id)
# ks_ppc_kexec_tools_files         KS_PPC_KT_FILES: make-initramfs -f arguments for kexec-tools'
#                                  ppc64el /sbin/kexec with its libc and dynamic loader
# ks_ppc_kmod_dir WORK MODULE...   WORK/kmod: modules + modules.dep for make-initramfs -k/-m
# ks_ppc_pad_image IMG SIZE        zero-pads an initramfs to SIZE (equal-size boots)
# ks_ppc_plan / ks_ppc_kexec_tools_plan
#                                  step (b): WORK/plan.kxp by $KEXEC_LOADER, or by kexec-tools
#                                  under qemu-user (KS_PPC_ARM_WITH=kexec-tools-plan)
# ks_ppc_apply_scenario WORK       apply-ppc64le (see scenarios/apply-ppc64le/host.sh)
# ks_ppc_kdump_scenario WORK       kdump-apply-ppc64le (see scenarios/kdump-apply-ppc64le/host.sh)
#
# Environment: KS_PPC_MEM (default 1G), KS_PPC_CRASHKERNEL (default 256M), KS_PPC_PAD (kdump:
# initramfs size of both boots, default 32M), KS_PPC_PLAN_EXTRA (kdump: more kexec-loader
# arguments), KS_PPC_DT_SAVE (devicetree-ppc64le), KS_VMCORE_MB (kdump: MiB of /proc/vmcore to
# copy, 0 = all), KS_TIMEOUT (default 180; kdump 300), KS_IDLE_TIMEOUT (default 40),
# KS_PPC_FIRMWARE / KS_QEMU_CPU (boot.sh), KS_PPC_ARM_WITH:
#   kexec-loader      (default) the plan is made on the host by $KEXEC_LOADER and run by
#                     kexec-apply-ppc64le in the guest;
#   kexec-tools-plan  the plan is made on the host by Debian's ppc64el kexec-tools run under
#                     qemu-user (qemu-ppc64le -p 65536 -L ROOT, ROOT holding the collected
#                     /proc/device-tree and /sys files) with an LD_PRELOAD shim that writes the
#                     segments of its kexec_load call as a plan file
#                     (scenarios/apply-ppc64le/kexec-tools-plan.c); run by kexec-apply as above;
#   kexec-tools       no plan: Debian's ppc64el kexec-tools loads inside the guest (reference).

# ks_kexec_scenario's stage-2 checks (ks_check_stage2).
# shellcheck source=Tests/VM/lib/kexec-scenario.sh
. "$KS_LIB_DIR/kexec-scenario.sh"

ks_ppc_setup() {
    ks_fetch_kernel ppc64el
    KS_PPC_KERNEL=$KERNEL_IMAGE
    KS_PPC_KMODS=$KERNEL_MODULES
    ks_fetch_busybox ppc64el
    KS_PPC_BUSYBOX=$BUSYBOX
    ks_log "kernel: $KERNEL_PKG ($KS_PPC_KERNEL), busybox $KS_PPC_BUSYBOX, -m ${KS_PPC_MEM:-1G}"
}

ks_ppc_boot() {
    local log=$1 initrd=$2
    shift 2
    vm_boot --arch ppc64le --kernel "$KS_PPC_KERNEL" --initrd "$initrd" --log "$log" \
        --mem "${KS_PPC_MEM:-1G}" --timeout "${KS_TIMEOUT:-180}" \
        --idle-timeout "${KS_IDLE_TIMEOUT:-40}" "$@"
}

# ks_ppc_guest_failed LOG RC WHAT: records a reason and succeeds when the boot failed: the guest
# said FAIL, qemu was killed, or no "result PASS".
ks_ppc_guest_failed() {
    local log=$1 rc=$2 what=$3 v
    v=$(ks_marker_value "$log" result)
    case $v in
        "FAIL "*) ks_reason "$what: guest: ${v#FAIL }"; return 0 ;;
    esac
    if [ "$rc" = 124 ]; then
        ks_reason "$what: $(ks_killed_reason "$log")"
        return 0
    fi
    if ! ks_has_marker "$log" result PASS; then
        ks_reason "$what did not finish (qemu rc $rc, last marker: $(ks_last_marker "$log"))"
        return 0
    fi
    return 1
}

ks_ppc_collect() {
    local work=$1 name=$2 append=${3:-} log dir want got rc=0 n
    shift 2
    [ $# -eq 0 ] || shift
    log="$work/$name.log"
    dir="$work/$name"
    if [ ! -f "$work/dump-dt.img" ]; then
        "$KS_LIB_DIR/make-initramfs.sh" --busybox "$KS_PPC_BUSYBOX" -o "$work/dump-dt.img" \
            -s "$KS_LIB_DIR/guest/dump-devicetree-ppc.sh"
        [ -z "${KS_PPC_PAD:-}" ] || ks_ppc_pad_image "$work/dump-dt.img" "$KS_PPC_PAD" || return 1
    fi
    ks_ppc_boot "$log" "$work/dump-dt.img" ${append:+--append "$append"} "$@" || rc=$?
    ks_ppc_guest_failed "$log" "$rc" "device-tree capture boot ($name)" && return 1

    ks_block "$log" collect | base64 -d >"$dir.tgz" 2>/dev/null ||
        { ks_reason "$name: the collect block is not valid base64"; return 1; }
    want=$(ks_marker_value "$log" collect-md5)
    got=$(md5sum <"$dir.tgz" | cut -d' ' -f1)
    if [ -z "$want" ] || [ "$want" != "$got" ]; then
        ks_reason "$name: collected tarball md5 mismatch (guest ${want:-<none>}, host $got)"
        return 1
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -xzf "$dir.tgz" -C "$dir" --strip-components=1 ||
        { ks_reason "$name: cannot unpack the collected tarball"; return 1; }
    n=$(find "$dir/device-tree" -type f | wc -l)
    [ "$n" = "$(ks_marker_value "$log" dt-files)" ] ||
        { ks_reason "$name: $n device-tree files on the host, guest counted $(ks_marker_value "$log" dt-files)"; return 1; }
    n=$(find "$dir/device-tree" -type f -exec cat {} + | wc -c)
    [ "$n" = "$(ks_marker_value "$log" dt-bytes)" ] ||
        { ks_reason "$name: $n device-tree bytes on the host, guest counted $(ks_marker_value "$log" dt-bytes)"; return 1; }

    # dtc reads a /proc/device-tree style directory (-I fs).
    dtc -I fs -O dts -o "$dir.dts" "$dir/device-tree" 2>"$dir.dtc.err" ||
        { ks_reason "$name: dtc -I fs -O dts failed: $(head -n 1 "$dir.dtc.err")"; return 1; }
    dtc -I fs -O dtb -o "$dir.dtb" "$dir/device-tree" 2>>"$dir.dtc.err" ||
        { ks_reason "$name: dtc -I fs -O dtb failed: $(head -n 1 "$dir.dtc.err")"; return 1; }
    local node
    for node in chosen cpus rtas; do
        [ -d "$dir/device-tree/$node" ] || { ks_reason "$name: no /$node in the collected tree"; return 1; }
    done
    compgen -G "$dir/device-tree/memory@*" >/dev/null ||
        { ks_reason "$name: no memory@ node in the collected tree"; return 1; }
    [ -f "$dir/device-tree/chosen/linux,kernel-end" ] ||
        { ks_reason "$name: no /chosen/linux,kernel-end in the collected tree"; return 1; }
    ks_log "$name: $(find "$dir/device-tree" -type f | wc -l) properties ($n bytes) in $(find "$dir/device-tree" -type d | wc -l) nodes; dtb $(stat -c %s "$dir.dtb") bytes; kexec_crash_size $(cat "$dir/sys/kernel/kexec_crash_size" 2>/dev/null || echo none)"
    if [ -s "$dir.dtc.err" ]; then
        ks_log "$name: dtc warnings: $(wc -l <"$dir.dtc.err") lines (in $dir.dtc.err)"
    fi
}

# ks_ppc_pad_image IMG SIZE: extends the initramfs IMG with zero bytes to SIZE (numfmt IEC, e.g.
# 32M); the kernel skips zeros between and after cpio archives. Two boots whose initramfs have
# the same size place the same early allocations at the same addresses: the VMCOREINFO note
# (/sys/kernel/vmcoreinfo) moves with the initrd's size (0x3540000 with a 1.3 MB image,
# 0x44a0000 with 13 MB), the crash notes do not.
ks_ppc_pad_image() {
    local img=$1 size
    size=$(numfmt --from=iec "$2")
    if [ "$(stat -c %s "$img")" -gt "$size" ]; then
        ks_reason "$img ($(stat -c %s "$img") bytes) is larger than the padded size $2 (KS_PPC_PAD)"
        return 1
    fi
    truncate -s "$size" "$img"
}

# ks_ppc_check_crash_tree WORK NAME SIZE_BYTES: the collected tree of a crashkernel= boot
# describes a crash region of SIZE_BYTES both in /chosen and in /sys/kernel/kexec_crash_size.
ks_ppc_check_crash_tree() {
    local work=$1 name=$2 size=$3 dir got
    dir="$work/$name"
    got=$(cat "$dir/sys/kernel/kexec_crash_size" 2>/dev/null || echo none)
    [ "$got" = "$size" ] ||
        { ks_reason "$name: /sys/kernel/kexec_crash_size is $got, want $size"; return 1; }
    local p
    for p in linux,crashkernel-base linux,crashkernel-size; do
        [ -f "$dir/device-tree/chosen/$p" ] ||
            { ks_reason "$name: no /chosen/$p in the tree of a crashkernel= boot"; return 1; }
    done
    got=$(od -An -v -tx1 "$dir/device-tree/chosen/linux,crashkernel-size" | tr -d ' \n')
    [ "$((16#$got))" = "$size" ] ||
        { ks_reason "$name: /chosen/linux,crashkernel-size is 0x$got, want $size"; return 1; }
    ks_log "$name: crash region base 0x$(od -An -v -tx1 "$dir/device-tree/chosen/linux,crashkernel-base" | tr -d ' \n') size 0x$got"
}

# ks_ppc_save_tree WORK NAME: with KS_PPC_DT_SAVE=DIR, copies WORK/NAME/ and its .dts/.dtb to
# DIR/NAME/ (fixture candidates; e.g. KS_PPC_DT_SAVE=/var/cache/kexec-suite/ppc64el-dt).
ks_ppc_save_tree() {
    local work=$1 name=$2
    [ -n "${KS_PPC_DT_SAVE:-}" ] || return 0
    rm -rf "${KS_PPC_DT_SAVE:?}/$name"
    mkdir -p "$KS_PPC_DT_SAVE/$name"
    cp -a "$work/$name/." "$KS_PPC_DT_SAVE/$name/"
    cp "$work/$name.dts" "$work/$name.dtb" "$work/$name.log" "$work/$name.log.cmd" "$KS_PPC_DT_SAVE/$name/"
    ks_log "saved $name to $KS_PPC_DT_SAVE/$name"
}

# ks_ppc_kmod_dir WORK MODULE...: WORK/kmod holds the named modules of $KS_PPC_KMODS and their
# dependencies (symlinks) plus a modules.dep, for make-initramfs.sh -k WORK/kmod -m MODULE. The
# Debian package has no modules.dep, and make-initramfs.sh's fallback (objcopy of .modinfo)
# fails for ppc64le objects on an x86 host; readelf reads any ELF.
ks_ppc_kmod_dir() {
    local work=$1 dir f n rel deps dep line
    dir="$work/kmod"
    shift
    local -A path=() seen=()
    local queue=("$@")
    rm -rf "$dir"
    mkdir -p "$dir"
    while IFS= read -r -d '' f; do
        n=${f##*/}
        n=${n%.ko}
        path[${n//-/_}]=$f
    done < <(find "$KS_PPC_KMODS" -name '*.ko' -print0)
    while [ ${#queue[@]} -gt 0 ]; do
        n=${queue[0]//-/_}
        queue=("${queue[@]:1}")
        [ -z "${seen[$n]:-}" ] || continue
        seen[$n]=1
        f=${path[$n]:-}
        [ -n "$f" ] || { ks_log "module $n not found under $KS_PPC_KMODS"; return 1; }
        rel=${f#"$KS_PPC_KMODS"/}
        mkdir -p "$dir/$(dirname "$rel")"
        ln -s "$f" "$dir/$rel"
        deps=$(readelf -p .modinfo "$f" | sed -n 's/^.*depends=//p' | tr ',' ' ')
        line="$rel:"
        for dep in $deps; do
            dep=${dep//-/_}
            [ -n "${path[$dep]:-}" ] || { ks_log "module $dep (needed by $n) not found"; return 1; }
            line+=" ${path[$dep]#"$KS_PPC_KMODS"/}"
            queue+=("$dep")
        done
        printf '%s\n' "$line" >>"$dir/modules.dep"
    done
}

ks_ppc_make_inner() {
    local work=$1 script=$2
    shift 2
    printf 'inner-%s\n' "$(ks_random_token)" >"$work/inner-id"
    "$KS_LIB_DIR/make-initramfs.sh" --busybox "$KS_PPC_BUSYBOX" -o "$work/inner.img" \
        -s "$script" -f "$work/inner-id=/etc/kexec-suite/initrd-id" "$@"
}

ks_ppc_kexec_tools_files() {
    local kt libc gnu=lib/powerpc64le-linux-gnu
    ks_fetch_deb kexec-tools ppc64el
    kt=$DEB_ROOT
    ks_fetch_deb libc6 ppc64el
    libc=$DEB_ROOT
    KS_PPC_KT=$kt
    KS_PPC_KT_LIBC=$libc
    # kexec needs only libc.so.6 and the dynamic loader (readelf -d: NEEDED libc.so.6).
    KS_PPC_KT_FILES=(-f "$kt/sbin/kexec=/bin/kexec"
        -f "$libc/$gnu/ld64.so.2=/lib64/ld64.so.2"
        -f "$libc/$gnu/libc.so.6=/$gnu/libc.so.6")
}

# ks_ppc_require_apply: $KEXEC_APPLY_DIR/kexec-apply-ppc64le exists (run.sh builds it).
ks_ppc_require_apply() {
    if [ -n "${KEXEC_APPLY_DIR:-}" ] && [ -x "$KEXEC_APPLY_DIR/kexec-apply-ppc64le" ]; then
        return 0
    fi
    ks_reason "${KS_APPLY_ERROR:-KEXEC_APPLY_DIR (${KEXEC_APPLY_DIR:-unset}) has no kexec-apply-ppc64le}"
    return 1
}

# ks_ppc_plan WORK TREE_DIR PLAN_FLAG APPEND: (b) of the plan scenarios, on the host:
#   kexec-loader --arch ppc64le --device-tree TREE_DIR PLAN_FLAG VMLINUX --initrd WORK/inner.img
#       --append APPEND --write-plan WORK/plan.kxp
# (plus --crash-info WORK/collect for -p, see ks_ppc_kdump_scenario). Records an explicit
# reason when the loader cannot plan for ppc64le yet.
ks_ppc_plan() {
    local work=$1 tree=$2 flag=$3 append=$4 rc=0 last
    shift 4
    local plan_cmd=("$KEXEC_LOADER" --arch ppc64le --device-tree "$tree" "$flag" "$KS_PPC_KERNEL"
        --initrd "$work/inner.img" --append "$append" "$@" --write-plan "$work/plan.kxp")
    printf '%q ' "${plan_cmd[@]}" >"$work/plan.cmd"
    echo >>"$work/plan.cmd"
    rm -f "$work/plan.kxp"
    # A crash plan reads the crash notes and VMCOREINFO addresses of the guest, collected in (a).
    local envs=(KEXEC_SUITE_FORBID_LIVE=1)
    if [ "$flag" = -p ] && [ -d "$work/collect/sys" ]; then envs+=("KEXEC_SUITE_SYSFS=$work/collect/sys"); fi
    env "${envs[@]}" "${plan_cmd[@]}" >"$work/plan.out" 2>&1 || rc=$?
    sed 's/^/[plan] /' "$work/plan.out" >&2
    if [ "$rc" = 0 ] && [ -s "$work/plan.kxp" ]; then
        ks_log "plan: $(stat -c %s "$work/plan.kxp") bytes"
        return 0
    fi
    last=$(grep -i -m 1 'error' "$work/plan.out" || true)
    [ -n "$last" ] || last=$(grep -v '^[[:space:]]*$' "$work/plan.out" | tail -n 1)
    if grep -qiE "unknown option.*device-tree|unexpected argument.*device-tree|device-tree.*(unknown|not supported|unsupported)" "$work/plan.out"; then
        ks_reason "(b) host plan step: kexec-loader has no --device-tree yet (ppc64le planner not implemented): $last"
    elif grep -qiE "ppc64le.*(not (yet )?(implemented|supported)|unsupported)|(not (yet )?(implemented|supported)|unsupported).*ppc64le" "$work/plan.out"; then
        ks_reason "(b) host plan step: kexec-loader cannot plan for ppc64le yet: $last"
    else
        ks_reason "(b) host plan step: kexec-loader --arch ppc64le --device-tree ... --write-plan exited $rc${last:+: $last}"
    fi
    return 1
}

# ks_ppc_kexec_tools_plan WORK COLLECT_DIR PLAN_FLAG APPEND: writes WORK/plan.kxp with Debian's
# ppc64el kexec-tools run on the host under qemu-user: ROOT (WORK/kt-root) maps the guest's
# collected /proc/device-tree, /proc/iomem, /proc/cmdline and /sys files over the host's (qemu-user
# -L opens ROOT/PATH when it exists), -p 65536 gives kexec-tools the guest's 64 KiB page size, and
# kexec-tools-plan.c (LD_PRELOAD) turns its kexec_load call into the plan file.
ks_ppc_kexec_tools_plan() {
    local work=$1 collect=$2 flag=$3 append=$4 root rc=0 qemu clang d
    root="$work/kt-root"
    qemu=$(command -v qemu-ppc64le || command -v qemu-ppc64le-static || true)
    [ -n "$qemu" ] || { ks_reason "(b) kexec-tools-plan: qemu-ppc64le (qemu-user) is not installed"; return 1; }
    clang=clang
    [ -x /opt/swift/usr/bin/clang ] && clang=/opt/swift/usr/bin/clang
    ks_ppc_kexec_tools_files
    rm -rf "$root"
    mkdir -p "$root/lib64" "$root/lib/powerpc64le-linux-gnu" "$root/proc" "$root/sys"
    "$clang" --target=powerpc64le-linux-gnu -fuse-ld=lld -shared -fPIC -nostdlib -O2 -Wall \
        -o "$root/kexec-tools-plan.so" "$KS_VM_DIR/scenarios/apply-ppc64le/kexec-tools-plan.c" \
        2>"$work/kt-shim.err" ||
        { ks_reason "(b) kexec-tools-plan: building the LD_PRELOAD shim failed: $(head -n 1 "$work/kt-shim.err")"; return 1; }
    cp "$KS_PPC_KT_LIBC/lib/powerpc64le-linux-gnu/ld64.so.2" "$root/lib64/"
    cp "$KS_PPC_KT_LIBC/lib/powerpc64le-linux-gnu/libc.so.6" "$root/lib/powerpc64le-linux-gnu/"
    cp -r "$collect/device-tree" "$root/proc/device-tree"
    for d in iomem cmdline meminfo; do
        [ ! -f "$collect/proc/$d" ] || cp "$collect/proc/$d" "$root/proc/$d"
    done
    cp -r "$collect/sys/." "$root/sys/"
    local plan_cmd=("$qemu" -p 65536 -L "$root" -E LD_PRELOAD=/kexec-tools-plan.so
        -E "KEXEC_PLAN_OUT=$work/plan.kxp" "$KS_PPC_KT/sbin/kexec" "$flag" "$KS_PPC_KERNEL"
        --initrd="$work/inner.img" --append="$append")
    printf '%q ' "${plan_cmd[@]}" >"$work/plan.cmd"
    echo >>"$work/plan.cmd"
    rm -f "$work/plan.kxp"
    "${plan_cmd[@]}" >"$work/plan.out" 2>&1 || rc=$?
    sed 's/^/[plan] /' "$work/plan.out" >&2
    if [ "$rc" != 0 ] || [ ! -s "$work/plan.kxp" ]; then
        ks_reason "(b) kexec-tools-plan: kexec $flag under qemu-user exited $rc: $(grep -v '^[[:space:]]*$' "$work/plan.out" | tail -n 1)"
        return 1
    fi
    # Keep kexec-tools' flattened device tree (the segment starting with the FDT magic).
    python3 - "$work/plan.kxp" "$work/kexec-tools.dtb" <<'PY' || true
import struct, sys
data = open(sys.argv[1], "rb").read()
count, = struct.unpack_from("<I", data, 32)
for i in range(count):
    mem, memsz, off, bufsz = struct.unpack_from("<QQQQ", data, 64 + 32 * i)
    if data[off:off + 4] == b"\xd0\x0d\xfe\xed":
        size, = struct.unpack_from(">I", data, off + 4)
        open(sys.argv[2], "wb").write(data[off:off + size])
        print(f"kexec-tools' device tree: segment {i} at {mem:#x}, {size} bytes", file=sys.stderr)
PY
    if [ -f "$work/kexec-tools.dtb" ]; then
        dtc -I dtb -O dts -o "$work/kexec-tools.dts" "$work/kexec-tools.dtb" 2>/dev/null || true
    fi
    ks_log "plan (kexec-tools under qemu-user): $(stat -c %s "$work/plan.kxp") bytes"
}

# ks_ppc_require_planner: fails at once (before any boot) with an explicit reason when
# $KEXEC_LOADER has no --device-tree option, i.e. cannot plan for ppc64le yet.
ks_ppc_require_planner() {
    [ "$("$KEXEC_LOADER" --help 2>&1 | grep -c -- '--device-tree')" -gt 0 ] && return 0
    ks_reason "(b) host plan step: $KEXEC_LOADER has no --device-tree option yet (the ppc64le planner, kexec-loader --arch ppc64le --device-tree DIR --write-plan, is not implemented)"
    return 1
}

# ks_ppc_require_arm ARM: what arming with ARM (KS_PPC_ARM_WITH) needs on the host.
ks_ppc_require_arm() {
    case $1 in
        kexec-loader)
            ks_require_loader || return 1
            ks_ppc_require_planner || return 1
            ks_ppc_require_apply || return 1
            ;;
        kexec-tools-plan) ks_ppc_require_apply || return 1 ;;
        kexec-tools) ;;
        *) ks_reason "KS_PPC_ARM_WITH must be kexec-loader, kexec-tools-plan or kexec-tools"; return 1 ;;
    esac
}

# --- apply-ppc64le ---

ks_ppc_apply_scenario() {
    local work=$1 arm=${KS_PPC_ARM_WITH:-kexec-loader} token outer_id log rc=0 append
    log="$work/console.log"
    ks_ppc_require_arm "$arm" || return 1
    ks_ppc_setup
    ks_ppc_make_inner "$work" "$KS_LIB_DIR/guest/kexec-scenario-guest.sh"
    token=$(ks_random_token 12)
    append="console=hvc0 panic=-1 kexec_suite_stage=2 kexec_suite_marker=$token"
    outer_id="outer-$(ks_random_token)"
    printf '%s\n' "$outer_id" >"$work/outer-id"

    local files=(-f "$work/outer-id=/etc/kexec-suite/initrd-id")
    if [ "$arm" != kexec-tools ]; then
        # (a) the running kernel's device tree of this exact configuration.
        ks_ppc_collect "$work" collect || return 1
        # (b) plan on the host (no system call: --write-plan only writes the file).
        if [ "$arm" = kexec-loader ]; then
            ks_ppc_plan "$work" "$work/collect/device-tree" -l "$append" || return 1
        else
            ks_ppc_kexec_tools_plan "$work" "$work/collect" -l "$append" || return 1
        fi
        # (c) run it: apply-plan-guest.sh (--check, --load-only, then kexec-apply PLAN).
        files+=(-s "$KS_LIB_DIR/guest/apply-plan-guest.sh"
            -f "$KEXEC_APPLY_DIR/kexec-apply-ppc64le=/bin/kexec-apply" -f "$work/plan.kxp=/boot/plan")
    else
        # The reference: kexec-tools' own kexec_load path (and purgatory) inside the guest.
        ks_ppc_kexec_tools_files
        files+=(-s "$KS_LIB_DIR/guest/kexec-tools-ppc-guest.sh" "${KS_PPC_KT_FILES[@]}"
            -f "$KS_PPC_KERNEL=/boot/vmlinux" -f "$work/inner.img=/boot/initrd.img"
            -e "KS_PPC_APPEND=$append")
    fi
    "$KS_LIB_DIR/make-initramfs.sh" --extend "$work/inner.img" -o "$work/apply.img" "${files[@]}"
    rc=0
    ks_ppc_boot "$log" "$work/apply.img" || rc=$?
    if [ "$arm" != kexec-tools ]; then
        ks_log "plan check in the guest:"
        ks_block "$log" plan-check >&2 || true
    fi
    local v
    v=$(ks_marker_value "$log" result)
    case $v in
        "FAIL "*) ks_reason "guest: ${v#FAIL }"; return 1 ;;
    esac
    [ "$rc" = 124 ] && { ks_reason "$(ks_killed_reason "$log")"; return 1; }
    ks_expect_marker "$log" stage1-initrd-id "$outer_id" || return 1
    if [ "$arm" != kexec-tools ]; then
        ks_expect_marker "$log" check-rc 0 || return 1
        ks_expect_marker "$log" load-only-rc 0 || return 1
    else
        ks_expect_marker "$log" load-rc 0 || return 1
    fi
    ks_expect_marker "$log" sysfs-kexec-loaded 1 || return 1
    ks_log "purgatory lines:"
    tr -d '\r' <"$log" | grep -i 'purgatory' >&2 || true
    ks_check_stage2 "$log" "$token" "$(cat "$work/inner-id")" ppc64le || return 1
    tr -d '\r' <"$log" | grep 'Kernel command line:' | tail -n 1 |
        grep -q "kexec_suite_stage=2 kexec_suite_marker=$token\( \|\$\)" ||
        { ks_reason "second kernel's 'Kernel command line:' lacks the token"; return 1; }
    [ "$rc" = 0 ] || { ks_reason "qemu exit status $rc"; return 1; }
}

# --- kdump-apply-ppc64le ---

# ks_ppc_kdump_scenario WORK: (a) collect the tree of a crashkernel= boot; (b) plan a capture
# kernel on the host (kexec-loader ... -p VMLINUX ... --write-plan; KS_PPC_PLAN_EXTRA adds
# arguments, e.g. for the crash notes and VMCOREINFO collected under WORK/collect/sys/);
# (c) the same configuration plus a raw virtio disk (serial ksdump) arms it with
# `kexec-apply --load-only`, panics with sysrq-c; the capture kernel copies /proc/vmcore (its
# first $KS_VMCORE_MB MiB, default 0 = all) to the disk; on the host readelf -l and kexec-tools'
# vmcore-dmesg must read it and show the sysrq panic. KS_PPC_ARM_WITH=kexec-tools skips (a)-(b)
# and arms with Debian's ppc64el `kexec -p` in the guest (the reference).
ks_ppc_kdump_scenario() {
    local work=$1 arm=${KS_PPC_ARM_WITH:-kexec-loader} ck=${KS_PPC_CRASHKERNEL:-256M}
    local token log rc=0 append disk bytes
    # Equal initramfs sizes for the collecting and the crashing boot (see ks_ppc_pad_image).
    local KS_PPC_PAD=${KS_PPC_PAD:-32M}
    log="$work/console.log"
    ks_ppc_require_arm "$arm" || return 1
    command -v vmcore-dmesg >/dev/null ||
        { ks_reason "kexec-tools' vmcore-dmesg is not installed on the host"; return 1; }
    ks_ppc_setup
    ks_ppc_kmod_dir "$work" virtio_blk virtio_pci ||
        { ks_reason "cannot collect the virtio modules of $KS_PPC_KMODS"; return 1; }
    ks_ppc_make_inner "$work" "$KS_LIB_DIR/guest/kdump-ppc-guest.sh" \
        -k "$work/kmod" -m virtio_blk -m virtio_pci -e "KS_VMCORE_MB=${KS_VMCORE_MB:-0}"
    token=$(ks_random_token 12)
    append="console=hvc0 panic=-1 irqpoll nr_cpus=1 reset_devices kexec_suite_stage=2 kexec_suite_marker=$token"
    printf 'outer-%s\n' "$(ks_random_token)" >"$work/outer-id"

    # PCI devices reach a pseries kernel through the device tree, so the collecting boot must
    # have the same virtio disk (same slot); its size is not in the tree.
    disk="$work/vmcore.disk"
    local disk_args=(--qemu-arg -drive --qemu-arg "file=$disk,format=raw,if=none,id=ksdump,cache=unsafe"
        --qemu-arg -device --qemu-arg "virtio-blk-pci,drive=ksdump,serial=ksdump")
    local files=(-f "$work/outer-id=/etc/kexec-suite/initrd-id")
    if [ "$arm" != kexec-tools ]; then
        # (a) the tree of this exact configuration, crash region included.
        rm -f "$disk"
        truncate -s 1M "$disk"
        ks_ppc_collect "$work" collect "crashkernel=$ck" "${disk_args[@]}" || return 1
        ks_ppc_check_crash_tree "$work" collect "$(numfmt --from=iec "$ck")" || return 1
        # (b) plan the capture kernel on the host.
        if [ "$arm" = kexec-loader ]; then
            # shellcheck disable=SC2086 # KS_PPC_PLAN_EXTRA is a list of arguments
            ks_ppc_plan "$work" "$work/collect/device-tree" -p "$append" ${KS_PPC_PLAN_EXTRA:-} || return 1
        else
            ks_ppc_kexec_tools_plan "$work" "$work/collect" -p "$append" || return 1
        fi
        files+=(-e KS_ARM_WITH=kexec-apply
            -f "$KEXEC_APPLY_DIR/kexec-apply-ppc64le=/bin/kexec-apply" -f "$work/plan.kxp=/boot/plan")
    else
        ks_ppc_kexec_tools_files
        files+=(-e KS_ARM_WITH=kexec-tools -e "KS_PPC_APPEND=$append" "${KS_PPC_KT_FILES[@]}"
            -f "$KS_PPC_KERNEL=/boot/vmlinux" -f "$work/inner.img=/boot/initrd.img")
    fi
    "$KS_LIB_DIR/make-initramfs.sh" --extend "$work/inner.img" -o "$work/crash.img" "${files[@]}"
    if [ "$arm" != kexec-tools ]; then
        ks_ppc_pad_image "$work/crash.img" "$KS_PPC_PAD" || return 1
    fi

    # (c) crash and capture.
    rm -f "$disk"
    truncate -s "$(numfmt --from=iec "${KS_PPC_MEM:-1G}")" "$disk"
    rc=0
    KS_TIMEOUT=${KS_TIMEOUT:-300} ks_ppc_boot "$log" "$work/crash.img" --append "crashkernel=$ck" \
        "${disk_args[@]}" || rc=$?
    if [ "$arm" != kexec-tools ]; then
        ks_log "plan check in the guest:"
        ks_block "$log" plan-check >&2 || true
    fi
    local v
    v=$(ks_marker_value "$log" result)
    case $v in
        "FAIL "*) ks_reason "guest: ${v#FAIL }"; return 1 ;;
    esac
    [ "$rc" = 124 ] && { ks_reason "$(ks_killed_reason "$log")"; return 1; }
    ks_expect_marker "$log" load-rc 0 || return 1
    ks_expect_marker "$log" crash-loaded 1 || return 1
    if [ "$arm" != kexec-tools ]; then
        # The plan's elfcorehdr was built from the collecting boot's VMCOREINFO and crash notes
        # addresses; the crashing boot (another initramfs) must have the same ones.
        local want got cpu
        want=$(cat "$work/collect/sys/kernel/vmcoreinfo")
        got=$(ks_marker_value "$log" vmcoreinfo)
        [ "$want" = "$got" ] || ks_log "WARNING: /sys/kernel/vmcoreinfo differs: collected '$want', crashing boot '$got' (the plan's VMCOREINFO note points at the wrong place)"
        for cpu in "$work"/collect/sys/devices/system/cpu/cpu[0-9]*; do
            want="${cpu##*/} $(cat "$cpu/crash_notes") $(cat "$cpu/crash_notes_size")"
            ks_marker_values "$log" crash-notes | grep -Fxq -- "$want" ||
                ks_log "WARNING: crash_notes differ: collected '$want', crashing boot '$(ks_marker_values "$log" crash-notes | paste -sd '|' -)'"
        done
    fi
    ks_has_marker "$log" init stage=2 ||
        { ks_reason "the capture kernel never reached /init (last marker: $(ks_last_marker "$log"))"; return 1; }
    ks_expect_marker "$log" stage2-marker "$token" || return 1
    ks_expect_marker "$log" stage2-initrd-id "$(cat "$work/inner-id")" || return 1
    ks_expect_marker "$log" result PASS || return 1
    bytes=$(ks_marker_value "$log" vmcore-bytes)
    truncate -s "$bytes" "$disk"
    ks_log "vmcore: $(ks_marker_value "$log" vmcore-size) bytes in the capture kernel, $bytes copied (guest uptime from/to: $(ks_marker_value "$log" copy-seconds)); elfcorehdr=$(ks_marker_value "$log" stage2-elfcorehdr)"

    # The host judges the dump: ELF program headers, then the kernel log through kexec-tools'
    # vmcore-dmesg (it reads ppc64le ELF dumps on an x86 host).
    readelf -l -W "$disk" >"$work/vmcore-phdrs.txt" 2>&1 ||
        { ks_reason "readelf -l cannot read the vmcore: $(tail -n 1 "$work/vmcore-phdrs.txt")"; return 1; }
    if ! vmcore-dmesg "$disk" >"$work/vmcore-dmesg.txt" 2>&1; then
        local why
        why=$(tail -n 1 "$work/vmcore-dmesg.txt")
        if [ "$arm" != kexec-tools ] &&
            [ "$(cat "$work/collect/sys/kernel/vmcoreinfo")" != "$(ks_marker_value "$log" vmcoreinfo)" ]; then
            why="$why (the crashing boot's /sys/kernel/vmcoreinfo '$(ks_marker_value "$log" vmcoreinfo)' is not the collected '$(cat "$work/collect/sys/kernel/vmcoreinfo")': the elfcorehdr's VMCOREINFO note points at the wrong address)"
        fi
        ks_reason "vmcore-dmesg failed: $why"
        return 1
    fi
    grep -q 'sysrq: Trigger a crash' "$work/vmcore-dmesg.txt" ||
        { ks_reason "vmcore-dmesg output lacks 'sysrq: Trigger a crash'"; return 1; }
    grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$work/vmcore-dmesg.txt" ||
        { ks_reason "vmcore-dmesg output lacks the sysrq panic line"; return 1; }
    ks_log "vmcore-dmesg: $(grep -c . "$work/vmcore-dmesg.txt") lines; $(grep -m 1 'Kernel panic' "$work/vmcore-dmesg.txt")"
    [ "$rc" = 0 ] || { ks_reason "qemu exit status $rc"; return 1; }
}
