// SPDX-License-Identifier: Apache-2.0
//
// x86_64: progress line naming the entry the assembly will take.

#include "../common/purgatory.h"

extern uint64_t entry64_regs[17];   // rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip
extern uint32_t entry32_regs[9];    // eax ebx ecx edx esi edi esp ebp eip

void purgatory_arch_announce(void)
{
    if (purgatory_options & PURGATORY_OPT_ENTER32) {
        serial_puts("purgatory: entering 32-bit protected mode, eip ");
        serial_put_hex32(entry32_regs[8]);
        serial_puts(" esi ");
        serial_put_hex32(entry32_regs[4]);
    } else {
        serial_puts("purgatory: entering 64-bit mode, rip ");
        serial_put_hex64(entry64_regs[16]);
        serial_puts(" rsi ");
        serial_put_hex64(entry64_regs[4]);
    }
    serial_putc('\n');
}
