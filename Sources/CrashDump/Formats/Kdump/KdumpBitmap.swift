/// A page bitmap of a kdump-compressed dump: bit `pfn` is byte `pfn / 8`, bit
/// `pfn % 8` counted from the least significant (makedumpfile `set_bit_on_1st_bitmap`,
/// crash `page_is_ram`). The 1st bitmap marks the frames that are RAM, the 2nd the
/// frames that were dumped; each is stored zero-padded to whole blocks.
///
/// The value keeps whole 64-bit words; bits at or past ``bitCount`` are always
/// clear (``checkInvariants()``).
public struct KdumpBitmap: Hashable, Sendable {
    /// How many frames the bitmap describes (max_mapnr).
    public private(set) var bitCount: UInt64
    /// Bit `i` of word `w` is frame `64 * w + i`.
    private(set) var words: [UInt64]

    /// An empty bitmap of `bitCount` frames.
    public init(bitCount: UInt64) {
        self.bitCount = bitCount
        words = [UInt64](repeating: 0, count: Int(clamping: (bitCount + 63) / 64))
    }

    /// Decodes `bytes` (LSB-first); bits at or past `bitCount` are dropped, and
    /// bytes missing at the end read as zero.
    public init(decoding bytes: [UInt8], bitCount: UInt64) {
        self.bitCount = bitCount
        let wordCount = Int(clamping: (bitCount + 63) / 64)
        words = RawMemory.littleEndianWords(bytes, count: wordCount)
        clearTail()
    }

    /// The number of whole blocks one bitmap of `bitCount` bits takes:
    /// `ceil(ceil(bitCount / 8) / blockSize)` (makedumpfile `prepare_bitmap2_buffer`).
    public static func blockCount(bitCount: UInt64, blockSize: Int) -> UInt64 {
        let bytes = (bitCount + 7) / 8
        let block = UInt64(max(blockSize, 1))
        return (bytes + block - 1) / block
    }

    /// Whether frame `pfn` is set (false past ``bitCount``).
    public func contains(_ pfn: UInt64) -> Bool {
        guard pfn < bitCount else { return false }
        return words[Int(pfn >> 6)] & (1 << (pfn & 63)) != 0
    }

    /// Sets frame `pfn`; frames at or past ``bitCount`` are ignored.
    public mutating func insert(_ pfn: UInt64) {
        guard pfn < bitCount else { return }
        words[Int(pfn >> 6)] |= 1 << (pfn & 63)
    }

    /// Clears frame `pfn`.
    public mutating func remove(_ pfn: UInt64) {
        guard pfn < bitCount else { return }
        words[Int(pfn >> 6)] &= ~(1 << (pfn & 63))
    }

    /// Sets every frame of `range` (clamped to ``bitCount``).
    public mutating func insert(_ range: Range<UInt64>) { fill(range, set: true) }

    /// Clears every frame of `range` (clamped to ``bitCount``).
    public mutating func remove(_ range: Range<UInt64>) { fill(range, set: false) }

    private mutating func fill(_ range: Range<UInt64>, set: Bool) {
        let range = range.clamped(to: 0..<bitCount)
        guard !range.isEmpty else { return }
        var pfn = range.lowerBound
        while pfn < range.upperBound {
            let word = Int(pfn >> 6)
            let first = pfn & 63
            let span = min(64 - first, range.upperBound - pfn)
            let mask: UInt64 = span == 64 ? ~0 : ((1 << span) - 1) << first
            if set { words[word] |= mask } else { words[word] &= ~mask }
            pfn += span
        }
    }

    /// The number of set frames.
    public var count: UInt64 {
        words.reduce(0) { $0 + UInt64($1.nonzeroBitCount) }
    }

    /// The set frames as sorted, disjoint, non-adjacent ranges.
    public var runs: [Range<UInt64>] {
        var result: [Range<UInt64>] = []
        var start: UInt64?
        for (index, word) in words.enumerated() {
            let base = UInt64(index) << 6
            if word == 0 {
                if let open = start { result.append(open..<base); start = nil }
                continue
            }
            if word == ~0 {
                if start == nil { start = base }
                continue
            }
            var bit: UInt64 = 0
            while bit < 64 {
                let isSet = word & (1 << bit) != 0
                if isSet, start == nil { start = base + bit }
                if !isSet, let open = start { result.append(open..<base + bit); start = nil }
                bit += 1
            }
        }
        if let open = start { result.append(open..<min(bitCount, UInt64(words.count) << 6)) }
        return result
    }

    /// The bitmap as stored: LSB-first bytes, zero-padded to whole blocks of
    /// `blockSize` (``blockCount(bitCount:blockSize:)`` blocks).
    public func encoded(blockSize: Int) -> [UInt8] {
        let length = Int(clamping: Self.blockCount(bitCount: bitCount, blockSize: blockSize) * UInt64(max(blockSize, 1)))
        return bytes(in: 0..<length)
    }

    /// The stored bytes `range` (past the end: zeros), for writing a large bitmap in pieces.
    public func bytes(in range: Range<Int>) -> [UInt8] {
        RawMemory.littleEndianBytes(words, range: range)
    }

    /// Checks the representation: enough words for ``bitCount`` and no bit set at
    /// or past it. Returns a description of the first problem, or `nil`.
    public func checkInvariants() -> String? {
        guard UInt64(words.count) == (bitCount + 63) / 64 else {
            return "\(words.count) words for \(bitCount) bits"
        }
        var copy = self
        copy.clearTail()
        return copy.words == words ? nil : "bits set at or past bitCount \(bitCount)"
    }

    private mutating func clearTail() {
        let used = bitCount & 63
        if used != 0, !words.isEmpty { words[words.count - 1] &= (1 << used) - 1 }
    }
}

/// Counts set bits before a frame in O(1): the number of dumped frames below
/// `pfn` is the index of `pfn`'s page descriptor.
struct BitmapRank: Sendable {
    let bitmap: KdumpBitmap
    /// Set bits before each group of 8 words.
    private let prefix: [UInt64]

    init(_ bitmap: KdumpBitmap) {
        self.bitmap = bitmap
        var prefix: [UInt64] = []
        prefix.reserveCapacity(bitmap.words.count / 8 + 1)
        var total: UInt64 = 0
        for (index, word) in bitmap.words.enumerated() {
            if index % 8 == 0 { prefix.append(total) }
            total += UInt64(word.nonzeroBitCount)
        }
        prefix.append(total)
        self.prefix = prefix
    }

    /// The number of set bits in `0..<pfn`.
    func rank(_ pfn: UInt64) -> UInt64 {
        let pfn = min(pfn, UInt64(bitmap.words.count) << 6)
        let word = Int(pfn >> 6)
        let group = word / 8
        var count = prefix[group]
        var index = group * 8
        while index < word {
            count += UInt64(bitmap.words[index].nonzeroBitCount)
            index += 1
        }
        let bit = pfn & 63
        if bit != 0 { count += UInt64((bitmap.words[word] & ((1 << bit) - 1)).nonzeroBitCount) }
        return count
    }

    /// The total number of set bits.
    var total: UInt64 { prefix.last ?? 0 }
}
