/// An ELF note blob or descriptor that cannot be read: what is wrong and at which
/// byte offset (counted from the start of the blob, plus the base offset the caller
/// gave, such as the PT_NOTE's `p_offset`).
public enum ElfNoteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A blob of zero bytes: there is not even a terminating note.
    case emptyBlob(offset: UInt64)
    /// More notes than ``ElfNoteBlob/maximumNotes``: no kernel writes that many.
    case tooManyNotes(offset: UInt64, limit: Int)
    /// A blob whose length is not a multiple of 4, the alignment of every note.
    case misaligned(offset: UInt64, length: Int)
    /// Fewer than 12 bytes remain for a note header, and they are not zero padding.
    case truncatedHeader(offset: UInt64, available: Int)
    /// `n_namesz` at `offset` (the note's start) asks for more bytes than remain.
    case nameOutOfBounds(offset: UInt64, namesz: UInt32, available: Int)
    /// `n_descsz` at `offset` (the note's start) asks for more bytes than remain.
    case descriptorOutOfBounds(offset: UInt64, name: String, descsz: UInt32, available: Int)
    /// A descriptor whose size does not match its note's known layout.
    case descriptorSize(note: String, expected: Int, actual: Int)
    /// A descriptor field holds a value the layout does not allow.
    case invalidDescriptorField(note: String, field: String, offset: Int, reason: String)

    public var description: String {
        switch self {
        case .tooManyNotes(let offset, let limit):
            "note \(limit + 1) at byte offset \(offset): more than the \(limit) notes a crash dump can hold (one per CPU and a few more)"
        case .emptyBlob(let offset):
            "note blob at byte offset \(offset) is empty (not even a terminating note)"
        case .misaligned(let offset, let length):
            "note blob at byte offset \(offset) is \(length) bytes long, not a multiple of 4"
        case .truncatedHeader(let offset, let available):
            "note header at byte offset \(offset) needs 12 bytes, only \(available) remain"
        case .nameOutOfBounds(let offset, let namesz, let available):
            "note at byte offset \(offset): n_namesz \(namesz) (padded to 4) does not fit the \(available) bytes after the header"
        case .descriptorOutOfBounds(let offset, let name, let descsz, let available):
            "note \"\(name)\" at byte offset \(offset): n_descsz \(descsz) (padded to 4) does not fit the \(available) bytes after the name"
        case .descriptorSize(let note, let expected, let actual):
            "\(note) descriptor is \(actual) bytes, expected \(expected)"
        case .invalidDescriptorField(let note, let field, let offset, let reason):
            "\(note) field \(field) at descriptor offset \(offset): \(reason)"
        }
    }
}
