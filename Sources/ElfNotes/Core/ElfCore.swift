public import KexecCore
public import SystemPackage

/// An ELF core file read through a ``CoreFileSource``: /proc/vmcore in a capture
/// kernel, or a dump written by qemu's `dump-guest-memory` or `makedumpfile -E`.
///
/// Reading takes the ELF header, the program headers (with the PN_XNUM extension)
/// and the PT_NOTE contents, merged as the capture kernel merges them; memory is
/// read on demand by physical address through the PT_LOAD map. Either ELF class
/// and either byte order; the architecture comes from `e_machine`, so an i386
/// kernel's ELF64 core header (kexec-tools' `--elf64-core-headers`) works too.
public struct ElfCore: Sendable {
    /// The file.
    public let source: any CoreFileSource
    /// `EI_CLASS`.
    public let elfClass: ElfClass
    /// `EI_DATA`: the byte order of every header and note.
    public let byteOrder: ByteOrder
    /// `e_machine` (EM_X86_64 62, EM_386 3, EM_PPC64 21, EM_PPC 20).
    public let machine: UInt16
    /// Every program header, in file order.
    public let programHeaders: [ElfProgramHeader]
    /// The notes of all PT_NOTEs, merged (for /proc/vmcore the kernel already
    /// merged them into one PT_NOTE).
    public let notes: MergedElfNotes
    /// The PT_LOADs in program header order.
    public let loads: [CoreLoad]
    /// Non-overlapping pieces of the loads sorted by physical address, for lookups.
    let map: [MapPiece]

    struct MapPiece: Sendable {
        var physical: PhysicalRange
        var load: CoreLoad
    }

    /// The most bytes of PT_NOTE content accepted (per segment).
    public static let noteSegmentLimit: UInt64 = 256 << 20

    /// Reads the headers and notes of the core file in `source`.
    /// - Throws: ``ElfCoreError`` naming the field and byte offset.
    public init(source: any CoreFileSource) throws(ElfCoreError) {
        let fileSize = source.size
        guard fileSize >= 16 else {
            let head = try source.read(at: 0, count: Int(fileSize))
            if head.count >= 4 && head[0...3] == [0x7f, 0x45, 0x4c, 0x46] {
                throw .truncated(field: "e_ident", offset: 0, needed: 16, available: fileSize)
            }
            throw .notELF(length: fileSize)
        }
        let ident = try source.read(at: 0, count: 16)
        guard ident[0...3] == [0x7f, 0x45, 0x4c, 0x46] else { throw .notELF(length: fileSize) }
        guard let elfClass = ElfClass(rawValue: ident[4]) else { throw .unsupportedClass(ident[4]) }
        let byteOrder: ByteOrder
        switch ident[5] {
        case 1: byteOrder = .little
        case 2: byteOrder = .big
        default: throw .unsupportedByteOrder(ident[5])
        }
        let is64 = elfClass == .elf64
        let headerSize = is64 ? 64 : 52
        guard fileSize >= UInt64(headerSize) else {
            throw .truncated(field: "ELF header", offset: 0, needed: UInt64(headerSize), available: fileSize)
        }
        let header = HeaderFields(try source.read(at: 0, count: headerSize), byteOrder: byteOrder, is64: is64)
        let type = header.half(16)
        guard type == 4 else { throw .notCore(type: type) }
        machine = header.half(18)
        let phoff = header.word(is64 ? 32 : 28)
        let shoff = header.word(is64 ? 40 : 32)
        let phentsize = header.half(is64 ? 54 : 42)
        var phnum = UInt64(header.half(is64 ? 56 : 44))
        let shentsize = header.half(is64 ? 58 : 46)

        // PN_XNUM: the real count is in section header 0's sh_info.
        if phnum == 0xffff {
            let expected: UInt16 = is64 ? 64 : 40
            guard shoff != 0 else {
                throw .invalidField(field: "e_shoff", offset: is64 ? 40 : 32, value: 0,
                                    reason: "e_phnum is PN_XNUM (0xffff) but there is no section header 0")
            }
            guard shentsize == expected else {
                throw .invalidField(field: "e_shentsize", offset: is64 ? 58 : 46, value: UInt64(shentsize),
                                    reason: "expected \(expected)")
            }
            try Self.checkExtent(field: "section header 0", offset: shoff, size: UInt64(expected), fileSize: fileSize)
            let section = HeaderFields(try source.read(at: shoff, count: Int(expected)), byteOrder: byteOrder, is64: is64)
            phnum = UInt64(section.u32(is64 ? 44 : 28))
        }
        let entrySize: UInt64 = is64 ? 56 : 32
        if phnum > 0 {
            guard UInt64(phentsize) == entrySize else {
                throw .invalidField(field: "e_phentsize", offset: is64 ? 54 : 42, value: UInt64(phentsize),
                                    reason: "expected \(entrySize)")
            }
        }
        // phnum < 2^32 and entrySize <= 56, so the product cannot overflow.
        let tableSize = phnum * entrySize
        try Self.checkExtent(field: "program header table (e_phoff, e_phnum)", offset: phoff, size: tableSize, fileSize: fileSize)
        guard tableSize <= UInt64(Int.max) else {
            throw .invalidField(field: "e_phnum", offset: is64 ? 56 : 44, value: phnum, reason: "more program headers than this process can hold")
        }
        let table = tableSize == 0 ? [] : try source.read(at: phoff, count: Int(tableSize))

        var headers: [ElfProgramHeader] = []
        headers.reserveCapacity(Int(phnum))
        for index in 0..<Int(phnum) {
            let entry = HeaderFields(Array(table[index * Int(entrySize)..<(index + 1) * Int(entrySize)]),
                                     byteOrder: byteOrder, is64: is64)
            if is64 {
                headers.append(ElfProgramHeader(
                    index: index, type: entry.u32(0), flags: entry.u32(4), offset: entry.word(8),
                    virtualAddress: entry.word(16), physicalAddress: entry.word(24), fileSize: entry.word(32),
                    memorySize: entry.word(40), alignment: entry.word(48)))
            } else {
                headers.append(ElfProgramHeader(
                    index: index, type: entry.u32(0), flags: entry.u32(24), offset: entry.word(4),
                    virtualAddress: entry.word(8), physicalAddress: entry.word(12), fileSize: entry.word(16),
                    memorySize: entry.word(20), alignment: entry.word(28)))
            }
        }

        var blobs: [ArraySlice<UInt8>] = []
        var blobOffsets: [UInt64] = []
        var loads: [CoreLoad] = []
        for header in headers {
            let headerOffset = phoff + UInt64(header.index) * entrySize
            switch header.type {
            case 4: // PT_NOTE
                guard header.fileSize <= Self.noteSegmentLimit else {
                    throw .noteSegmentTooLarge(index: header.index, size: header.fileSize, limit: Self.noteSegmentLimit)
                }
                try Self.checkExtent(field: "program header \(header.index) (PT_NOTE) contents", offset: header.offset,
                                     size: header.fileSize, fileSize: fileSize)
                blobs.append(try source.read(at: header.offset, count: Int(header.fileSize))[...])
                blobOffsets.append(header.offset)
            case 1: // PT_LOAD
                guard header.fileSize <= header.memorySize else {
                    throw .invalidField(field: "program header \(header.index) p_filesz", offset: headerOffset,
                                        value: header.fileSize,
                                        reason: "larger than p_memsz 0x\(String(header.memorySize, radix: 16))")
                }
                let physical: PhysicalRange
                do {
                    physical = try PhysicalRange(start: PhysicalAddress(header.physicalAddress), size: header.memorySize)
                } catch {
                    throw .invalidField(field: "program header \(header.index) p_paddr + p_memsz", offset: headerOffset,
                                        value: header.physicalAddress, reason: "\(error)")
                }
                guard header.offset.addingReportingOverflow(header.fileSize).overflow == false else {
                    throw .invalidField(field: "program header \(header.index) p_offset + p_filesz", offset: headerOffset,
                                        value: header.offset, reason: "overflows 64 bits")
                }
                let kernelText = machine == 62 && header.virtualAddress >= CoreLoad.x86_64KernelTextMap
                loads.append(CoreLoad(index: header.index, physical: physical,
                                      virtualStart: VirtualAddress(header.virtualAddress), fileOffset: header.offset,
                                      fileSize: header.fileSize, isKernelText: kernelText))
            default:
                break
            }
        }

        self.source = source
        self.elfClass = elfClass
        self.byteOrder = byteOrder
        programHeaders = headers
        notes = ElfNote.merge(blobs, byteOrder: byteOrder, baseOffsets: blobOffsets)
        self.loads = loads
        map = Self.buildMap(loads)
    }

    /// Opens and reads the core file at `path` (default /proc/vmcore).
    /// - Throws: ``ElfCoreError``.
    public static func open(_ path: FilePath = "/proc/vmcore") throws(ElfCoreError) -> ElfCore {
        try ElfCore(source: try FileCoreSource(path: path))
    }

    /// The crashed machine's architecture, from `e_machine` and the byte order;
    /// `nil` for machines the suite does not know.
    public var architecture: KexecArchitecture? {
        switch machine {
        case 62: .x86_64
        case 3: .i386
        case 21: byteOrder == .little ? .ppc64le : .ppc64
        case 20: .ppc
        default: nil
        }
    }

    static func checkExtent(field: String, offset: UInt64, size: UInt64, fileSize: UInt64) throws(ElfCoreError) {
        let (end, overflow) = offset.addingReportingOverflow(size)
        guard !overflow, end <= fileSize else {
            throw .truncated(field: field, offset: offset, needed: size, available: offset <= fileSize ? fileSize - offset : 0)
        }
    }

    /// Sorts the loads by physical start and cuts overlaps (the kernel-text PT_LOAD
    /// repeats part of a RAM range) so every address maps to one piece.
    static func buildMap(_ loads: [CoreLoad]) -> [MapPiece] {
        let sorted = loads.filter { !$0.physical.isEmpty }.sorted {
            ($0.physical.lowerBound, $0.index) < ($1.physical.lowerBound, $1.index)
        }
        var pieces: [MapPiece] = []
        var coveredEnd: PhysicalAddress? = nil
        for load in sorted {
            let start = coveredEnd.map { max($0, load.physical.lowerBound) } ?? load.physical.lowerBound
            guard start < load.physical.upperBound else { continue }
            pieces.append(MapPiece(physical: PhysicalRange(unchecked: start, load.physical.upperBound), load: load))
            coveredEnd = load.physical.upperBound
        }
        return pieces
    }
}

/// Reads header fields at fixed offsets of a buffer whose size was checked.
struct HeaderFields {
    let bytes: [UInt8]
    let byteOrder: ByteOrder
    let is64: Bool

    init(_ bytes: [UInt8], byteOrder: ByteOrder, is64: Bool) {
        self.bytes = bytes
        self.byteOrder = byteOrder
        self.is64 = is64
    }

    private func value<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
        (try? ByteReader(bytes, byteOrder: byteOrder).peek(type, at: offset, field: "header")) ?? 0
    }

    func half(_ offset: Int) -> UInt16 { value(UInt16.self, offset) }
    func u32(_ offset: Int) -> UInt32 { value(UInt32.self, offset) }
    /// An address or offset: 8 bytes in ELF64, 4 in ELF32.
    func word(_ offset: Int) -> UInt64 { is64 ? value(UInt64.self, offset) : UInt64(value(UInt32.self, offset)) }
}
