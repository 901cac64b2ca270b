// SPDX-License-Identifier: Apache-2.0
//
// User-mode test of common/sha256.c as the PowerPC purgatory builds it
// (ppc64le, big-endian ppc64, ppc32), run under qemu-user by
// Scripts/generate-purgatory.sh. Static and freestanding: raw `sc` system
// calls, no libc. Reads stdin (up to 4 MiB), hashes it whole, in uneven
// pieces and byte by byte, exits 3 if the three disagree, and prints the
// digest as sha256sum does ("<hex>  -").

#include "../../common/sha256.h"

#define INPUT_LIMIT (4u << 20)
#define NR_EXIT 1
#define NR_READ 3
#define NR_WRITE 4

static uint8_t input[INPUT_LIMIT];

// Linux/powerpc: r0 = number, r3.. = arguments, result in r3 (errors set
// cr0.SO; callers here only look at the sign of the count).
static long syscall3(long number, long a, long b, long c)
{
    register long r0 __asm__("r0") = number;
    register long r3 __asm__("r3") = a;
    register long r4 __asm__("r4") = b;
    register long r5 __asm__("r5") = c;
    __asm__ volatile("sc\n\tbns+ 1f\n\tneg %1, %1\n1:"
                     : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5)
                     :
                     : "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cr0", "ctr", "memory");
    return r3;
}

static PURGATORY_NORETURN void leave(int code)
{
    for (;;)
        syscall3(NR_EXIT, code, 0, 0);
}

static int equal(const uint8_t *a, const uint8_t *b)
{
    uint8_t difference = 0;
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
        difference |= (uint8_t)(a[i] ^ b[i]);
    return difference == 0;
}

void test_main(void);
void test_main(void)
{
    uintptr_t length = 0;
    for (;;) {
        long got = syscall3(NR_READ, 0, (long)(input + length), (long)(INPUT_LIMIT - length));
        if (got < 0)
            leave(2);
        if (got == 0)
            break;
        length += (uintptr_t)got;
        if (length == INPUT_LIMIT)
            leave(2);  // more than the test inputs need
    }

    struct sha256_ctx ctx;
    uint8_t whole[SHA256_DIGEST_SIZE], pieces[SHA256_DIGEST_SIZE], bytes[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, input, length);
    sha256_final(&ctx, whole);

    sha256_init(&ctx);
    uintptr_t offset = 0, step = 1;
    while (offset < length) {
        uintptr_t n = length - offset < step ? length - offset : step;
        sha256_update(&ctx, input + offset, n);
        offset += n;
        step = step * 7 % 131 + 1;
    }
    sha256_final(&ctx, pieces);

    sha256_init(&ctx);
    for (uintptr_t i = 0; i < length; i++)
        sha256_update(&ctx, input + i, 1);
    sha256_final(&ctx, bytes);

    if (!equal(whole, pieces) || !equal(whole, bytes))
        leave(3);

    char line[SHA256_DIGEST_SIZE * 2 + 3];
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++) {
        line[2 * i] = "0123456789abcdef"[whole[i] >> 4];
        line[2 * i + 1] = "0123456789abcdef"[whole[i] & 0xf];
    }
    line[64] = ' ';
    line[65] = ' ';
    line[66] = '-';
    syscall3(NR_WRITE, 1, (long)line, 67);
    syscall3(NR_WRITE, 1, (long)"\n", 1);
    leave(0);
}

// The entry point: a stack frame below the one the kernel gives, then C.
#if defined(__powerpc64__)
__asm__(".globl _start\n_start:\n"
        "\tbcl 20,31,1f\n1:\tmflr 12\n"
        "\taddis 2,12,(.TOC.-1b)@ha\n\taddi 2,2,(.TOC.-1b)@l\n"
        "\tclrrdi 1,1,4\n\tli 0,0\n\tstdu 0,-64(1)\n"
        "\tbl test_main\n\tnop\n\ttrap\n");
#else
__asm__(".globl _start\n_start:\n"
        "\tclrrwi 1,1,4\n\tli 0,0\n\tstwu 0,-16(1)\n"
        "\tbl test_main\n\ttrap\n");
#endif
