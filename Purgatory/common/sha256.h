// SPDX-License-Identifier: Apache-2.0
//
// SHA-256 (FIPS 180-4), streaming, freestanding, integer-only.

#ifndef PURGATORY_SHA256_H
#define PURGATORY_SHA256_H

#include "types.h"

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64

struct sha256_ctx {
    uint32_t state[8];
    uint64_t total;          // bytes hashed so far
    uint32_t used;           // bytes waiting in block[]
    uint8_t block[SHA256_BLOCK_SIZE];
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, uintptr_t len);
void sha256_final(struct sha256_ctx *ctx, uint8_t digest[SHA256_DIGEST_SIZE]);

#endif
