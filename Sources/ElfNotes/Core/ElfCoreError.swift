public import SystemPackage

/// An ELF core file (/proc/vmcore, a qemu or makedumpfile dump) that cannot be
/// read: what is wrong, and which field, program header or byte offset.
public enum ElfCoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be opened, sized or read; `offset` is where a failed read began.
    case io(path: String, operation: String, offset: UInt64?, errno: Errno)
    /// The file does not start with 0x7f 'E' 'L' 'F'.
    case notELF(length: UInt64)
    /// `EI_CLASS` is neither ELFCLASS32 nor ELFCLASS64.
    case unsupportedClass(UInt8)
    /// `EI_DATA` is neither ELFDATA2LSB nor ELFDATA2MSB.
    case unsupportedByteOrder(UInt8)
    /// `e_type` is not ET_CORE (4).
    case notCore(type: UInt16)
    /// `field` needs `needed` bytes at file offset `offset`; the file has `available` there.
    case truncated(field: String, offset: UInt64, needed: UInt64, available: UInt64)
    /// `field` (at file offset `offset`) holds a value the format does not allow.
    case invalidField(field: String, offset: UInt64, value: UInt64, reason: String)
    /// A PT_NOTE larger than the reader accepts (a hostile or corrupt `p_filesz`).
    case noteSegmentTooLarge(index: Int, size: UInt64, limit: UInt64)
    /// A note descriptor that does not match its layout.
    case note(ElfNoteError)
    /// No PT_LOAD covers `address`, the first missing byte of a read of `requested`.
    case physicalHole(address: UInt64, requested: String)
    /// The PT_LOAD holding `address` claims file bytes past the end of the file
    /// (a dump cut short, e.g. by a full disk).
    case truncatedDump(address: UInt64, fileOffset: UInt64, fileSize: UInt64)
    /// `e_machine` names an architecture whose register layout is not known.
    case unsupportedMachine(UInt16)
    /// A value a writer was asked to store does not fit the ELF class.
    case doesNotFit(field: String, value: UInt64)

    public var description: String {
        switch self {
        case .io(let path, let operation, let offset?, let errno):
            "cannot \(operation) \(path) at byte offset \(offset): \(errno)"
        case .io(let path, let operation, nil, let errno):
            "cannot \(operation) \(path): \(errno)"
        case .notELF(let length):
            "not an ELF core file: the \(length)-byte file does not start with 0x7f 'E' 'L' 'F'"
        case .unsupportedClass(let value):
            "unsupported ELF class \(value) in e_ident[EI_CLASS] at byte offset 4 (expected 1 or 2)"
        case .unsupportedByteOrder(let value):
            "unsupported ELF data encoding \(value) in e_ident[EI_DATA] at byte offset 5 (expected 1 or 2)"
        case .notCore(let type):
            "e_type at byte offset 16 is \(type), not ET_CORE (4): this is not a core file"
        case .truncated(let field, let offset, let needed, let available):
            "\(field) at byte offset \(offset) needs \(needed) bytes, the file has \(available) there"
        case .invalidField(let field, let offset, let value, let reason):
            "\(field) at byte offset \(offset) is 0x\(String(value, radix: 16)): \(reason)"
        case .noteSegmentTooLarge(let index, let size, let limit):
            "program header \(index) (PT_NOTE) p_filesz \(size) exceeds the \(limit)-byte limit for notes"
        case .note(let error):
            "\(error)"
        case .physicalHole(let address, let requested):
            "physical address 0x\(String(address, radix: 16)) (reading \(requested)) is in no PT_LOAD: a hole in the dump"
        case .truncatedDump(let address, let fileOffset, let fileSize):
            "physical address 0x\(String(address, radix: 16)) lies at file offset \(fileOffset), past the end of the \(fileSize)-byte file (the dump is truncated)"
        case .unsupportedMachine(let machine):
            "e_machine \(machine) has no known NT_PRSTATUS layout (x86_64 62, i386 3, ppc64 21, ppc 20)"
        case .doesNotFit(let field, let value):
            "\(field) 0x\(String(value, radix: 16)) does not fit a 32-bit ELF field"
        }
    }
}
