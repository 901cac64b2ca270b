// SPDX-License-Identifier: Apache-2.0
//
// Host test for common/sha256.c, built freestanding and static (no libc) for
// x86_64 and, where the host runs 32-bit binaries, i386, so that the very
// code generation used in purgatory is exercised. Reads all of stdin, hashes
// it in one call, in irregular chunks and byte by byte, checks that the three
// agree and prints the digest in sha256sum's format ("<hex>  -").

#include "../common/sha256.h"
#include "host.h"

#define BUFFER_SIZE (4u << 20)
static uint8_t input[BUFFER_SIZE];

static int same(const uint8_t *a, const uint8_t *b)
{
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

__attribute__((noreturn, used)) void test_main(void)
{
    uintptr_t size = 0;
    for (;;) {
        if (size == BUFFER_SIZE) {
            say("sha256_test: input too large\n");
            quit(2);
        }
        long got = sys3(SYS_READ, 0, (long)(input + size), (long)(BUFFER_SIZE - size));
        if (got < 0) {
            say("sha256_test: read failed\n");
            quit(2);
        }
        if (got == 0)
            break;
        size += (uintptr_t)got;
    }

    struct sha256_ctx ctx;
    uint8_t whole[32], chunked[32], bytewise[32];

    sha256_init(&ctx);
    sha256_update(&ctx, input, size);
    sha256_final(&ctx, whole);

    static const uintptr_t chunk_sizes[] = {1, 63, 64, 65, 0, 3, 55, 56, 57, 127, 128, 4096, 4097, 100000};
    const unsigned chunk_kinds = sizeof chunk_sizes / sizeof chunk_sizes[0];
    sha256_init(&ctx);
    for (uintptr_t done = 0, k = 0; done < size; k++) {
        uintptr_t n = chunk_sizes[k % chunk_kinds];
        if (n > size - done)
            n = size - done;
        sha256_update(&ctx, input + done, n);
        done += n;
    }
    sha256_final(&ctx, chunked);

    sha256_init(&ctx);
    for (uintptr_t i = 0; i < size; i++)
        sha256_update(&ctx, input + i, 1);
    sha256_final(&ctx, bytewise);

    if (!same(whole, chunked) || !same(whole, bytewise)) {
        say("sha256_test: one-shot, chunked and byte-wise digests differ\n");
        quit(1);
    }

    static const char digits[] = "0123456789abcdef";
    char line[64 + 4];
    for (unsigned i = 0; i < 32; i++) {
        line[2 * i] = digits[whole[i] >> 4];
        line[2 * i + 1] = digits[whole[i] & 15];
    }
    line[64] = ' ';
    line[65] = ' ';
    line[66] = '-';
    line[67] = '\n';
    sys3(SYS_WRITE, 1, (long)line, sizeof line);
    quit(0);
}
