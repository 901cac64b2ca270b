/// One bit per page frame of a cycle `[base, base + count)`: the working set the
/// save path builds per cycle (present frames, frames kept), 64 frames per word.
struct CycleBitmap: Sendable, Hashable {
    /// The first page frame.
    let base: UInt64
    /// The number of frames.
    let count: UInt64
    private(set) var words: [UInt64]

    /// An all-clear bitmap for `count` frames from `base`.
    init(base: UInt64, count: UInt64) {
        self.base = base
        self.count = count
        words = [UInt64](repeating: 0, count: Int((count + 63) / 64))
    }

    /// The frames covered.
    var frames: Range<UInt64> { base..<base + count }

    /// The memory the bits take.
    var byteCount: Int { words.count * 8 }

    /// Whether frame `pfn` is set.
    func contains(_ pfn: UInt64) -> Bool {
        guard frames.contains(pfn) else { return false }
        let bit = pfn - base
        return words[Int(bit / 64)] & (1 << (bit % 64)) != 0
    }

    /// Sets every frame of `range` clipped to the cycle.
    mutating func insert(_ range: Range<UInt64>) { update(range, set: true) }

    /// Clears every frame of `range` clipped to the cycle.
    mutating func remove(_ range: Range<UInt64>) { update(range, set: false) }

    /// Sets or clears one frame.
    mutating func set(_ pfn: UInt64, _ value: Bool) {
        guard frames.contains(pfn) else { return }
        let bit = pfn - base
        if value { words[Int(bit / 64)] |= 1 << (bit % 64) } else { words[Int(bit / 64)] &= ~(1 << (bit % 64)) }
    }

    private mutating func update(_ range: Range<UInt64>, set: Bool) {
        let low = max(range.lowerBound, base)
        let high = min(range.upperBound, base + count)
        guard low < high else { return }
        var bit = low - base
        let end = high - base
        while bit < end {
            let word = Int(bit / 64)
            let offset = bit % 64
            let span = min(64 - offset, end - bit)
            let mask: UInt64 = span == 64 ? ~0 : ((1 << span) - 1) << offset
            if set { words[word] |= mask } else { words[word] &= ~mask }
            bit += span
        }
    }

    /// Clears every frame set in `other` (same base and count).
    mutating func subtract(_ other: CycleBitmap) {
        for index in words.indices where index < other.words.count { words[index] &= ~other.words[index] }
    }

    /// Clears every frame whose bit is set in `other`, words laid out as here.
    mutating func subtract(words other: [UInt64]) {
        for index in words.indices where index < other.count { words[index] &= ~other[index] }
    }

    /// Sets every frame set in `other` (same base and count).
    mutating func insert(runsOf other: CycleBitmap) {
        for index in words.indices where index < other.words.count { words[index] |= other.words[index] }
    }

    /// The number of set frames.
    var population: UInt64 { words.reduce(0) { $0 + UInt64($1.nonzeroBitCount) } }

    /// Calls `body(firstPFN, count)` for each maximal run of set frames, in order.
    func forEachRun(_ body: (UInt64, UInt64) -> Void) {
        var runStart: UInt64? = nil
        var index = 0
        while index < words.count {
            let word = words[index]
            let wordBase = UInt64(index) * 64
            if runStart == nil && word == 0 { index += 1; continue }
            if let start = runStart, word == ~0 { _ = start; index += 1; continue }
            for offset in 0..<UInt64(64) {
                let bit = wordBase + offset
                guard bit < count else { break }
                let isSet = word & (1 << offset) != 0
                if isSet, runStart == nil { runStart = bit }
                if !isSet, let start = runStart { body(base + start, bit - start); runStart = nil }
            }
            index += 1
        }
        if let start = runStart { body(base + start, count - start) }
    }

    /// The bits as makedumpfile stores a bitmap: byte `i` holds frames `8i ..< 8i + 8`,
    /// least significant bit first (the encoding ``KdumpBitmap`` reads and writes);
    /// `count` must be a multiple of 8.
    var lsbFirstBytes: [UInt8] {
        RawMemory.littleEndianBytes(words, range: 0..<Int((count + 7) / 8))
    }
}
