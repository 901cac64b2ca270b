#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every use of raw pointers in the staging simulator, each with why it is safe.
///
/// They exist for speed only: in a debug build the standard library's generic
/// `==` and element-wise appends on `[UInt8]` go through value witnesses one byte
/// at a time (about 50 µs to compare a 4 KiB page, 250 times slower than
/// `memcmp`), which would make byte-for-byte verification of hundreds of images
/// too slow to run as a unit test.
enum SimulationUnsafeAccess {
    /// Whether `lhs` and `rhs` hold the same bytes.
    ///
    /// Safe: both slices are pinned by `withUnsafeBytes` for the duration of the
    /// call, `memcmp` reads exactly `lhs.count` bytes from each, and the counts are
    /// checked equal first; no pointer escapes the closures.
    static func bytesEqual(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                guard let leftBase = left.baseAddress, let rightBase = right.baseAddress else { return false }
                return memcmp(leftBase, rightBase, left.count) == 0
            }
        }
    }

    /// The 8-byte word at `offset` in `page`, in `littleEndian` or big-endian order,
    /// or `nil` when the word does not lie wholly inside the page.
    ///
    /// Safe: the bounds are checked before the load, `loadUnaligned` has no
    /// alignment requirement, and the pointer does not outlive the closure.
    static func loadWord(_ page: [UInt8], offset: Int, littleEndian: Bool) -> UInt64? {
        guard offset >= 0, offset <= page.count - 8 else { return nil }
        let raw = page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        return littleEndian ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw)
    }

    /// The 8 bytes of `value` in little- or big-endian order.
    ///
    /// Safe: `withUnsafeBytes(of:)` exposes exactly the 8 bytes of a local copy,
    /// which are copied into a new array before the closure returns.
    static func bytes(of value: UInt64, littleEndian: Bool) -> [UInt8] {
        withUnsafeBytes(of: littleEndian ? value.littleEndian : value.bigEndian) { Array($0) }
    }
}
