# shellcheck shell=bash
# kdump on amd64: `kexec-loader -p` (kexec_load, our purgatory and ELF core header) arms a
# capture kernel in a crashkernel=256M guest, sysrq-c panics it, and the capture kernel's
# /proc/vmcore must describe the first kernel: one PT_NOTE, a kernel-text PT_LOAD and
# PT_LOADs equal to its System RAM minus the crash region (checked with readelf on the
# host). If vmcore-dump is built, its `info --json` report is kept too.
# shellcheck disable=SC2034 # read by run.sh (grep)
KS_NEEDS_LOADER=1

scenario_main() {
    ks_kdump_scenario "$1" kexec-loader
}

# ks_kdump_scenario WORK ARM_WITH [CAPTURE_PKG]: ARM_WITH is kexec-loader or kexec-tools (the
# reference); CAPTURE_PKG names another Debian kernel package to use as the capture kernel.
ks_kdump_scenario() {
    local work=$1 arm=$2 capture_pkg=${3:-} here log rc=0 token capture_image="" capture_version=""
    here="$KS_VM_DIR/scenarios/kdump-x86_64"
    log="$work/console.log"
    ks_require_loader || return 1
    if [ -n "$capture_pkg" ]; then
        KEXEC_SUITE_KERNEL_PKG=$capture_pkg ks_fetch_kernel amd64
        capture_image=$KERNEL_IMAGE
        capture_version=$KERNEL_VERSION
    fi
    ks_fetch_kernel amd64
    token=$(ks_random_token 12)
    local extra=()
    local dump
    dump="$(dirname "$KEXEC_LOADER")/vmcore-dump"
    if [ ! -x "$dump" ] && [ -f "$KS_REPO_ROOT/Package.swift" ]; then
        (cd "$KS_REPO_ROOT" && swift build -c release --static-swift-stdlib --product vmcore-dump) \
            >"$work/vmcore-dump-build.log" 2>&1 || { ks_reason "building vmcore-dump failed"; return 1; }
        dump="$(cd "$KS_REPO_ROOT" && swift build -c release --show-bin-path)/vmcore-dump"
    fi
    [ -x "$dump" ] || { ks_reason "no vmcore-dump binary"; return 1; }
    extra=(-b "$dump=/bin/vmcore-dump")
    [ "$arm" = kexec-tools ] && extra+=(-b "$(command -v kexec)=/bin/kexec")
    "$KS_LIB_DIR/make-initramfs.sh" -o "$work/inner.img" -s "$here/guest.sh" \
        -b "$KEXEC_LOADER=/bin/kexec-loader" -e "KS_ARM_WITH=$arm" "${extra[@]+"${extra[@]}"}"
    "$KS_LIB_DIR/make-initramfs.sh" --extend "$work/inner.img" -o "$work/outer.img" \
        -f "$KERNEL_IMAGE=/boot/vmlinuz" -f "$work/inner.img=/boot/initrd.img" \
        ${capture_image:+-f "$capture_image=/boot/vmlinuz-capture"}
    vm_boot --kernel "$KERNEL_IMAGE" --initrd "$work/outer.img" --log "$log" --mem 1536M \
        --timeout "${KS_TIMEOUT:-240}" --append "crashkernel=256M kexec_suite_token=$token" || rc=$?

    local v
    v=$(ks_marker_value "$log" result)
    case $v in
        "FAIL "*) ks_reason "guest: ${v#FAIL }"; return 1 ;;
    esac
    [ "$rc" = 124 ] && { ks_reason "qemu timed out (last marker: $(ks_last_marker "$log"))"; return 1; }
    ks_expect_marker "$log" load-rc 0 || return 1
    ks_expect_marker "$log" crash-status 1 || return 1
    ks_expect_marker "$log" stage2-marker "$token" || return 1
    if [ -n "$capture_version" ]; then
        ks_expect_marker "$log" capture-kernel "$capture_version" || return 1
        [ "$(ks_marker_value "$log" first-kernel)" != "$capture_version" ] ||
            { ks_reason "the capture kernel is the same build as the crashed one"; return 1; }
    fi
    ks_expect_marker "$log" result PASS || return 1

    # The capture kernel's /proc/vmcore headers, rebuilt from the od dump, judged by readelf.
    ks_block "$log" vmcore-head | python3 -c '
import sys
data = bytes(int(b, 16) for line in sys.stdin for b in line.split())
sys.stdout.buffer.write(data)' >"$work/vmcore-head.bin"
    ks_block "$log" iomem >"$work/iomem.txt"
    readelf -l -W "$work/vmcore-head.bin" >"$work/vmcore-phdrs.txt" 2>&1 || true
    ks_block "$log" vmcore-info >"$work/vmcore-info.json"
    # The memory a vmcore must hold: the first kernel's System RAM minus its crash regions.
    python3 - "$work/iomem.txt" >"$work/expected-ram.txt" <<'PY'
import sys
ram, crash = [], []
for line in open(sys.argv[1]).read().splitlines():
    rng, _, name = line.strip().partition(" : ")
    a, b = (int(x, 16) for x in rng.split("-"))
    if name == "System RAM": ram.append((a, b + 1))
    if name == "Crash kernel": crash.append((a, b + 1))
for a, b in ram:
    pieces = [(a, b)]
    for c, d in crash:
        pieces = [p for (x, y) in pieces for p in ((x, min(y, c)), (max(x, d), y)) if p[0] < p[1]]
    for x, y in pieces: print(hex(x), hex(y))
PY
    python3 - "$work/expected-ram.txt" "$work/vmcore-head.bin" >"$work/check.txt" 2>&1 <<'PY' || { ks_reason "$(tail -n 1 "$work/check.txt")"; return 1; }
import struct, sys
want = [tuple(int(v, 16) for v in line.split()) for line in open(sys.argv[1])]
data = open(sys.argv[2], "rb").read()
assert data[:4] == b"\x7fELF" and data[4] == 2, "vmcore is not ELF64"
phoff, = struct.unpack_from("<Q", data, 0x20)
phnum, = struct.unpack_from("<H", data, 0x38)
notes, loads = 0, []
for i in range(phnum):
    t, f, off, va, pa, fs, ms, al = struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)
    if t == 4: notes += 1
    if t == 1: loads.append((pa, pa + ms, va))
text = [l for l in loads if l[2] >= 0xffffffff80000000]
ramloads = sorted((a, b) for a, b, va in loads if va < 0xffffffff80000000)
print("notes", notes, "loads", len(loads), "text", [hex(t[0]) for t in text])
print("vmcore RAM", [(hex(a), hex(b)) for a, b in ramloads])
print("expected  ", [(hex(a), hex(b)) for a, b in want])
assert notes == 1, f"{notes} PT_NOTE headers, expected 1 (merged)"
assert len(text) == 1, "no kernel-text PT_LOAD"
assert ramloads == sorted(want), "vmcore memory differs from System RAM minus the crash region"
print("ok")
PY
    # vmcore-dump's report: the crashed kernel's release, a CPU stopped inside kernel text,
    # and memory ranges equal to System RAM minus the crash region.
    local release
    release=$(ks_marker_value "$log" first-kernel)
    python3 - "$work/vmcore-info.json" "$release" "$work/expected-ram.txt" >"$work/info-check.txt" 2>&1 <<'PY' || { ks_reason "vmcore-dump info: $(tail -n 1 "$work/info-check.txt")"; return 1; }
import json, sys
report = json.load(open(sys.argv[1]))
assert report["release"] == sys.argv[2], f"release {report['release']} != {sys.argv[2]}"
text = report["kernelText"]
lo = int(text["virtualStart"], 16); hi = lo + text["size"]
ips = [int(c["instructionPointer"], 16) for c in report["cpus"]]
assert any(lo <= ip < hi for ip in ips), f"no CPU's rip {[hex(i) for i in ips]} inside kernel text {hex(lo)}-{hex(hi)}"
want = [tuple(int(v, 16) for v in line.split()) for line in open(sys.argv[3])]
got = sorted((int(m["physicalStart"], 16), int(m["physicalEnd"], 16)) for m in report["memory"])
assert got == sorted(want), f"memory {got} != {sorted(want)}"
print(f"release {report['release']}, {report['cpuCount']} CPU(s), rip {[hex(i) for i in ips]} in kernel text, {len(got)} RAM ranges ok")
PY
    ks_log "$(head -n 3 "$work/check.txt" | tr '\n' ' ') | $(cat "$work/info-check.txt")"
}
