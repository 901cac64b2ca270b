// SPDX-License-Identifier: Apache-2.0
//
// ppc64 purgatory entry, for both byte orders (ELFv2 calling convention for
// the C part, whatever ABI the kernels use). See Purgatory/ppc64/README.md.
//
// The kernel's kexec_sequence (arch/powerpc/kexec/core_64.c, misc_64.S) enters
// here in real mode, 64-bit, interrupts off, in the running kernel's byte
// order, with r3 = this CPU's physical id and r4 = this address. Before that
// it copied the first 0x100 bytes of this image to physical 0 and released
// every other CPU to 0x60 there, r3 = its physical id.
//
// The first 0x100 bytes are therefore the secondary CPUs' code: the loader
// replaces bytes 4..0x100 (symbol kernel_head) with the same bytes of the next
// kernel, whose code at 0x60 (__secondary_hold) keeps the secondaries spinning
// until that kernel releases them, as kexec-tools does. Word 0 stays the branch
// to the master path. Without a kernel head the fallback at 0x60 spins forever.
//
// Master path: own TOC pointer (PC-relative, no patched value), own stack in
// .bss, purgatory_main (SHA-256 check, kdump backup), then the boot CPU into
// the tree header (boot_cpuid_phys, offset 28, big-endian) and into the kernel
// with r3 = device tree, r4 = kernel entry, r5 = 0 (no Open Firmware client
// interface), r6..r9 = 0. A little-endian purgatory clears MSR_LE on the way (rfid), so
// the kernel starts big-endian as from firmware; its FIXUP_ENDIAN switches back.

#define STACK_SIZE 16384
#define MSR_LE 1

	.abiversion 2
	.section .text.entry, "ax", @progbits
	.globl	purgatory_start
	.type	purgatory_start, @function
	.balign	8
purgatory_start:
	b	.Lmaster

	// Bytes 4..0x100: replaced by the next kernel's (see above).
	.globl	kernel_head
	.type	kernel_head, @object
kernel_head:
	.org	purgatory_start + 0x60
.Lsecondary:
	or	1,1,1			// lowest priority: let sibling threads run
	b	.Lsecondary
	.org	purgatory_start + 0x100
	.size	kernel_head, . - kernel_head
	.size	purgatory_start, . - purgatory_start

.Lmaster:
	or	1,1,1			// low priority while the secondaries settle
	isync
	mr	31,3			// boot CPU's physical id, kept across calls

	// r2 = .TOC. from our own address; r1 = top of our stack.
	bcl	20,31,1f
1:	mflr	12
	addis	2,12,(.TOC.-1b)@ha
	addi	2,2,(.TOC.-1b)@l
	addis	1,2,(purgatory_stack+STACK_SIZE)@toc@ha
	addi	1,1,(purgatory_stack+STACK_SIZE)@toc@l
	li	0,0
	stdu	0,-64(1)		// ELFv2 frame with a null back chain

	mr	3,31
	bl	purgatory_main
	nop

	or	2,2,2			// back to medium priority
	lis	6,1			// give secondaries time to reach 0x60
	mtctr	6
2:	bdnz	2b

	addis	6,2,device_tree@toc@ha
	ld	30,device_tree@toc@l(6)
	cmpdi	30,0
	beq	4f
	// boot_cpuid_phys when the blob is a flattened tree of version 2 or later.
#ifdef __LITTLE_ENDIAN__
	lwbrx	6,0,30			// magic (big-endian)
	li	7,20
	lwbrx	7,30,7			// version
#else
	lwz	6,0(30)
	lwz	7,20(30)
#endif
	lis	8,0xd00d
	ori	8,8,0xfeed
	cmplw	6,8
	bne	4f
	cmplwi	7,2
	blt	4f
#ifdef __LITTLE_ENDIAN__
	li	7,28
	stwbrx	31,30,7
#else
	stw	31,28(30)
#endif
	sync
4:
	addis	6,2,kernel_entry@toc@ha
	ld	4,kernel_entry@toc@l(6)
	mr	3,30
	li	5,0
	li	6,0
	li	7,0
	li	8,0			// kexec-tools passes OPAL base/entry here for
	li	9,0			// early debug; we pass none

	mfmsr	11
	andi.	10,11,MSR_LE
	bne	5f
	mtctr	4
	bctr				// big-endian: straight in
5:	mtsrr0	4			// little-endian: rfid with MSR_LE clear
	rldicr	11,11,0,62
	mtsrr1	11
	rfid

// long ppc64_put_term_char(terminal, length, high, low): the H_PUT_TERM_CHAR
// hypervisor call. The condition register is saved around it (cr2-cr4 are
// non-volatile in the ELFv2 ABI); r2 and r13-r31 survive an hcall.
	.text
	.globl	ppc64_put_term_char
	.type	ppc64_put_term_char, @function
	.balign	4
ppc64_put_term_char:
	mfcr	0
	stw	0,8(1)
	mr	7,6
	mr	6,5
	mr	5,4
	mr	4,3
	li	3,0x58			// H_PUT_TERM_CHAR
	sc	1
	lwz	0,8(1)
	mtcrf	0xff,0
	blr
	.size	ppc64_put_term_char, . - ppc64_put_term_char

	.section .note.GNU-stack, "", @progbits
