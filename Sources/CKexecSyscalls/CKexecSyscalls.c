// C shim for the kexec system calls: see include/CKexecSyscalls.h.
#include "CKexecSyscalls.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

int ckexec_kexec_load(uint64_t entry, uint64_t nr_segments, const void *segments, uint64_t flags) {
#ifdef SYS_kexec_load
    long rc = syscall(SYS_kexec_load, (unsigned long)entry, (unsigned long)nr_segments,
                      segments, (unsigned long)flags);
    return rc == 0 ? 0 : errno;
#else
    (void)entry; (void)nr_segments; (void)segments; (void)flags;
    return ENOSYS;
#endif
}

int ckexec_kexec_file_load(int kernel_fd, int initrd_fd, uint64_t cmdline_len, const char *cmdline, uint64_t flags) {
#ifdef SYS_kexec_file_load
    long rc = syscall(SYS_kexec_file_load, kernel_fd, initrd_fd, (unsigned long)cmdline_len,
                      cmdline, (unsigned long)flags);
    return rc == 0 ? 0 : errno;
#else
    (void)kernel_fd; (void)initrd_fd; (void)cmdline_len; (void)cmdline; (void)flags;
    return ENOSYS;
#endif
}

int ckexec_reboot(uint32_t magic1, uint32_t magic2, uint32_t cmd) {
    long rc = syscall(SYS_reboot, magic1, magic2, cmd, (void *)0);
    return rc == 0 ? 0 : errno;
}

void ckexec_sync(void) {
    sync();
}
