/// Page counts per ``PageClass``, split into frames left out and frames kept,
/// for a cycle or (merged) for the whole dump.
///
/// Excluded counts follow makedumpfile's counters: every frame of an excluded
/// block (a free buddy block, a compound page) counts, holes inside it included,
/// under the class that excluded it, so ``makedumpfileFreePages`` and friends
/// compare directly with `makedumpfile --message-level 31` output.
public struct PageClassStatistics: Hashable, Sendable, CustomStringConvertible {
    private var excludedCounts: [UInt64]
    private var keptCounts: [UInt64]

    /// All zeros.
    public init() {
        excludedCounts = [UInt64](repeating: 0, count: PageClass.allCases.count)
        keptCounts = excludedCounts
    }

    /// Frames of `pageClass` left out.
    public func excluded(_ pageClass: PageClass) -> UInt64 { excludedCounts[Int(pageClass.rawValue)] }

    /// Frames of `pageClass` kept.
    public func kept(_ pageClass: PageClass) -> UInt64 { keptCounts[Int(pageClass.rawValue)] }

    /// Frames of `pageClass`, left out or kept.
    public func total(_ pageClass: PageClass) -> UInt64 { excluded(pageClass) + kept(pageClass) }

    /// All frames left out.
    public var excludedTotal: UInt64 { excludedCounts.reduce(0, +) }

    /// All frames looked at, left out or kept.
    public var framesTotal: UInt64 { excludedTotal + keptCounts.reduce(0, +) }

    /// makedumpfile's "Non-private cache pages".
    public var makedumpfileCachePages: UInt64 { excluded(.cache) }
    /// makedumpfile's "Private cache pages".
    public var makedumpfileCachePrivatePages: UInt64 { excluded(.cachePrivate) }
    /// makedumpfile's "User process data pages" (anonymous and hugetlbfs).
    public var makedumpfileUserPages: UInt64 { excluded(.user) + excluded(.hugetlb) }
    /// makedumpfile's "Free pages" (buddy and unaccepted).
    public var makedumpfileFreePages: UInt64 { excluded(.free) + excluded(.unaccepted) }
    /// makedumpfile's "Hwpoison pages".
    public var makedumpfileHwpoisonPages: UInt64 { excluded(.hwpoison) }
    /// makedumpfile's "Offline pages".
    public var makedumpfileOfflinePages: UInt64 { excluded(.offline) }

    /// Adds `count` frames of `pageClass`.
    public mutating func add(_ pageClass: PageClass, excluded isExcluded: Bool, count: UInt64 = 1) {
        if isExcluded {
            excludedCounts[Int(pageClass.rawValue)] += count
        } else {
            keptCounts[Int(pageClass.rawValue)] += count
        }
    }

    /// Adds every count of `other` (another cycle).
    public mutating func merge(_ other: PageClassStatistics) {
        for index in excludedCounts.indices {
            excludedCounts[index] += other.excludedCounts[index]
            keptCounts[index] += other.keptCounts[index]
        }
    }

    /// One line per class with a non-zero count: "free: 1234 excluded, 0 kept".
    public var description: String {
        PageClass.allCases.compactMap { pageClass -> String? in
            let (out, kept) = (excluded(pageClass), kept(pageClass))
            guard out + kept > 0 else { return nil }
            return "\(pageClass): \(out) excluded, \(kept) kept"
        }.joined(separator: "\n")
    }
}
