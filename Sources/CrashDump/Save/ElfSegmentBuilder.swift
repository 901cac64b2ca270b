/// One PT_LOAD of a filtered ELF dump, in page frames: the file holds
/// `[start, fileEnd)`, memory runs on to `memoryEnd` (read as zeros: excluded).
struct ElfDumpSegment: Hashable, Sendable {
    var start: UInt64
    var fileEnd: UInt64
    var memoryEnd: UInt64
    /// File offset of the page at `start` (assigned after all segments are known).
    var fileOffset: UInt64 = 0
}

/// Turns the kept frames of each present range, fed in PFN order, into PT_LOAD
/// segments: a run of at least `splitGap` excluded frames ends a segment's file
/// bytes (p_filesz < p_memsz) and the next kept frame starts a new one; shorter
/// runs stay inside the file as zeros, which bounds the number of segments to one
/// per `splitGap` frames.
struct ElfSegmentBuilder {
    let splitGap: UInt64
    private(set) var segments: [ElfDumpSegment] = []
    private var current: ElfDumpSegment?

    init(splitGap: UInt64) {
        self.splitGap = max(splitGap, 1)
    }

    /// A present range begins at `pfn` (not a continuation of the previous one).
    mutating func beginRange(at pfn: UInt64) {
        closeCurrent()
        current = ElfDumpSegment(start: pfn, fileEnd: pfn, memoryEnd: pfn)
    }

    /// Kept frames `[pfn, pfn + count)` inside the current range, in order.
    mutating func kept(_ pfn: UInt64, count: UInt64) {
        guard var segment = current, count > 0 else { return }
        let gap = pfn - segment.fileEnd
        if gap >= splitGap {
            segment.memoryEnd = pfn
            if segment.memoryEnd > segment.start { segments.append(segment) }
            segment = ElfDumpSegment(start: pfn, fileEnd: pfn + count, memoryEnd: pfn + count)
        } else {
            segment.fileEnd = pfn + count
            segment.memoryEnd = max(segment.memoryEnd, segment.fileEnd)
        }
        current = segment
    }

    /// The current range reaches (at least) `pfn`.
    mutating func extendRange(to pfn: UInt64) {
        guard var segment = current else { return }
        segment.memoryEnd = max(segment.memoryEnd, pfn)
        current = segment
    }

    /// Ends the last range and returns every segment, file offsets assigned from
    /// `dataOffset` on (page-aligned by the caller).
    mutating func finish(dataOffset: UInt64, pageSize: UInt64) -> [ElfDumpSegment] {
        closeCurrent()
        var cursor = dataOffset
        for index in segments.indices {
            segments[index].fileOffset = cursor
            cursor += (segments[index].fileEnd - segments[index].start) * pageSize
        }
        return segments
    }

    private mutating func closeCurrent() {
        if let segment = current, segment.memoryEnd > segment.start { segments.append(segment) }
        current = nil
    }
}
