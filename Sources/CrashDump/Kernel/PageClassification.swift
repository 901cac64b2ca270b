/// The verdict on one range of page frames (a cycle) at one dump level: which
/// frames to leave out, optionally each frame's class, and the counts.
///
/// Memory is one bit per frame for the exclusions plus, when classes were asked
/// for, one byte per frame: the caller bounds it by the cycle length.
public struct PageClassification: Sendable {
    /// The frames judged.
    public let pfns: Range<UInt64>
    /// The dump level applied.
    public let level: DumpLevel
    /// The exclusions: bit `i % 64` of word `i / 64` is set when frame
    /// `pfns.lowerBound + i` is left out.
    public private(set) var excludedWords: [UInt64]
    /// Each frame's ``PageClass`` raw value, when classes were asked for.
    private var classBytes: [UInt8]?
    /// Counts per class.
    public internal(set) var statistics: PageClassStatistics

    init(pfns: Range<UInt64>, level: DumpLevel, keepClasses: Bool) {
        self.pfns = pfns
        self.level = level
        let count = Int(pfns.upperBound - pfns.lowerBound)
        excludedWords = [UInt64](repeating: 0, count: (count + 63) / 64)
        classBytes = keepClasses ? [UInt8](repeating: PageClass.notInDump.rawValue, count: count) : nil
        statistics = PageClassStatistics()
    }

    /// Whether frame `pfn` is left out (`false` outside ``pfns``).
    public func isExcluded(_ pfn: UInt64) -> Bool {
        guard pfns.contains(pfn) else { return false }
        let bit = pfn - pfns.lowerBound
        return excludedWords[Int(bit / 64)] & (1 << (bit % 64)) != 0
    }

    /// Frame `pfn`'s class: the class it was left out as, or for a kept frame its
    /// own. `nil` outside ``pfns`` or when classes were not asked for.
    public func pageClass(of pfn: UInt64) -> PageClass? {
        guard let classBytes, pfns.contains(pfn) else { return nil }
        return PageClass(rawValue: classBytes[Int(pfn - pfns.lowerBound)])
    }

    /// The number of frames left out.
    public var excludedCount: UInt64 { excludedWords.reduce(0) { $0 + UInt64($1.nonzeroBitCount) } }

    /// The maximal runs of frames left out, in order.
    public var excludedRuns: [Range<UInt64>] {
        var runs: [Range<UInt64>] = []
        var start: UInt64? = nil
        let count = pfns.upperBound - pfns.lowerBound
        var bit: UInt64 = 0
        while bit < count {
            let word = excludedWords[Int(bit / 64)]
            // Whole words of one value are skipped at once.
            if bit % 64 == 0 && bit + 64 <= count && (word == 0 || word == ~0) {
                if word == 0, let first = start { runs.append(pfns.lowerBound + first..<pfns.lowerBound + bit); start = nil }
                if word == ~0, start == nil { start = bit }
                bit += 64
                continue
            }
            let set = word & (1 << (bit % 64)) != 0
            if set, start == nil { start = bit }
            if !set, let first = start { runs.append(pfns.lowerBound + first..<pfns.lowerBound + bit); start = nil }
            bit += 1
        }
        if let first = start { runs.append(pfns.lowerBound + first..<pfns.upperBound) }
        return runs
    }

    /// Leaves out `range` (clipped to ``pfns``) as `pageClass`.
    mutating func exclude(_ range: Range<UInt64>, as pageClass: PageClass) {
        let low = max(range.lowerBound, pfns.lowerBound)
        let high = min(range.upperBound, pfns.upperBound)
        guard low < high else { return }
        statistics.add(pageClass, excluded: true, count: high - low)
        var bit = low - pfns.lowerBound
        let end = high - pfns.lowerBound
        classBytes?.replaceSubrange(Int(bit)..<Int(end), with: repeatElement(pageClass.rawValue, count: Int(end - bit)))
        while bit < end {
            let offset = bit % 64
            let span = min(64 - offset, end - bit)
            let mask: UInt64 = span == 64 ? ~0 : ((1 << span) - 1) << offset
            excludedWords[Int(bit / 64)] |= mask
            bit += span
        }
    }

    /// Keeps frame `pfn` as `pageClass`.
    @inline(__always)
    mutating func keep(_ pfn: UInt64, as pageClass: PageClass) {
        statistics.add(pageClass, excluded: false)
        classBytes?[Int(pfn - pfns.lowerBound)] = pageClass.rawValue
    }

    /// Keeps `range` (clipped to ``pfns``) as `pageClass`.
    mutating func keep(_ range: Range<UInt64>, as pageClass: PageClass) {
        let low = max(range.lowerBound, pfns.lowerBound)
        let high = min(range.upperBound, pfns.upperBound)
        guard low < high else { return }
        statistics.add(pageClass, excluded: false, count: high - low)
        let first = Int(low - pfns.lowerBound)
        classBytes?.replaceSubrange(first..<first + Int(high - low), with: repeatElement(pageClass.rawValue, count: Int(high - low)))
    }
}
