public import KexecCore

/// One `IND_SOURCE` entry of a staged list: which page is copied where.
public struct SourcePageAssignment: Hashable, Sendable, CustomStringConvertible {
    /// The segment the entry belongs to. The kernel emits exactly one
    /// `IND_DESTINATION` per segment, so the k-th one starts segment k.
    public let segment: Int
    /// The page the copy loop writes.
    public let destination: PhysicalAddress
    /// The page it copies from.
    public let source: PhysicalAddress

    /// Whether the source page is its own destination (copied onto itself).
    public var isInPlace: Bool { source == destination }

    public var description: String { "segment \(segment): \(source) -> \(destination)" }
}
