// SPDX-License-Identifier: Apache-2.0
//
// The C part of the PowerPC purgatory (ppc64 in both byte orders, ppc32): the
// variables the loader patches, the SHA-256 check of the loaded segments
// (common/regions.c, common/sha256.c) and the kdump backup copy. The entry code
// (ppc64/entry.S, ppc32/entry.S) runs this on its own stack, in real mode, and
// enters the next kernel when it returns.

#include "purgatory-ppc.h"

// Patched by the loader (by symbol name, in the target's byte order). Every
// one is initialised and forced into .data so it has bytes to patch.
struct purgatory_region sha256_regions[PURGATORY_REGION_COUNT] PURGATORY_PATCHED = {{0, 0}};
uint8_t sha256_digest[32] PURGATORY_PATCHED = {0};
uint32_t purgatory_options PURGATORY_PATCHED = 0;
uint64_t backup_src PURGATORY_PATCHED = 0;
uint64_t backup_dest PURGATORY_PATCHED = 0;
uint64_t backup_size PURGATORY_PATCHED = 0;
uint64_t kernel_entry PURGATORY_PATCHED = 0;
uint64_t device_tree PURGATORY_PATCHED = 0;

// The stack the entry code switches to (never patched, so .bss is fine).
uint8_t purgatory_stack[PPC_STACK_SIZE] __attribute__((aligned(16)));

void purgatory_spin(void)
{
    for (;;)
        __asm__ volatile("or 1,1,1" : : : "memory");  // lowest SMT priority, forever
}

static void put_string(const char *s)
{
    while (*s != '\0')
        console_putc(*s++);
}

static void put_hex64(uint64_t v)
{
    put_string("0x");
    for (int shift = 60; shift >= 0; shift -= 4)
        console_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void put_dec(uint32_t v)
{
    char digits[10];
    unsigned n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && n < sizeof(digits));
    while (n != 0)
        console_putc(digits[--n]);
}

static void put_bytes_hex(const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        console_putc("0123456789abcdef"[p[i] >> 4]);
        console_putc("0123456789abcdef"[p[i] & 0xf]);
    }
}

static PURGATORY_NORETURN void fail(int console)
{
    if (console)
        put_string("purgatory: halting\n");
    purgatory_spin();
}

static void verify(uint32_t options)
{
    int console = (options & (PPC_OPT_CONSOLE | PPC_OPT_PROGRESS)) != 0;
    struct purgatory_check check;
    enum purgatory_check_status status =
        purgatory_check_regions(sha256_regions, PURGATORY_REGION_COUNT, sha256_digest, &check);

    if (status == PURGATORY_CHECK_UNADDRESSABLE) {
        if (console) {
            put_string("purgatory: sha256 region ");
            put_dec(check.count);
            put_string(" not addressable, start ");
            put_hex64(sha256_regions[check.count].start);
            put_string(" len ");
            put_hex64(sha256_regions[check.count].len);
            console_putc('\n');
        }
        fail(console);
    }
    if (status == PURGATORY_CHECK_MISMATCH) {
        if (console) {
            put_string("purgatory: sha256 digest mismatch over ");
            put_dec(check.count);
            put_string(" regions, ");
            put_hex64(check.total);
            put_string(" bytes\npurgatory:   expected ");
            put_bytes_hex(sha256_digest, SHA256_DIGEST_SIZE);
            put_string("\npurgatory:   computed ");
            put_bytes_hex(check.computed, SHA256_DIGEST_SIZE);
            console_putc('\n');
            for (unsigned i = 0; i < check.count; i++) {
                put_string("purgatory:   region ");
                put_dec(i);
                put_string(" start ");
                put_hex64(sha256_regions[i].start);
                put_string(" len ");
                put_hex64(sha256_regions[i].len);
                console_putc('\n');
            }
        }
        fail(console);
    }
    if (options & PPC_OPT_PROGRESS) {
        put_string("purgatory: sha256 ok, ");
        put_dec(check.count);
        put_string(" regions, ");
        put_hex64(check.total);
        put_string(" bytes\n");
    }
}

void purgatory_main(uint32_t boot_cpu)
{
    uint32_t options = purgatory_options;
    int progress = (options & PPC_OPT_PROGRESS) != 0;

    if (progress) {
        put_string("\npurgatory: started on cpu ");
        put_dec(boot_cpu);
        console_putc('\n');
    }

    if (options & PPC_OPT_VERIFY)
        verify(options);
    else if (progress)
        put_string("purgatory: sha256 check skipped\n");

    if (backup_size != 0) {
        if (!purgatory_addressable(backup_src, backup_size) || !purgatory_addressable(backup_dest, backup_size)) {
            if (options & (PPC_OPT_CONSOLE | PPC_OPT_PROGRESS))
                put_string("purgatory: backup region not addressable\n");
            fail((options & (PPC_OPT_CONSOLE | PPC_OPT_PROGRESS)) != 0);
        }
        if (progress) {
            put_string("purgatory: backup ");
            put_hex64(backup_size);
            put_string(" bytes from ");
            put_hex64(backup_src);
            put_string(" to ");
            put_hex64(backup_dest);
            console_putc('\n');
        }
        purgatory_copy(backup_dest, backup_src, backup_size);
    }

    if (progress) {
        put_string("purgatory: entering the kernel at ");
        put_hex64(kernel_entry);
        put_string(", device tree at ");
        put_hex64(device_tree);
        console_putc('\n');
    }
}
