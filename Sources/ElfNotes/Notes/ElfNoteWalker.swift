import KexecCore

/// Walks a note blob the way fs/proc/vmcore.c's `update_note_header_size_elf64`
/// does: note after note until an empty note (`n_namesz` == 0) or the end.
///
/// Every size is checked against the bytes that remain before anything is sliced,
/// with 64-bit arithmetic on the 32-bit size fields, so no hostile size can make
/// it allocate, overflow or loop: each step consumes at least 16 bytes.
struct ElfNoteWalker {
    enum Step {
        /// A complete note starting at `offset` (relative to the blob).
        case note(ElfNote, offset: Int)
        /// An empty note at `offset`: the walk ends here.
        case terminator(offset: Int)
        /// The end of the blob, possibly after fewer than 12 bytes of zero padding
        /// starting at `offset`.
        case end(offset: Int)
    }

    let bytes: ArraySlice<UInt8>
    let byteOrder: ByteOrder
    /// Added to relative offsets in errors (the blob's offset in its file).
    let baseOffset: UInt64
    private(set) var position = 0

    init(_ bytes: ArraySlice<UInt8>, byteOrder: ByteOrder, baseOffset: UInt64) {
        self.bytes = bytes
        self.byteOrder = byteOrder
        self.baseOffset = baseOffset
    }

    private func absolute(_ relative: Int) -> UInt64 { baseOffset &+ UInt64(relative) }

    private func word(at relative: Int) -> UInt32 {
        let start = bytes.startIndex + relative
        var value: UInt32 = 0
        for index in 0..<4 {
            let byte = UInt32(bytes[start + index])
            switch byteOrder {
            case .little: value |= byte << (8 * index)
            case .big: value |= byte << (8 * (3 - index))
            }
        }
        return value
    }

    /// The next step; after `.terminator` or `.end` it keeps returning the same.
    mutating func next() throws(ElfNoteError) -> Step {
        let remaining = bytes.count - position
        if remaining == 0 { return .end(offset: position) }
        if remaining < ElfNote.headerSize {
            let tail = bytes[(bytes.startIndex + position)...]
            guard tail.allSatisfy({ $0 == 0 }) else {
                throw .truncatedHeader(offset: absolute(position), available: remaining)
            }
            return .end(offset: position)
        }
        let namesz = word(at: position)
        let descsz = word(at: position + 4)
        let type = word(at: position + 8)
        if namesz == 0 { return .terminator(offset: position) }
        let afterHeader = UInt64(remaining - ElfNote.headerSize)
        let paddedName = (UInt64(namesz) + 3) & ~3
        guard paddedName <= afterHeader else {
            throw .nameOutOfBounds(offset: absolute(position), namesz: namesz, available: Int(afterHeader))
        }
        let nameStart = bytes.startIndex + position + ElfNote.headerSize
        let nameBytes = bytes[nameStart..<nameStart + Int(namesz)]
        let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
        let afterName = afterHeader - paddedName
        let paddedDescriptor = (UInt64(descsz) + 3) & ~3
        guard paddedDescriptor <= afterName else {
            throw .descriptorOutOfBounds(offset: absolute(position), name: name, descsz: descsz, available: Int(afterName))
        }
        let descriptorStart = nameStart + Int(paddedName)
        let descriptor = Array(bytes[descriptorStart..<descriptorStart + Int(descsz)])
        let start = position
        position += ElfNote.headerSize + Int(paddedName) + Int(paddedDescriptor)
        return .note(ElfNote(name: name, type: type, descriptor: descriptor), offset: start)
    }
}
