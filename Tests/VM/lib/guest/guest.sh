# shellcheck shell=sh
# Helpers for guest scenario scripts (busybox sh), installed as /lib/kexec-suite/guest.sh and
# sourced by /init and by /scenario.sh. Every marker line starts on a fresh line because kernel
# console messages may lack a trailing newline.

# ks_marker NAME [VALUE...]: prints "KEXEC-SUITE: NAME VALUE" on its own line.
ks_marker() {
    printf '\nKEXEC-SUITE: %s\n' "$*"
}

# ks_begin NAME / ks_end NAME: delimit a block of raw output for the host to extract.
ks_begin() { printf '\nKEXEC-SUITE: begin %s\n' "$1"; }
ks_end() { printf 'KEXEC-SUITE: end %s\n' "$1"; }

# ks_cmdline_arg NAME [DEFAULT]: value of NAME=value on /proc/cmdline (first match).
ks_cmdline_arg() {
    # shellcheck disable=SC2013 # words are what we want
    for _ks_w in $(cat /proc/cmdline); do
        case $_ks_w in
            "$1="*) printf '%s\n' "${_ks_w#"$1"=}"; return 0 ;;
        esac
    done
    printf '%s\n' "${2:-}"
}

# ks_fail REASON...: reports a failure the host will show, then powers off.
ks_fail() {
    ks_marker result "FAIL $*"
    ks_poweroff
}

# ks_arm_capture APPEND: arms /boot/vmlinuz with /boot/initrd.img as the capture kernel
# (kexec-loader -p, serial console, command line APPEND); marks load-rc, fails unless it loaded.
ks_arm_capture() {
    /bin/kexec-loader -p /boot/vmlinuz --initrd=/boot/initrd.img --console-serial --append="$1"
    _ks_rc=$?
    ks_marker load-rc "$_ks_rc"
    [ "$_ks_rc" = 0 ] || ks_fail "'kexec-loader -p' exited $_ks_rc"
}

# ks_crash DETAIL...: marks "crashing DETAIL" and panics the kernel with sysrq-c; fails the
# scenario if the kernel survives.
ks_crash() {
    ks_marker crashing "$*"
    echo 1 >/proc/sys/kernel/sysrq
    echo c >/proc/sysrq-trigger
    sleep 5
    ks_fail "sysrq-c returned"
}

# ks_quiet_console: keep kernel messages off the console (e.g. while dumping data).
ks_quiet_console() {
    echo 1 >/proc/sys/kernel/printk 2>/dev/null || true
}

# ks_poweroff: power the VM off now; never returns.
ks_poweroff() {
    sync
    poweroff -f
    sleep 2
    echo o >/proc/sysrq-trigger 2>/dev/null
    sleep 30
    exit 1
}

# ks_load_modules: insmods the modules make-initramfs.sh -m installed, in the order it wrote to
# /lib/modules/kexec-suite.order (dependencies first); modules already loaded are skipped.
# Fails (status 1, message on stderr) on the first insmod that fails.
ks_load_modules() {
    [ -f /lib/modules/kexec-suite.order ] || return 0
    while read -r _ks_m; do
        [ -n "$_ks_m" ] || continue
        [ -d "/sys/module/$_ks_m" ] && continue
        insmod "/lib/modules/$_ks_m.ko" || {
            echo "ks_load_modules: insmod $_ks_m failed" >&2
            return 1
        }
    done </lib/modules/kexec-suite.order
}

# ks_virtio_disks: loads the modules (an image built with make-initramfs.sh -k DIR -m virtio_blk
# -m virtio_pci), waits up to 10 s for /sys/block/vd*, makes any /dev/vdX node devtmpfs did not
# and prints one line per disk: "/dev/vdX SECTORS SERIAL" (SERIAL from qemu's
# -device virtio-blk-pci,serial=..., "-" if none). Fails when no virtio disk appears.
ks_virtio_disks() {
    ks_load_modules || return 1
    _ks_i=0
    while [ "$_ks_i" -lt 20 ]; do
        for _ks_d in /sys/block/vd*; do
            [ -e "$_ks_d" ] && break 2
        done
        sleep 0.5
        _ks_i=$((_ks_i + 1))
    done
    _ks_found=0
    for _ks_d in /sys/block/vd*; do
        [ -e "$_ks_d/dev" ] || continue
        _ks_n=${_ks_d##*/}
        if [ ! -b "/dev/$_ks_n" ]; then
            _ks_mm=$(cat "$_ks_d/dev")
            mknod "/dev/$_ks_n" b "${_ks_mm%%:*}" "${_ks_mm#*:}" || return 1
        fi
        _ks_s=$(cat "$_ks_d/serial" 2>/dev/null)
        echo "/dev/$_ks_n $(cat "$_ks_d/size") ${_ks_s:--}"
        _ks_found=1
    done
    [ "$_ks_found" = 1 ] || {
        echo "ks_virtio_disks: no virtio disk under /sys/block" >&2
        return 1
    }
}

# ks_disk_by_serial SERIAL: prints /dev/vdX of the virtio disk with that serial (after
# ks_virtio_disks); fails when there is none.
ks_disk_by_serial() {
    for _ks_d in /sys/block/vd*; do
        [ "$(cat "$_ks_d/serial" 2>/dev/null)" = "$1" ] || continue
        echo "/dev/${_ks_d##*/}"
        return 0
    done
    return 1
}
