import KexecCore

/// One program header of an ELF core file or core header.
struct ProgramHeaderEntry {
    var type: UInt32
    var flags: UInt32
    var offset: UInt64
    var vaddr: UInt64
    var paddr: UInt64
    var filesz: UInt64
    var memsz: UInt64
    var align: UInt64
}

/// Writes an ET_CORE ELF header followed by its program headers, for ELF32 or
/// ELF64 in the writer's byte order: shared by ``ElfCoreWriter`` (whole core files)
/// and ``ElfCoreHeaderBuilder`` (the elfcorehdr a capture kernel reads).
enum CoreHeaderEncoder {
    /// - Throws: ``ElfCoreError/doesNotFit(field:value:)`` when an ELF32 value needs
    ///   more than 32 bits or there are 65535 or more program headers.
    static func write(elfClass: ElfClass, machine: UInt16, entries: [ProgramHeaderEntry],
                      into writer: inout ByteWriter) throws(ElfCoreError) {
        let is64 = elfClass == .elf64
        let headerSize: UInt64 = is64 ? 64 : 52
        let entrySize: UInt64 = is64 ? 56 : 32
        guard entries.count < 0xffff else { throw .doesNotFit(field: "e_phnum", value: UInt64(entries.count)) }
        func word(_ value: UInt64, _ field: String) throws(ElfCoreError) {
            if is64 {
                writer.write(value)
            } else {
                guard let narrow = UInt32(exactly: value) else { throw .doesNotFit(field: field, value: value) }
                writer.write(narrow)
            }
        }
        writer.write(bytes: [0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, writer.byteOrder == .little ? 1 : 2, 1, 0])
        writer.writeZeros(8)
        writer.write(UInt16(4))                    // e_type ET_CORE
        writer.write(machine)
        writer.write(UInt32(1))                    // e_version
        try word(0, "e_entry")
        try word(headerSize, "e_phoff")
        try word(0, "e_shoff")
        writer.write(UInt32(0))                    // e_flags
        writer.write(UInt16(headerSize))
        writer.write(UInt16(entrySize))
        writer.write(UInt16(entries.count))
        writer.write(UInt16(is64 ? 64 : 40))       // e_shentsize
        writer.write(UInt16(0))                    // e_shnum
        writer.write(UInt16(0))                    // e_shstrndx
        for (index, entry) in entries.enumerated() {
            let name = "program header \(index)"
            writer.write(entry.type)
            if is64 {
                writer.write(entry.flags)
                writer.write(entry.offset)
                writer.write(entry.vaddr)
                writer.write(entry.paddr)
                writer.write(entry.filesz)
                writer.write(entry.memsz)
                writer.write(entry.align)
            } else {
                try word(entry.offset, "\(name) p_offset")
                try word(entry.vaddr, "\(name) p_vaddr")
                try word(entry.paddr, "\(name) p_paddr")
                try word(entry.filesz, "\(name) p_filesz")
                try word(entry.memsz, "\(name) p_memsz")
                writer.write(entry.flags)
                try word(entry.align, "\(name) p_align")
            }
        }
    }
}
