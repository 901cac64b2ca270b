public import KexecCore

/// A rule the kernel's staging relies on, found broken in a simulated image.
public enum InvariantViolation: Hashable, Sendable, CustomStringConvertible {
    /// A source page that is neither its own destination nor outside every
    /// destination range: copying into its range at exec time can overwrite it
    /// before it is copied. `ownerSegment` is the segment whose destination holds it.
    case sourceInsideAnotherDestination(source: PhysicalAddress, destination: PhysicalAddress, segment: Int, ownerSegment: Int)
    /// An indirection page inside segment `ownerSegment`'s destination: the copy
    /// loop can overwrite the list it is still reading.
    case indirectionPageInsideDestination(page: PhysicalAddress, ownerSegment: Int)
    /// Several `IND_SOURCE` entries copy to one destination page ("two source pages
    /// copied to one destination page"): each source page was cleared and filled on
    /// its own, so whichever copy lands last wipes the bytes the others put there.
    /// That is usually the last entry; but when a later entry's source is the
    /// shared page itself (in place), the earlier copy overwrites that source first
    /// and the earlier segment's page wins. `segments` and `sources` are in list order.
    case destinationWrittenMoreThanOnce(destination: PhysicalAddress, segments: [Int], sources: [PhysicalAddress])
    /// At exec, a source page was read after the copy loop had already written to it.
    case sourceOverwrittenBeforeCopy(source: PhysicalAddress, destination: PhysicalAddress)
    /// At exec, an indirection page was read after the copy loop had written to it.
    case indirectionPageOverwrittenBeforeRead(page: PhysicalAddress)

    public var description: String {
        switch self {
        case .sourceInsideAnotherDestination(let source, let destination, let segment, let owner):
            return "source page \(source) for destination \(destination) (segment \(segment)) is neither its own destination "
                + "nor outside the destinations: it lies in segment \(owner)'s destination"
        case .indirectionPageInsideDestination(let page, let owner):
            return "indirection page \(page) lies in segment \(owner)'s destination"
        case .destinationWrittenMoreThanOnce(let destination, let segments, let sources):
            let who = zip(segments, sources).map { "segment \($0) from \($1)" }.joined(separator: ", then ")
            return "two source pages copied to one destination page: \(destination) is written \(sources.count) times "
                + "(\(who)); each was cleared and filled on its own, so the copy that lands last wipes the others' bytes"
        case .sourceOverwrittenBeforeCopy(let source, let destination):
            return "at exec, source page \(source) (for \(destination)) had already been overwritten when it was copied"
        case .indirectionPageOverwrittenBeforeRead(let page):
            return "at exec, indirection page \(page) had already been overwritten when it was read"
        }
    }
}
