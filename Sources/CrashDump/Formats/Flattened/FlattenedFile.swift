public import ElfNotes
public import SystemPackage

/// A flattened file (``FlattenedFormat``) read in place as the file it stands
/// for: opening indexes the record headers (one small read per record, data
/// skipped), and reads map logical offsets to record data, so ``ElfCore`` and
/// ``KdumpCompressedMemory`` work on it unchanged and nothing is reassembled.
///
/// Later records win where records overlap (as when makedumpfile -R writes them
/// in order); bytes no record wrote read as zeros, like holes of the reassembled
/// file. A stream cut short is indexed up to its last byte and reported in
/// ``truncation``.
public final class FlattenedFile: DumpByteSource {
    /// A stretch of the logical file held contiguously by one record.
    public struct Extent: Hashable, Sendable {
        /// The offset in the logical (reassembled) file.
        public var logicalOffset: UInt64
        /// The length.
        public var size: UInt64
        /// Where its bytes are in the flattened file.
        public var fileOffset: UInt64

        /// One past the last logical byte.
        public var logicalEnd: UInt64 { logicalOffset + size }
    }

    /// The flattened file.
    public let base: any DumpByteSource
    /// The visible pieces of the records, sorted and disjoint.
    public let extents: [Extent]
    /// Records read (the end marker not counted).
    public let recordCount: Int
    /// The logical file's size: the end of the furthest record.
    public let size: UInt64
    /// The header's version field.
    public let version: Int64
    /// Where the stream stopped early, or `nil` when it has its end marker.
    public let truncation: FlattenedTruncation?

    /// Whether the stream ends with its end marker.
    public var isComplete: Bool { truncation == nil }
    /// The flattened file's name.
    public var name: String { base.name }

    /// Opens and indexes the flattened file at `path`.
    /// - Throws: as ``init(base:)``.
    public static func open(_ path: FilePath) throws(CrashDumpError) -> FlattenedFile {
        try FlattenedFile(base: DumpFile(path: path))
    }

    /// Indexes the flattened file `base`.
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` for a
    ///   bad header, a negative offset or size, or an offset + size past 2^63;
    ///   ``CrashDumpError/truncated(field:offset:needed:available:)`` when the header
    ///   itself is cut short; I/O errors. A stream cut short after its header is not
    ///   an error: see ``truncation``.
    public init(base: any CoreFileSource) throws(CrashDumpError) {
        let base = adaptedForDumpReading(base)
        self.base = base
        let fileSize = base.size
        let headerLength = Int(min(fileSize, UInt64(FlattenedFormat.headerSize)))
        let header = try base.bytes(at: 0, count: headerLength, field: "flattened header")
        version = try FlattenedFormat.decodeHeader(header)
        guard headerLength == FlattenedFormat.headerSize else {
            throw .truncated(field: "flattened header", offset: 0, needed: UInt64(FlattenedFormat.headerSize),
                             available: fileSize)
        }
        var records: [FlattenedIndex.Record] = []
        var position = UInt64(FlattenedFormat.headerSize)
        var truncation: FlattenedTruncation?
        while true {
            guard position < fileSize else {
                truncation = FlattenedTruncation(streamOffset: position, reason: "no end marker")
                break
            }
            guard fileSize - position >= UInt64(FlattenedFormat.recordHeaderSize) else {
                truncation = FlattenedTruncation(streamOffset: fileSize,
                                                 reason: "record header at \(position) cut short after \(fileSize - position) bytes")
                break
            }
            let record = FlattenedFormat.RecordHeader(
                try base.bytes(at: position, count: FlattenedFormat.recordHeaderSize, field: "flattened record header"))
            try record.validate(at: position)
            if record.isEnd { break }
            let dataStart = position + UInt64(FlattenedFormat.recordHeaderSize)
            let available = fileSize - dataStart
            let size = UInt64(record.size)
            if size > available {
                if available > 0 {
                    records.append(.init(logicalOffset: UInt64(record.offset), size: available, fileOffset: dataStart,
                                         sequence: records.count))
                }
                truncation = FlattenedTruncation(streamOffset: fileSize,
                                                 reason: "record at \(position) (\(size) bytes for offset \(record.offset)) cut short after \(available) bytes")
                break
            }
            if size > 0 {
                records.append(.init(logicalOffset: UInt64(record.offset), size: size, fileOffset: dataStart,
                                     sequence: records.count))
            }
            position = dataStart + size
        }
        recordCount = records.count
        extents = FlattenedIndex.visibleExtents(records)
        size = extents.last?.logicalEnd ?? 0
        self.truncation = truncation
    }

    /// Exactly `count` logical bytes from `offset` (`CoreFileSource`, for ElfCore).
    public func read(at offset: UInt64, count: Int) throws(ElfCoreError) -> [UInt8] {
        do {
            return try bytes(at: offset, count: count, field: "read")
        } catch {
            throw ElfCoreError(error)
        }
    }

    /// Fills `buffer` with the logical bytes at `offset`: one read of the
    /// flattened file per extent touched, zeros between records.
    /// - Throws: ``CrashDumpError/truncated(field:offset:needed:available:)`` past
    ///   the logical end, or a read error of the flattened file.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        try checkExtent(field: "read", offset: offset, count: UInt64(buffer.count))
        var done = 0
        var index = extentIndex(atOrAfter: offset)
        while done < buffer.count {
            let current = offset + UInt64(done)
            let remaining = UInt64(buffer.count - done)
            if index < extents.count, extents[index].logicalOffset <= current {
                let extent = extents[index]
                let count = Int(min(remaining, extent.logicalEnd - current))
                try base.read(at: extent.fileOffset + (current - extent.logicalOffset),
                              into: RawMemory.slice(buffer, done..<done + count))
                done += count
                index += 1
            } else {
                let next = index < extents.count ? extents[index].logicalOffset : UInt64.max
                let count = Int(min(remaining, next - current))
                RawMemory.zero(buffer, done..<done + count)
                done += count
            }
        }
    }

    /// The first extent that ends after `offset`.
    func extentIndex(atOrAfter offset: UInt64) -> Int {
        var low = 0
        var high = extents.count
        while low < high {
            let middle = (low + high) / 2
            if extents[middle].logicalEnd <= offset { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Checks the index: extents non-empty, sorted, disjoint, inside the
    /// flattened file. Returns the first problem, or `nil`.
    public func checkInvariants() -> String? {
        var previousEnd: UInt64 = 0
        for (index, extent) in extents.enumerated() {
            if extent.size == 0 { return "extent \(index) is empty" }
            if extent.logicalOffset < previousEnd { return "extent \(index) overlaps or is out of order" }
            if extent.fileOffset + extent.size > base.size { return "extent \(index) runs past the flattened file" }
            previousEnd = extent.logicalEnd
        }
        return size == previousEnd ? nil : "size \(size) is not the last extent's end \(previousEnd)"
    }
}
