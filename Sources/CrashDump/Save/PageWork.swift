/// A run of consecutive page frames a worker reads and encodes as one unit.
struct PageChunk: Sendable, Hashable {
    /// The first page frame.
    var firstPFN: UInt64
    /// How many frames.
    var count: Int
}

/// What a worker made of one page.
enum EncodedPage: Sendable, Hashable {
    /// Every byte is zero (and zero pages are dropped or shared).
    case zero
    /// Stored as is: the page bytes in the worker's input buffer.
    case raw
    /// Compressed: `size` bytes at `offset` of the worker's output buffer, codec flag `flag`.
    case compressed(offset: Int, size: Int, flag: UInt32)
    /// The input page could not be read (corrupt, truncated or excluded in the input).
    case unreadable(CrashDumpError)
}

/// Splits the set bits of a cycle bitmap into chunks of at most `limit` frames,
/// never crossing a gap.
func chunks(of bitmap: CycleBitmap, limit: Int) -> [PageChunk] {
    var result: [PageChunk] = []
    bitmap.forEachRun { start, count in
        var first = start
        var left = count
        while left > 0 {
            let take = min(left, UInt64(limit))
            result.append(PageChunk(firstPFN: first, count: Int(take)))
            first += take
            left -= take
        }
    }
    return result
}
