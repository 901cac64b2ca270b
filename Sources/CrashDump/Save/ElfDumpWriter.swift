import Dispatch
import ElfNotes
import KexecCore

/// Writes a filtered ELF core file (as `makedumpfile -E`): one PT_NOTE with the
/// input's notes, one PT_LOAD per kept stretch of memory whose excluded tail
/// makes p_filesz < p_memsz, and the kernel-text PT_LOAD pointing at the same
/// file bytes as the RAM segment holding it. Never compressed.
///
/// Pass 1 finds the segments (page descriptors, plus the contents when zero pages
/// are dropped); pass 2 writes the headers and the kept pages. Excluded frames
/// inside a segment are never written: they read as zeros (a sparse hole in a
/// regular file; explicit zeros on a device).
struct ElfDumpWriter {
    let input: DumpInput
    let options: SaveOptions
    let filter: any PageFilter
    let sink: any DumpSink
    let progress: ProgressThrottle
    /// Excluded runs shorter than this many frames stay in the file as zeros.
    var splitGap: UInt64 = 256

    func write() throws(CrashDumpError) -> SaveSummary {
        let memory = input.memory
        let pageSize = UInt64(memory.pageSize)
        let chunkPages = options.chunkPages(pageSize: memory.pageSize)
        let workers = (0..<options.threads).map { _ in
            PageWorker(pageSize: memory.pageSize, capacity: chunkPages, encoder: nil)
        }
        let protected = kernelTextFrames
        var summary = SaveSummary()

        // Pass 1: segments.
        var builder = ElfSegmentBuilder(splitGap: splitGap)
        var previousEnd: UInt64? = nil
        let cache = CycleBitmapCache(budget: options.bitmapCacheBudget)
        // The kept frames without the zero pages pass 1 found, so pass 2 reads only the
        // pages it writes (same budget; past it, pass 2 reads and tests them again).
        let nonZero = CycleBitmapCache(budget: options.bitmapCacheBudget)
        try forEachCycle(cache: cache) { present, keep in
            summary.pagesPresent += present.population
            var keptFrames = keep
            if options.excludesZeroPages {
                summary.pagesZero += dropZeroPages(from: &keptFrames, workers: workers, protected: protected)
                nonZero.store([keptFrames])
            }
            summary.pagesFiltered += present.population - keep.population
            present.forEachRun { start, count in
                if previousEnd != start { builder.beginRange(at: start) }
                var inside = keptFrames
                inside.remove(keptFrames.base..<start)
                inside.remove((start + count)..<(keptFrames.base + keptFrames.count))
                inside.forEachRun { builder.kept($0, count: $1) }
                builder.extendRange(to: start + count)
                previousEnd = start + count
            }
        }

        // Layout: header and program headers, the notes, then page-aligned data.
        let textCount = input.kernelText == nil ? 0 : 1
        var segmentsProbe = builder
        let count = 1 + textCount + segmentsProbe.finish(dataOffset: 0, pageSize: pageSize).count
        let headerBytes = CoreHeaderEncoder.size(elfClass: input.elfClass, count: count)
        let notesOffset = headerBytes
        let dataOffset = (notesOffset + UInt64(input.notes.count) + pageSize - 1) / pageSize * pageSize
        let segments = builder.finish(dataOffset: dataOffset, pageSize: pageSize)
        let end = segments.last.map { $0.fileOffset + ($0.fileEnd - $0.start) * pageSize } ?? dataOffset
        let directMap = input.directMapOffset ?? 0

        var entries: [ProgramHeaderEntry] = []
        entries.append(ProgramHeaderEntry(type: 4, flags: 0, offset: notesOffset, vaddr: 0, paddr: 0,
                                          filesz: UInt64(input.notes.count), memsz: UInt64(input.notes.count), align: 0))
        if let text = input.kernelText {
            let size = text.physical.upperBound - text.physical.lowerBound
            let holder = segments.first {
                $0.start * pageSize <= text.physical.lowerBound && text.physical.upperBound <= $0.fileEnd * pageSize
            }
            let offset = holder.map { $0.fileOffset + (text.physical.lowerBound - $0.start * pageSize) } ?? 0
            entries.append(ProgramHeaderEntry(type: 1, flags: 7, offset: offset, vaddr: text.virtualStart,
                                              paddr: text.physical.lowerBound, filesz: holder == nil ? 0 : size,
                                              memsz: size, align: 0))
        }
        for segment in segments {
            let physical = segment.start * pageSize
            entries.append(ProgramHeaderEntry(
                type: 1, flags: 7, offset: segment.fileOffset,
                vaddr: input.directMapOffset == nil ? 0 : directMap &+ physical, paddr: physical,
                filesz: (segment.fileEnd - segment.start) * pageSize,
                memsz: (segment.memoryEnd - segment.start) * pageSize, align: 0))
        }
        func header(incomplete: Bool) throws(CrashDumpError) -> [UInt8] {
            var writer = ByteWriter(byteOrder: input.byteOrder, reservingCapacity: Int(headerBytes))
            do throws(ElfCoreError) {
                try CoreHeaderEncoder.write(elfClass: input.elfClass, machine: input.machine, entries: entries,
                                            headerFlags: incomplete ? 1 : 0, extendedNumbering: true, into: &writer)
            } catch {
                throw .elf(error)
            }
            return writer.bytes
        }
        try sink.write(header(incomplete: true), at: 0)
        try sink.write(input.notes, at: notesOffset)

        // Pass 2: the kept, non-zero pages at their segment's file offset.
        let needsZeros = !sink.unwrittenBytesReadAsZero
        let total = segments.reduce(UInt64(0)) { $0 + $1.fileEnd - $1.start }
        progress.start(total: total)
        var done: UInt64 = 0
        var written = dataOffset
        do throws(CrashDumpError) {
            var segmentIndex = 0
            var cycleIndex = 0
            try forEachCycle(cache: cache) { (_: CycleBitmap, filtered: CycleBitmap) throws(CrashDumpError) in
                let keep = nonZero.load(cycleIndex)?.first ?? filtered
                cycleIndex += 1
                var work: [PageChunk] = []
                for range in segmentRanges(segments, in: keep.frames) {
                    var inside = keep
                    inside.remove(keep.base..<range.lowerBound)
                    inside.remove(range.upperBound..<(keep.base + keep.count))
                    work.append(contentsOf: chunks(of: inside, limit: chunkPages))
                    if needsZeros {
                        // Devices keep old bytes where nothing is written: zero the excluded frames in the file.
                        var gaps = CycleBitmap(base: keep.base, count: keep.count)
                        gaps.insert(range)
                        gaps.subtract(inside)
                        try writeZeros(gaps, segments: segments, pageSize: pageSize)
                    }
                }
                var next = 0
                while next < work.count {
                    let group = Array(work[next..<min(next + workers.count, work.count)])
                    run(group, on: workers, memory: memory)
                    for (index, chunk) in group.enumerated() {
                        try commit(workers[index], chunk: chunk, segments: segments, segmentIndex: &segmentIndex,
                                   pageSize: pageSize, needsZeros: needsZeros, summary: &summary)
                        done += UInt64(chunk.count)
                    }
                    next += group.count
                    written = max(written, dataOffset + done * pageSize)
                    progress.update(pagesDone: done, bytesRead: workers.reduce(0) { $0 + $1.bytesRead }, bytesWritten: written)
                }
            }
        } catch {
            try? sink.write(header(incomplete: true), at: 0)
            throw error
        }
        try sink.write(header(incomplete: false), at: 0)
        try sink.finish(size: end)
        summary.bytesRead = workers.reduce(0) { $0 + $1.bytesRead }
        summary.bytesMapped = workers.reduce(0) { $0 + $1.bytesMapped }
        summary.bytesWritten = end
        progress.finish(pagesDone: total, bytesRead: summary.bytesRead, bytesWritten: end)
        return summary
    }

    /// The frames of the kernel-text PT_LOAD.
    private var kernelTextFrames: Range<UInt64>? {
        let pageSize = UInt64(input.memory.pageSize)
        return input.kernelText.map {
            ($0.physical.lowerBound / pageSize)..<(($0.physical.upperBound + pageSize - 1) / pageSize)
        }
    }

    private func inverse(of bitmap: CycleBitmap) -> CycleBitmap {
        var result = CycleBitmap(base: bitmap.base, count: bitmap.count)
        result.insert(bitmap.frames)
        result.subtract(bitmap)
        return result
    }

    /// Calls `body(present, kept)` for each cycle of page frames in order; the
    /// bitmaps of the first call are remembered in `cache` for the second.
    private func forEachCycle(cache: CycleBitmapCache,
                              _ body: (CycleBitmap, CycleBitmap) throws(CrashDumpError) -> Void) throws(CrashDumpError) {
        let memory = input.memory
        let cycle = max(options.cyclePages / 64 * 64, 64)
        var start: UInt64 = 0
        var index = 0
        while start < memory.maxPFN {
            let count = min(cycle, memory.maxPFN - start)
            defer {
                start += count
                index += 1
            }
            if let cached = cache.load(index), cached.count == 2 {
                try body(cached[0], cached[1])
                continue
            }
            var present = CycleBitmap(base: start, count: count)
            for range in input.frames where range.overlaps(present.frames) { present.insert(range) }
            var keep = present
            try filter.filter(&keep)
            if let protected = kernelTextFrames {
                // The kernel-text PT_LOAD must find all its bytes in one RAM segment:
                // never drop its frames (freed init sections there are buddy pages).
                var text = CycleBitmap(base: start, count: count)
                text.insert(protected)
                text.subtract(inverse(of: present))
                keep.insert(runsOf: text)
            }
            cache.store([present, keep])
            try body(present, keep)
        }
    }

    /// Reads the kept frames and clears the zero-filled ones (outside `protected`);
    /// returns how many were cleared.
    private func dropZeroPages(from keep: inout CycleBitmap, workers: [PageWorker], protected: Range<UInt64>?) -> UInt64 {
        var dropped: UInt64 = 0
        let work = chunks(of: keep, limit: workers[0].capacity)
        var next = 0
        while next < work.count {
            let group = Array(work[next..<min(next + workers.count, work.count)])
            run(group, on: workers, memory: input.memory)
            for (index, chunk) in group.enumerated() {
                for (offset, result) in workers[index].results.enumerated() where result == .zero {
                    let pfn = chunk.firstPFN + UInt64(offset)
                    if protected?.contains(pfn) == true { continue }
                    keep.set(pfn, false)
                    dropped += 1
                }
            }
            next += group.count
        }
        return dropped
    }

    /// The file parts of `segments` that intersect `frames`.
    private func segmentRanges(_ segments: [ElfDumpSegment], in frames: Range<UInt64>) -> [Range<UInt64>] {
        var low = 0
        var high = segments.count
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].fileEnd <= frames.lowerBound { low = middle + 1 } else { high = middle }
        }
        var result: [Range<UInt64>] = []
        var index = low
        while index < segments.count, segments[index].start < frames.upperBound {
            let lower = max(segments[index].start, frames.lowerBound)
            let upper = min(segments[index].fileEnd, frames.upperBound)
            if lower < upper { result.append(lower..<upper) }
            index += 1
        }
        return result
    }

    private func fileOffset(of pfn: UInt64, segments: [ElfDumpSegment], hint: inout Int, pageSize: UInt64) -> UInt64? {
        if hint >= segments.count || pfn < segments[hint].start { hint = 0 }
        while hint < segments.count, segments[hint].fileEnd <= pfn { hint += 1 }
        guard hint < segments.count, segments[hint].start <= pfn else { return nil }
        return segments[hint].fileOffset + (pfn - segments[hint].start) * pageSize
    }

    private func commit(_ worker: PageWorker, chunk: PageChunk, segments: [ElfDumpSegment], segmentIndex: inout Int,
                        pageSize: UInt64, needsZeros: Bool, summary: inout SaveSummary) throws(CrashDumpError) {
        // Consecutive frames of one segment are consecutive in the file: write runs.
        var runStart: Int? = nil
        var runOffset: UInt64 = 0
        func flush(_ end: Int) throws(CrashDumpError) {
            guard let start = runStart else { return }
            let bytes = UnsafeRawBufferPointer(start: worker.page(start).baseAddress, count: (end - start) * Int(pageSize))
            try sink.write(bytes, at: runOffset)
            runStart = nil
        }
        for (index, result) in worker.results.enumerated() {
            let pfn = chunk.firstPFN + UInt64(index)
            guard let offset = fileOffset(of: pfn, segments: segments, hint: &segmentIndex, pageSize: pageSize) else { continue }
            switch result {
            case .zero where !needsZeros:
                try flush(index)
            case .unreadable(let error):
                try flush(index)
                summary.noteUnreadable(pfn: pfn, error)
                if needsZeros { try sink.write([UInt8](repeating: 0, count: Int(pageSize)), at: offset) }
            default:
                if let start = runStart, runOffset + UInt64(index - start) * pageSize != offset { try flush(index) }
                if runStart == nil { runStart = index; runOffset = offset }
                summary.pagesWritten += 1
            }
        }
        try flush(worker.results.count)
    }

    /// Writes zeros over every frame of `gaps` that has file bytes, in runs of
    /// consecutive file offsets (up to 256 pages a write).
    private func writeZeros(_ gaps: CycleBitmap, segments: [ElfDumpSegment], pageSize: UInt64) throws(CrashDumpError) {
        var hint = 0
        var failure: CrashDumpError?
        let runPages: UInt64 = 256
        let zeros = [UInt8](repeating: 0, count: Int(pageSize * runPages))
        var pending: (offset: UInt64, pages: UInt64)? = nil
        func flush() throws(CrashDumpError) {
            guard let run = pending else { return }
            pending = nil
            try sink.write(Array(zeros.prefix(Int(run.pages * pageSize))), at: run.offset)
        }
        gaps.forEachRun { start, count in
            guard failure == nil else { return }
            do throws(CrashDumpError) {
                for pfn in start..<start + count {
                    guard let offset = fileOffset(of: pfn, segments: segments, hint: &hint, pageSize: pageSize) else { continue }
                    if let run = pending, run.offset + run.pages * pageSize == offset, run.pages < runPages {
                        pending = (run.offset, run.pages + 1)
                    } else {
                        try flush()
                        pending = (offset, 1)
                    }
                }
            } catch {
                failure = error
            }
        }
        if failure == nil {
            do throws(CrashDumpError) { try flush() } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private func run(_ group: [PageChunk], on workers: [PageWorker], memory: any PhysicalMemory) {
        if group.count == 1 {
            workers[0].process(group[0], memory: memory, detectZero: true)
            return
        }
        DispatchQueue.concurrentPerform(iterations: group.count) { index in
            workers[index].process(group[index], memory: memory, detectZero: true)
        }
    }
}
