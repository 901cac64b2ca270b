// SPDX-License-Identifier: Apache-2.0
//
// The architecture-independent part of purgatory: the variables the loader
// patches, SHA-256 verification of the loaded segments, and the kdump backup copy.

#include "purgatory.h"

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
    struct purgatory_check check;
    enum purgatory_check_status status =
        purgatory_check_regions(sha256_regions, PURGATORY_REGION_COUNT, sha256_digest, &check);

    if (status == PURGATORY_CHECK_UNADDRESSABLE) {
        serial_init();
        serial_puts("purgatory: sha256 region ");
        serial_put_dec(check.count);
        serial_puts(" not addressable, start ");
        serial_put_hex64(sha256_regions[check.count].start);
        serial_puts(" len ");
        serial_put_hex64(sha256_regions[check.count].len);
        serial_puts("; halting\n");
        purgatory_halt();
    }
    if (status == PURGATORY_CHECK_MISMATCH) {
        // Always reported, whatever the progress option says; never returns.
        serial_init();
        serial_puts("purgatory: sha256 digest mismatch over ");
        serial_put_dec(check.count);
        serial_puts(" regions, ");
        serial_put_hex64(check.total);
        serial_puts(" bytes\n");
        serial_puts("purgatory:   expected ");
        serial_put_bytes_hex(sha256_digest, SHA256_DIGEST_SIZE);
        serial_puts("\npurgatory:   computed ");
        serial_put_bytes_hex(check.computed, SHA256_DIGEST_SIZE);
        serial_putc('\n');
        print_regions(check.count);
        serial_puts("purgatory: halting\n");
        purgatory_halt();
    }
    if (progress) {
        serial_puts("purgatory: sha256 ok, ");
        serial_put_dec(check.count);
        serial_puts(" regions, ");
        serial_put_hex64(check.total);
        serial_puts(" bytes\n");
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
        if (!purgatory_addressable(backup_src, backup_size) ||
            !purgatory_addressable(backup_dest, backup_size)) {
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
        purgatory_copy(backup_dest, backup_src, backup_size);
    }

    if (progress)
        purgatory_arch_announce();
}
