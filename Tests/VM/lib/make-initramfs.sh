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
#         --extend BASE         append a cpio segment holding only the -b/-f/-e/-m items to the
#                               existing archive BASE instead of building a full image (the
#                               kernel unpacks concatenated archives in order, later entries win)
#     -k, --kmod-dir DIR        kernel modules directory (lib/modules/VERSION of an unpacked
#                               kernel package) where -m names are looked up
#     -m, --module NAME|PATH    kernel module (name, '-' and '_' alike, found under --kmod-dir, or
#                               a .ko[.xz|.zst|.gz] path) plus its dependencies (modules.dep if
#                               DIR has one, else the modules' own .modinfo depends=); installed
#                               uncompressed as /lib/modules/NAME.ko, with the load order
#                               (dependencies first) in /lib/modules/kexec-suite.order for the
#                               guest's ks_load_modules; repeatable
#
# A full image contains busybox (applet symlinks made at build time when the busybox runs on
# this host, and by /init at boot otherwise), /init (lib/guest/init), /lib/kexec-suite/guest.sh
# (marker helpers) and the items above.
set -euo pipefail

# shellcheck source=Tests/VM/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

out="" scenario="" busybox=/bin/busybox extend="" kmod_dir=""
binaries=() files=() envs=() modules=()
while [ $# -gt 0 ]; do
    case $1 in
        -o | --output) out=$2; shift 2 ;;
        -s | --scenario) scenario=$2; shift 2 ;;
        -b | --binary) binaries+=("$2"); shift 2 ;;
        -f | --file) files+=("$2"); shift 2 ;;
        -e | --env) envs+=("$2"); shift 2 ;;
        --busybox) busybox=$2; shift 2 ;;
        --extend) extend=$2; shift 2 ;;
        -k | --kmod-dir) kmod_dir=$2; shift 2 ;;
        -m | --module) modules+=("$2"); shift 2 ;;
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
    # Symbols only cost memory in the guest (a capture kernel unpacks its initramfs into
    # what is left of the crash region); the host's strip skips foreign binaries.
    strip --strip-unneeded "$stage/${dest#/}" 2>/dev/null || true
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

# --- kernel modules (-m) ---
declare -A kmod_path=() kmod_done=()
kmod_order=() kmod_name=

# kmod_norm NAME: sets kmod_name to the module name as the kernel spells it ('-' becomes '_',
# no directory, no .ko[.xz|.zst|.gz] suffix). No subshell: it runs once per module file.
kmod_norm() {
    kmod_name=${1##*/}
    kmod_name=${kmod_name%.xz}
    kmod_name=${kmod_name%.zst}
    kmod_name=${kmod_name%.gz}
    kmod_name=${kmod_name%.ko}
    kmod_name=${kmod_name//-/_}
}

# kmod_index: maps every module under $kmod_dir to its path.
kmod_index() {
    [ -d "$kmod_dir" ] || ks_die "--kmod-dir $kmod_dir is not a directory"
    local f
    while IFS= read -r -d '' f; do
        kmod_norm "$f"
        kmod_path[$kmod_name]=$f
    done < <(find "$kmod_dir" \( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' \
        -o -name '*.ko.gz' \) -print0)
}

# kmod_plain SRC DEST: SRC decompressed (by its suffix) into DEST.
kmod_plain() {
    case $1 in
        *.ko.xz) xz -dc "$1" >"$2" ;;
        *.ko.zst) zstd -qdc "$1" >"$2" ;;
        *.ko.gz) gzip -dc "$1" >"$2" ;;
        *) cp "$1" "$2" ;;
    esac
}

# kmod_deps NAME PLAIN: names of the modules NAME depends on (modules.dep, else .modinfo).
kmod_deps() {
    local name=$1 plain=$2 rel line dep
    if [ -n "$kmod_dir" ] && [ -f "$kmod_dir/modules.dep" ] && [ -n "${kmod_path[$name]:-}" ]; then
        rel=${kmod_path[$name]#"$kmod_dir"/}
        line=$(grep -m 1 -F -- "$rel:" "$kmod_dir/modules.dep" || true)
        for dep in ${line#*:}; do
            kmod_norm "$dep"
            printf '%s\n' "$kmod_name"
        done
        return 0
    fi
    command -v objcopy >/dev/null || ks_die "objcopy (binutils) is needed to read module dependencies"
    objcopy -O binary --only-section=.modinfo "$plain" "$plain.modinfo" ||
        ks_die "cannot read .modinfo of $plain"
    tr '\0' '\n' <"$plain.modinfo" | sed -n 's/^depends=//p' | tr ',' '\n' |
        while read -r dep; do
            [ -z "$dep" ] || { kmod_norm "$dep"; printf '%s\n' "$kmod_name"; }
        done
    rm -f "$plain.modinfo"
}

# kmod_add NAME|PATH: installs the module after its dependencies (depth first).
kmod_add() {
    local spec=$1 name src plain dep deps
    kmod_norm "$spec"
    name=$kmod_name
    [ -z "${kmod_done[$name]:-}" ] || return 0
    kmod_done[$name]=1
    if [[ $spec == */* ]]; then
        src=$spec
        [ -f "$src" ] || ks_die "no such module file: $src"
    else
        [ -n "$kmod_dir" ] || ks_die "-m $spec needs --kmod-dir DIR (lib/modules/VERSION)"
        src=${kmod_path[$name]:-}
        [ -n "$src" ] || ks_die "module $name not found under $kmod_dir"
    fi
    mkdir -p "$stage/lib/modules"
    plain="$stage/lib/modules/$name.ko"
    kmod_plain "$src" "$plain"
    deps=$(kmod_deps "$name" "$plain")
    for dep in $deps; do
        [ -n "$kmod_dir" ] || ks_die "$name depends on $dep: give --kmod-dir to resolve it"
        kmod_add "$dep"
    done
    kmod_order+=("$name")
}

if [ ${#modules[@]} -gt 0 ] && [ -n "$kmod_dir" ]; then
    kmod_index
fi
for m in "${modules[@]+"${modules[@]}"}"; do
    kmod_add "$m"
done
if [ ${#kmod_order[@]} -gt 0 ]; then
    printf '%s\n' "${kmod_order[@]}" >"$stage/lib/modules/kexec-suite.order"
    ks_log "modules (load order): ${kmod_order[*]}"
fi

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
