// SPDX-License-Identifier: Apache-2.0
//
// x86_64 purgatory entry. relocate_kernel jumps to purgatory_start in 64-bit
// long mode with an identity mapping, interrupts off and no usable stack.
//
// 1. Switch to the private stack, load our own GDT, reload every segment.
// 2. Call purgatory_main (verifies, backs up; never returns on a bad digest).
// 3. Either load entry64_regs and jump to their rip (64-bit kernel entry), or,
//    with purgatory_options bit 2, drop to 32-bit protected mode with paging
//    off and jump to entry32_regs' eip with CS = 0x10, DS = ES = SS = 0x18.
//
// The 64-bit path uses only RIP-relative addressing, so it works wherever the
// object is placed. The 32-bit path uses 32-bit absolute addresses
// (R_X86_64_32) and needs purgatory below 4 GiB, identity-mapped.

#define SEL_CODE64  0x10
#define SEL_DATA    0x18
#define SEL_CODE32  0x20
#define SEL32_CODE  0x10
#define SEL32_DATA  0x18

#define CR0_PG      0x80000000
#define MSR_EFER    0xc0000080
#define EFER_LME    0x00000100

#define STACK_SIZE  16384

	.section .text.entry, "ax", @progbits
	.code64
	.globl	purgatory_start
	.type	purgatory_start, @function
	.balign	16
purgatory_start:
	cli
	cld
	leaq	purgatory_stack_top(%rip), %rsp

	// Our own GDT: the old kernel's may already be overwritten.
	leaq	gdt64(%rip), %rax
	movq	%rax, gdt64_desc + 2(%rip)
	lgdt	gdt64_desc(%rip)
	movl	$SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	.Lreloaded_cs(%rip), %rax
	pushq	$SEL_CODE64
	pushq	%rax
	lretq
.Lreloaded_cs:
	call	purgatory_main

	testl	$4, purgatory_options(%rip)
	jnz	.Lenter32

	// 64-bit entry: every register from entry64_regs, rsp included; the jump
	// reads rip through RIP-relative memory, so no register or stack is needed.
	movq	entry64_regs +   0(%rip), %rax
	movq	entry64_regs +   8(%rip), %rbx
	movq	entry64_regs +  16(%rip), %rcx
	movq	entry64_regs +  24(%rip), %rdx
	movq	entry64_regs +  32(%rip), %rsi
	movq	entry64_regs +  40(%rip), %rdi
	movq	entry64_regs +  48(%rip), %rsp
	movq	entry64_regs +  56(%rip), %rbp
	movq	entry64_regs +  64(%rip), %r8
	movq	entry64_regs +  72(%rip), %r9
	movq	entry64_regs +  80(%rip), %r10
	movq	entry64_regs +  88(%rip), %r11
	movq	entry64_regs +  96(%rip), %r12
	movq	entry64_regs + 104(%rip), %r13
	movq	entry64_regs + 112(%rip), %r14
	movq	entry64_regs + 120(%rip), %r15
	jmpq	*entry64_regs + 128(%rip)

.Lenter32:
	// Far return into the 32-bit code segment: compatibility mode. The target
	// address is below 4 GiB because purgatory is.
	leaq	.Lcompat(%rip), %rax
	pushq	$SEL_CODE32
	pushq	%rax
	lretq

	.code32
.Lcompat:
	// Leave long mode: paging off (this clears EFER.LMA), then EFER.LME off,
	// then CR4 = 0 (PAE may only be cleared once long mode is inactive).
	movl	%cr0, %eax
	andl	$~CR0_PG, %eax
	movl	%eax, %cr0
	movl	$MSR_EFER, %ecx
	rdmsr
	andl	$~EFER_LME, %eax
	wrmsr
	xorl	%eax, %eax
	movl	%eax, %cr4

	// Flat 32-bit GDT in the layout the Linux 32-bit boot protocol expects.
	lgdt	gdt32_desc
	movl	$SEL32_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	movl	entry32_regs +  0, %eax
	movl	entry32_regs +  4, %ebx
	movl	entry32_regs +  8, %ecx
	movl	entry32_regs + 12, %edx
	movl	entry32_regs + 16, %esi
	movl	entry32_regs + 20, %edi
	movl	entry32_regs + 24, %esp
	movl	entry32_regs + 28, %ebp
	// Far jump through {eip, 0x10}: loads CS from the new GDT and jumps.
	ljmpl	*entry32_regs + 32
	.size	purgatory_start, . - purgatory_start

	.data
	.balign	16
gdt64:
	.quad	0                       // 0x00 null
	.quad	0                       // 0x08 unused
	.quad	0x00af9b000000ffff      // 0x10 64-bit code, ring 0
	.quad	0x00cf93000000ffff      // 0x18 flat 4 GiB data
	.quad	0x00cf9b000000ffff      // 0x20 flat 4 GiB 32-bit code
.Lgdt64_end:

gdt32:
	.quad	0                       // 0x00 null
	.quad	0                       // 0x08 unused
	.quad	0x00cf9b000000ffff      // 0x10 flat 4 GiB 32-bit code
	.quad	0x00cf93000000ffff      // 0x18 flat 4 GiB data
.Lgdt32_end:

	// Pseudo-descriptors, placed so that their base fields are naturally aligned.
	.balign	8
	.word	0, 0, 0
gdt64_desc:
	.word	.Lgdt64_end - gdt64 - 1
	.quad	0                       // base, filled in at run time
	.word	0
gdt32_desc:
	.word	.Lgdt32_end - gdt32 - 1
	.long	gdt32

	.balign	8
	.globl	entry64_regs
	.type	entry64_regs, @object
entry64_regs:
	.zero	17 * 8                  // rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip
	.size	entry64_regs, . - entry64_regs

	.globl	entry32_regs
	.type	entry32_regs, @object
entry32_regs:
	.zero	9 * 4                   // eax ebx ecx edx esi edi esp ebp eip
	.size	entry32_regs, . - entry32_regs
	// Selector half of the far pointer {eip, selector} used by the final jump.
	.word	SEL32_CODE

	.bss
	.balign	16
purgatory_stack:
	.zero	STACK_SIZE
purgatory_stack_top:

	.section .note.GNU-stack, "", @progbits
