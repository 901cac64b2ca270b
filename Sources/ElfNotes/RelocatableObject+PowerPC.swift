import KexecCore

/// The PowerPC relocation types ``RelocatableObject`` applies, with the ELF
/// numbers of the 64-bit ABI (`R_PPC64_*`); the 32-bit ABI (`R_PPC_*`) uses the
/// same numbers for the types both have.
///
/// Notation as in the ABIs: S = the symbol's address, A = the addend, P = the
/// address of the place, TOC = ``RelocatableObject/tocPointer(base:)``;
/// `#lo(x) = x & 0xffff`, `#hi(x) = x >> 16`, `#ha(x) = (x + 0x8000) >> 16`,
/// `#higher(a)`/`#highest(a)` = bits 32 and 48 up (with +0x8000 for the -A forms).
public enum PowerPCRelocationType: UInt32, Hashable, Sendable, CaseIterable {
    /// S + A, 4 bytes, must fit in 32 bits (signed or unsigned).
    case addr32 = 1
    /// S + A, 16 bits, must fit signed.
    case addr16 = 3
    /// #lo(S + A), 16 bits.
    case addr16Lo = 4
    /// #hi(S + A), 16 bits.
    case addr16Hi = 5
    /// #ha(S + A), 16 bits.
    case addr16Ha = 6
    /// S + A - P into bits 6..29 of a branch (`b`, `bl`), ±32 MiB, word-aligned;
    /// on ppc64 plus the callee's local entry offset (ELFv2 `st_other`).
    case rel24 = 10
    /// S + A - P into bits 16..29 of a conditional branch, ±32 KiB, word-aligned.
    case rel14 = 11
    /// S + A - P, 4 bytes, must fit signed.
    case rel32 = 26
    /// S + A, 8 bytes (ppc64).
    case addr64 = 38
    /// #higher(S + A) (ppc64).
    case addr16Higher = 39
    /// #highera(S + A) (ppc64).
    case addr16HigherA = 40
    /// #highest(S + A) (ppc64).
    case addr16Highest = 41
    /// #highesta(S + A) (ppc64).
    case addr16HighestA = 42
    /// S + A - P, 8 bytes (ppc64).
    case rel64 = 44
    /// S + A - TOC, 16 bits, must fit signed (ppc64).
    case toc16 = 47
    /// #lo(S + A - TOC) (ppc64).
    case toc16Lo = 48
    /// #hi(S + A - TOC) (ppc64).
    case toc16Hi = 49
    /// #ha(S + A - TOC) (ppc64).
    case toc16Ha = 50
    /// TOC (the pointer itself), 8 bytes (ppc64).
    case toc = 51
    /// S + A, 16 bits, must fit signed, low two bits kept (ppc64 `ld`/`std` forms).
    case addr16DS = 56
    /// #lo(S + A), low two bits kept (ppc64).
    case addr16LoDS = 57
    /// S + A - TOC, must fit signed, low two bits kept (ppc64).
    case toc16DS = 63
    /// #lo(S + A - TOC), low two bits kept (ppc64).
    case toc16LoDS = 64
    /// S + A - P, 16 bits, must fit signed.
    case rel16 = 249
    /// #lo(S + A - P) (ELFv2 global entry: `addi r2,r2,.TOC.-f@l`).
    case rel16Lo = 250
    /// #hi(S + A - P).
    case rel16Hi = 251
    /// #ha(S + A - P) (ELFv2 global entry: `addis r2,r12,.TOC.-f@ha`).
    case rel16Ha = 252

    /// The types defined for 32-bit objects (`R_PPC_*` with the same meaning).
    public static let ppc32Types: Set<PowerPCRelocationType> = [
        .addr32, .addr16, .addr16Lo, .addr16Hi, .addr16Ha, .rel24, .rel14, .rel32, .rel16, .rel16Lo, .rel16Hi, .rel16Ha,
    ]
}

extension RelocatableObject {
    /// The ppc64 TOC pointer (`r2`, the value of the linker symbol `.TOC.`) for an
    /// image at `base`: the end of the laid-out image (``memorySize``) rounded up to
    /// 8 bytes, plus 0x8000. That is where a linker puts `.got` after `.bss`, and
    /// `ld.lld --section-start=.got=<end>` gives the same `.TOC.`. Purgatory derives
    /// r2 from `.TOC.` itself (PC-relative), so the rule matters only for
    /// relocation; nothing of the image lives at the TOC.
    public func tocPointer(base: UInt64) -> UInt64 {
        base &+ ((memorySize &+ 7) & ~7) &+ 0x8000
    }

    /// The ELFv2 local entry offset of symbol `index` (`st_other` bits 5..7),
    /// read from the raw symbol table: 0 for ppc32, ELFv1 and functions without
    /// a global entry prologue.
    func localEntryOffset(symbolIndex index: Int) -> UInt64 {
        guard machine == .ppc64, object.elfClass == .elf64,
              let table = object.sections.first(where: { $0.type == 2 }) else { return 0 }
        let contents = object.contents(of: table)
        let position = contents.startIndex + index * 24 + 5  // Elf64_Sym: name 4, info 1, other 1
        guard index >= 0, position < contents.endIndex else { return 0 }
        let field = (contents[position] >> 5) & 7
        // 0 and 1: no separate local entry; 2..6: 1 << field bytes; 7 is reserved.
        return field >= 2 && field <= 6 ? UInt64(1) << UInt64(field) : 0
    }

    /// Applies one PowerPC RELA relocation to `image`.
    func applyPowerPC(type rawType: UInt32, symbolIndex: Int, symbolValue: UInt64, addend: Int64,
                      target: ElfSection, targetOffset: UInt64, offset: UInt64, base: UInt64,
                      image: inout [UInt8]) throws(RelocationError) {
        guard let type = PowerPCRelocationType(rawValue: rawType),
              machine == .ppc64 || PowerPCRelocationType.ppc32Types.contains(type) else {
            throw .unsupportedRelocation(section: target.name, offset: offset, type: rawType)
        }
        let width: UInt64
        switch type {
        case .addr64, .rel64, .toc: width = 8
        case .addr32, .rel32, .rel24, .rel14: width = 4
        default: width = 2
        }
        guard target.occupiesFile, offset <= target.size, target.size - offset >= width else {
            throw .relocationOutOfSection(section: target.name, offset: offset)
        }
        let position = Int(targetOffset + offset)
        let place = base &+ targetOffset &+ offset
        let absolute = symbolValue &+ UInt64(bitPattern: addend)
        let relative = absolute &- place
        let fromTOC = absolute &- tocPointer(base: base)
        let big = object.byteOrder == .big
        let is64 = machine == .ppc64

        func fail(_ value: UInt64) -> RelocationError {
            .valueDoesNotFit(section: target.name, offset: offset, type: rawType, value: Int64(bitPattern: value))
        }
        func fitsSigned(_ value: UInt64, bits: UInt64) -> Bool {
            let signed = Int64(bitPattern: value)
            return signed >= -(Int64(1) << (bits - 1)) && signed < Int64(1) << (bits - 1)
        }
        // A 32-bit object computes in 32 bits: addresses wrap there.
        func word(_ value: UInt64) -> UInt64 { is64 ? value : value & 0xffff_ffff }
        func signedWord(_ value: UInt64) -> UInt64 {
            is64 ? value : UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: value)))
        }
        func read(_ count: Int) -> UInt64 {
            var value: UInt64 = 0
            for index in 0..<count {
                let byte = UInt64(image[position + (big ? index : count - 1 - index)])
                value = value << 8 | byte
            }
            return value
        }
        func write(_ value: UInt64, _ count: Int) {
            for index in 0..<count {
                let shift = UInt64(8 * (big ? count - 1 - index : index))
                image[position + index] = UInt8(truncatingIfNeeded: value >> shift)
            }
        }
        func half(_ value: UInt64) { write(value & 0xffff, 2) }
        func halfDS(_ value: UInt64) throws(RelocationError) {
            guard value & 3 == 0 else { throw fail(value) }
            write((read(2) & 3) | (value & 0xfffc), 2)
        }
        func lo(_ value: UInt64) -> UInt64 { value & 0xffff }
        func hi(_ value: UInt64) -> UInt64 { (word(value) >> 16) & 0xffff }
        func ha(_ value: UInt64) -> UInt64 { ((word(value) &+ 0x8000) >> 16) & 0xffff }

        switch type {
        case .addr64, .rel64:
            write(type == .addr64 ? absolute : relative, 8)
        case .toc:
            write(tocPointer(base: base), 8)
        case .addr32:
            guard !is64 || fitsSigned(absolute, bits: 32) || absolute <= UInt64(UInt32.max) else { throw fail(absolute) }
            write(absolute & 0xffff_ffff, 4)
        case .rel32:
            let value = signedWord(relative)
            guard fitsSigned(value, bits: 32) else { throw fail(value) }
            write(value & 0xffff_ffff, 4)
        case .rel24:
            let value = signedWord(relative &+ localEntryOffset(symbolIndex: symbolIndex))
            guard fitsSigned(value, bits: 26), value & 3 == 0 else { throw fail(value) }
            write((read(4) & ~UInt64(0x03ff_fffc)) | (value & 0x03ff_fffc), 4)
        case .rel14:
            let value = signedWord(relative)
            guard fitsSigned(value, bits: 16), value & 3 == 0 else { throw fail(value) }
            write((read(4) & ~UInt64(0xfffc)) | (value & 0xfffc), 4)
        case .addr16, .toc16, .rel16:
            let value = signedWord(type == .addr16 ? absolute : type == .toc16 ? fromTOC : relative)
            guard fitsSigned(value, bits: 16) else { throw fail(value) }
            half(value)
        case .addr16DS, .toc16DS:
            let value = type == .addr16DS ? absolute : fromTOC
            guard fitsSigned(value, bits: 16) else { throw fail(value) }
            try halfDS(value)
        case .addr16Lo: half(lo(absolute))
        case .addr16Hi: half(hi(absolute))
        case .addr16Ha: half(ha(absolute))
        case .addr16LoDS: try halfDS(lo(absolute))
        case .toc16Lo: half(lo(fromTOC))
        case .toc16Hi: half(hi(fromTOC))
        case .toc16Ha:
            guard fitsSigned(fromTOC, bits: 32) else { throw fail(fromTOC) }
            half(ha(fromTOC))
        case .toc16LoDS: try halfDS(lo(fromTOC))
        case .rel16Lo: half(lo(relative))
        case .rel16Hi: half(hi(relative))
        case .rel16Ha:
            guard fitsSigned(signedWord(relative), bits: 32) else { throw fail(relative) }
            half(ha(relative))
        case .addr16Higher: half(absolute >> 32)
        case .addr16HigherA: half((absolute &+ 0x8000) >> 32)
        case .addr16Highest: half(absolute >> 48)
        case .addr16HighestA: half((absolute &+ 0x8000) >> 48)
        }
    }
}
