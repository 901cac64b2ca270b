public import KexecCore

/// A plan proven against every rule of the kernel's `sanity_check_segment_list`
/// and the suite's own. Only values of this type become ``KexecLoadRequest``s.
public struct ValidatedPlan: Hashable, Sendable {
    /// The plan that was checked.
    public let draft: PlanDraft

    fileprivate init(checked draft: PlanDraft) { self.draft = draft }

    /// The request for `kexec_load(2)`.
    public var loadRequest: KexecLoadRequest {
        KexecLoadRequest(entry: draft.entry, segments: draft.segments.map(\.segment), kind: draft.kind,
                         architecture: draft.architecture)
    }
}

extension PlanDraft {
    /// Every rule this plan breaks, in the order the kernel checks them, then ours.
    /// Empty for a valid plan.
    public func violations() -> [PlanValidationError] {
        var found: [PlanValidationError] = []
        let page = pageSize.alignment
        let destinations = segments.map(\.destination)

        if segments.count > SegmentPlanner.segmentLimit {
            found.append(.tooManySegments(count: segments.count, limit: SegmentPlanner.segmentLimit))
        }
        // Rule 1 (mem + memsz wraps) cannot be expressed: PhysicalRange never wraps.
        // Rule 2: page alignment of mem and mem + memsz.
        for (index, destination) in destinations.enumerated()
        where !destination.lowerBound.isAligned(to: page) || !destination.upperBound.isAligned(to: page) {
            found.append(.misaligned(segment: index, destination: destination, pageSize: pageSize))
        }
        // Rule 3: mem + memsz < KEXEC_DESTINATION_MEMORY_LIMIT.
        let limit = architecture.destinationMemoryLimit
        for (index, destination) in destinations.enumerated() where destination.upperBound.rawValue >= limit {
            found.append(.aboveDestinationLimit(segment: index, destination: destination, limit: limit))
        }
        // Rule 4: pairwise disjoint (sorted sweep: n log n).
        let order = destinations.indices.sorted { destinations[$0].lowerBound < destinations[$1].lowerBound }
        var reach: Int?
        for index in order {
            if let previous = reach, destinations[previous].overlaps(destinations[index]) {
                let (a, b) = (min(previous, index), max(previous, index))
                found.append(.overlap(first: a, second: b, firstDestination: destinations[a], secondDestination: destinations[b]))
            }
            if reach.map({ destinations[$0].upperBound < destinations[index].upperBound }) ?? true { reach = index }
        }
        // Rule 5 (bufsz <= memsz) holds by construction of KexecSegment.
        // Rule 6: each segment's pages, and their sum, at most half of RAM.
        let ram = memoryMap.systemRAM
        let ramPages = totalRAMPages ?? (ram.totalSize / pageSize.bytes)
        let half = ramPages / 2
        var total: UInt64 = 0
        for (index, destination) in destinations.enumerated() {
            let pages = pageSize.pages(covering: destination.size)
            if pages > half { found.append(.segmentTooLarge(segment: index, pages: pages, limit: half)) }
            total = total &+ pages
        }
        if total > half { found.append(.imageTooLarge(pages: total, limit: half)) }
        // Rule 7: crash images in place inside the crash region, entry included.
        if kind == .crash {
            if let region = memoryMap.loadableCrashRegion {
                for (index, destination) in destinations.enumerated() where !region.contains(destination) {
                    found.append(.outsideCrashRegion(segment: index, destination: destination, crashRegion: region))
                }
                if !region.contains(entry) { found.append(.entryOutsideCrashRegion(entry: entry, crashRegion: region)) }
            } else {
                found.append(.noCrashRegion)
            }
        }
        // Ours: usable RAM, a 32-bit table's reach, the entry inside a segment.
        // (Crash segments are held to the crash region above.)
        let usable = kind == .normal ? ram.subtracting(PhysicalRangeSet(memoryMap.crashRegions)) : PhysicalRangeSet()
        for (index, destination) in destinations.enumerated() where kind == .normal && !usable.contains(destination) {
            found.append(.outsideUsableMemory(segment: index, destination: destination))
        }
        if !architecture.is64Bit {
            for (index, destination) in destinations.enumerated() where destination.upperBound.rawValue > UInt64(UInt32.max) {
                found.append(.notAddressableByArchitecture(segment: index, destination: destination, architecture: architecture))
            }
        }
        if !destinations.contains(where: { $0.contains(entry) }) {
            found.append(.entryOutsideSegments(entry: entry))
        }
        return found
    }

    /// Proves the plan; the one way to a ``ValidatedPlan``.
    /// - Throws: the first ``PlanValidationError`` (see ``violations()`` for all).
    public func validated() throws(PlanValidationError) -> ValidatedPlan {
        if let first = violations().first { throw first }
        return ValidatedPlan(checked: self)
    }
}
