package import KexecCore

/// One program header of an ELF core file or core header.
package struct ProgramHeaderEntry {
    package var type: UInt32
    package var flags: UInt32
    package var offset: UInt64
    package var vaddr: UInt64
    package var paddr: UInt64
    package var filesz: UInt64
    package var memsz: UInt64
    package var align: UInt64

    package init(type: UInt32, flags: UInt32, offset: UInt64, vaddr: UInt64, paddr: UInt64, filesz: UInt64,
                 memsz: UInt64, align: UInt64) {
        self.type = type
        self.flags = flags
        self.offset = offset
        self.vaddr = vaddr
        self.paddr = paddr
        self.filesz = filesz
        self.memsz = memsz
        self.align = align
    }
}

/// Writes an ET_CORE ELF header followed by its program headers, for ELF32 or
/// ELF64 in the writer's byte order: shared by ``ElfCoreWriter`` (whole core files)
/// and ``ElfCoreHeaderBuilder`` (the elfcorehdr a capture kernel reads).
package enum CoreHeaderEncoder {
    /// The bytes ``write(elfClass:machine:entries:headerFlags:extendedNumbering:into:)``
    /// produces for `count` program headers: the ELF header, the table and, with
    /// PN_XNUM numbering (65535 or more entries), section header 0.
    package static func size(elfClass: ElfClass, count: Int) -> UInt64 {
        let is64 = elfClass == .elf64
        let base = UInt64(is64 ? 64 : 52) + UInt64(is64 ? 56 : 32) * UInt64(count)
        return count >= 0xffff ? base + UInt64(is64 ? 64 : 40) : base
    }

    /// - Parameter extendedNumbering: allow 65535 or more program headers, written
    ///   as PN_XNUM with the count in section header 0's `sh_info` (after the table).
    /// - Throws: ``ElfCoreError/doesNotFit(field:value:)`` when an ELF32 value needs
    ///   more than 32 bits or there are too many program headers.
    package static func write(elfClass: ElfClass, machine: UInt16, entries: [ProgramHeaderEntry],
                              headerFlags: UInt32 = 0, extendedNumbering: Bool = false,
                              into writer: inout ByteWriter) throws(ElfCoreError) {
        let is64 = elfClass == .elf64
        let headerSize: UInt64 = is64 ? 64 : 52
        let entrySize: UInt64 = is64 ? 56 : 32
        let extended = entries.count >= 0xffff
        guard !extended || (extendedNumbering && UInt64(entries.count) <= UInt64(UInt32.max)) else {
            throw .doesNotFit(field: "e_phnum", value: UInt64(entries.count))
        }
        let sectionOffset = headerSize + entrySize * UInt64(entries.count)
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
        try word(extended ? sectionOffset : 0, "e_shoff")
        writer.write(headerFlags)                  // e_flags (makedumpfile: 1 = incomplete dump)
        writer.write(UInt16(headerSize))
        writer.write(UInt16(entrySize))
        writer.write(UInt16(extended ? 0xffff : entries.count))
        writer.write(UInt16(is64 ? 64 : 40))       // e_shentsize
        writer.write(UInt16(extended ? 1 : 0))     // e_shnum
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
        if extended {
            // Section header 0 of PN_XNUM numbering: only sh_info (the count) is set.
            let infoOffset = is64 ? 44 : 28
            writer.writeZeros(infoOffset)
            writer.write(UInt32(entries.count))
            writer.writeZeros((is64 ? 64 : 40) - infoOffset - 4)
        }
    }
}
