// SPDX-License-Identifier: Apache-2.0
//
// Host test for common/regions.c (the segment check both the x86 and the
// PowerPC purgatory call), built freestanding and static like sha256_test.c,
// for x86_64 and, where the host runs it, i386. The expected digests come from
// sha256.c itself, which sha256_test.c checks against sha256sum. Prints the
// number of checks on success; names the failing check and exits 1 otherwise.

#include "../common/regions.h"
#include "host.h"

static unsigned checks;

static void expect(int condition, const char *what)
{
    checks++;
    if (!condition) {
        say("regions_test: failed: ");
        say(what);
        say("\n");
        quit(1);
    }
}

static int same(const uint8_t *a, const uint8_t *b)
{
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static uint8_t a[100], b[3], c[4097];

static uint64_t at(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

// The digest of the first `n` of a, b, c (in that order), in one stream.
static void digest_of(unsigned n, uint8_t out[SHA256_DIGEST_SIZE])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    if (n > 0)
        sha256_update(&ctx, a, sizeof a);
    if (n > 1)
        sha256_update(&ctx, b, sizeof b);
    if (n > 2)
        sha256_update(&ctx, c, sizeof c);
    sha256_final(&ctx, out);
}

static void put_dec(unsigned v)
{
    char digits[12];
    unsigned n = sizeof digits - 1;
    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    say(digits + n);
}

__attribute__((noreturn, used)) void test_main(void)
{
    for (unsigned i = 0; i < sizeof a; i++)
        a[i] = (uint8_t)(i * 7 + 1);
    b[0] = 0xff, b[1] = 0x00, b[2] = 0x5a;
    for (unsigned i = 0; i < sizeof c; i++)
        c[i] = (uint8_t)(i ^ (i >> 8));

    uint8_t expected[SHA256_DIGEST_SIZE], one[SHA256_DIGEST_SIZE], two[SHA256_DIGEST_SIZE];
    digest_of(3, expected);
    digest_of(1, one);
    digest_of(2, two);
    struct purgatory_check check;

    // All three regions, the list ended by len == 0 before the limit.
    static struct purgatory_region three[PURGATORY_REGION_COUNT];  // zero: len 0 from [3] on
    three[0] = (struct purgatory_region){at(a), sizeof a};
    three[1] = (struct purgatory_region){at(b), sizeof b};
    three[2] = (struct purgatory_region){at(c), sizeof c};
    expect(purgatory_check_regions(three, PURGATORY_REGION_COUNT, expected, &check) == PURGATORY_CHECK_OK,
           "three regions match");
    expect(check.count == 3 && check.total == sizeof a + sizeof b + sizeof c, "three regions: count and total");
    expect(same(check.computed, expected), "three regions: computed digest");

    // One expected byte off: a mismatch that still reports what was hashed.
    uint8_t wrong[SHA256_DIGEST_SIZE];
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
        wrong[i] = expected[i];
    wrong[SHA256_DIGEST_SIZE - 1] ^= 0x01;
    expect(purgatory_check_regions(three, PURGATORY_REGION_COUNT, wrong, &check) == PURGATORY_CHECK_MISMATCH,
           "one digest bit off is a mismatch");
    expect(check.count == 3 && check.total == sizeof a + sizeof b + sizeof c && same(check.computed, expected),
           "mismatch: count, total and computed digest");

    // A zero length ends the list even when regions follow it.
    struct purgatory_region gap[3] = {{at(a), sizeof a}, {at(b), 0}, {at(c), sizeof c}};
    expect(purgatory_check_regions(gap, 3, one, &check) == PURGATORY_CHECK_OK, "len 0 ends the list");
    expect(check.count == 1 && check.total == sizeof a, "len 0 ends the list: count and total");

    // The limit ends the list without a terminator (entries past it are not read).
    struct purgatory_region full[3] = {{at(a), sizeof a}, {at(b), sizeof b}, {~(uint64_t)0, 2}};
    expect(purgatory_check_regions(full, 2, two, &check) == PURGATORY_CHECK_OK, "the limit ends the list");
    expect(check.count == 2 && check.total == sizeof a + sizeof b, "the limit: count and total");

    // An empty list: the digest of nothing.
    static const uint8_t empty[SHA256_DIGEST_SIZE] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
        0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
    };
    struct purgatory_region none[1] = {{at(a), 0}};
    expect(purgatory_check_regions(none, 1, empty, &check) == PURGATORY_CHECK_OK, "empty list");
    expect(check.count == 0 && check.total == 0, "empty list: count and total");
    expect(purgatory_check_regions(none, 0, empty, &check) == PURGATORY_CHECK_OK, "limit 0");

    // A region that wraps the address space is refused before anything after it
    // is hashed; count names it.
    struct purgatory_region wraps[3] = {{at(a), sizeof a}, {~(uint64_t)0 - 3, 8}, {at(b), sizeof b}};
    expect(purgatory_check_regions(wraps, 3, expected, &check) == PURGATORY_CHECK_UNADDRESSABLE,
           "a wrapping region is unaddressable");
    expect(check.count == 1 && check.total == sizeof a, "unaddressable: index and bytes hashed before it");

    // Addressability at the top of the pointer range.
    uint64_t top = (uintptr_t)-1;
    expect(purgatory_addressable(top, 1), "the last byte is addressable");
    expect(!purgatory_addressable(top, 2), "past the last byte is not");
    expect(purgatory_addressable(1, top), "a range ending at the last byte is addressable");
    expect(!purgatory_addressable(2, top), "one byte further is not");
#if defined(__i386__)
    // i386 (and ppc32): nothing at or above 4 GiB, nor reaching it.
    expect(!purgatory_addressable(0x100000000ull, 16), "i386: above 4 GiB");
    expect(!purgatory_addressable(0xfffffff0ull, 0x20), "i386: crossing 4 GiB");
    expect(purgatory_addressable(0xfffffff0ull, 0x10), "i386: ending at 4 GiB");
    struct purgatory_region high[2] = {{at(a), sizeof a}, {0x100000000ull, 16}};
    expect(purgatory_check_regions(high, 2, one, &check) == PURGATORY_CHECK_UNADDRESSABLE && check.count == 1,
           "i386: a region above 4 GiB is unaddressable");
#endif

    say("regions_test: ");
    put_dec(checks);
    say(" checks passed\n");
    quit(0);
}
