// SPDX-License-Identifier: Apache-2.0
//
// The check of the loaded segments (see regions.h), for every architecture.

#include "regions.h"

enum purgatory_check_status purgatory_check_regions(const struct purgatory_region *regions, unsigned max,
                                                    const uint8_t expected[SHA256_DIGEST_SIZE],
                                                    struct purgatory_check *result)
{
    struct sha256_ctx ctx;
    unsigned count = 0;
    uint64_t total = 0;

    sha256_init(&ctx);
    for (; count < max; count++) {
        uint64_t start = regions[count].start;
        uint64_t len = regions[count].len;
        if (len == 0)
            break;
        if (!purgatory_addressable(start, len)) {
            result->count = count;
            result->total = total;
            return PURGATORY_CHECK_UNADDRESSABLE;
        }
        sha256_update(&ctx, (const void *)(uintptr_t)start, (uintptr_t)len);
        total += len;
    }
    sha256_final(&ctx, result->computed);
    result->count = count;
    result->total = total;

    uint8_t difference = 0;
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
        difference |= (uint8_t)(result->computed[i] ^ expected[i]);
    return difference == 0 ? PURGATORY_CHECK_OK : PURGATORY_CHECK_MISMATCH;
}
