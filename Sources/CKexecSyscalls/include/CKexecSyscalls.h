// C shim for the kexec system calls.
//
// syscall(2) is variadic and cannot be called from Swift, so each call the suite
// makes has a small fixed-signature wrapper here. Every wrapper returns 0 on
// success or the positive errno value on failure; none of them touches errno's
// meaning beyond that.
#ifndef KEXEC_SUITE_CKEXEC_SYSCALLS_H
#define KEXEC_SUITE_CKEXEC_SYSCALLS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// kexec_load(entry, nr_segments, segments, flags). `segments` points at an
/// array of `struct kexec_segment` in the caller's native layout.
int ckexec_kexec_load(uint64_t entry, uint64_t nr_segments, const void *segments, uint64_t flags);

/// kexec_file_load(kernel_fd, initrd_fd, cmdline_len, cmdline, flags).
/// Returns ENOSYS where the architecture has no such system call.
int ckexec_kexec_file_load(int kernel_fd, int initrd_fd, uint64_t cmdline_len, const char *cmdline, uint64_t flags);

/// reboot(magic1, magic2, cmd, NULL) through the raw system call.
int ckexec_reboot(uint32_t magic1, uint32_t magic2, uint32_t cmd);

/// sync(2), flushing file systems before a kexec reboot.
void ckexec_sync(void);

#ifdef __cplusplus
}
#endif

#endif
