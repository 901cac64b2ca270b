// Shim header over elfutils' libelf (Debian: libelf-dev).
// Only the ElfNotes module imports it; see Sources/ElfNotes/LibElf+Unsafe.swift.
#ifndef KEXEC_SUITE_CLIBELF_SHIM_H
#define KEXEC_SUITE_CLIBELF_SHIM_H

#include <libelf.h>
#include <gelf.h>

#endif
