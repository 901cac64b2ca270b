// SPDX-License-Identifier: Apache-2.0
//
// kexec-apply, powerpc64le (ELFv2): process entry and the one system-call gate.
//
// The kernel starts _start with r1 pointing at argc, followed by the argv
// pointers, a NULL, the envp pointers and a NULL. The TOC pointer (r2) is not
// set, so _start computes it from its own address, gives the C code a minimal
// stack frame with a zero back chain, calls ka_main(argc, argv, envp) and ends
// with exit(status).

    .abiversion 2
    .text
    .globl  _start
    .type   _start, @function
_start:
    bl      1f
1:  mflr    12                          // r12 = address of 1b
    addis   2, 12, (.TOC. - 1b)@ha
    addi    2, 2, (.TOC. - 1b)@l
    ld      3, 0(1)                     // argc
    addi    4, 1, 8                     // argv
    sldi    5, 3, 3
    add     5, 5, 4
    addi    5, 5, 8                     // envp = argv + argc + 1
    clrrdi  1, 1, 4                     // 16-byte aligned stack
    li      0, 0
    stdu    0, -32(1)                   // minimal frame, back chain NULL
    bl      ka_main
    nop
    li      0, 1                        // exit
    sc
    b       .                           // not reached
    .size   _start, . - _start

// long ka_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
// The kernel takes nr in r0 and the arguments in r3..r8 and reports an error
// by setting CR0.SO with the positive errno in r3; this returns -errno then,
// like the x86 gates. The function uses no TOC, so it has one entry point.
    .globl  ka_syscall
    .type   ka_syscall, @function
ka_syscall:
    mr      0, 3
    mr      3, 4
    mr      4, 5
    mr      5, 6
    mr      6, 7
    mr      7, 8
    mr      8, 9
    sc
    bnslr+                              // no error: return r3 as it is
    neg     3, 3
    blr
    .size   ka_syscall, . - ka_syscall

    .section .note.GNU-stack, "", @progbits
