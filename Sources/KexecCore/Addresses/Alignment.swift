/// A power-of-two alignment in bytes, checked when made.
@frozen public struct Alignment: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The alignment in bytes; always a power of two, at least 1.
    public let bytes: UInt64

    /// `bytes - 1`: the low bits an aligned value has clear.
    @inlinable public var mask: UInt64 { bytes &- 1 }

    /// - Throws: ``AddressError/invalidAlignment(_:)`` unless `bytes` is a power of two.
    public init(bytes: UInt64) throws(AddressError) {
        guard bytes != 0, bytes & (bytes &- 1) == 0 else { throw .invalidAlignment(bytes) }
        self.bytes = bytes
    }

    /// For callers in this module that have checked `bytes` is a power of two.
    @usableFromInline init(unchecked bytes: UInt64) { self.bytes = bytes }

    /// No alignment constraint.
    public static let byte = Alignment(unchecked: 1)
    /// 4 KiB, the x86 and default ppc32 page.
    public static let kib4 = Alignment(unchecked: 4096)
    /// 64 KiB, the Debian ppc64el page.
    public static let kib64 = Alignment(unchecked: 65536)
    /// 1 MiB.
    public static let mib1 = Alignment(unchecked: 1 << 20)
    /// 2 MiB, the x86_64 kernel's default physical alignment.
    public static let mib2 = Alignment(unchecked: 2 << 20)

    public static func < (lhs: Alignment, rhs: Alignment) -> Bool { lhs.bytes < rhs.bytes }

    public var description: String { "0x" + String(bytes, radix: 16) }
}
