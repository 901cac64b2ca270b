internal import CLibElf

/// The calls into libelf, and every raw pointer ElfNotes uses.
enum LibElf {
    struct Contents {
        var type: UInt16
        var machine: UInt16
        var entry: UInt64
        var sections: [ElfSection]
        var symbols: [ElfSymbol]
        var programHeaders: [ElfProgramHeader]
    }

    /// elf_version must be called once before any other libelf call.
    private static let initialized: Bool = elf_version(UInt32(EV_CURRENT)) != UInt32(EV_NONE)

    private static func failure(_ operation: String) -> ElfError {
        let message = elf_errmsg(-1).map { String(cString: $0) } ?? "unknown error"
        return .libelf(operation: operation, message: message)
    }

    /// Reads headers, sections and symbols through libelf's elf_memory.
    ///
    /// Safe: libelf gets a private copy of the bytes, allocated here and freed only
    /// after elf_end; all pointers libelf returns (section handles, strings, data
    /// descriptors) are used before elf_end and copied into Swift values. Extents
    /// of the header table were checked by ElfHeaderCheck; libelf checks section
    /// data extents itself and reports failures through elf_errmsg.
    static func read(_ bytes: [UInt8]) throws(ElfError) -> Contents {
        guard initialized else { throw .libelf(operation: "elf_version", message: "library version mismatch") }
        let image = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        defer { image.deallocate() }
        image.copyBytes(from: bytes)
        guard let elf = elf_memory(image.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count) else {
            throw failure("elf_memory")
        }
        defer { elf_end(elf) }
        guard elf_kind(elf) == ELF_K_ELF else { throw .notELF(length: bytes.count) }

        var ehdr = GElf_Ehdr()
        guard gelf_getehdr(elf, &ehdr) != nil else { throw failure("gelf_getehdr") }
        var shstrndx = 0
        guard elf_getshdrstrndx(elf, &shstrndx) == 0 else { throw failure("elf_getshdrstrndx") }
        var sectionCount = 0
        guard elf_getshdrnum(elf, &sectionCount) == 0 else { throw failure("elf_getshdrnum") }

        var sections: [ElfSection] = []
        var symbols: [ElfSymbol] = []
        for index in 0..<sectionCount {
            guard let scn = elf_getscn(elf, index) else { throw failure("elf_getscn(\(index))") }
            var shdr = GElf_Shdr()
            guard gelf_getshdr(scn, &shdr) != nil else { throw failure("gelf_getshdr(\(index))") }
            let name = index == 0 ? "" : string(elf, shstrndx, Int(shdr.sh_name))
            sections.append(ElfSection(
                index: index, name: name, type: shdr.sh_type, flags: shdr.sh_flags, address: shdr.sh_addr,
                offset: shdr.sh_offset, size: shdr.sh_size, link: shdr.sh_link, info: shdr.sh_info,
                alignment: shdr.sh_addralign, entrySize: shdr.sh_entsize))
            guard shdr.sh_type == UInt32(SHT_SYMTAB) else { continue }
            guard shdr.sh_entsize != 0 else {
                throw .invalidField(field: "section \(index) sh_entsize", value: 0, reason: "a symbol table needs a non-zero entry size")
            }
            guard let data = elf_getdata(scn, nil) else { throw failure("elf_getdata(section \(index))") }
            let count = Int(shdr.sh_size / shdr.sh_entsize)
            symbols.reserveCapacity(symbols.count + count)
            for symbolIndex in 0..<count {
                var sym = GElf_Sym()
                guard gelf_getsym(data, Int32(clamping: symbolIndex), &sym) != nil else {
                    throw failure("gelf_getsym(section \(index), symbol \(symbolIndex))")
                }
                symbols.append(ElfSymbol(
                    name: string(elf, Int(shdr.sh_link), Int(sym.st_name)), value: sym.st_value, size: sym.st_size,
                    type: sym.st_info & 0xf, binding: sym.st_info >> 4, sectionIndex: UInt32(sym.st_shndx)))
            }
        }
        var programHeaders: [ElfProgramHeader] = []
        var headerCount = 0
        guard elf_getphdrnum(elf, &headerCount) == 0 else { throw failure("elf_getphdrnum") }
        for index in 0..<headerCount {
            var phdr = GElf_Phdr()
            guard gelf_getphdr(elf, Int32(clamping: index), &phdr) != nil else { throw failure("gelf_getphdr(\(index))") }
            programHeaders.append(ElfProgramHeader(
                index: index, type: phdr.p_type, flags: phdr.p_flags, offset: phdr.p_offset, virtualAddress: phdr.p_vaddr,
                physicalAddress: phdr.p_paddr, fileSize: phdr.p_filesz, memorySize: phdr.p_memsz, alignment: phdr.p_align))
        }
        return Contents(type: ehdr.e_type, machine: ehdr.e_machine, entry: ehdr.e_entry,
                        sections: sections, symbols: symbols, programHeaders: programHeaders)
    }

    /// A string from a string table; "" when the table or offset is invalid
    /// (elf_strptr checks both and returns NULL).
    private static func string(_ elf: OpaquePointer, _ table: Int, _ offset: Int) -> String {
        guard let pointer = elf_strptr(elf, table, offset) else { return "" }
        return String(cString: pointer)
    }
}
