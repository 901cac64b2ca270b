public import KexecCore

/// The notes of one blob (a PT_NOTE segment or a crash_notes buffer) and how the
/// walk through it ended.
public struct ElfNoteBlob: Hashable, Sendable {
    /// How the walk ended.
    public enum Ending: Hashable, Sendable {
        /// An empty note (`n_namesz` == 0) at this offset; bytes after it are ignored,
        /// as the capture kernel ignores them.
        case terminator(offset: Int)
        /// The last note ended exactly at the end of the blob.
        case endOfBlob
        /// Fewer than 12 zero bytes followed the last note.
        case zeroPadding(offset: Int)
    }

    /// The notes in blob order.
    public var notes: [ElfNote]
    /// The byte offset (within the blob) of each note in ``notes``.
    public var offsets: [Int]
    /// The bytes the real notes take: the kernel's `real_sz`, the length the
    /// capture kernel copies into the merged note segment.
    public var length: Int
    /// How the walk ended.
    public var ending: Ending

    /// The most notes one blob may hold: one NT_PRSTATUS per possible CPU (Debian's
    /// NR_CPUS is 8192) and a few more, with a wide margin.
    public static let maximumNotes = 65_536

    /// Reads every note of `bytes` in `byteOrder`, stopping at an empty note or the end.
    ///
    /// - Parameters:
    ///   - bytes: the blob; its length must be a non-zero multiple of 4.
    ///   - byteOrder: the core file's byte order (`EI_DATA`).
    ///   - baseOffset: added to offsets in errors, e.g. the PT_NOTE's `p_offset`.
    /// - Throws: ``ElfNoteError`` naming the byte offset of the first note that does
    ///   not fit (`n_namesz` or `n_descsz` past the end, truncated header), or a blob
    ///   that is empty or not a multiple of 4 bytes long.
    public init(parsing bytes: ArraySlice<UInt8>, byteOrder: ByteOrder, baseOffset: UInt64 = 0) throws(ElfNoteError) {
        guard !bytes.isEmpty else { throw .emptyBlob(offset: baseOffset) }
        guard bytes.count % ElfNote.alignment == 0 else { throw .misaligned(offset: baseOffset, length: bytes.count) }
        var walker = ElfNoteWalker(bytes, byteOrder: byteOrder, baseOffset: baseOffset)
        var notes: [ElfNote] = []
        var offsets: [Int] = []
        while true {
            switch try walker.next() {
            case .note(let note, let offset):
                guard notes.count < Self.maximumNotes else {
                    throw .tooManyNotes(offset: baseOffset + UInt64(offset), limit: Self.maximumNotes)
                }
                notes.append(note)
                offsets.append(offset)
            case .terminator(let offset):
                self.init(notes: notes, offsets: offsets, length: offset, ending: .terminator(offset: offset))
                return
            case .end(let offset):
                self.init(notes: notes, offsets: offsets, length: offset,
                          ending: offset == bytes.count ? .endOfBlob : .zeroPadding(offset: offset))
                return
            }
        }
    }

    /// Reads every note of `bytes`; see ``init(parsing:byteOrder:baseOffset:)-(ArraySlice<UInt8>,_,_)``.
    public init(parsing bytes: [UInt8], byteOrder: ByteOrder, baseOffset: UInt64 = 0) throws(ElfNoteError) {
        try self.init(parsing: bytes[...], byteOrder: byteOrder, baseOffset: baseOffset)
    }

    init(notes: [ElfNote], offsets: [Int], length: Int, ending: Ending) {
        self.notes = notes
        self.offsets = offsets
        self.length = length
        self.ending = ending
    }
}

extension ElfNote {
    /// The notes of a blob in `byteOrder`, up to an empty note or the end.
    /// - Throws: ``ElfNoteError``; see ``ElfNoteBlob/init(parsing:byteOrder:baseOffset:)-(ArraySlice<UInt8>,_,_)``.
    public static func decode(_ bytes: [UInt8], byteOrder: ByteOrder) throws(ElfNoteError) -> [ElfNote] {
        try ElfNoteBlob(parsing: bytes, byteOrder: byteOrder).notes
    }
}
