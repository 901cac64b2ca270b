// SPDX-License-Identifier: Apache-2.0
//
// qemu-test.sh: the test image, linked with one purgatory object (in the
// object's byte order). 0x100: the firmware entry (entry-be.bin); 0x2000: enter
// purgatory as the kernel's kexec_sequence does (r3 = CPU id 0x42, r4 = the
// entry address, no stack, no TOC); 0x3000: the landing "kernel"
// (landing-be.bin). The payload and the tree are hashed regions; qemu-test.sh
// patches purgatory's variables in the flat image.

	.section .head, "awx", @progbits
	.org	0x100
	.incbin	"entry-be.bin"
	.org	0x2000
	li	1,0
	li	2,0
	li	3,0x42
	lis	4,purgatory_start@h
	ori	4,4,purgatory_start@l
	mtlr	4
	blr
	.org	0x3000
	.incbin	"landing-be.bin"

	.section .payload, "aw", @progbits
	.incbin	"payload.bin"

	.section .tree, "aw", @progbits
	.incbin	"tree.bin"
