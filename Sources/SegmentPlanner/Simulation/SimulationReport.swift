public import KexecCore

/// Everything one staging-and-exec simulation found.
public struct SimulationReport: Sendable, CustomStringConvertible {
    /// The page size simulated.
    public let pageSize: PageSize
    /// The order the allocator handed out frames in.
    public let order: SourcePageOrder
    /// The segments, as given.
    public let segments: [KexecSegment]
    /// The staged list as the copy loop reads it, before exec: `image->head` first,
    /// through `IND_DONE`.
    public let indirectionList: [IndirectionEntry]
    /// Every `IND_SOURCE` entry of the staged list, in list order.
    public let sourcePages: [SourcePageAssignment]
    /// The pages the list occupies, in list order.
    public let indirectionPages: [PhysicalAddress]
    /// Counts of the allocation paths staging took.
    public let statistics: StagingStatistics
    /// What the copy loop did.
    public let execution: ExecutionSummary
    /// Broken invariants: those of the staged list, then hazards seen during exec.
    public let violations: [InvariantViolation]
    /// Segments whose destination differs from the intended image after exec.
    public let mismatches: [SegmentMismatch]
    /// Memory after exec.
    public let memory: SimulatedMemory

    /// Whether exec reached `IND_DONE` and every segment's destination holds exactly
    /// its bytes followed by zeros.
    public var imageMatches: Bool { execution.reachedDone && mismatches.isEmpty }

    /// Whether no invariant was broken.
    public var invariantsHold: Bool { violations.isEmpty }

    /// The `IND_SOURCE` entries that copy to the page holding `address`, in list order.
    public func sources(writing address: PhysicalAddress) -> [SourcePageAssignment] {
        let page = address.alignedDown(to: pageSize.alignment)
        return sourcePages.filter { $0.destination == page }
    }

    public var description: String {
        var lines = [
            "kexec staging simulation: \(segments.count) segment\(segments.count == 1 ? "" : "s"), \(pageSize) pages, "
                + "source pages in \(order) order",
            "  staging: \(statistics)",
            "  exec: \(execution)",
        ]
        if violations.isEmpty {
            lines.append("  invariants: all hold")
        } else {
            lines.append("  invariants: \(violations.count) broken")
            lines += violations.map { "    - \($0)" }
        }
        if imageMatches {
            lines.append("  image: every segment matches the plan byte for byte")
        } else {
            lines.append("  image: \(mismatches.count) segment\(mismatches.count == 1 ? " differs" : "s differ") from the plan")
            lines += mismatches.map { "    - \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
