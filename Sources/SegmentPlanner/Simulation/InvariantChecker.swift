import KexecCore

/// The checks the kernel's staging argument rests on, applied to a staged list
/// before it is executed.
enum InvariantChecker {
    /// Every source page is its own destination or outside every destination; no
    /// indirection page lies in a destination; no destination page is written by
    /// two `IND_SOURCE` entries.
    static func violations(of list: RelocationWalk, layout: StagingLayout) -> [InvariantViolation] {
        var violations: [InvariantViolation] = []
        for assignment in list.sources where !assignment.isInPlace {
            if let owner = layout.owner(ofPage: assignment.source) {
                violations.append(.sourceInsideAnotherDestination(
                    source: assignment.source, destination: assignment.destination,
                    segment: assignment.segment, ownerSegment: owner))
            }
        }
        for page in list.indirectionPages {
            if let owner = layout.owner(ofPage: page) {
                violations.append(.indirectionPageInsideDestination(page: page, ownerSegment: owner))
            }
        }
        var writers: [PhysicalAddress: [SourcePageAssignment]] = [:]
        var order: [PhysicalAddress] = []
        for assignment in list.sources {
            if writers[assignment.destination] == nil { order.append(assignment.destination) }
            writers[assignment.destination, default: []].append(assignment)
        }
        for destination in order {
            guard let group = writers[destination], group.count > 1 else { continue }
            violations.append(.destinationWrittenMoreThanOnce(
                destination: destination, segments: group.map(\.segment), sources: group.map(\.source)))
        }
        return violations
    }
}
