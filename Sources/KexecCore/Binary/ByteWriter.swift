/// Appends fixed-width integers and bytes to a growing buffer in a given byte order.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]
    /// The order integers are written in.
    public let byteOrder: ByteOrder

    public init(byteOrder: ByteOrder, reservingCapacity capacity: Int = 0) {
        self.byteOrder = byteOrder
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends `value` in ``byteOrder``.
    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        let ordered = byteOrder == .little ? value.littleEndian : value.bigEndian
        withUnsafeBytes(of: ordered) { bytes.append(contentsOf: $0) }
    }

    /// Appends raw bytes.
    public mutating func write<C: Collection>(bytes other: C) where C.Element == UInt8 {
        bytes.append(contentsOf: other)
    }

    /// Appends `count` zero bytes.
    public mutating func writeZeros(_ count: Int) {
        bytes.append(contentsOf: repeatElement(0, count: count))
    }

    /// Appends zero bytes until the length is a multiple of `alignment` (> 0).
    public mutating func pad(toMultipleOf alignment: Int) {
        let remainder = bytes.count % alignment
        if remainder != 0 { writeZeros(alignment - remainder) }
    }
}
