import KexecCore

extension SourcePagePool {
    /// The pool's frames, ascending, each once.
    func frames(layout: StagingLayout) -> [PhysicalAddress] {
        switch self {
        case .automatic:
            let spare = layout.sourcePageCount + layout.indirectionPageBound + 1
            return Self.destinationsPlus(spare, layout: layout)
        case .destinationsPlus(let spare):
            return Self.destinationsPlus(max(0, spare), layout: layout)
        case .frames(let set):
            var frames: [PhysicalAddress] = []
            for range in set.ranges {
                guard let whole = range.alignedInward(to: layout.pageSize.alignment) else { continue }
                var base = whole.lowerBound
                while base < whole.upperBound {
                    frames.append(base)
                    guard let next = try? base.adding(layout.pageSize.bytes) else { break }
                    base = next
                }
            }
            return frames
        }
    }

    /// Every destination page, and the lowest `spare` frames no destination touches.
    private static func destinationsPlus(_ spare: Int, layout: StagingLayout) -> [PhysicalAddress] {
        var outside: [PhysicalAddress] = []
        outside.reserveCapacity(spare)
        var base = PhysicalAddress(0)
        while outside.count < spare {
            if !layout.isDestinationPage(base) { outside.append(base) }
            guard let next = try? base.adding(layout.pageSize.bytes) else { break }
            base = next
        }
        return (layout.destinationPages + outside).sorted()
    }
}
