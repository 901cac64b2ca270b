// SPDX-License-Identifier: Apache-2.0
//
// kexec-apply, x86_64: process entry and the one system-call gate.
//
// The kernel starts _start with %rsp pointing at argc, followed by the argv
// pointers, a NULL, the envp pointers and a NULL. Nothing else is set up: there
// is no libc, so this file only aligns the stack, calls ka_main(argc, argv,
// envp) and ends the process with exit_group(status).

    .text
    .globl  _start
    .type   _start, @function
_start:
    xorl    %ebp, %ebp                  // outermost frame
    movq    (%rsp), %rdi                // argc
    leaq    8(%rsp), %rsi               // argv
    leaq    8(%rsi,%rdi,8), %rdx        // envp = argv + argc + 1
    andq    $-16, %rsp                  // ABI: 16-byte aligned before the call
    call    ka_main
    movl    %eax, %edi
    movl    $231, %eax                  // exit_group
    syscall
    hlt                                 // not reached
    .size   _start, . - _start

// long ka_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
// Returns the kernel's value: -4095..-1 is -errno.
    .globl  ka_syscall
    .type   ka_syscall, @function
ka_syscall:
    movq    %rdi, %rax
    movq    %rsi, %rdi
    movq    %rdx, %rsi
    movq    %rcx, %rdx
    movq    %r8, %r10                   // the kernel takes arg 4 in %r10
    movq    %r9, %r8
    movq    8(%rsp), %r9                // arg 6 was passed on the stack
    syscall                             // clobbers %rcx and %r11
    ret
    .size   ka_syscall, . - ka_syscall

    .section .note.GNU-stack, "", @progbits
