// SPDX-License-Identifier: Apache-2.0
//
// Interfaces shared by the purgatory's C files and its per-architecture entry code.

#ifndef PURGATORY_H
#define PURGATORY_H

#include "types.h"
#include "regions.h"

// purgatory_options bits (the loader sets them).
#define PURGATORY_OPT_VERIFY   (1u << 0)  // check sha256_regions against sha256_digest
#define PURGATORY_OPT_PROGRESS (1u << 1)  // print progress lines on COM1
#define PURGATORY_OPT_ENTER32  (1u << 2)  // x86_64 only: enter the next kernel in 32-bit mode

extern struct purgatory_region sha256_regions[PURGATORY_REGION_COUNT];
extern uint8_t sha256_digest[32];
extern uint32_t purgatory_options;
extern uint64_t backup_src;
extern uint64_t backup_dest;
extern uint64_t backup_size;

// Called by purgatory_start on the private stack. Returns only when it is safe
// to enter the next kernel; a failed check never returns.
void purgatory_main(void);

// Per architecture (x86_64/arch.c, i386/arch.c): print where the next kernel
// will be entered (only called with the progress option set).
void purgatory_arch_announce(void);

PURGATORY_NORETURN void purgatory_halt(void);

// COM1, 8250/16550 UART.
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
void serial_put_hex32(uint32_t v);
void serial_put_hex64(uint64_t v);
void serial_put_dec(uint32_t v);
void serial_put_bytes_hex(const uint8_t *p, unsigned n);

#endif
