// SPDX-License-Identifier: Apache-2.0
//
// ppc32 purgatory entry (big-endian, 32-bit). See Purgatory/ppc64/README.md.
//
// The running kernel's relocate_new_kernel (arch/powerpc/kexec/relocate_32.S)
// enters here with the MMU off (or 1:1 mapped on Book-E), r3 = this CPU's
// physical id, r4 = this address. The first 0x100 bytes follow the ppc64
// layout (kexec-tools' v2wrap_32.S does too): word 0 branches to the master
// path, bytes 4..0x100 (kernel_head) may carry the next kernel's head, and the
// fallback at 0x60 spins.
//
// Master path: own stack in .bss, purgatory_main (SHA-256 check, backup),
// the boot CPU into the tree header, then the kernel with r3 = device tree,
// r4 = kernel entry, r5 = r6 = 0 (kexec-tools' ppc32 convention).

#define STACK_SIZE 16384

	.section .text.entry, "ax", @progbits
	.globl	purgatory_start
	.type	purgatory_start, @function
	.balign	8
purgatory_start:
	b	.Lmaster

	.globl	kernel_head
	.type	kernel_head, @object
kernel_head:
	.org	purgatory_start + 0x60
.Lsecondary:
	b	.Lsecondary
	.org	purgatory_start + 0x100
	.size	kernel_head, . - kernel_head
	.size	purgatory_start, . - purgatory_start

.Lmaster:
	isync
	mr	31,3			// boot CPU's physical id, kept across calls
	lis	1,(purgatory_stack+STACK_SIZE)@ha
	addi	1,1,(purgatory_stack+STACK_SIZE)@l
	li	0,0
	stwu	0,-16(1)		// SVR4 frame with a null back chain

	mr	3,31
	bl	purgatory_main

	lis	6,1			// give secondaries time to reach 0x60
	mtctr	6
2:	bdnz	2b

	// The 64-bit variables are big-endian: the low words are at +4.
	lis	6,device_tree@ha
	addi	6,6,device_tree@l
	lwz	30,4(6)
	cmpwi	30,0
	beq	4f
	lwz	6,0(30)			// magic
	lwz	7,20(30)		// version
	lis	8,0xd00d
	ori	8,8,0xfeed
	cmplw	6,8
	bne	4f
	cmplwi	7,2
	blt	4f
	stw	31,28(30)		// boot_cpuid_phys
	sync
4:
	lis	6,kernel_entry@ha
	addi	6,6,kernel_entry@l
	lwz	4,4(6)
	mr	3,30
	li	5,0
	li	6,0
	mtctr	4
	bctr

	.section .note.GNU-stack, "", @progbits
