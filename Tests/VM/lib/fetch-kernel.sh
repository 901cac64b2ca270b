#!/usr/bin/env bash
# Fetch and unpack Debian's kernel package for a Debian architecture into a cache outside the repo.
#
#   Tests/VM/lib/fetch-kernel.sh [ARCH]             ARCH: amd64 (default), i386, ppc64el
#   Tests/VM/lib/fetch-kernel.sh --busybox [ARCH]   prints BUSYBOX=... (static busybox for ARCH)
#
# Prints shell assignments on stdout (use: eval "$(Tests/VM/lib/fetch-kernel.sh amd64)"):
#   KERNEL_ARCH KERNEL_PKG KERNEL_VERSION KERNEL_IMAGE KERNEL_MODULES KERNEL_CONFIG KERNEL_ROOT
# When sourced, defines ks_fetch_kernel ARCH, which sets the same variables in the caller, and
# ks_fetch_busybox ARCH / ks_fetch_deb PKG ARCH (other packages, cached under $KS_CACHE/deb).
#
# Environment:
#   KEXEC_SUITE_CACHE       cache root (default /var/cache/kexec-suite); kernels go to
#                           $KEXEC_SUITE_CACHE/kernel/<arch>/<package>/root
#   KEXEC_SUITE_KERNEL_PKG  exact binary package to use instead of resolving the metapackage
#                           (e.g. linux-image-6.1.0-56-amd64, or ...-686:i386)
# Idempotent: an already unpacked package is reused without touching the network. If apt cannot
# resolve the metapackage (no lists, offline), the newest cached kernel for ARCH is used.
set -euo pipefail

# shellcheck source=Tests/VM/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# ks_kernel_arch_info ARCH: sets _ks_meta (metapackage), _ks_image_glob (image path in the .deb),
# _ks_foreign (1 when ARCH is not the host's dpkg architecture).
ks_kernel_arch_info() {
    local arch=$1 native
    native=$(dpkg --print-architecture)
    case $arch in
        amd64) _ks_meta=linux-image-amd64; _ks_image_glob='boot/vmlinuz-*' ;;
        i386) _ks_meta=linux-image-686; _ks_image_glob='boot/vmlinuz-*' ;;
        ppc64el) _ks_meta=linux-image-powerpc64le; _ks_image_glob='boot/vmlinux-*' ;;
        *) ks_die "unsupported kernel architecture '$arch' (amd64, i386, ppc64el)" ;;
    esac
    _ks_foreign=0
    if [ "$arch" != "$native" ]; then
        _ks_foreign=1
        _ks_meta="$_ks_meta:$arch"
    fi
}

# ks_enable_foreign_arch ARCH: dpkg --add-architecture + apt-get update, tolerating index errors
# (an i386 index may fail with "File has unexpected size ... Mirror sync in progress?").
ks_enable_foreign_arch() {
    local arch=$1
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        ks_log "adding dpkg architecture $arch"
        dpkg --add-architecture "$arch"
        apt-get update -q >&2 || ks_log "apt-get update reported errors (tolerated)"
    fi
}

# ks_resolve_kernel_pkg: prints the binary package the metapackage depends on (with :arch
# suffix for foreign architectures), or fails.
ks_resolve_kernel_pkg() {
    local dep
    dep=$(apt-cache depends "$_ks_meta" 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[^ ]*\).*$/\1/p' | head -n 1) || true
    [ -n "$dep" ] || return 1
    dep=${dep%%:*}
    if [ "$_ks_foreign" = 1 ]; then
        dep="$dep:$KERNEL_ARCH"
    fi
    printf '%s\n' "$dep"
}

# ks_newest_cached ARCH: the newest fully unpacked package directory for ARCH, if any.
ks_newest_cached() {
    local arch=$1
    find "$KS_CACHE/kernel/$arch" -mindepth 2 -maxdepth 2 -name .complete -printf '%h\n' \
        2>/dev/null | sort -V | tail -n 1
}

ks_fetch_kernel() {
    KERNEL_ARCH=${1:-amd64}
    ks_kernel_arch_info "$KERNEL_ARCH"
    local base="$KS_CACHE/kernel/$KERNEL_ARCH" pkg dir lockfd
    mkdir -p "$base"
    exec {lockfd}>"$base/.lock"
    flock "$lockfd"

    pkg=${KEXEC_SUITE_KERNEL_PKG:-}
    if [ -z "$pkg" ]; then
        # One apt-cache call when it resolves (each takes seconds on hosts without a pkgcache).
        if ! pkg=$(ks_resolve_kernel_pkg); then
            pkg=
            if [ "$_ks_foreign" = 1 ] &&
                ! dpkg --print-foreign-architectures | grep -qx "$KERNEL_ARCH"; then
                ks_enable_foreign_arch "$KERNEL_ARCH"
                pkg=$(ks_resolve_kernel_pkg) || pkg=
            fi
            if [ -z "$pkg" ]; then
                ks_log "cannot resolve $_ks_meta; running apt-get update"
                apt-get update -q >&2 || ks_log "apt-get update reported errors (tolerated)"
                pkg=$(ks_resolve_kernel_pkg) || pkg=
            fi
        fi
    fi

    if [ -n "$pkg" ]; then
        dir="$base/${pkg%%:*}"
        if [ ! -e "$dir/.complete" ]; then
            ks_log "downloading $pkg into $dir"
            rm -rf "$dir"
            mkdir -p "$dir/download"
            (cd "$dir/download" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
            local deb
            deb=$(find "$dir/download" -maxdepth 1 -name '*.deb' | head -n 1)
            [ -n "$deb" ] || ks_die "apt-get download $pkg produced no .deb"
            dpkg -x "$deb" "$dir/root.tmp"
            mv "$dir/root.tmp" "$dir/root"
            basename "$deb" >"$dir/.complete"
        fi
    else
        dir=$(ks_newest_cached "$KERNEL_ARCH")
        [ -n "$dir" ] || ks_die "cannot resolve $_ks_meta and no cached kernel for $KERNEL_ARCH"
        ks_log "apt cannot resolve $_ks_meta; using cached $(basename "$dir")"
        pkg=$(basename "$dir")
    fi
    exec {lockfd}>&-

    KERNEL_PKG=$pkg
    KERNEL_ROOT="$dir/root"
    KERNEL_IMAGE=
    local f
    # shellcheck disable=SC2086 # the glob is intended
    for f in "$KERNEL_ROOT"/$_ks_image_glob; do
        if [ -f "$f" ]; then KERNEL_IMAGE=$f; break; fi
    done
    [ -n "$KERNEL_IMAGE" ] || ks_die "no kernel image ($_ks_image_glob) in $KERNEL_ROOT"
    KERNEL_MODULES=$(find "$KERNEL_ROOT/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    KERNEL_VERSION=$(basename "$KERNEL_MODULES")
    KERNEL_CONFIG="$KERNEL_ROOT/boot/config-$KERNEL_VERSION"
    export KERNEL_ARCH KERNEL_PKG KERNEL_VERSION KERNEL_IMAGE KERNEL_MODULES KERNEL_CONFIG KERNEL_ROOT
}

# ks_fetch_deb PKG ARCH: downloads the candidate version of binary package PKG for Debian
# architecture ARCH (foreign architecture added on demand) and unpacks it with dpkg -x into
# $KS_CACHE/deb/ARCH/PKG_VERSION/root; sets DEB_ROOT to that directory. Reuses a completed
# unpack without touching the network; when apt cannot resolve PKG, falls back to the newest
# cached unpack of PKG for ARCH.
ks_fetch_deb() {
    local name=$1 arch=$2 native spec base version dir lockfd deb
    native=$(dpkg --print-architecture)
    spec=$name
    [ "$arch" = "$native" ] || spec="$name:$arch"
    base="$KS_CACHE/deb/$arch"
    mkdir -p "$base"
    exec {lockfd}>"$base/.lock"
    flock "$lockfd"
    _ks_candidate() {
        apt-cache policy "$spec" 2>/dev/null | sed -n 's/^ *Candidate: \([^ ]*\)$/\1/p' |
            grep -vx '(none)' | head -n 1
    }
    version=$(_ks_candidate) || true
    if [ -z "$version" ] && [ "$arch" != "$native" ]; then
        ks_enable_foreign_arch "$arch"
        version=$(_ks_candidate) || true
    fi
    if [ -z "$version" ]; then
        ks_log "cannot resolve $spec; running apt-get update"
        apt-get update -q >&2 || ks_log "apt-get update reported errors (tolerated)"
        version=$(_ks_candidate) || true
    fi
    if [ -n "$version" ]; then
        dir="$base/${name}_${version//:/_}"
        if [ ! -e "$dir/.complete" ]; then
            ks_log "downloading $spec=$version into $dir"
            rm -rf "$dir"
            mkdir -p "$dir/download"
            (cd "$dir/download" &&
                apt-get download -q -o APT::Sandbox::User=root "$spec=$version" >&2)
            deb=$(find "$dir/download" -maxdepth 1 -name '*.deb' | head -n 1)
            [ -n "$deb" ] || ks_die "apt-get download $spec=$version produced no .deb"
            dpkg -x "$deb" "$dir/root.tmp"
            mv "$dir/root.tmp" "$dir/root"
            basename "$deb" >"$dir/.complete"
        fi
    else
        dir=$(find "$base" -mindepth 2 -maxdepth 2 -name .complete -path "$base/${name}_*" \
            -printf '%h\n' 2>/dev/null | sort -V | tail -n 1)
        [ -n "$dir" ] || ks_die "cannot resolve $spec and nothing cached under $base"
        ks_log "apt cannot resolve $spec; using cached $(basename "$dir")"
    fi
    exec {lockfd}>&-
    DEB_ROOT="$dir/root"
}

# ks_fetch_busybox ARCH: sets BUSYBOX to a static busybox for Debian architecture ARCH: the
# host's /bin/busybox (busybox-static, see install-deps.sh) for the native architecture,
# otherwise busybox-static:ARCH fetched with ks_fetch_deb.
ks_fetch_busybox() {
    local arch=${1:-amd64}
    if [ "$arch" = "$(dpkg --print-architecture)" ]; then
        BUSYBOX=/bin/busybox
    else
        ks_fetch_deb busybox-static "$arch"
        BUSYBOX="$DEB_ROOT/bin/busybox"
    fi
    [ -x "$BUSYBOX" ] || ks_die "no busybox at $BUSYBOX"
    export BUSYBOX
}

if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = --busybox ]; then
    ks_fetch_busybox "${2:-amd64}"
    printf 'BUSYBOX=%q\n' "$BUSYBOX"
    exit 0
fi

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    ks_fetch_kernel "${1:-amd64}"
    for v in KERNEL_ARCH KERNEL_PKG KERNEL_VERSION KERNEL_IMAGE KERNEL_MODULES KERNEL_CONFIG \
        KERNEL_ROOT; do
        printf '%s=%q\n' "$v" "${!v}"
    done
fi
