#!/usr/bin/env bash
# Install what the VM tests need on a Debian 12 host (run as root). Idempotent: does nothing
# (and needs no network) when everything is already installed.
set -euo pipefail

pkgs=(qemu-system-x86 qemu-system-ppc busybox-static kexec-tools cpio)
missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all present (${pkgs[*]})"
    exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-deps: need root to install ${missing[*]}" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
apt-get update -q || echo "install-deps: apt-get update reported errors; continuing" >&2
apt-get install -y -q --no-install-recommends "${missing[@]}"
