// SPDX-License-Identifier: Apache-2.0
//
// i386: progress line naming the entry the assembly will take.

#include "../common/purgatory.h"

extern uint32_t entry32_regs[9];    // eax ebx ecx edx esi edi esp ebp eip

void purgatory_arch_announce(void)
{
    serial_puts("purgatory: entering 32-bit protected mode, eip ");
    serial_put_hex32(entry32_regs[8]);
    serial_puts(" esi ");
    serial_put_hex32(entry32_regs[4]);
    serial_putc('\n');
}
