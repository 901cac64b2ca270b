#!/usr/bin/env bash
# Installs everything the build and the tests need on a Debian 12 machine (as root):
# libelf for the CLibElf target, zstd/lzo/libdeflate for the page codecs, makedumpfile,
# libkdumpfile and dtc as independent judges, binutils/elfutils as independent ELF readers in
# tests, qemu-user to run the ppc64le kexec-apply's checks, and what the VM tests need (qemu, busybox-static, kexec-tools, cpio).
# Idempotent: quick and offline when everything is present.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

pkgs=(libelf-dev pkg-config binutils elfutils qemu-user libzstd-dev liblzo2-dev libdeflate-dev zlib1g-dev
      makedumpfile python3-libkdumpfile device-tree-compiler)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "install-deps: need root to install ${missing[*]}" >&2; exit 1; }
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # A foreign-architecture index may be mid-sync on the mirror; that must not stop us.
    apt-get update -q || echo "install-deps: apt-get update reported errors; continuing" >&2
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
"$here/../Tests/VM/install-deps.sh"
