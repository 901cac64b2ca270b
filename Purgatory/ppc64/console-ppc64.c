// SPDX-License-Identifier: Apache-2.0
//
// ppc64 console: the hypervisor's virtual terminal 0 through H_PUT_TERM_CHAR
// (PAPR; qemu pseries and PowerVM map terminal 0 to the first vty). Only used
// when the loader set PPC_OPT_CONSOLE or PPC_OPT_PROGRESS, which it does only
// when the device tree lists "hcall-term" in /rtas/ibm,hypertas-functions: on
// bare metal (OPAL) an hcall would trap.

#include "purgatory-ppc.h"

#define H_SUCCESS 0
#define H_BUSY 1
#define BUSY_RETRIES 100000u

// entry.S: r3 = H_PUT_TERM_CHAR, r4 = terminal, r5 = length, r6/r7 = the
// characters, first one in the most significant byte of r6. Returns r3.
long ppc64_put_term_char(uint64_t terminal, uint64_t length, uint64_t high, uint64_t low);

static void transmit(char c)
{
    uint64_t high = (uint64_t)(uint8_t)c << 56;
    for (uint32_t i = 0; i < BUSY_RETRIES; i++) {
        if (ppc64_put_term_char(0, 1, high, 0) != H_BUSY)
            return;
    }
}

void console_putc(char c)
{
    if (c == '\n')
        transmit('\r');
    transmit(c);
}
