// SPDX-License-Identifier: Apache-2.0
//
// qemu-test.sh: the "kernel" purgatory enters, at 0x3000. Always big-endian:
// purgatory enters kernels with MSR_LE clear. Checks what the entry ABI
// promises (Purgatory/ppc64/README.md) and prints the verdict on the
// hypervisor console:
//   r3 = the tree (0x380000), r4 = this address, r5 = 0, MSR_LE clear, the
//   tree's boot_cpuid_phys = 0x42 (the id the harness entered purgatory with),
//   and the 4099-byte backup copy 0x300000 -> 0x390000.

#define TREE 0x380000
#define LANDING 0x3000
#define BACKUP_SRC 0x300000
#define BACKUP_DEST 0x390000
#define BACKUP_SIZE 4099

	.text
	mr	20,3
	mr	21,4
	mr	22,5
	li	23,1
	lis	9,TREE@h
	ori	9,9,TREE@l
	cmpld	20,9
	bne	.Lbad
	li	23,2
	li	9,LANDING
	cmpld	21,9
	bne	.Lbad
	li	23,3
	cmpdi	22,0
	bne	.Lbad
	li	23,4
	mfmsr	9
	andi.	9,9,1
	bne	.Lbad
	li	23,5
	lwz	9,28(20)
	cmpwi	9,0x42
	bne	.Lbad
	li	23,6
	lis	10,BACKUP_SRC@h
	lis	11,BACKUP_DEST@h
	li	12,BACKUP_SIZE
	mtctr	12
1:	lbz	8,0(10)
	lbz	9,0(11)
	cmpw	8,9
	bne	.Lbad
	addi	10,10,1
	addi	11,11,1
	bdnz	1b
	bcl	20,31,2f
2:	mflr	24
	addi	24,24,.Lok - 2b
	bl	.Lputs
	b	.Lspin

.Lbad:
	bcl	20,31,3f
3:	mflr	24
	addi	24,24,.Lfail - 3b
	bl	.Lputs
	addi	6,23,'0'
	bl	.Lputc
	li	6,'\n'
	bl	.Lputc
.Lspin:
	or	1,1,1
	b	.Lspin

// Print the NUL-terminated string at r24 (r25 keeps the return address).
.Lputs:
	mflr	25
4:	lbz	6,0(24)
	cmpwi	6,0
	beq	5f
	bl	.Lputc
	addi	24,24,1
	b	4b
5:	mtlr	25
	blr

// H_PUT_TERM_CHAR(terminal 0, 1 byte, r6 = the byte). Uses r3-r7, r26.
.Lputc:
	mflr	26
	sldi	6,6,56
	li	7,0
	li	5,1
	li	4,0
	li	3,0x58
	sc	1
	mtlr	26
	blr

.Lok:
	.asciz "purgatory-test: landed ok\n"
.Lfail:
	.asciz "purgatory-test: landed BAD "
