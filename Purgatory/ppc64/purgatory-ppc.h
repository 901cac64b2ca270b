// SPDX-License-Identifier: Apache-2.0
//
// Interfaces of the PowerPC purgatory (ppc64 both byte orders, and ppc32):
// the variables the loader patches, the C part the entry code calls, and the
// console the C part prints on. See Purgatory/ppc64/README.md.

#ifndef PURGATORY_PPC_H
#define PURGATORY_PPC_H

#include "../common/types.h"
#include "../common/regions.h"

// purgatory_options bits (the loader sets them).
#define PPC_OPT_VERIFY   (1u << 0)  // check sha256_regions against sha256_digest
#define PPC_OPT_PROGRESS (1u << 1)  // print progress lines on the console
#define PPC_OPT_CONSOLE  (1u << 2)  // a console exists: print failures on it

#define PPC_STACK_SIZE 16384  // entry.S knows it too

extern struct purgatory_region sha256_regions[PURGATORY_REGION_COUNT];
extern uint8_t sha256_digest[32];
extern uint32_t purgatory_options;
extern uint64_t backup_src;
extern uint64_t backup_dest;
extern uint64_t backup_size;
extern uint64_t kernel_entry;
extern uint64_t device_tree;

// Called by purgatory_start on the private stack with the boot CPU's physical
// id. Returns only when it is safe to enter the next kernel; a failed check
// never returns.
void purgatory_main(uint32_t boot_cpu);

// Spins for good (there is no portable halt in real mode).
PURGATORY_NORETURN void purgatory_spin(void);

// Per architecture: one character on the console (ppc64: the hypervisor's
// virtual terminal through H_PUT_TERM_CHAR; ppc32: none).
void console_putc(char c);

#endif
