import KexecCore

/// An ELF file that cannot be read: what is wrong and where.
public enum ElfError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The bytes do not start with the ELF magic (or are shorter than it).
    case notELF(length: Int)
    /// `field` lies past the end of the bytes.
    case truncated(field: String, offset: UInt64, needed: UInt64, available: UInt64)
    /// `EI_CLASS` is neither ELFCLASS32 nor ELFCLASS64.
    case unsupportedClass(UInt8)
    /// `EI_DATA` is neither ELFDATA2LSB nor ELFDATA2MSB.
    case unsupportedByteOrder(UInt8)
    /// Section `index` claims bytes outside the file.
    case sectionOutOfBounds(index: Int, name: String, offset: UInt64, size: UInt64, fileSize: UInt64)
    /// Program header `index` claims bytes outside the file.
    case segmentOutOfBounds(index: Int, offset: UInt64, size: UInt64, fileSize: UInt64)
    /// A header field has a value the format does not allow.
    case invalidField(field: String, value: UInt64, reason: String)
    /// libelf refused an operation; `message` is its elf_errmsg text.
    case libelf(operation: String, message: String)

    public var description: String {
        switch self {
        case .notELF(let length):
            "not an ELF file: the \(length)-byte input does not start with 0x7f 'E' 'L' 'F'"
        case .truncated(let field, let offset, let needed, let available):
            "truncated ELF file: \(field) needs \(needed) bytes at offset \(offset), the file has \(available)"
        case .unsupportedClass(let value):
            "unsupported ELF class \(value) in e_ident[EI_CLASS] (expected 1 or 2)"
        case .unsupportedByteOrder(let value):
            "unsupported ELF data encoding \(value) in e_ident[EI_DATA] (expected 1 or 2)"
        case .sectionOutOfBounds(let index, let name, let offset, let size, let fileSize):
            "section \(index) (\(name.isEmpty ? "unnamed" : name)) claims bytes \(offset)..<\(offset &+ size) of a \(fileSize)-byte file"
        case .segmentOutOfBounds(let index, let offset, let size, let fileSize):
            "program header \(index) claims bytes \(offset)..<\(offset &+ size) of a \(fileSize)-byte file"
        case .invalidField(let field, let value, let reason):
            "ELF header field \(field) = 0x\(String(value, radix: 16)): \(reason)"
        case .libelf(let operation, let message):
            "libelf \(operation) failed: \(message)"
        }
    }
}
