// SPDX-License-Identifier: Apache-2.0
//
// qemu boot harness for the purgatory objects (see qemu-test.sh). A multiboot
// (v1) ELF32 kernel: qemu -kernel starts it in 32-bit protected mode. It puts
// the CPU into the state relocate_kernel leaves (MODE64=1: long mode with an
// identity map; MODE64=0: protected mode, paging off), with a hostile GDT (no
// usable 0x10/0x18) and esp/rsp = 0, and jumps to purgatory_start. The image,
// laid out and patched by load.py, and the payload it verifies are included
// by the linker script. Purgatory jumps to land32 or land64 below, which check
// registers, segments, control registers and the backup copy, print a line and
// leave qemu through isa-debug-exit (port 0xf4): 0x10 passed, 0x20 failed.
//
// Defines: MODE64, PURGATORY_ENTRY, BACKUP_SRC, BACKUP_DEST, BACKUP_SIZE.

#define EXIT_PORT   0xf4
#define EXIT_PASS   0x10
#define EXIT_FAIL   0x20
#define COM1        0x3f8
#define STACK_TOP   0x90000

	.section .multiboot, "a"
	.balign	4
	.long	0x1badb002              // magic
	.long	0                       // flags
	.long	-0x1badb002             // checksum

	.text
	.code32
	.globl	_start
_start:
	cli
	lgdt	harness_gdt_desc
	ljmpl	$0x08, $1f
1:	movl	$0x20, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	$STACK_TOP, %esp

#if MODE64
	// Identity-map the first 1 GiB with 2 MiB pages.
	movl	$pd, %edi
	xorl	%ecx, %ecx
2:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax             // present, writable, 2 MiB page
	movl	%eax, (%edi, %ecx, 8)
	movl	$0, 4(%edi, %ecx, 8)
	incl	%ecx
	cmpl	$512, %ecx
	jne	2b
	movl	$pd + 3, pdpt
	movl	$pdpt + 3, pml4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$0x20, %eax             // PAE
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx
	rdmsr
	orl	$0x100, %eax            // LME
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax       // PG, PE
	movl	%eax, %cr0
	ljmpl	$0x28, $long_mode

	.code64
long_mode:
	xorl	%esp, %esp              // purgatory must not need a stack
	movl	$PURGATORY_ENTRY, %eax
	jmpq	*%rax
	.code32
#else
	xorl	%esp, %esp              // purgatory must not need a stack
	movl	$PURGATORY_ENTRY, %eax
	jmpl	*%eax
#endif

	// ---------------------------------------------------------------------
	.section .land32, "ax", @progbits
	.code32
	.globl	land32
land32:
	movl	%eax, saved + 0
	movl	%ebx, saved + 4
	movl	%ecx, saved + 8
	movl	%edx, saved + 12
	movl	%esi, saved + 16
	movl	%edi, saved + 20
	movl	%esp, saved + 24
	movl	%ebp, saved + 28
	movl	$STACK_TOP - 0x1000, %esp

	xorl	%ecx, %ecx
1:	movl	saved(, %ecx, 4), %eax
	cmpl	expected32(, %ecx, 4), %eax
	jne	fail32
	incl	%ecx
	cmpl	$8, %ecx
	jne	1b

	movw	%cs, %ax
	cmpw	$0x10, %ax
	jne	fail32
	movw	%ds, %ax
	cmpw	$0x18, %ax
	jne	fail32
	movw	%es, %ax
	cmpw	$0x18, %ax
	jne	fail32
	movw	%ss, %ax
	cmpw	$0x18, %ax
	jne	fail32

	movl	%cr0, %eax
	testl	$0x80000000, %eax       // paging off
	jnz	fail32
	testl	$1, %eax                // protection on
	jz	fail32
	movl	%cr4, %eax
	testl	%eax, %eax
	jnz	fail32
	movl	$0xc0000080, %ecx
	rdmsr
	testl	$0x500, %eax            // LME and LMA clear
	jnz	fail32

	movl	$BACKUP_SRC, %esi
	movl	$BACKUP_DEST, %edi
	movl	$BACKUP_SIZE, %ecx
	cld
	repe cmpsb
	jne	fail32

	movl	$msg_land32_ok, %esi
	movl	$msg_land32_ok_end - msg_land32_ok, %ecx
	movw	$COM1, %dx
	rep outsb
	movb	$EXIT_PASS, %al
	outb	%al, $EXIT_PORT
	jmp	halt32
fail32:
	movl	$msg_land32_fail, %esi
	movl	$msg_land32_fail_end - msg_land32_fail, %ecx
	movw	$COM1, %dx
	rep outsb
	movb	$EXIT_FAIL, %al
	outb	%al, $EXIT_PORT
halt32:
	cli
	hlt
	jmp	halt32

	// ---------------------------------------------------------------------
	.section .land64, "ax", @progbits
	.code64
	.globl	land64
land64:
	movq	%rax, saved + 0
	movq	%rbx, saved + 8
	movq	%rcx, saved + 16
	movq	%rdx, saved + 24
	movq	%rsi, saved + 32
	movq	%rdi, saved + 40
	movq	%rsp, saved + 48
	movq	%rbp, saved + 56
	movq	%r8, saved + 64
	movq	%r9, saved + 72
	movq	%r10, saved + 80
	movq	%r11, saved + 88
	movq	%r12, saved + 96
	movq	%r13, saved + 104
	movq	%r14, saved + 112
	movq	%r15, saved + 120
	movl	$STACK_TOP - 0x1000, %esp

	xorl	%ecx, %ecx
1:	movq	saved(, %rcx, 8), %rax
	cmpq	expected64(, %rcx, 8), %rax
	jne	fail64
	incl	%ecx
	cmpl	$16, %ecx
	jne	1b

	movw	%cs, %ax
	cmpw	$0x10, %ax
	jne	fail64
	movw	%ds, %ax
	cmpw	$0x18, %ax
	jne	fail64
	movw	%es, %ax
	cmpw	$0x18, %ax
	jne	fail64
	movw	%ss, %ax
	cmpw	$0x18, %ax
	jne	fail64

	movl	$BACKUP_SRC, %esi
	movl	$BACKUP_DEST, %edi
	movl	$BACKUP_SIZE, %ecx
	cld
	repe cmpsb
	jne	fail64

	movl	$msg_land64_ok, %esi
	movl	$msg_land64_ok_end - msg_land64_ok, %ecx
	movw	$COM1, %dx
	rep outsb
	movb	$EXIT_PASS, %al
	outb	%al, $EXIT_PORT
	jmp	halt64
fail64:
	movl	$msg_land64_fail, %esi
	movl	$msg_land64_fail_end - msg_land64_fail, %ecx
	movw	$COM1, %dx
	rep outsb
	movb	$EXIT_FAIL, %al
	outb	%al, $EXIT_PORT
halt64:
	cli
	hlt
	jmp	halt64

	// ---------------------------------------------------------------------
	.data
	.balign	16
harness_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff      // 0x08 flat 32-bit code
	.quad	0                       // 0x10 unusable: purgatory must bring its own
	.quad	0                       // 0x18 unusable
	.quad	0x00cf93000000ffff      // 0x20 flat data
	.quad	0x00af9b000000ffff      // 0x28 64-bit code
harness_gdt_end:
	.balign	4
	.word	0
harness_gdt_desc:
	.word	harness_gdt_end - harness_gdt - 1
	.long	harness_gdt

	// Register values load.py puts in entry32_regs / entry64_regs.
	.balign	8
expected32:
	.long	0x11111111, 0x22222222, 0x33333333, 0x44444444
	.long	0x55555555, 0x66666666, STACK_TOP, 0x88888888
expected64:
	.quad	0x0101010101010101, 0x0202020202020202, 0x0303030303030303, 0x0404040404040404
	.quad	0x0505050505050505, 0x0606060606060606, STACK_TOP, 0x0808080808080808
	.quad	0x0909090909090909, 0x0a0a0a0a0a0a0a0a, 0x0b0b0b0b0b0b0b0b, 0x0c0c0c0c0c0c0c0c
	.quad	0x0d0d0d0d0d0d0d0d, 0x0e0e0e0e0e0e0e0e, 0x0f0f0f0f0f0f0f0f, 0x1010101010101010

msg_land32_ok:
	.ascii	"HARNESS: land32 ok\r\n"
msg_land32_ok_end:
msg_land32_fail:
	.ascii	"HARNESS: land32 FAILED\r\n"
msg_land32_fail_end:
msg_land64_ok:
	.ascii	"HARNESS: land64 ok\r\n"
msg_land64_ok_end:
msg_land64_fail:
	.ascii	"HARNESS: land64 FAILED\r\n"
msg_land64_fail_end:

	.bss
	.balign	4096
pml4:	.zero	4096
pdpt:	.zero	4096
pd:	.zero	4096
	.balign	16
saved:	.zero	16 * 8

	.section .note.GNU-stack, "", @progbits
