// SPDX-License-Identifier: Apache-2.0
//
// The few system calls the freestanding host tests need (static, no libc),
// for x86_64 and i386, and their `_start`, which calls test_main. Included by
// one test program each (sha256_test.c, regions_test.c).

#ifndef PURGATORY_TEST_HOST_H
#define PURGATORY_TEST_HOST_H

#include "../common/types.h"

#if defined(__x86_64__)
static long sys3(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}
#define SYS_READ 0
#define SYS_WRITE 1
#define SYS_EXIT 60
__asm__(".globl _start\n_start:\n\tandq $-16, %rsp\n\tcall test_main\n\tud2\n");
#elif defined(__i386__)
static long sys3(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
}
#define SYS_READ 3
#define SYS_WRITE 4
#define SYS_EXIT 1
__asm__(".globl _start\n_start:\n\tandl $-16, %esp\n\tcall test_main\n\tud2\n");
#else
#error "unsupported architecture"
#endif

static __attribute__((noreturn)) void quit(int code)
{
    for (;;)
        sys3(SYS_EXIT, code, 0, 0);
}

// Writes `s` to standard error.
static void say(const char *s)
{
    uintptr_t n = 0;
    while (s[n] != '\0')
        n++;
    sys3(SYS_WRITE, 2, (long)s, (long)n);
}

#endif
