public import KexecCore
public import SystemPackage

/// ELFCLASS32 or ELFCLASS64.
public enum ElfClass: UInt8, Hashable, Sendable {
    case elf32 = 1
    case elf64 = 2
}

/// One section header, with its name resolved.
public struct ElfSection: Hashable, Sendable {
    public var index: Int
    public var name: String
    /// `sh_type` (SHT_PROGBITS 1, SHT_SYMTAB 2, SHT_STRTAB 3, SHT_RELA 4, SHT_NOBITS 8, SHT_REL 9, ...).
    public var type: UInt32
    /// `sh_flags` (SHF_WRITE 1, SHF_ALLOC 2, SHF_EXECINSTR 4, ...).
    public var flags: UInt64
    public var address: UInt64
    public var offset: UInt64
    public var size: UInt64
    public var link: UInt32
    public var info: UInt32
    public var alignment: UInt64
    public var entrySize: UInt64

    /// SHT_NOBITS sections (.bss) occupy no bytes in the file.
    public var occupiesFile: Bool { type != 8 && type != 0 }
}

/// One symbol-table entry, with its name resolved.
public struct ElfSymbol: Hashable, Sendable {
    public var name: String
    public var value: UInt64
    public var size: UInt64
    /// STT_* (low 4 bits of st_info): NOTYPE 0, OBJECT 1, FUNC 2, SECTION 3, FILE 4.
    public var type: UInt8
    /// STB_* (high 4 bits of st_info): LOCAL 0, GLOBAL 1, WEAK 2.
    public var binding: UInt8
    /// `st_shndx`: the section the symbol is defined in (0 undefined, 0xfff1 ABS, 0xfff2 COMMON).
    public var sectionIndex: UInt32
}

/// One program header.
public struct ElfProgramHeader: Hashable, Sendable {
    public var index: Int
    /// `p_type` (PT_LOAD 1, PT_NOTE 4, ...).
    public var type: UInt32
    public var flags: UInt32
    public var offset: UInt64
    public var virtualAddress: UInt64
    public var physicalAddress: UInt64
    public var fileSize: UInt64
    public var memorySize: UInt64
    public var alignment: UInt64

    /// PT_LOAD.
    public var isLoadable: Bool { type == 1 }
}

/// An ELF file read through libelf: its header, sections and symbols, and its bytes.
///
/// Reading checks the header and every section's extent against the file before
/// libelf looks at them, so a truncated or hostile file gives an ``ElfError``
/// naming the field, never a crash.
public struct ElfObject: Hashable, Sendable {
    /// The file's bytes.
    public let bytes: [UInt8]
    public let elfClass: ElfClass
    public let byteOrder: ByteOrder
    /// `e_type` (ET_REL 1, ET_EXEC 2, ET_DYN 3, ET_CORE 4).
    public let type: UInt16
    /// `e_machine` (EM_386 3, EM_PPC 20, EM_PPC64 21, EM_X86_64 62).
    public let machine: UInt16
    /// `e_entry`.
    public let entry: UInt64
    /// Every section header, index 0 included.
    public let sections: [ElfSection]
    /// The entries of every SHT_SYMTAB section, in order (the null symbol included).
    public let symbols: [ElfSymbol]
    /// The program headers (executables, vmlinux, core files).
    public let programHeaders: [ElfProgramHeader]

    /// Reads an ELF file from its bytes.
    /// - Throws: ``ElfError``.
    public init(parsing bytes: [UInt8]) throws(ElfError) {
        let header = try ElfHeaderCheck(bytes)
        let contents = try LibElf.read(bytes)
        for section in contents.sections where section.occupiesFile {
            let (end, overflow) = section.offset.addingReportingOverflow(section.size)
            if overflow || end > UInt64(bytes.count) {
                throw .sectionOutOfBounds(index: section.index, name: section.name, offset: section.offset,
                                          size: section.size, fileSize: UInt64(bytes.count))
            }
        }
        // An ELF core *header* (elfcorehdr) points p_offset at physical memory, not at
        // its own bytes; core files are read by ElfCore, which checks extents itself.
        for segment in contents.programHeaders where contents.type != 4 {
            let (end, overflow) = segment.offset.addingReportingOverflow(segment.fileSize)
            if overflow || end > UInt64(bytes.count) {
                throw .segmentOutOfBounds(index: segment.index, offset: segment.offset, size: segment.fileSize,
                                          fileSize: UInt64(bytes.count))
            }
            if segment.isLoadable && segment.fileSize > segment.memorySize {
                throw .invalidField(field: "program header \(segment.index) p_filesz", value: segment.fileSize,
                                    reason: "larger than p_memsz 0x\(String(segment.memorySize, radix: 16))")
            }
        }
        self.bytes = bytes
        elfClass = header.elfClass
        byteOrder = header.byteOrder
        type = contents.type
        machine = contents.machine
        entry = contents.entry
        sections = contents.sections
        symbols = contents.symbols
        programHeaders = contents.programHeaders
    }

    /// The bytes `segment` has in the file.
    public func contents(of segment: ElfProgramHeader) -> ArraySlice<UInt8> {
        // Bounds were checked against the file in init(parsing:).
        bytes[Int(segment.offset)..<Int(segment.offset + segment.fileSize)]
    }

    /// Reads an ELF file from disk.
    /// - Throws: ``FileReadError`` or ``ElfError``.
    public static func read(from path: FilePath) throws -> ElfObject {
        try ElfObject(parsing: FileReader.readAll(path))
    }

    /// The first section named `name`.
    public func section(named name: String) -> ElfSection? {
        sections.first { $0.name == name }
    }

    /// The bytes of `section` (empty for SHT_NOBITS).
    public func contents(of section: ElfSection) -> ArraySlice<UInt8> {
        guard section.occupiesFile else { return [] }
        // Bounds were checked against the file in init(parsing:).
        return bytes[Int(section.offset)..<Int(section.offset + section.size)]
    }
}

/// The checks made before libelf sees the bytes.
struct ElfHeaderCheck {
    let elfClass: ElfClass
    let byteOrder: ByteOrder

    init(_ bytes: [UInt8]) throws(ElfError) {
        guard bytes.count >= 4, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw .notELF(length: bytes.count)
        }
        guard bytes.count >= 16 else {
            throw .truncated(field: "e_ident", offset: 0, needed: 16, available: UInt64(bytes.count))
        }
        guard let elfClass = ElfClass(rawValue: bytes[4]) else { throw .unsupportedClass(bytes[4]) }
        let byteOrder: ByteOrder
        switch bytes[5] {
        case 1: byteOrder = .little
        case 2: byteOrder = .big
        default: throw .unsupportedByteOrder(bytes[5])
        }
        let headerSize = elfClass == .elf64 ? 64 : 52
        guard bytes.count >= headerSize else {
            throw .truncated(field: "ELF header", offset: 0, needed: UInt64(headerSize), available: UInt64(bytes.count))
        }
        let reader = ByteReader(bytes, byteOrder: byteOrder)
        do {
            let shoff: UInt64 = elfClass == .elf64
                ? try reader.peek(UInt64.self, at: 0x28, field: "e_shoff")
                : UInt64(try reader.peek(UInt32.self, at: 0x20, field: "e_shoff"))
            let shentsize = UInt64(try reader.peek(UInt16.self, at: elfClass == .elf64 ? 0x3a : 0x2e, field: "e_shentsize"))
            let shnum = UInt64(try reader.peek(UInt16.self, at: elfClass == .elf64 ? 0x3c : 0x30, field: "e_shnum"))
            let expected: UInt64 = elfClass == .elf64 ? 64 : 40
            if shoff != 0 {
                guard shentsize == expected else {
                    throw ElfError.invalidField(field: "e_shentsize", value: shentsize, reason: "expected \(expected)")
                }
                // shnum == 0 with shoff != 0 means the count is in section 0's sh_size;
                // at least that first header must be present.
                let table = shentsize * max(shnum, 1)
                let (end, overflow) = shoff.addingReportingOverflow(table)
                guard !overflow, end <= UInt64(bytes.count) else {
                    throw ElfError.truncated(field: "section header table (e_shoff, e_shnum)", offset: shoff,
                                             needed: table, available: UInt64(bytes.count))
                }
            }
            let phoff: UInt64 = elfClass == .elf64
                ? try reader.peek(UInt64.self, at: 0x20, field: "e_phoff")
                : UInt64(try reader.peek(UInt32.self, at: 0x1c, field: "e_phoff"))
            let phentsize = UInt64(try reader.peek(UInt16.self, at: elfClass == .elf64 ? 0x36 : 0x2a, field: "e_phentsize"))
            let phnum = UInt64(try reader.peek(UInt16.self, at: elfClass == .elf64 ? 0x38 : 0x2c, field: "e_phnum"))
            if phoff != 0 && phnum != 0 {
                let expectedEntry: UInt64 = elfClass == .elf64 ? 56 : 32
                guard phentsize == expectedEntry else {
                    throw ElfError.invalidField(field: "e_phentsize", value: phentsize, reason: "expected \(expectedEntry)")
                }
                let (end, overflow) = phoff.addingReportingOverflow(phentsize * phnum)
                guard !overflow, end <= UInt64(bytes.count) else {
                    throw ElfError.truncated(field: "program header table (e_phoff, e_phnum)", offset: phoff,
                                             needed: phentsize * phnum, available: UInt64(bytes.count))
                }
            }
        } catch let error as ElfError {
            throw error
        } catch {
            throw .truncated(field: "ELF header", offset: 0, needed: UInt64(headerSize), available: UInt64(bytes.count))
        }
        self.elfClass = elfClass
        self.byteOrder = byteOrder
    }
}
