import KexecCore

/// Reads fixed fields of a descriptor whose size the caller has already checked
/// against the layout; a read past the end (a layout bug, not bad input) yields 0.
struct DescriptorFields {
    let bytes: [UInt8]
    let byteOrder: ByteOrder
    let wordSize: Int

    init(_ bytes: [UInt8], byteOrder: ByteOrder, wordSize: Int) {
        self.bytes = bytes
        self.byteOrder = byteOrder
        self.wordSize = wordSize
    }

    private func value<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        let reader = ByteReader(bytes, byteOrder: byteOrder)
        return (try? reader.peek(type, at: offset, field: "descriptor")) ?? 0
    }

    func uint8(at offset: Int) -> UInt8 { value(UInt8.self, at: offset) }
    func uint16(at offset: Int) -> UInt16 { value(UInt16.self, at: offset) }
    func uint32(at offset: Int) -> UInt32 { value(UInt32.self, at: offset) }
    func int32(at offset: Int) -> Int32 { value(Int32.self, at: offset) }

    /// A `long`: 4 or 8 bytes, zero-extended.
    func word(at offset: Int) -> UInt64 {
        wordSize == 8 ? value(UInt64.self, at: offset) : UInt64(value(UInt32.self, at: offset))
    }

    /// A signed `long`, sign-extended.
    func signedWord(at offset: Int) -> Int64 {
        wordSize == 8 ? value(Int64.self, at: offset) : Int64(value(Int32.self, at: offset))
    }

    /// A NUL-padded character array of `count` bytes.
    func string(at offset: Int, count: Int) -> String {
        guard offset >= 0, count >= 0, offset <= bytes.count, bytes.count - offset >= count else { return "" }
        return String(decoding: bytes[offset..<offset + count].prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// Writes a descriptor field by field in a given byte order and word size.
struct DescriptorWriter {
    private var writer: ByteWriter
    let wordSize: Int

    init(byteOrder: ByteOrder, wordSize: Int) {
        writer = ByteWriter(byteOrder: byteOrder)
        self.wordSize = wordSize
    }

    var bytes: [UInt8] { writer.bytes }

    mutating func uint8(_ value: UInt8) { writer.write(value) }
    mutating func uint16(_ value: UInt16) { writer.write(value) }
    mutating func uint32(_ value: UInt32) { writer.write(value) }
    mutating func int32(_ value: Int32) { writer.write(value) }

    /// A `long` of ``wordSize`` bytes (truncated to 32 bits on 32-bit layouts).
    mutating func word(_ value: UInt64) {
        if wordSize == 8 { writer.write(value) } else { writer.write(UInt32(truncatingIfNeeded: value)) }
    }

    /// A character array of `count` bytes: the string's bytes, cut to `count`, NUL-padded.
    mutating func string(_ value: String, count: Int) {
        let bytes = Array(value.utf8.prefix(count))
        writer.write(bytes: bytes)
        writer.writeZeros(count - bytes.count)
    }

    /// Zeros up to absolute offset `offset` (nothing if already past it).
    mutating func pad(to offset: Int) {
        if writer.bytes.count < offset { writer.writeZeros(offset - writer.bytes.count) }
    }
}
