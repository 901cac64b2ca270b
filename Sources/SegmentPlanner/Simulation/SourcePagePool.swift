public import KexecCore

/// The free page frames the simulated allocator may hand out: the RAM that the
/// running kernel is not otherwise using.
public enum SourcePagePool: Hashable, Sendable, CustomStringConvertible {
    /// Every page any destination touches, plus enough frames outside every
    /// destination that staging cannot run out: one per source page and per
    /// indirection page, plus one. The outside frames are the lowest ones, from
    /// address 0 up, that no destination touches.
    case automatic
    /// Every page any destination touches, plus `spareFrames` frames outside every
    /// destination, chosen as for ``automatic``.
    case destinationsPlus(spareFrames: Int)
    /// Exactly the whole pages inside these ranges.
    case frames(PhysicalRangeSet)

    public var description: String {
        switch self {
        case .automatic: "every destination page plus enough other frames"
        case .destinationsPlus(let spare): "every destination page plus \(spare) other frames"
        case .frames(let set): "the frames in \(set)"
        }
    }
}
