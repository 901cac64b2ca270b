#!/usr/bin/env bash
# Build a gzip-compressed newc cpio initramfs for kexec-suite guests.
#
#   make-initramfs.sh -o OUT.cpio.gz [options]
#     -s, --scenario FILE       guest script, installed as /scenario.sh (run by /init with sh)
#     -b, --binary PATH[=DEST]  host binary plus the shared libraries and dynamic loader that
#                               `ldd` lists (DEST defaults to PATH); repeatable
#     -f, --file PATH=DEST      extra file or directory (copied recursively); repeatable
#     -e, --env KEY=VALUE       exported to the scenario through /etc/kexec-suite/env; repeatable
#         --busybox PATH        busybox to use (default: /bin/busybox from busybox-static)
#         --extend BASE         append a cpio segment holding only the -b/-f/-e items to the
#                               existing archive BASE instead of building a full image (the
#                               kernel unpacks concatenated archives in order, later entries win)
#
# A full image contains busybox (applet symlinks made at build time when the busybox runs on
# this host, and by /init at boot otherwise), /init (lib/guest/init), /lib/kexec-suite/guest.sh
# (marker helpers) and the items above.
set -euo pipefail

# shellcheck source=Tests/VM/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

out="" scenario="" busybox=/bin/busybox extend=""
binaries=() files=() envs=()
while [ $# -gt 0 ]; do
    case $1 in
        -o | --output) out=$2; shift 2 ;;
        -s | --scenario) scenario=$2; shift 2 ;;
        -b | --binary) binaries+=("$2"); shift 2 ;;
        -f | --file) files+=("$2"); shift 2 ;;
        -e | --env) envs+=("$2"); shift 2 ;;
        --busybox) busybox=$2; shift 2 ;;
        --extend) extend=$2; shift 2 ;;
        -h | --help) usage ;;
        *) ks_log "unknown argument: $1"; usage ;;
    esac
done
[ -n "$out" ] || usage

stage=$(mktemp -d "${TMPDIR:-/tmp}/kexec-suite-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# put SRC DEST: copy SRC (file or directory, symlinks dereferenced) to DEST inside the image,
# replacing whatever is there (never writing through an applet symlink into busybox).
put() {
    local src=$1 dest=${2#/}
    [ -e "$src" ] || ks_die "no such file: $src"
    mkdir -p "$stage/$(dirname "$dest")"
    rm -rf "${stage:?}/$dest"
    cp -aL "$src" "$stage/$dest"
}

# put_binary PATH[=DEST]: the binary plus its ldd-listed libraries at their host paths.
put_binary() {
    local spec=$1 src dest lib
    src=${spec%%=*}
    dest=$src
    [ "$spec" = "$src" ] || dest=${spec#*=}
    [ -f "$src" ] || ks_die "no such binary: $src"
    put "$src" "$dest"
    chmod 0755 "$stage/${dest#/}"
    # Static binaries make ldd fail ("not a dynamic executable"): nothing to add then.
    while read -r lib; do
        [ -e "$stage/${lib#/}" ] || put "$lib" "$lib"
    done < <(ldd "$src" 2>/dev/null | awk '
        $2 == "=>" && $3 ~ /^\// { print $3 }
        $1 ~ /^\// { print $1 }')
}

if [ -z "$extend" ]; then
    [ -x "$busybox" ] || ks_die "busybox not found at $busybox (apt-get install busybox-static)"
    mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc/kexec-suite,lib/kexec-suite}
    cp "$busybox" "$stage/bin/busybox"
    if applets=$("$stage/bin/busybox" --list-full 2>/dev/null); then
        while read -r applet; do
            case $applet in "" | bin/busybox) continue ;; esac
            ln -sf /bin/busybox "$stage/$applet"
        done <<<"$applets"
    fi
    if [ "$(id -u)" = 0 ]; then
        mknod -m 600 "$stage/dev/console" c 5 1
        mknod -m 666 "$stage/dev/null" c 1 3
    fi
    install -m 0755 "$KS_LIB_DIR/guest/init" "$stage/init"
    install -m 0644 "$KS_LIB_DIR/guest/guest.sh" "$stage/lib/kexec-suite/guest.sh"
fi
if [ -n "$scenario" ]; then
    install -D -m 0755 "$scenario" "$stage/scenario.sh"
fi
for b in "${binaries[@]+"${binaries[@]}"}"; do
    put_binary "$b"
done
for f in "${files[@]+"${files[@]}"}"; do
    case $f in
        *=*) put "${f%%=*}" "${f#*=}" ;;
        *) ks_die "--file wants PATH=DEST, got '$f'" ;;
    esac
done
if [ ${#envs[@]} -gt 0 ]; then
    mkdir -p "$stage/etc/kexec-suite"
    for kv in "${envs[@]}"; do
        case $kv in
            [A-Za-z_]*=*) printf '%s=%q\n' "${kv%%=*}" "${kv#*=}" ;;
            *) ks_die "--env wants KEY=VALUE, got '$kv'" ;;
        esac
    done >>"$stage/etc/kexec-suite/env"
fi

mkdir -p "$(dirname "$out")"
tmp_out="$out.tmp.$$"
{
    if [ -n "$extend" ]; then
        cat "$extend"
    fi
    (cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
        cpio --null --create --format=newc --owner=0:0 --quiet) | gzip -1 -n
} >"$tmp_out"
mv "$tmp_out" "$out"
ks_log "initramfs $out ($(du -h "$out" | cut -f1))"
