#!/usr/bin/env bash
# A real ELF core for vmcore-dump, outside `swift test` (about 15 s under TCG):
# boots Debian's amd64 kernel with 2 CPUs and qemu's vmcoreinfo device, loads
# qemu_fw_cfg so the guest publishes its VMCOREINFO, dumps the guest with the
# monitor's `dump-guest-memory`, then checks `vmcore-dump info --json` against
# readelf and gdb on that file.
#
#   Tests/VmcoreDumpQemu/real-core.sh [KEEP_DIR]   (KEEP_DIR keeps guest.core and the outputs)
#
# Needs qemu-system-x86_64, busybox, cpio, python3, readelf, gdb and the
# kernel Tests/VM/lib/fetch-kernel.sh unpacks (KERNEL_ROOT to point elsewhere).
# Prints PASS or FAIL lines; exits non-zero on any failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kernel_root=${KERNEL_ROOT:-$(ls -d /var/cache/kexec-suite/kernel/amd64/linux-image-*-amd64/root 2>/dev/null | tail -1)}
[ -n "$kernel_root" ] && [ -d "$kernel_root" ] || { echo "FAIL no amd64 kernel (run Tests/VM/lib/fetch-kernel.sh amd64)"; exit 1; }
vmlinuz=$(ls "$kernel_root"/boot/vmlinuz-* | head -1)
fwcfg=$(find "$kernel_root/lib/modules" -name 'qemu_fw_cfg.ko*' | head -1)
[ -n "$fwcfg" ] || { echo "FAIL qemu_fw_cfg.ko not found under $kernel_root"; exit 1; }

keep=${1:-}
work=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/vmcore-dump-qemu.XXXXXX")}
rm -rf "$work/initramfs"
mkdir -p "$work/initramfs/bin"
cleanup() {
    if [ -n "${qemu_pid:-}" ]; then kill "$qemu_pid" 2>/dev/null || true; fi
    if [ -n "$keep" ]; then rm -rf "$work/initramfs"; else rm -rf "$work"; fi
}
trap 'cleanup' EXIT

# The guest: busybox, the fw_cfg module, an /init that loads it and idles.
cp /bin/busybox "$work/initramfs/bin/busybox"
case $fwcfg in
    *.xz) xz -dc "$fwcfg" >"$work/initramfs/qemu_fw_cfg.ko" ;;
    *.zst) zstd -dqc "$fwcfg" >"$work/initramfs/qemu_fw_cfg.ko" ;;
    *) cp "$fwcfg" "$work/initramfs/qemu_fw_cfg.ko" ;;
esac
cat >"$work/initramfs/init" <<'GUEST'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox insmod /qemu_fw_cfg.ko
echo
echo "VMCORE-DUMP-QEMU: ready $(/bin/busybox cat /sys/kernel/vmcoreinfo)"
while :; do /bin/busybox sleep 60; done
GUEST
chmod +x "$work/initramfs/init"
(cd "$work/initramfs" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"

swift build --package-path "$repo" --product vmcore-dump >/dev/null
tool="$(swift build --package-path "$repo" --show-bin-path)/vmcore-dump"

start=$(date +%s)
rm -f "$work/monitor.sock" "$work/serial.log" "$work/guest.core"
qemu-system-x86_64 -accel tcg -m 128 -smp 2 -nographic -no-reboot -nic none \
    -device vmcoreinfo -serial "file:$work/serial.log" \
    -monitor "unix:$work/monitor.sock,server,nowait" \
    -kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz" \
    -append "console=ttyS0 panic=-1 quiet" >/dev/null 2>&1 &
qemu_pid=$!

for _ in $(seq 1 120); do
    grep -q "VMCORE-DUMP-QEMU: ready" "$work/serial.log" 2>/dev/null && break
    kill -0 "$qemu_pid" 2>/dev/null || { echo "FAIL qemu exited early"; tail -20 "$work/serial.log"; exit 1; }
    sleep 0.25
done
grep -q "VMCORE-DUMP-QEMU: ready" "$work/serial.log" || { echo "FAIL guest not ready in 30 s"; exit 1; }

python3 - "$work/monitor.sock" "$work/guest.core" <<'MONITOR'
import socket, sys, time
sock = socket.socket(socket.AF_UNIX)
sock.connect(sys.argv[1])
def command(text):
    sock.sendall((text + "\n").encode())
    time.sleep(0.3)
command("stop")
command("dump-guest-memory " + sys.argv[2])
time.sleep(1.0)
command("quit")
MONITOR
wait "$qemu_pid" || true
qemu_pid=""
echo "dumped $(stat -c %s "$work/guest.core") bytes in $(( $(date +%s) - start )) s${keep:+ to $work/guest.core}"

failures=0
check() { if [ "$1" = "$2" ]; then echo "PASS $3"; else echo "FAIL $3: vmcore-dump says '$1', the judge says '$2'"; failures=$((failures + 1)); fi; }

"$tool" info --json "$work/guest.core" >"$work/info.json"
"$tool" info "$work/guest.core" >"$work/info.txt"
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$work/info.json" "$1"; }

check "$(field 'd["cpuCount"]')" "$(readelf -n -W "$work/guest.core" | grep -c NT_PRSTATUS)" "CPU count (readelf -n)"
check "$(field 'd["release"]')" "$(basename "$vmlinuz" | sed 's/^vmlinuz-//')" "OSRELEASE (kernel file name)"
check "$(field 'd["pageSize"]')" "4096" "PAGESIZE"
# gdb reads each NT_PRSTATUS as a thread (LWP = pr_pid); qemu's core has section
# headers but no SHT_NOTE, so eu-readelf -n shows nothing for it.
gdb -batch -nx -c "$work/guest.core" -ex "thread apply all info registers rip rsp" >"$work/gdb.txt" 2>&1 || true
judge() {  # judge rip|rsp|pid: gdb's values in ascending LWP order
    python3 - "$work/gdb.txt" "$1" <<'JUDGE'
import re, sys
text = open(sys.argv[1]).read()
threads = {}
for block in re.split(r"\nThread \d+ ", text)[1:]:
    lwp = int(re.match(r"\(LWP (\d+)\)", block).group(1))
    regs = dict(re.findall(r"^(rip|rsp)\s+(0x[0-9a-f]+)", block, re.M))
    threads[lwp] = {"pid": str(lwp), **{k: hex(int(v, 16)) for k, v in regs.items()}}
print(" ".join(threads[k][sys.argv[2]] for k in sorted(threads)))
JUDGE
}
check "$(field '" ".join(str(c["pid"]) for c in d["cpus"])')" "$(judge pid)" "pid per CPU (gdb)"
check "$(field '" ".join(c["instructionPointer"] for c in d["cpus"])')" "$(judge rip)" "rip per CPU (gdb)"
check "$(field '" ".join(c["stackPointer"] for c in d["cpus"])')" "$(judge rsp)" "rsp per CPU (gdb)"
check "$(field '" ".join(m["physicalStart"] + "+" + hex(m["size"]) for m in d["memory"])')" \
      "$(readelf -l -W "$work/guest.core" | awk '$1 == "LOAD" { printf "%s+%s ", $4, $6 }' | python3 -c 'import sys; print(" ".join(hex(int(a,16))+"+"+hex(int(b,16)) for a,b in (x.split("+") for x in sys.stdin.read().split())))')" \
      "PT_LOAD ranges (readelf -l)"
[ "$(field 'len(d["warnings"])')" = 0 ] && echo "PASS no warnings" || { echo "FAIL warnings: $(field 'd["warnings"]')"; failures=$((failures + 1)); }
head -12 "$work/info.txt"
[ "$failures" = 0 ] && echo "PASS real qemu core ($(( $(date +%s) - start )) s)" || { echo "FAIL $failures checks"; exit 1; }
