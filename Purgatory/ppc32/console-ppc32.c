// SPDX-License-Identifier: Apache-2.0
//
// ppc32 console: none. The 32-bit boards kexec runs on have no console
// purgatory could reach without knowing the board, so messages are dropped and
// a failed check just spins (the loader never sets the console options here).

#include "../ppc64/purgatory-ppc.h"

void console_putc(char c)
{
    (void)c;
}
