/// How `vmcore-dump save` writes a dump.
public struct SaveOptions: Sendable {
    /// The output format.
    public enum Format: String, Sendable, CaseIterable {
        /// An ELF core file holding the kept pages (`makedumpfile -E`).
        case elf
        /// A kdump-compressed file (makedumpfile's default format, header version 6).
        case kdump
        /// A kdump-compressed file as a flattened stream (`makedumpfile -F`), for pipes.
        case flat
    }

    /// The output format.
    public var format: Format
    /// The page codec for kdump and flat output (ELF output is never compressed).
    public var codec: PageCodec
    /// makedumpfile's dump level, 0...31: 1 zero pages, 2 cache, 4 cache private,
    /// 8 user data, 16 free pages.
    public var dumpLevel: DumpLevel
    /// Worker threads for reading and compressing; at least 1.
    public var threads: Int
    /// The most bytes of page buffers all workers hold together; the chunk one
    /// worker processes at a time is derived from it, so memory does not grow
    /// with the thread count.
    public var bufferBudget: Int
    /// Page frames classified per cycle (bounds the bitmaps held at once).
    public var cyclePages: UInt64
    /// The most bytes of first-pass bitmaps kept for the second pass (past it,
    /// the page descriptors are judged again): 8 MiB, 256 GiB of 4 KiB pages.
    var bitmapCacheBudget = 8 << 20

    /// Options with makedumpfile-like defaults: kdump format, zstd, dump level 31.
    public init(format: Format = .kdump, codec: PageCodec = .zstd, dumpLevel: DumpLevel = .all, threads: Int = 1,
                bufferBudget: Int = 24 << 20, cyclePages: UInt64 = 1 << 22) {
        self.format = format
        self.codec = codec
        self.dumpLevel = dumpLevel
        self.threads = max(threads, 1)
        self.bufferBudget = bufferBudget
        self.cyclePages = cyclePages
    }

    /// Whether zero-filled pages are left out (dump level bit 1).
    public var excludesZeroPages: Bool { dumpLevel.contains(.zero) }

    /// Page frames per worker chunk for `pageSize`: the budget split over every
    /// worker's input and output buffers (of `workerSets` sets of ``threads``
    /// workers), between 16 and 1024 pages.
    func chunkPages(pageSize: Int, workerSets: Int = 1) -> Int {
        let perWorker = bufferBudget / (2 * max(threads, 1) * max(workerSets, 1))
        return min(max(perWorker / max(pageSize, 1), 16), 1024)
    }
}
