// SPDX-License-Identifier: Apache-2.0
//
// qemu-test.sh: the guest's first instructions. qemu's pseries machine loads
// the "firmware" (-bios) at 0 and starts it at 0x100 in big-endian real mode.
// Assembled big-endian on its own and placed at 0x100 of the test image; with
// HARNESS_LE it switches to little-endian on the way to the harness at 0x2000.

	.text
	li	10,0x2000
	mfmsr	11
#ifdef HARNESS_LE
	ori	11,11,1			// MSR_LE
#endif
	mtsrr0	10
	mtsrr1	11
	rfid
