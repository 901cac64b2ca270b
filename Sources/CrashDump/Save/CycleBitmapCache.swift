/// The bitmaps the first pass of a writer computed for each cycle, kept so the
/// second pass need not judge the page descriptors again - as long as they fit a
/// fixed budget. Past it the cache stops storing and the writer classifies again,
/// so memory stays bounded at any machine size (8 MiB is one bit per frame of
/// 256 GiB of 4 KiB pages).
final class CycleBitmapCache {
    /// The most bitmap bytes held.
    let budget: Int
    private var cycles: [[CycleBitmap]] = []
    private var bytes = 0
    private var full = false

    init(budget: Int) {
        self.budget = budget
    }

    /// Remembers the bitmaps of cycle number `cycles.count` (cycles are stored in order).
    func store(_ bitmaps: [CycleBitmap]) {
        guard !full else { return }
        let size = bitmaps.reduce(0) { $0 + $1.byteCount }
        guard bytes + size <= budget else {
            full = true
            cycles = []
            return
        }
        bytes += size
        cycles.append(bitmaps)
    }

    /// The bitmaps of cycle `index`, or nil when they were not kept.
    func load(_ index: Int) -> [CycleBitmap]? {
        full || index >= cycles.count ? nil : cycles[index]
    }
}
