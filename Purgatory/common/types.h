// SPDX-License-Identifier: Apache-2.0
//
// Fixed-width types for the freestanding purgatory (built with -nostdinc, so no
// system or compiler headers are involved; the compiler's predefined macros name
// the right types for both i386 and x86_64).

#ifndef PURGATORY_TYPES_H
#define PURGATORY_TYPES_H

typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __UINTPTR_TYPE__ uintptr_t;

#define PURGATORY_NORETURN __attribute__((noreturn))
// Everything the loader patches lives in .data, never in .bss, so it has file
// bytes and a symbol the loader can write to before loading the segment.
#define PURGATORY_PATCHED __attribute__((section(".data"), used, aligned(8)))

#endif
