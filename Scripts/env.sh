# Sourced by the scripts: puts the Swift toolchain on PATH and marks live kexec
# system calls as forbidden on this host (the tools then answer EPERM instead of
# loading or rebooting anything). Real kexec happens only inside qemu guests.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
export KEXEC_SUITE_FORBID_LIVE=1
