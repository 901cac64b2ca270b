/// Reads fixed-width integers from a bounded byte buffer in a given byte order.
///
/// Every read is bounds-checked; a read past the end throws
/// ``BinaryParseError/truncated(field:offset:needed:available:)`` naming the field.
public struct ByteReader: Sendable {
    /// The whole buffer being read.
    public let bytes: [UInt8]
    /// The order integers are read in.
    public let byteOrder: ByteOrder
    /// The next offset to read from.
    public var offset: Int

    public init(_ bytes: [UInt8], byteOrder: ByteOrder, offset: Int = 0) {
        self.bytes = bytes
        self.byteOrder = byteOrder
        self.offset = offset
    }

    /// Bytes left from ``offset`` to the end.
    public var remaining: Int { max(0, bytes.count - offset) }

    /// Reads a `T` at `at` (default: ``offset``, which then advances).
    public mutating func read<T: FixedWidthInteger>(_ type: T.Type, field: String) throws(BinaryParseError) -> T {
        let value = try peek(type, at: offset, field: field)
        offset += MemoryLayout<T>.size
        return value
    }

    /// Reads a `T` at absolute offset `at` without moving ``offset``.
    public func peek<T: FixedWidthInteger>(_ type: T.Type, at position: Int, field: String) throws(BinaryParseError) -> T {
        let size = MemoryLayout<T>.size
        guard position >= 0, position <= bytes.count, bytes.count - position >= size else {
            throw .truncated(field: field, offset: position, needed: size, available: max(0, bytes.count - max(position, 0)))
        }
        var value: T = 0
        for index in 0..<size {
            let byte = T(truncatingIfNeeded: bytes[position + index])
            switch byteOrder {
            case .little: value |= byte << (8 * index)
            case .big: value |= byte << (8 * (size - 1 - index))
            }
        }
        return value
    }

    /// Reads `count` raw bytes.
    public mutating func readBytes(_ count: Int, field: String) throws(BinaryParseError) -> ArraySlice<UInt8> {
        guard count >= 0, offset <= bytes.count, bytes.count - offset >= count else {
            throw .truncated(field: field, offset: offset, needed: count, available: remaining)
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }
}

/// A binary structure that does not fit the bytes it was read from.
public enum BinaryParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `field` needs `needed` bytes at `offset`, but only `available` remain.
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    /// `field` at `offset` holds a value outside what the format allows.
    case invalidValue(field: String, offset: Int, value: UInt64, reason: String)

    public var description: String {
        switch self {
        case .truncated(let field, let offset, let needed, let available):
            "\(field) at byte offset \(offset) needs \(needed) bytes, only \(available) remain"
        case .invalidValue(let field, let offset, let value, let reason):
            "\(field) at byte offset \(offset) is 0x\(String(value, radix: 16)): \(reason)"
        }
    }
}
