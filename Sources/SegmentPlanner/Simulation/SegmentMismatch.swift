public import KexecCore

/// A segment whose destination, after the simulated exec, differs from what the plan
/// intended (its bytes, then zeros up to `memsz`).
public struct SegmentMismatch: Hashable, Sendable, CustomStringConvertible {
    /// The segment's index in the list given to the simulator.
    public let segment: Int
    /// The segment's destination.
    public let destination: PhysicalRange
    /// The first byte that differs.
    public let address: PhysicalAddress
    /// What the plan puts there.
    public let expected: UInt8
    /// What memory holds after exec.
    public let actual: UInt8
    /// How many bytes of the destination differ in all.
    public let differingBytes: UInt64

    public var description: String {
        "segment \(segment) \(destination): first differing byte at \(address): expected 0x\(Self.hex(expected)), "
            + "found 0x\(Self.hex(actual)) (\(differingBytes) byte\(differingBytes == 1 ? "" : "s") differ)"
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
