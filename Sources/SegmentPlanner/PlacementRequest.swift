public import KexecCore

/// Where in its window a buffer goes.
public enum PlacementStrategy: Hashable, Sendable {
    /// The lowest address that fits (kexec-tools' bottom-up hole search).
    case bottomUp
    /// The highest address that fits (kexec-tools' top-down hole search).
    case topDown
    /// Exactly this address, or fail.
    case exact(PhysicalAddress)
}

/// A buffer to place: its bytes, how much memory it occupies, and the constraints.
public struct PlacementRequest: Hashable, Sendable {
    /// What the segment is.
    public var role: SegmentRole
    /// The bytes copied to the start of the destination.
    public var bytes: [UInt8]
    /// The memory it occupies (`memsz`), at least `bytes.count`; rounded up to
    /// whole pages before a hole is chosen.
    public var memorySize: UInt64
    /// Alignment of the destination start; raised to the page size if smaller.
    public var alignment: Alignment
    /// The lowest address the segment may start at.
    public var minimum: PhysicalAddress
    /// The address the segment must end at or below (exclusive end).
    public var maximum: PhysicalAddress
    /// Bottom-up, top-down or exact.
    public var strategy: PlacementStrategy

    public init(role: SegmentRole, bytes: [UInt8], memorySize: UInt64? = nil, alignment: Alignment = .kib4,
                minimum: PhysicalAddress = 0, maximum: PhysicalAddress = PhysicalAddress(UInt64.max),
                strategy: PlacementStrategy = .topDown) {
        self.role = role
        self.bytes = bytes
        self.memorySize = max(memorySize ?? UInt64(bytes.count), UInt64(bytes.count))
        self.alignment = alignment
        self.minimum = minimum
        self.maximum = maximum
        self.strategy = strategy
    }
}
