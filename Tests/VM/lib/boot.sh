#!/usr/bin/env bash
# Boot a kernel + initramfs in qemu (TCG) with a hard timeout; the serial console goes to a log.
#
#   boot.sh --kernel K --initrd I --log LOG [--append ARGS] [--mem SIZE] [--timeout SECONDS]
#           [--arch x86_64|i386|ppc64le] [--qemu-arg ARG]... [--stop-on REGEX] [--idle-timeout SECONDS]
#
# Or source it and call vm_boot with the same options. The kernel command line always starts
# with "console=ttyS0 panic=-1" (console=hvc0 on ppc64le; a panic ends qemu at once thanks to
# -no-reboot); --append adds to it. Exit status: 0 when qemu exited by itself (guest poweroff, reboot or panic), 124 when
# the timeout killed it, otherwise qemu's own status. With --stop-on, qemu is stopped (status 0)
# as soon as a line of the log matches REGEX (grep -E), e.g. a guest that halts on purpose. Pass/fail is for the caller to decide
# from the "KEXEC-SUITE: ..." marker lines in LOG.
#
# --idle-timeout also kills qemu (status 124) when the log has not grown for that long, e.g. a
# kernel hanging silently after a kexec jump; the log then ends with "[kexec-suite: qemu killed
# after ...]" naming which limit hit.
# --arch picks the emulator: x86_64 (default) qemu-system-x86_64, i386 qemu-system-i386 (both
# from the qemu-system-x86 package; default machine "pc", SeaBIOS), ppc64le qemu-system-ppc64
# (qemu-system-ppc package) as "-M pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,
# cap-ccf-assist=off,x-vof=on -cpu POWER9": -kernel takes Debian's ELF vmlinux, the console is
# the spapr-vty hvc0 (the -serial file), the cap-* settings silence TCG's warnings, and VOF (qemu's
# minimal Open Firmware, vof.bin) reaches /init in ~7 s where SLOF takes ~30-40 s under TCG.
# Environment: KS_QEMU (qemu binary), KS_QEMU_CPU (-cpu model; ppc64le default POWER9),
# KS_QEMU_SMP (default 1), KS_PPC_FIRMWARE (ppc64le: vof (default) or slof),
# KS_PPC_MACHINE_EXTRA (ppc64le: appended to -M pseries,..., e.g. ",dumpdtb=FILE").
set -euo pipefail

# shellcheck source=Tests/VM/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

vm_boot() {
    local kernel="" initrd="" log="" append="" mem=1G timeout=180 arch=x86_64 qemu console stop_on=""
    local idle_timeout=0
    local extra=()
    while [ $# -gt 0 ]; do
        case $1 in
            --kernel) kernel=$2; shift 2 ;;
            --initrd) initrd=$2; shift 2 ;;
            --log) log=$2; shift 2 ;;
            --append) append=$2; shift 2 ;;
            --mem) mem=$2; shift 2 ;;
            --timeout) timeout=$2; shift 2 ;;
            --arch) arch=$2; shift 2 ;;
            --qemu-arg) extra+=("$2"); shift 2 ;;
            --stop-on) stop_on=$2; shift 2 ;;
            --idle-timeout) idle_timeout=$2; shift 2 ;;
            *) ks_log "vm_boot: unknown argument $1"; return 2 ;;
        esac
    done
    if [ -z "$kernel" ] || [ -z "$initrd" ] || [ -z "$log" ]; then
        ks_log "vm_boot: --kernel, --initrd and --log are required"
        return 2
    fi

    case $arch in
        x86_64) qemu=${KS_QEMU:-qemu-system-x86_64}; console=ttyS0 ;;
        i386) qemu=${KS_QEMU:-qemu-system-i386}; console=ttyS0 ;;
        ppc64le)
            qemu=${KS_QEMU:-qemu-system-ppc64}; console=hvc0
            local machine=pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off
            case ${KS_PPC_FIRMWARE:-vof} in
                vof) machine+=,x-vof=on ;;
                slof) ;;
                *) ks_log "vm_boot: KS_PPC_FIRMWARE must be vof or slof"; return 2 ;;
            esac
            extra=(-M "$machine${KS_PPC_MACHINE_EXTRA:-}" "${extra[@]+"${extra[@]}"}")
            [ -n "${KS_QEMU_CPU:-}" ] || extra+=(-cpu POWER9)
            ;;
        *) ks_log "vm_boot: unsupported arch $arch"; return 2 ;;
    esac
    command -v "$qemu" >/dev/null || { ks_log "vm_boot: $qemu not installed"; return 2; }
    if [ -n "${KS_QEMU_CPU:-}" ]; then
        extra+=(-cpu "$KS_QEMU_CPU")
    fi

    : >"$log"
    local cmd=("$qemu" -accel tcg -m "$mem" -smp "${KS_QEMU_SMP:-1}"
        -nographic -monitor none -serial "file:$log" -nic none -no-reboot
        -kernel "$kernel" -initrd "$initrd"
        -append "console=$console panic=-1 $append"
        "${extra[@]+"${extra[@]}"}")
    printf '%q ' "${cmd[@]}" >"$log.cmd"
    echo >>"$log.cmd"

    "${cmd[@]}" </dev/null >"$log.qemu" 2>&1 &
    local pid=$! rc=0 deadline=$((SECONDS + timeout)) size=0 last_size=-1 last_growth=$SECONDS
    local why=""
    # Never leave a qemu behind if we are interrupted.
    # shellcheck disable=SC2064 # expand pid now
    trap "kill -KILL $pid 2>/dev/null; exit 130" INT TERM HUP
    while kill -0 "$pid" 2>/dev/null; do
        if [ -n "$stop_on" ] && tr -d '\r' <"$log" | grep -Eq "$stop_on"; then
            ks_log "vm_boot: saw /$stop_on/, stopping qemu (pid $pid)"
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            trap - INT TERM HUP
            printf '\n[kexec-suite: qemu stopped after /%s/]\n' "$stop_on" >>"$log"
            return 0
        fi
        if [ "$idle_timeout" -gt 0 ]; then
            size=$(stat -c %s "$log" 2>/dev/null || echo 0)
            if [ "$size" != "$last_size" ]; then
                last_size=$size
                last_growth=$SECONDS
            fi
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            why="${timeout}s timeout"
        elif [ "$idle_timeout" -gt 0 ] && [ $((SECONDS - last_growth)) -ge "$idle_timeout" ]; then
            why="${idle_timeout}s without console output"
        fi
        if [ -n "$why" ]; then
            ks_log "vm_boot: $why, killing qemu (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            sleep 2
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            trap - INT TERM HUP
            printf '\n[kexec-suite: qemu killed after %s]\n' "$why" >>"$log"
            return 124
        fi
        sleep 0.5
    done
    wait "$pid" || rc=$?
    trap - INT TERM HUP
    if [ -s "$log.qemu" ]; then
        # qemu's own messages (e.g. a bad option) are worth seeing in the log.
        sed 's/^/[qemu] /' "$log.qemu" >>"$log"
    fi
    return "$rc"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    vm_boot "$@"
fi
