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
