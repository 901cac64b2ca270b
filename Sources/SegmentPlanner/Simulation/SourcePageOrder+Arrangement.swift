import KexecCore

extension SourcePageOrder {
    /// Puts `pool` (ascending, each frame once) in this order.
    func arrange(_ pool: [PhysicalAddress], layout: StagingLayout) -> [PhysicalAddress] {
        switch self {
        case .ascending:
            return pool
        case .descending:
            return pool.reversed()
        case .seededRandom(let seed):
            var generator = SplitMix64(seed: seed)
            var frames = pool
            // Fisher-Yates with our own generator: the standard library's shuffle
            // algorithm is not promised to stay the same across releases.
            var index = frames.count - 1
            while index > 0 {
                frames.swapAt(index, generator.next(below: index + 1))
                index -= 1
            }
            return frames
        case .adversarial(let pattern):
            return pattern.arrange(pool, layout: layout)
        }
    }
}

extension SourcePageOrder.AdversarialPattern {
    func arrange(_ pool: [PhysicalAddress], layout: StagingLayout) -> [PhysicalAddress] {
        let inPool = Set(pool)
        let outside = pool.filter { !layout.isDestinationPage($0) }
        switch self {
        case .reverseDestinationsFirst:
            let destinations = Self.unique(layout.pagesBySegment.reversed().flatMap { $0.reversed() }, in: inPool)
            return destinations + outside
        case .destinationsAfterStaging:
            let firstSegmentPages = layout.pagesBySegment.first { !$0.isEmpty }?.count ?? 0
            let lead = min(outside.count, firstSegmentPages + 1)
            let destinations = Self.unique(layout.pagesBySegment.flatMap { $0 }, in: inPool)
            return Array(outside[..<lead]) + destinations + Array(outside[lead...])
        case .interleaved:
            let destinations = Self.unique(layout.pagesBySegment.flatMap { $0.reversed() }, in: inPool)
            var frames: [PhysicalAddress] = []
            frames.reserveCapacity(pool.count)
            for index in 0 ..< max(destinations.count, outside.count) {
                if index < destinations.count { frames.append(destinations[index]) }
                if index < outside.count { frames.append(outside[index]) }
            }
            return frames
        }
    }

    /// `pages` without repeats (segments sharing a page) and without pages outside the pool.
    private static func unique(_ pages: [PhysicalAddress], in pool: Set<PhysicalAddress>) -> [PhysicalAddress] {
        var seen: Set<PhysicalAddress> = []
        return pages.filter { pool.contains($0) && seen.insert($0).inserted }
    }
}
