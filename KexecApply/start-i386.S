// SPDX-License-Identifier: Apache-2.0
//
// kexec-apply, i386: process entry and the one system-call gate.
//
// The kernel starts _start with %esp pointing at argc, followed by the argv
// pointers, a NULL, the envp pointers and a NULL. This file aligns the stack,
// calls ka_main(argc, argv, envp) (cdecl) and ends with exit_group(status).

    .text
    .globl  _start
    .type   _start, @function
_start:
    xorl    %ebp, %ebp                  // outermost frame
    movl    (%esp), %eax                // argc
    leal    4(%esp), %ecx               // argv
    leal    4(%ecx,%eax,4), %edx        // envp = argv + argc + 1
    andl    $-16, %esp
    subl    $4, %esp                    // 4 + 3 * 4: aligned at the call
    pushl   %edx
    pushl   %ecx
    pushl   %eax
    call    ka_main
    movl    %eax, %ebx
    movl    $252, %eax                  // exit_group
    int     $0x80
    hlt                                 // not reached
    .size   _start, . - _start

// long ka_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
// The kernel takes nr in %eax and the arguments in %ebx, %ecx, %edx, %esi, %edi,
// %ebp; all but %eax are preserved. Returns -4095..-1 for -errno.
    .globl  ka_syscall
    .type   ka_syscall, @function
ka_syscall:
    pushl   %ebp
    pushl   %edi
    pushl   %esi
    pushl   %ebx
    movl    20(%esp), %eax              // 4 saved registers + return address
    movl    24(%esp), %ebx
    movl    28(%esp), %ecx
    movl    32(%esp), %edx
    movl    36(%esp), %esi
    movl    40(%esp), %edi
    movl    44(%esp), %ebp
    int     $0x80
    popl    %ebx
    popl    %esi
    popl    %edi
    popl    %ebp
    ret
    .size   ka_syscall, . - ka_syscall

    .section .note.GNU-stack, "", @progbits
