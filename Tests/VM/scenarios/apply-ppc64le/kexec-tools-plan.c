// SPDX-License-Identifier: Apache-2.0
// LD_PRELOAD shim for Debian's ppc64el kexec-tools run on the host under qemu-user
// (qemu-ppc64le -L ROOT -E LD_PRELOAD=this.so -E KEXEC_PLAN_OUT=FILE kexec -l ...): kexec-tools
// calls kexec_load through libc's syscall(); this syscall() writes the segments it was given
// as a kexec plan file (docs/plan-file.md, version 1, machine 21, little-endian) to
// $KEXEC_PLAN_OUT and returns 0 instead of loading anything. Every other system call made
// through syscall() is passed to the kernel (qemu) unchanged. With -L ROOT, qemu-user serves
// ROOT/proc/device-tree etc. in place of the host's files, so kexec-tools plans for a collected
// guest tree. The result is a reference plan made by kexec-tools' own ppc64 loader, purgatory
// and device-tree code (apply-ppc64le's KS_PPC_ARM_WITH=kexec-tools-plan).
//
// Build: clang --target=powerpc64le-linux-gnu -shared -fPIC -nostdlib -O2 -o shim.so this.c
// No headers: the few libc functions used are resolved from libc.so.6 at run time.

typedef unsigned long u64;
typedef unsigned int u32;

extern char *getenv(const char *name);
extern int open(const char *path, int flags, ...);
extern long write(int fd, const void *buf, unsigned long n);
extern int close(int fd);
extern int *__errno_location(void);

#define NR_KEXEC_LOAD 268
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000
#define MAX_SEGMENTS 16

struct kexec_segment {
    const void *buf;
    u64 bufsz;
    u64 mem;
    u64 memsz;
};

static long raw_syscall(long n, long a1, long a2, long a3, long a4, long a5, long a6) {
    register long r0 __asm__("r0") = n;
    register long r3 __asm__("r3") = a1;
    register long r4 __asm__("r4") = a2;
    register long r5 __asm__("r5") = a3;
    register long r6 __asm__("r6") = a4;
    register long r7 __asm__("r7") = a5;
    register long r8 __asm__("r8") = a6;
    long cr;
    __asm__ volatile("sc\n\tmfcr %0"
                     : "=r"(cr), "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "+r"(r7),
                       "+r"(r8)
                     :
                     : "r9", "r10", "r11", "r12", "cr0", "ctr", "xer", "memory");
    if (cr & 0x10000000) { // CR0.SO: r3 holds a positive errno
        *__errno_location() = (int)r3;
        return -1;
    }
    return r3;
}

static int put(int fd, const void *p, u64 n) {
    const char *c = p;
    while (n > 0) {
        long w = write(fd, c, n);
        if (w <= 0) return -1;
        c += w;
        n -= (u64)w;
    }
    return 0;
}

static void le64(unsigned char *p, u64 v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void le32(unsigned char *p, u32 v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static long write_plan(u64 entry, u64 count, const struct kexec_segment *seg, u64 flags) {
    const char *out = getenv("KEXEC_PLAN_OUT");
    if (!out || count < 1 || count > MAX_SEGMENTS) {
        *__errno_location() = 22; // EINVAL
        return -1;
    }
    unsigned char head[64 + 32 * MAX_SEGMENTS];
    unsigned char *d = head;
    for (unsigned i = 0; i < sizeof head; i++) head[i] = 0;
    u64 off = 64 + 32 * count, offs[MAX_SEGMENTS];
    for (u64 i = 0; i < count; i++) {
        off = (off + 7) & ~7ul;
        offs[i] = off;
        off += seg[i].bufsz;
    }
    const char magic[8] = {'K', 'X', 'P', 'L', 'A', 'N', '0', '1'};
    for (int i = 0; i < 8; i++) d[i] = (unsigned char)magic[i];
    le32(d + 8, 1);
    le32(d + 12, 64);
    le32(d + 16, 21);
    le64(d + 24, flags);
    le32(d + 32, (u32)count);
    le32(d + 36, 0x01020304);
    le64(d + 40, entry);
    le64(d + 48, off);
    for (u64 i = 0; i < count; i++) {
        unsigned char *s = d + 64 + 32 * i;
        le64(s, seg[i].mem);
        le64(s + 8, seg[i].memsz);
        le64(s + 16, offs[i]);
        le64(s + 24, seg[i].bufsz);
    }
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    u64 pos = 64 + 32 * count;
    static const unsigned char zero[8];
    if (put(fd, head, pos) != 0) goto fail;
    for (u64 i = 0; i < count; i++) {
        if (put(fd, zero, offs[i] - pos) != 0) goto fail;
        if (seg[i].bufsz && put(fd, seg[i].buf, seg[i].bufsz) != 0) goto fail;
        pos = offs[i] + seg[i].bufsz;
    }
    close(fd);
    return 0;
fail:
    close(fd);
    *__errno_location() = 5; // EIO
    return -1;
}

// ELFv2 passes a variadic call's first eight arguments in r3-r10 as for a prototyped call.
long syscall(long n, long a1, long a2, long a3, long a4, long a5, long a6) {
    if (n == NR_KEXEC_LOAD)
        return write_plan((u64)a1, (u64)a2, (const struct kexec_segment *)a3, (u64)a4);
    return raw_syscall(n, a1, a2, a3, a4, a5, a6);
}
