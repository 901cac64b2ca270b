/// A page size: a power of two from 4 KiB to 256 KiB (the range the kernel and
/// the dump formats use). The kernel's rules are stated in pages of the running
/// kernel, so plans carry their page size instead of assuming 4 KiB.
public struct PageSize: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The page size in bytes.
    public let bytes: UInt64

    /// - Throws: ``AddressError/invalidAlignment(_:)`` unless `bytes` is a power of
    ///   two between 4 KiB and 256 KiB.
    public init(bytes: UInt64) throws(AddressError) {
        guard bytes >= 4096, bytes <= 262_144, bytes & (bytes - 1) == 0 else { throw .invalidAlignment(bytes) }
        self.bytes = bytes
    }

    private init(unchecked bytes: UInt64) { self.bytes = bytes }

    /// 4 KiB.
    public static let kib4 = PageSize(unchecked: 4096)
    /// 64 KiB.
    public static let kib64 = PageSize(unchecked: 65536)

    /// The page size as an alignment.
    public var alignment: Alignment { Alignment(unchecked: bytes) }

    /// The number of pages needed to hold `size` bytes (rounded up).
    public func pages(covering size: UInt64) -> UInt64 {
        size / bytes + (size % bytes == 0 ? 0 : 1)
    }

    public static func < (lhs: PageSize, rhs: PageSize) -> Bool { lhs.bytes < rhs.bytes }

    public var description: String { bytes % 1024 == 0 ? "\(bytes / 1024) KiB" : "\(bytes) B" }
}
