import Dispatch
import KexecCore

/// Writes a kdump-compressed dump (makedumpfile's format, header version 6) in
/// two passes over bounded cycles of page frames:
///
/// 1. classify: for each cycle, the present frames (1st bitmap) and the kept
///    frames (2nd bitmap) are computed and written, and the kept frames counted,
///    which fixes where the page descriptors end and the page data begins;
/// 2. data: the kept frames (remembered from pass 1 while they fit 8 MiB, else
///    classified again) are read in chunks, zero pages found, the rest
///    compressed by the workers, and descriptors plus data written in PFN order.
///
/// One zero page is written first and shared by every zero or unreadable frame,
/// at every dump level (level bit 1 only decides what the summary calls dropped).
/// When a write fails (a full disk), the descriptors of everything already
/// written are flushed and the header is rewritten with the INCOMPLETE status,
/// so readers see every page up to the last complete one.
struct KdumpDumpWriter {
    let input: DumpInput
    let options: SaveOptions
    let filter: any PageFilter
    let sink: any DumpSink
    let progress: ProgressThrottle
    let makeEncoder: () throws(CrashDumpError) -> (any PageEncoding)?
    let layout: KdumpHeaderLayout

    func write() throws(CrashDumpError) -> SaveSummary {
        let memory = input.memory
        let pageSize = memory.pageSize
        let blockSize = UInt64(pageSize)
        let maxPFN = memory.maxPFN
        var status = KdumpStatus(rawValue: options.codec.kdumpFlag)
        status.insert(.incomplete)
        var header = try KdumpHeaderState(input: input, layout: layout, maxPFN: maxPFN, dumpLevel: options.dumpLevel,
                                          status: status)
        let geometry = header.geometry
        var summary = SaveSummary()

        // The header first: if anything later fails, the file is recognisable.
        try sink.write(header.encode(incomplete: true), at: 0)

        // Pass 1: bitmaps and the count of kept frames.
        let cycle = max(options.cyclePages / 8 * 8, 8)
        let cache = CycleBitmapCache(budget: options.bitmapCacheBudget)
        var kept: UInt64 = 0
        var cycleStart: UInt64 = 0
        while cycleStart < maxPFN {
            let count = min(cycle, maxPFN - cycleStart)
            var present = CycleBitmap(base: cycleStart, count: count)
            for range in input.frames where range.overlaps(present.frames) { present.insert(range) }
            var keep = present
            try filter.filter(&keep)
            cache.store([keep])
            summary.pagesPresent += present.population
            let keptHere = keep.population
            kept += keptHere
            summary.pagesFiltered += present.population - keptHere
            try sink.write(present.lsbFirstBytes, at: geometry.firstBitmapOffset + cycleStart / 8)
            try sink.write(keep.lsbFirstBytes, at: geometry.secondBitmapOffset + cycleStart / 8)
            cycleStart += count
        }
        header.header.totalRAMBlocks = UInt32(clamping: summary.pagesPresent)
        let descriptorsOffset = geometry.descriptorTableOffset
        let zeroPageOffset = descriptorsOffset + kept * UInt64(KdumpPageDescriptor.size)
        sink.reserve(from: descriptorsOffset, count: kept * UInt64(KdumpPageDescriptor.size) + blockSize)

        // Pass 2: the shared zero page, then descriptors and data in PFN order.
        let zeroPage = [UInt8](repeating: 0, count: pageSize)
        try sink.write(zeroPage, at: zeroPageOffset)
        let zeroDescriptor = KdumpPageDescriptor(offset: zeroPageOffset, size: UInt32(pageSize), flags: 0)
        var committer = KdumpCommitter(sink: sink, byteOrder: input.byteOrder, descriptorsOffset: descriptorsOffset,
                                       dataOffset: zeroPageOffset + blockSize, zero: zeroDescriptor)
        // With several threads, two sets of workers take turns: one set encodes the
        // next group of chunks while this thread writes the last one (as
        // makedumpfile's --num-threads does). One thread does everything in turn.
        let pipelined = options.threads > 1
        let sets = pipelined ? 2 : 1
        let chunkPages = options.chunkPages(pageSize: pageSize, workerSets: sets)
        var workerSets: [[PageWorker]] = []
        for _ in 0..<sets {
            var workers: [PageWorker] = []
            for _ in 0..<options.threads {
                workers.append(PageWorker(pageSize: pageSize, capacity: chunkPages, encoder: try makeEncoder()))
            }
            workerSets.append(workers)
        }
        let allWorkers = workerSets.flatMap { $0 }
        progress.start(total: kept)
        do throws(CrashDumpError) {
            cycleStart = 0
            var cycleIndex = 0
            while cycleStart < maxPFN {
                let count = min(cycle, maxPFN - cycleStart)
                var keep: CycleBitmap
                if let cached = cache.load(cycleIndex)?.first {
                    keep = cached
                } else {
                    keep = CycleBitmap(base: cycleStart, count: count)
                    for range in input.frames where range.overlaps(keep.frames) { keep.insert(range) }
                    try filter.filter(&keep)
                }
                cycleIndex += 1
                let work = chunks(of: keep, limit: chunkPages)
                let groupSize = options.threads
                let groups = stride(from: 0, to: work.count, by: groupSize).map {
                    Array(work[$0..<min($0 + groupSize, work.count)])
                }
                func commit(_ group: [PageChunk], from workers: [PageWorker]) throws(CrashDumpError) {
                    for (index, chunk) in group.enumerated() {
                        try committer.commit(workers[index], chunk: chunk, summary: &summary)
                    }
                    // Pages committed were read whole (the other set may be busy: not asked).
                    progress.update(pagesDone: committer.pagesDone, bytesRead: committer.pagesDone * blockSize,
                                    bytesWritten: committer.dataOffset)
                }
                if pipelined {
                    var previous: (group: [PageChunk], set: Int)? = nil
                    for (number, group) in groups.enumerated() {
                        let set = number % 2
                        let encoding = Self.start(group, on: workerSets[set], memory: memory)
                        do throws(CrashDumpError) {
                            if let previous { try commit(previous.group, from: workerSets[previous.set]) }
                        } catch {
                            encoding.wait()
                            throw error
                        }
                        encoding.wait()
                        previous = (group, set)
                    }
                    if let previous { try commit(previous.group, from: workerSets[previous.set]) }
                } else {
                    for group in groups {
                        Self.run(group, on: workerSets[0], memory: memory)
                        try commit(group, from: workerSets[0])
                    }
                }
                cycleStart += count
            }
            try committer.flushDescriptors()
        } catch {
            // Keep what is complete: descriptors of written data, then the header
            // marked incomplete. Failures here are secondary to the first one.
            try? committer.flushDescriptors()
            header.header.writtenBlocks = UInt32(clamping: committer.pagesDone)
            if let bytes = try? header.encode(incomplete: true) { try? sink.write(bytes, at: 0) }
            throw error
        }
        header.header.writtenBlocks = UInt32(clamping: committer.pagesDone)
        try sink.write(header.encode(incomplete: false), at: 0)
        try sink.finish(size: committer.dataOffset)
        summary.bytesRead = allWorkers.reduce(0) { $0 + $1.bytesRead }
        summary.bytesMapped = allWorkers.reduce(0) { $0 + $1.bytesMapped }
        summary.bytesWritten = committer.dataOffset
        progress.finish(pagesDone: committer.pagesDone, bytesRead: summary.bytesRead, bytesWritten: summary.bytesWritten)
        return summary
    }

    /// Processes `group` (one chunk per worker) on as many threads as there are chunks.
    private static func run(_ group: [PageChunk], on workers: [PageWorker], memory: any PhysicalMemory) {
        if group.count == 1 {
            workers[0].process(group[0], memory: memory, detectZero: true)
            return
        }
        DispatchQueue.concurrentPerform(iterations: group.count) { index in
            workers[index].process(group[index], memory: memory, detectZero: true)
        }
    }

    /// Starts ``run(_:on:memory:)`` on another thread; wait on the result before
    /// touching `workers` again.
    private static func start(_ group: [PageChunk], on workers: [PageWorker], memory: any PhysicalMemory) -> DispatchGroup {
        let done = DispatchGroup()
        DispatchQueue.global(qos: .userInitiated).async(group: done) {
            run(group, on: workers, memory: memory)
        }
        return done
    }
}

/// Appends page data and page descriptors in PFN order, buffering both so the
/// output sees large writes.
struct KdumpCommitter {
    let sink: any DumpSink
    let byteOrder: ByteOrder
    let descriptorsOffset: UInt64
    /// Where the next page's data goes.
    private(set) var dataOffset: UInt64
    let zero: KdumpPageDescriptor
    /// Descriptors written or buffered so far (= pages committed).
    private(set) var pagesDone: UInt64 = 0
    private var flushedDescriptors: UInt64 = 0
    private var pendingDescriptors = ByteWriter(byteOrder: .little)
    /// The page data of one commit, pointing into the worker's buffers.
    private var pieces: [UnsafeRawBufferPointer] = []

    init(sink: any DumpSink, byteOrder: ByteOrder, descriptorsOffset: UInt64, dataOffset: UInt64, zero: KdumpPageDescriptor) {
        self.sink = sink
        self.byteOrder = byteOrder
        self.descriptorsOffset = descriptorsOffset
        self.dataOffset = dataOffset
        self.zero = zero
        pendingDescriptors = ByteWriter(byteOrder: byteOrder)
    }

    /// Writes the worker's pages at the data cursor and buffers their descriptors.
    /// The page bytes go to the sink as pieces of the worker's buffers (and the
    /// mapped input), adjacent pieces merged, in one gathered write.
    mutating func commit(_ worker: PageWorker, chunk: PageChunk, summary: inout SaveSummary) throws(CrashDumpError) {
        pieces.removeAll(keepingCapacity: true)
        var descriptors: [KdumpPageDescriptor] = []
        descriptors.reserveCapacity(worker.results.count)
        var cursor = dataOffset
        for (index, result) in worker.results.enumerated() {
            switch result {
            case .zero:
                // Dropped (level bit 1) or not, a zero page reads back the same
                // through the shared zero page: no need to store or compress it.
                descriptors.append(zero)
                summary.pagesZero += 1
            case .raw:
                let bytes = worker.page(index)
                append(bytes)
                descriptors.append(KdumpPageDescriptor(offset: cursor, size: UInt32(bytes.count), flags: 0))
                cursor += UInt64(bytes.count)
                summary.pagesWritten += 1
            case .compressed(let offset, let size, let flag):
                append(worker.output(offset: offset, size: size))
                descriptors.append(KdumpPageDescriptor(offset: cursor, size: UInt32(size), flags: flag))
                cursor += UInt64(size)
                summary.pagesWritten += 1
                summary.pagesCompressed += 1
            case .unreadable(let error):
                descriptors.append(zero)
                summary.noteUnreadable(pfn: chunk.firstPFN + UInt64(index), error)
            }
        }
        if !pieces.isEmpty { try sink.write(gathering: pieces, at: dataOffset) }
        pieces.removeAll(keepingCapacity: true)
        dataOffset = cursor
        for descriptor in descriptors { descriptor.encode(into: &pendingDescriptors) }
        pagesDone += UInt64(descriptors.count)
        if pendingDescriptors.bytes.count >= 1 << 20 { try flushDescriptors() }
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        PageWorkerBuffers.append(bytes, mergingInto: &pieces)
    }

    mutating func flushDescriptors() throws(CrashDumpError) {
        guard !pendingDescriptors.bytes.isEmpty else { return }
        let offset = descriptorsOffset + flushedDescriptors * UInt64(KdumpPageDescriptor.size)
        try sink.write(pendingDescriptors.bytes, at: offset)
        flushedDescriptors += UInt64(pendingDescriptors.bytes.count / KdumpPageDescriptor.size)
        pendingDescriptors = ByteWriter(byteOrder: byteOrder)
    }
}
