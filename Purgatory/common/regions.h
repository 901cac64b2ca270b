// SPDX-License-Identifier: Apache-2.0
//
// The check of the loaded segments, shared by the x86 purgatory
// (common/purgatory.c) and the PowerPC one (ppc64/purgatory-ppc.c): hash the
// loader's region list in order and compare with the loader's digest. Each
// caller reports the outcome on its own console and decides how to stop.

#ifndef PURGATORY_REGIONS_H
#define PURGATORY_REGIONS_H

#include "types.h"
#include "sha256.h"

#define PURGATORY_REGION_COUNT 16

struct purgatory_region {
    uint64_t start;  // physical address
    uint64_t len;    // bytes; 0 ends the list
};

// True when [start, start + len) is addressable through a pointer on this
// architecture: on 32-bit targets (i386, ppc32) it must end at or below 4 GiB;
// on 64-bit ones it must not wrap. len must not be 0.
static inline int purgatory_addressable(uint64_t start, uint64_t len)
{
    uint64_t limit = (uintptr_t)-1;
    return start <= limit && len - 1 <= limit - start;
}

// Copies size bytes from src to dest (physical addresses, addressable, not
// overlapping): eight bytes at a time while both ends are aligned, then bytes.
// The kdump backup of low memory into the crash region, on every architecture.
// volatile keeps the compiler from turning the loop into a memcpy call: there
// is no libc here.
static inline void purgatory_copy(uint64_t dest, uint64_t src, uint64_t size)
{
    volatile uint8_t *d = (volatile uint8_t *)(uintptr_t)dest;
    const volatile uint8_t *s = (const volatile uint8_t *)(uintptr_t)src;
    uintptr_t n = (uintptr_t)size;

    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        while (n >= 8) {
            *(volatile uint64_t *)(volatile void *)d = *(const volatile uint64_t *)(const volatile void *)s;
            d += 8;
            s += 8;
            n -= 8;
        }
    }
    while (n != 0) {
        *d++ = *s++;
        n--;
    }
}

enum purgatory_check_status {
    PURGATORY_CHECK_OK,             // the regions hash to the expected digest
    PURGATORY_CHECK_MISMATCH,       // they do not
    PURGATORY_CHECK_UNADDRESSABLE,  // region `count` is not addressable; nothing after it was hashed
};

struct purgatory_check {
    unsigned count;   // regions hashed (OK, MISMATCH), or the unaddressable region's index
    uint64_t total;   // bytes hashed
    uint8_t computed[SHA256_DIGEST_SIZE];  // the digest (OK, MISMATCH)
};

// Hashes regions[0 .. max) up to the first one with len == 0, in order, and
// compares the digest with `expected` (without an early exit). Fills `result`.
enum purgatory_check_status purgatory_check_regions(const struct purgatory_region *regions, unsigned max,
                                                    const uint8_t expected[SHA256_DIGEST_SIZE],
                                                    struct purgatory_check *result);

#endif
