// SPDX-License-Identifier: Apache-2.0
//
// i386 purgatory entry. relocate_kernel jumps to purgatory_start in 32-bit
// protected mode, paging off, flat segments, interrupts off, no usable stack.
//
// 1. Load our own flat GDT (code 0x10, data 0x18), reload every segment,
//    switch to the private stack.
// 2. Call purgatory_main (verifies, backs up; never returns on a bad digest).
// 3. Load entry32_regs and far-jump to their eip with CS = 0x10.

#define SEL_CODE    0x10
#define SEL_DATA    0x18
#define STACK_SIZE  16384

	.section .text.entry, "ax", @progbits
	.code32
	.globl	purgatory_start
	.type	purgatory_start, @function
	.balign	16
purgatory_start:
	cli
	cld
	lgdt	gdt32_desc
	ljmpl	$SEL_CODE, $.Lreloaded_cs
.Lreloaded_cs:
	movl	$SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	$purgatory_stack_top, %esp

	call	purgatory_main

	movl	entry32_regs +  0, %eax
	movl	entry32_regs +  4, %ebx
	movl	entry32_regs +  8, %ecx
	movl	entry32_regs + 12, %edx
	movl	entry32_regs + 16, %esi
	movl	entry32_regs + 20, %edi
	movl	entry32_regs + 24, %esp
	movl	entry32_regs + 28, %ebp
	// Far jump through {eip, 0x10}.
	ljmpl	*entry32_regs + 32
	.size	purgatory_start, . - purgatory_start

	.data
	.balign	16
gdt32:
	.quad	0                       // 0x00 null
	.quad	0                       // 0x08 unused
	.quad	0x00cf9b000000ffff      // 0x10 flat 4 GiB 32-bit code
	.quad	0x00cf93000000ffff      // 0x18 flat 4 GiB data
.Lgdt32_end:

	// Pseudo-descriptor placed so that its base field is naturally aligned.
	.balign	4
	.word	0
gdt32_desc:
	.word	.Lgdt32_end - gdt32 - 1
	.long	gdt32

	.balign	4
	.globl	entry32_regs
	.type	entry32_regs, @object
entry32_regs:
	.zero	9 * 4                   // eax ebx ecx edx esi edi esp ebp eip
	.size	entry32_regs, . - entry32_regs
	// Selector half of the far pointer {eip, selector} used by the final jump.
	.word	SEL_CODE

	.bss
	.balign	16
purgatory_stack:
	.zero	STACK_SIZE
purgatory_stack_top:

	.section .note.GNU-stack, "", @progbits
