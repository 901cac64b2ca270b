/// The order in which the simulated page allocator hands out free frames: any order
/// in which the kernel's `alloc_pages` might return them while `kexec_load` stages an
/// image. The staging logic must produce the same image under every one of them.
public enum SourcePageOrder: Hashable, Sendable, CustomStringConvertible {
    /// Lowest frame first.
    case ascending
    /// Highest frame first.
    case descending
    /// A shuffle of the pool replayable from `seed` (``SplitMix64``).
    case seededRandom(seed: UInt64)
    /// An order chosen to exercise the kernel's destination-page handling.
    case adversarial(AdversarialPattern)

    /// Orders that aim the allocator at destination pages.
    public enum AdversarialPattern: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// Every destination page first, in reverse destination order: the last
        /// segment's pages first, each segment's pages from the top down; then the
        /// other frames, lowest first. The first segment staged is offered pages that
        /// are other segments' destinations (and its own, out of order), so
        /// `kimage_alloc_page` parks them on `dest_pages` and finds them there later.
        case reverseDestinationsFirst
        /// Just enough frames outside every destination to stage the first segment
        /// and the first indirection page, then every destination page in segment
        /// order, lowest first, then the rest. Pages whose destination already has a
        /// source arrive after that source was filled, so `kimage_dst_used` finds it
        /// and the pages are swapped.
        case destinationsAfterStaging
        /// Each segment's destination pages from the top down, segments in list
        /// order, alternating with frames outside every destination. While a segment
        /// is staged from the bottom up, its upper pages arrive early and are parked;
        /// its lower pages, staged from outside frames, arrive while the next
        /// segment is staged and are swapped.
        case interleaved

        public var description: String {
            switch self {
            case .reverseDestinationsFirst: "destination pages first, in reverse destination order"
            case .destinationsAfterStaging: "destination pages after the first segment is staged"
            case .interleaved: "each segment's pages top down, interleaved with other frames"
            }
        }
    }

    /// Every strategy once: ascending, descending, random from `randomSeed`, and
    /// each adversarial pattern.
    public static func everyStrategy(randomSeed: UInt64) -> [SourcePageOrder] {
        [.ascending, .descending, .seededRandom(seed: randomSeed)] + AdversarialPattern.allCases.map { .adversarial($0) }
    }

    public var description: String {
        switch self {
        case .ascending: "ascending"
        case .descending: "descending"
        case .seededRandom(let seed): "random (seed 0x\(String(seed, radix: 16)))"
        case .adversarial(let pattern): "adversarial: \(pattern)"
        }
    }
}
