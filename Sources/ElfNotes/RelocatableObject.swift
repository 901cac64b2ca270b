public import KexecCore

/// The relocation types the suite applies, per machine.
public enum RelocationMachine: Hashable, Sendable {
    case x86_64
    case i386
    /// 64-bit PowerPC, either byte order (R_PPC64_*; see RelocatableObject+PowerPC.swift).
    case ppc64
    /// 32-bit PowerPC (R_PPC_*).
    case ppc

    init?(elfMachine: UInt16) {
        switch elfMachine {
        case 62: self = .x86_64
        case 3: self = .i386
        case 21: self = .ppc64
        case 20: self = .ppc
        default: return nil
        }
    }

    /// Whether the machine's relocations are PowerPC ones.
    var isPowerPC: Bool { self == .ppc64 || self == .ppc }
}

/// A relocatable object (ET_REL) that cannot be laid out or relocated.
public enum RelocationError: Error, Hashable, Sendable, CustomStringConvertible {
    case notRelocatable(type: UInt16)
    case unsupportedMachine(UInt16)
    case unsupportedRelocation(section: String, offset: UInt64, type: UInt32)
    case undefinedSymbol(String)
    case symbolIndexOutOfRange(section: String, index: UInt64)
    case relocationOutOfSection(section: String, offset: UInt64)
    case valueDoesNotFit(section: String, offset: UInt64, type: UInt32, value: Int64)
    case missingSymbol(String)
    case patchDoesNotFit(symbol: String, size: Int, available: UInt64)
    case patchIntoNoBits(symbol: String)
    case invalidAlignment(section: String, alignment: UInt64)
    case malformed(BinaryParseError)

    public var description: String {
        switch self {
        case .notRelocatable(let type): "expected a relocatable object (ET_REL), got e_type \(type)"
        case .unsupportedMachine(let machine): "relocatable objects for e_machine \(machine) are not supported"
        case .unsupportedRelocation(let section, let offset, let type):
            "relocation type \(type) at \(section)+0x\(String(offset, radix: 16)) is not supported"
        case .undefinedSymbol(let name): "symbol \(name) is undefined; purgatory must be self-contained"
        case .symbolIndexOutOfRange(let section, let index): "relocation in \(section) names symbol \(index), past the symbol table"
        case .relocationOutOfSection(let section, let offset): "relocation at \(section)+0x\(String(offset, radix: 16)) lies outside the section"
        case .valueDoesNotFit(let section, let offset, let type, let value):
            "relocation type \(type) at \(section)+0x\(String(offset, radix: 16)): value 0x\(String(value, radix: 16)) does not fit"
        case .missingSymbol(let name): "the object has no symbol \(name)"
        case .patchDoesNotFit(let symbol, let size, let available): "\(size) bytes do not fit symbol \(symbol) (\(available) bytes)"
        case .patchIntoNoBits(let symbol): "symbol \(symbol) lives in a NOBITS section and cannot be patched"
        case .invalidAlignment(let section, let alignment): "section \(section) has alignment \(alignment), not a power of two"
        case .malformed(let error): "malformed relocation table: \(error)"
        }
    }
}

/// A relocatable ELF object (such as purgatory) laid out for a physical address,
/// the way kexec-tools' `elf_rel_load` does: every SHF_ALLOC section with bytes
/// packed at its alignment in section order, NOBITS sections after them, then
/// every relocation against an allocated section applied.
public struct RelocatableObject: Sendable {
    /// The object.
    public let object: ElfObject
    /// The relocation rules in force.
    public let machine: RelocationMachine
    /// For each allocated section, its offset in the laid-out image.
    public let sectionOffsets: [Int: UInt64]
    /// Bytes with contents (PROGBITS and the like), laid out.
    public let fileSize: UInt64
    /// Including NOBITS sections.
    public let memorySize: UInt64
    /// The largest section alignment: the image's start must be aligned to it.
    public let alignment: Alignment

    /// Lays out `object`.
    /// - Throws: ``RelocationError``.
    public init(_ object: ElfObject) throws(RelocationError) {
        guard object.type == 1 else { throw .notRelocatable(type: object.type) }
        guard let machine = RelocationMachine(elfMachine: object.machine) else { throw .unsupportedMachine(object.machine) }
        self.object = object
        self.machine = machine
        var offsets: [Int: UInt64] = [:]
        var cursor: UInt64 = 0
        var largest = Alignment.byte
        var filePart: UInt64 = 0
        let allocated = object.sections.filter { $0.flags & 0x2 != 0 && $0.size > 0 }
        for pass in [true, false] {
            for section in allocated where section.occupiesFile == pass {
                let alignment: Alignment
                do { alignment = try Alignment(bytes: max(section.alignment, 1)) } catch {
                    throw .invalidAlignment(section: section.name, alignment: section.alignment)
                }
                largest = max(largest, alignment)
                cursor = (cursor + alignment.mask) & ~alignment.mask
                offsets[section.index] = cursor
                cursor += section.size
            }
            if pass { filePart = cursor }
        }
        fileSize = filePart
        memorySize = cursor
        sectionOffsets = offsets
        alignment = largest
    }

    /// The address of symbol `name` once the image starts at `base`.
    public func address(of name: String, base: PhysicalAddress) throws(RelocationError) -> PhysicalAddress {
        guard let symbol = object.symbols.first(where: { $0.name == name && $0.sectionIndex != 0 }) else {
            throw .missingSymbol(name)
        }
        return PhysicalAddress(try value(of: symbol, base: base.rawValue))
    }

    private func value(of symbol: ElfSymbol, base: UInt64) throws(RelocationError) -> UInt64 {
        switch symbol.sectionIndex {
        case 0:
            // ppc64: `.TOC.` is the linker-defined TOC pointer (see tocPointer(base:)).
            if machine == .ppc64 && symbol.name == ".TOC." { return tocPointer(base: base) }
            throw .undefinedSymbol(symbol.name)
        case 0xfff1: return symbol.value  // SHN_ABS
        default:
            guard let offset = sectionOffsets[Int(symbol.sectionIndex)] else {
                // A symbol in a non-allocated section has no address at run time.
                throw .undefinedSymbol(symbol.name.isEmpty ? "section \(symbol.sectionIndex)" : symbol.name)
            }
            return base &+ offset &+ symbol.value
        }
    }

    /// The laid-out, relocated image for `base` (``fileSize`` bytes; the rest up to
    /// ``memorySize`` is zero), with `patches` (symbol name -> bytes) written over
    /// the symbols' initial values.
    /// - Throws: ``RelocationError``.
    public func image(at base: PhysicalAddress, patches: [String: [UInt8]] = [:]) throws(RelocationError) -> [UInt8] {
        var image = [UInt8](repeating: 0, count: Int(fileSize))
        for section in object.sections where section.occupiesFile {
            guard let offset = sectionOffsets[section.index] else { continue }
            let contents = object.contents(of: section)
            image.replaceSubrange(Int(offset)..<Int(offset) + contents.count, with: contents)
        }
        for relocationSection in object.sections where relocationSection.type == 4 || relocationSection.type == 9 {
            guard let targetOffset = sectionOffsets[Int(relocationSection.info)] else { continue }
            let target = object.sections[Int(relocationSection.info)]
            try apply(relocationSection, to: target, at: targetOffset, base: base.rawValue, image: &image)
        }
        for (name, bytes) in patches {
            guard let symbol = object.symbols.first(where: { $0.name == name && $0.sectionIndex != 0 }) else {
                throw .missingSymbol(name)
            }
            guard UInt64(bytes.count) <= max(symbol.size, 0) else {
                throw .patchDoesNotFit(symbol: name, size: bytes.count, available: symbol.size)
            }
            let address = try value(of: symbol, base: 0)
            guard address + UInt64(bytes.count) <= fileSize else { throw .patchIntoNoBits(symbol: name) }
            image.replaceSubrange(Int(address)..<Int(address) + bytes.count, with: bytes)
        }
        return image
    }

    private func apply(_ table: ElfSection, to target: ElfSection, at targetOffset: UInt64, base: UInt64,
                       image: inout [UInt8]) throws(RelocationError) {
        let is64 = object.elfClass == .elf64
        let rela = table.type == 4
        let entrySize = is64 ? (rela ? 24 : 16) : (rela ? 12 : 8)
        var reader = ByteReader(Array(object.contents(of: table)), byteOrder: object.byteOrder)
        let symbols = symbolTable(linkedFrom: table)
        while reader.remaining >= entrySize {
            let offset: UInt64
            let info: UInt64
            var addend: Int64 = 0
            do {
                if is64 {
                    offset = try reader.read(UInt64.self, field: "r_offset")
                    info = try reader.read(UInt64.self, field: "r_info")
                    if rela { addend = Int64(bitPattern: try reader.read(UInt64.self, field: "r_addend")) }
                } else {
                    offset = UInt64(try reader.read(UInt32.self, field: "r_offset"))
                    info = UInt64(try reader.read(UInt32.self, field: "r_info"))
                    if rela { addend = Int64(Int32(bitPattern: try reader.read(UInt32.self, field: "r_addend"))) }
                }
            } catch {
                throw .malformed(error)
            }
            let symbolIndex = is64 ? info >> 32 : info >> 8
            let type = UInt32(truncatingIfNeeded: is64 ? info & 0xffff_ffff : info & 0xff)
            if type == 0 { continue }  // R_*_NONE
            guard symbolIndex < UInt64(symbols.count) else {
                throw .symbolIndexOutOfRange(section: table.name, index: symbolIndex)
            }
            let symbolValue = try value(of: symbols[Int(symbolIndex)], base: base)
            if machine.isPowerPC {
                guard rela else { throw .unsupportedRelocation(section: target.name, offset: offset, type: type) }
                try applyPowerPC(type: type, symbolIndex: Int(symbolIndex), symbolValue: symbolValue, addend: addend,
                                 target: target, targetOffset: targetOffset, offset: offset, base: base, image: &image)
                continue
            }
            let width = relocationWidth(type)
            guard let width, offset <= target.size, target.size - offset >= UInt64(width) else {
                if width == nil { throw .unsupportedRelocation(section: target.name, offset: offset, type: type) }
                throw .relocationOutOfSection(section: target.name, offset: offset)
            }
            let position = Int(targetOffset + offset)
            if !rela {
                // REL: the addend is the value already at the place.
                var implicit: UInt64 = 0
                for index in 0..<width { implicit |= UInt64(image[position + index]) << (8 * index) }
                addend = width == 4 ? Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: implicit))) : Int64(bitPattern: implicit)
            }
            let place = base &+ targetOffset &+ offset
            let value = try compute(type: type, symbol: symbolValue, addend: addend, place: place,
                                    section: target.name, offset: offset)
            for index in 0..<width { image[position + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
    }

    private func symbolTable(linkedFrom table: ElfSection) -> [ElfSymbol] {
        // ElfObject keeps the entries of every SYMTAB in order; purgatory objects have
        // exactly one, which is the one sh_link names.
        object.symbols
    }

    private func relocationWidth(_ type: UInt32) -> Int? {
        switch (machine, type) {
        case (.x86_64, 1): 8                       // R_X86_64_64
        case (.x86_64, 2), (.x86_64, 4): 4         // PC32, PLT32
        case (.x86_64, 10), (.x86_64, 11): 4       // 32, 32S
        case (.i386, 1), (.i386, 2), (.i386, 4): 4 // R_386_32, PC32, PLT32
        default: nil
        }
    }

    private func compute(type: UInt32, symbol: UInt64, addend: Int64, place: UInt64,
                         section: String, offset: UInt64) throws(RelocationError) -> UInt64 {
        let absolute = symbol &+ UInt64(bitPattern: addend)
        let relative = Int64(bitPattern: absolute &- place)
        switch (machine, type) {
        case (.x86_64, 1):
            return absolute
        case (.i386, 2), (.i386, 4):
            return UInt64(bitPattern: relative) & 0xffff_ffff  // 32-bit arithmetic wraps
        case (.x86_64, 2), (.x86_64, 4):
            guard relative >= Int64(Int32.min), relative <= Int64(Int32.max) else {
                throw .valueDoesNotFit(section: section, offset: offset, type: type, value: relative)
            }
            return UInt64(bitPattern: relative)
        case (.x86_64, 10), (.i386, 1):
            guard absolute <= UInt64(UInt32.max) else {
                throw .valueDoesNotFit(section: section, offset: offset, type: type, value: Int64(bitPattern: absolute))
            }
            return absolute
        case (.x86_64, 11):
            let signed = Int64(bitPattern: absolute)
            guard signed >= Int64(Int32.min), signed <= Int64(Int32.max) else {
                throw .valueDoesNotFit(section: section, offset: offset, type: type, value: signed)
            }
            return absolute
        default:
            throw .unsupportedRelocation(section: section, offset: offset, type: type)
        }
    }
}
