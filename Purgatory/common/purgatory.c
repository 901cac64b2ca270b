// SPDX-License-Identifier: Apache-2.0
//
// The architecture-independent part of purgatory: the variables the loader
// patches, SHA-256 verification of the loaded segments, and the kdump backup copy.

#include "purgatory.h"
#include "sha256.h"

// Patched by the loader (by symbol name). Initialised and forced into .data.
struct purgatory_region sha256_regions[PURGATORY_REGION_COUNT] PURGATORY_PATCHED = {{0, 0}};
uint8_t sha256_digest[32] PURGATORY_PATCHED = {0};
uint32_t purgatory_options PURGATORY_PATCHED = 0;
uint64_t backup_src PURGATORY_PATCHED = 0;
uint64_t backup_dest PURGATORY_PATCHED = 0;
uint64_t backup_size PURGATORY_PATCHED = 0;

void purgatory_halt(void)
{
    for (;;)
        __asm__ volatile("cli; hlt" : : : "memory");
}

// True when [start, start + len) is addressable by a pointer on this
// architecture (on i386 it must end at or below 4 GiB; on x86_64 not wrap).
static int region_addressable(uint64_t start, uint64_t len)
{
    uint64_t limit = (uintptr_t)-1;
    return start <= limit && len - 1 <= limit - start;
}

static void print_regions(unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        serial_puts("purgatory:   region ");
        serial_put_dec(i);
        serial_puts(" start ");
        serial_put_hex64(sha256_regions[i].start);
        serial_puts(" len ");
        serial_put_hex64(sha256_regions[i].len);
        serial_putc('\n');
    }
}

static void verify(int progress)
{
    struct sha256_ctx ctx;
    uint8_t computed[SHA256_DIGEST_SIZE];
    unsigned count = 0;
    uint64_t total = 0;

    sha256_init(&ctx);
    for (; count < PURGATORY_REGION_COUNT; count++) {
        uint64_t start = sha256_regions[count].start;
        uint64_t len = sha256_regions[count].len;
        if (len == 0)
            break;
        if (!region_addressable(start, len)) {
            serial_init();
            serial_puts("purgatory: sha256 region ");
            serial_put_dec(count);
            serial_puts(" not addressable, start ");
            serial_put_hex64(start);
            serial_puts(" len ");
            serial_put_hex64(len);
            serial_puts("; halting\n");
            purgatory_halt();
        }
        sha256_update(&ctx, (const void *)(uintptr_t)start, (uintptr_t)len);
        total += len;
    }
    sha256_final(&ctx, computed);

    uint8_t difference = 0;
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
        difference |= (uint8_t)(computed[i] ^ sha256_digest[i]);

    if (difference != 0) {
        // Always reported, whatever the progress option says; never returns.
        serial_init();
        serial_puts("purgatory: sha256 digest mismatch over ");
        serial_put_dec(count);
        serial_puts(" regions, ");
        serial_put_hex64(total);
        serial_puts(" bytes\n");
        serial_puts("purgatory:   expected ");
        serial_put_bytes_hex(sha256_digest, SHA256_DIGEST_SIZE);
        serial_puts("\npurgatory:   computed ");
        serial_put_bytes_hex(computed, SHA256_DIGEST_SIZE);
        serial_putc('\n');
        print_regions(count);
        serial_puts("purgatory: halting\n");
        purgatory_halt();
    }
    if (progress) {
        serial_puts("purgatory: sha256 ok, ");
        serial_put_dec(count);
        serial_puts(" regions, ");
        serial_put_hex64(total);
        serial_puts(" bytes\n");
    }
}

// Plain forward copy, eight bytes at a time while both ends are aligned, then
// bytes. The kdump backup source (low memory) and destination (inside the crash
// region) never overlap.
static void backup_copy(uint64_t dest, uint64_t src, uint64_t size)
{
    uint8_t *d = (uint8_t *)(uintptr_t)dest;
    const uint8_t *s = (const uint8_t *)(uintptr_t)src;
    uintptr_t n = (uintptr_t)size;

    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        while (n >= 8) {
            *(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
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

void purgatory_main(void)
{
    uint32_t options = purgatory_options;
    int progress = (options & PURGATORY_OPT_PROGRESS) != 0;

    if (progress) {
        serial_init();
        serial_puts("purgatory: started\n");
    }

    if (options & PURGATORY_OPT_VERIFY)
        verify(progress);
    else if (progress)
        serial_puts("purgatory: sha256 check skipped\n");

    if (backup_size != 0) {
        if (!region_addressable(backup_src, backup_size) ||
            !region_addressable(backup_dest, backup_size)) {
            serial_init();
            serial_puts("purgatory: backup region not addressable; halting\n");
            purgatory_halt();
        }
        if (progress) {
            serial_puts("purgatory: backup ");
            serial_put_hex64(backup_size);
            serial_puts(" bytes from ");
            serial_put_hex64(backup_src);
            serial_puts(" to ");
            serial_put_hex64(backup_dest);
            serial_putc('\n');
        }
        backup_copy(backup_dest, backup_src, backup_size);
    }

    if (progress)
        purgatory_arch_announce();
}
