import KexecCore

/// makedumpfile's flattened format (`makedumpfile -F`), for writing a dump to a
/// pipe: a 4096-byte header, then records that each say "these bytes go at this
/// offset of the real file", then an end marker. `makedumpfile -R` (and
/// ``reassemble(flat:to:inputName:outputName:)``) turns it back into the file; crash and
/// libkdumpfile read it directly, as does ``FlattenedFile``.
///
/// Header: "makedumpfile" NUL-padded to 16 bytes, int64 type = 1 at 16, int64
/// version = 1 at 24, zeros to 4096. Record: int64 offset, int64 size, then size
/// bytes. End: offset = size = -1. Every integer is big-endian whatever the
/// machine (makedumpfile.c `write_start_flat_header`, `write_buffer`).
public enum FlattenedFormat {
    /// The signature at byte 0.
    public static let signature = "makedumpfile"
    /// The header's size.
    public static let headerSize = 4096
    /// A record header's size.
    public static let recordHeaderSize = 16
    /// `TYPE_FLAT_HEADER`.
    public static let type: Int64 = 1
    /// `VERSION_FLAT_HEADER`.
    public static let version: Int64 = 1
    /// `END_FLAG_FLAT_HEADER`: offset and size of the end marker.
    public static let endMarker: Int64 = -1

    /// The 4096-byte stream header.
    public static func encodeHeader() -> [UInt8] {
        var writer = ByteWriter(byteOrder: .big, reservingCapacity: headerSize)
        writer.write(bytes: Array(signature.utf8))
        writer.writeZeros(16 - signature.utf8.count)
        writer.write(type)
        writer.write(version)
        writer.writeZeros(headerSize - writer.bytes.count)
        return writer.bytes
    }

    /// A record header (or, with both -1, the end marker).
    public static func encodeRecordHeader(offset: Int64, size: Int64) -> [UInt8] {
        var writer = ByteWriter(byteOrder: .big, reservingCapacity: recordHeaderSize)
        writer.write(offset)
        writer.write(size)
        return writer.bytes
    }

    /// Whether `prefix` (the first 16 or more bytes of a file) starts a flattened
    /// stream: the signature followed by a NUL, as makedumpfile's `strcmp` wants.
    public static func isFlattened(_ prefix: [UInt8]) -> Bool {
        let expected = Array(signature.utf8)
        return prefix.count > expected.count && Array(prefix[0..<expected.count]) == expected && prefix[expected.count] == 0
    }

    /// Checks a stream header (at least its first 32 bytes) and returns its version.
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` for a
    ///   wrong signature or a type other than 1, ``CrashDumpError/truncated(field:offset:needed:available:)``.
    public static func decodeHeader(_ bytes: [UInt8]) throws(CrashDumpError) -> Int64 {
        guard bytes.count >= 32 else {
            throw .truncated(field: "flattened header", offset: 0, needed: UInt64(headerSize), available: UInt64(bytes.count))
        }
        guard isFlattened(bytes) else {
            throw .invalidField(field: "flattened signature", offset: 0, value: FieldReader(bytes: bytes, byteOrder: .big).u64(0),
                                reason: "not \"makedumpfile\" followed by NUL")
        }
        let fields = FieldReader(bytes: bytes, byteOrder: .big)
        let type = fields.i64(16)
        guard type == Self.type else {
            throw .invalidField(field: "flattened type", offset: 16, value: UInt64(bitPattern: type), reason: "expected 1 (TYPE_FLAT_HEADER)")
        }
        let version = fields.i64(24)
        guard version >= 1 else {
            throw .invalidField(field: "flattened version", offset: 24, value: UInt64(bitPattern: version), reason: "expected 1 or later")
        }
        return version
    }

    /// A decoded record header.
    struct RecordHeader {
        var offset: Int64
        var size: Int64

        var isEnd: Bool { offset == FlattenedFormat.endMarker && size == FlattenedFormat.endMarker }

        init(_ bytes: [UInt8]) {
            let fields = FieldReader(bytes: bytes, byteOrder: .big)
            offset = fields.i64(0)
            size = fields.i64(8)
        }

        /// Checks a record header found at stream offset `position`.
        func validate(at position: UInt64) throws(CrashDumpError) {
            if isEnd { return }
            guard offset >= 0 else {
                throw .invalidField(field: "flattened record offset", offset: position, value: UInt64(bitPattern: offset),
                                    reason: offset == FlattenedFormat.endMarker ? "end marker with size \(size) instead of -1" : "negative")
            }
            guard size >= 0 else {
                throw .invalidField(field: "flattened record size", offset: position + 8, value: UInt64(bitPattern: size),
                                    reason: "negative")
            }
            guard offset.addingReportingOverflow(size).overflow == false else {
                throw .invalidField(field: "flattened record size", offset: position + 8, value: UInt64(size),
                                    reason: "offset \(offset) + size passes the largest file offset")
            }
        }
    }
}

/// Where and why a flattened stream stopped before its end marker (a capture
/// kernel that ran out of memory, a dropped connection).
public struct FlattenedTruncation: Hashable, Sendable, CustomStringConvertible {
    /// The stream offset where the stream ended.
    public var streamOffset: UInt64
    /// What was cut short.
    public var reason: String

    /// A truncation at `streamOffset`.
    public init(streamOffset: UInt64, reason: String) {
        self.streamOffset = streamOffset
        self.reason = reason
    }

    /// Where and why, in words.
    public var description: String { "the flattened stream ends at byte \(streamOffset): \(reason)" }
}
