public import ElfNotes
import KexecCore

/// An ELF vmcore (/proc/vmcore, `makedumpfile -E`, qemu `dump-guest-memory`) read
/// as physical memory through its PT_LOADs.
///
/// The kernel-text PT_LOAD repeats part of a RAM load and is used only where no
/// other load covers its bytes. Bytes of a load past `p_filesz` (pages
/// `makedumpfile -E` excluded) are not dumped. A read takes one `pread` per
/// contiguous piece of file, straight into the caller's buffer; the save path
/// maps its chunks in place instead when the source is a file.
public struct ElfVmcoreMemory: PhysicalMemory {
    /// One non-overlapping piece of a PT_LOAD.
    struct Piece: Sendable {
        /// Physical `[start, end)`.
        var start: UInt64
        var end: UInt64
        /// The file offset of `start`.
        var fileOffset: UInt64
        /// How many bytes from `start` the file holds (up to `p_filesz`).
        var fileBytes: UInt64
        /// The program header.
        var load: Int

        var fileEnd: UInt64 { start + fileBytes }
    }

    /// The core file.
    public let core: ElfCore
    /// The file, read straight into buffers.
    public let source: any DumpByteSource
    /// Bytes per page: the given size, else VMCOREINFO `PAGESIZE`, else the
    /// architecture's default, else 4096.
    public let pageSize: Int
    /// Frames with at least one byte in the file, merged.
    public let pageFrames: [Range<UInt64>]
    /// The frames whose every byte the file holds: ``pageFrames`` without the
    /// partial frames at the edges of a PT_LOAD (makedumpfile's notion of a page in
    /// the dump, which the writers use).
    public let wholePageFrames: [Range<UInt64>]
    /// One past the frame of the highest PT_LOAD byte.
    public let maxPFN: UInt64
    let pieces: [Piece]

    /// Memory over `core`'s PT_LOADs.
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` when
    ///   the page size is not a power of two from 4 KiB to 256 KiB.
    public init(core: ElfCore, pageSize: Int? = nil) throws(CrashDumpError) {
        self.core = core
        source = adaptedForDumpReading(core.source)
        let size = pageSize.map { UInt64(max($0, 0)) } ?? core.vmcoreInfo?.pageSize
            ?? core.architecture?.defaultPageSize.bytes ?? 4096
        guard size >= 4096, size <= 262_144, size & (size - 1) == 0 else {
            throw .invalidField(field: "page size", offset: nil, value: size, reason: "not a power of two from 4 KiB to 256 KiB")
        }
        self.pageSize = Int(size)
        pieces = Self.pieces(of: core.loads)
        var frames: [Range<UInt64>] = []
        for piece in pieces where piece.fileBytes > 0 {
            let first = piece.start / size
            let last = (piece.fileEnd - 1) / size
            if let previous = frames.last, first <= previous.upperBound {
                frames[frames.count - 1] = previous.lowerBound..<max(previous.upperBound, last + 1)
            } else {
                frames.append(first..<last + 1)
            }
        }
        pageFrames = frames
        var whole: [Range<UInt64>] = []
        for piece in pieces where piece.fileBytes > 0 {
            let first = (piece.start + size - 1) / size
            let end = piece.fileEnd / size
            guard first < end else { continue }
            if let previous = whole.last, first <= previous.upperBound {
                whole[whole.count - 1] = previous.lowerBound..<max(previous.upperBound, end)
            } else {
                whole.append(first..<end)
            }
        }
        wholePageFrames = whole
        let highest = pieces.map(\.end).max() ?? 0
        maxPFN = highest / size + (highest % size == 0 ? 0 : 1)
    }

    /// Cuts the loads into sorted, non-overlapping pieces: RAM loads first in
    /// address order (an overlap keeps the earlier bytes), then the kernel-text
    /// load only where it covers memory no RAM load does.
    static func pieces(of loads: [CoreLoad]) -> [Piece] {
        func piece(_ load: CoreLoad, from start: UInt64, to end: UInt64) -> Piece {
            let delta = start - load.physical.lowerBound.rawValue
            let fileBytes = load.fileSize > delta ? min(load.fileSize - delta, end - start) : 0
            return Piece(start: start, end: end, fileOffset: load.fileOffset &+ delta, fileBytes: fileBytes, load: load.index)
        }
        var pieces: [Piece] = []
        let ram = loads.filter { !$0.isKernelText && !$0.physical.isEmpty }
            .sorted { ($0.physical.lowerBound, $0.index) < ($1.physical.lowerBound, $1.index) }
        var covered: UInt64 = 0
        for load in ram {
            let start = max(load.physical.lowerBound.rawValue, covered)
            let end = load.physical.upperBound.rawValue
            guard start < end else { continue }
            pieces.append(piece(load, from: start, to: end))
            covered = end
        }
        for load in loads where load.isKernelText && !load.physical.isEmpty {
            var gaps = [(load.physical.lowerBound.rawValue, load.physical.upperBound.rawValue)]
            for existing in pieces {
                gaps = gaps.flatMap { gap -> [(UInt64, UInt64)] in
                    guard existing.start < gap.1, existing.end > gap.0 else { return [gap] }
                    var rest: [(UInt64, UInt64)] = []
                    if gap.0 < existing.start { rest.append((gap.0, existing.start)) }
                    if existing.end < gap.1 { rest.append((existing.end, gap.1)) }
                    return rest
                }
            }
            pieces.append(contentsOf: gaps.map { piece(load, from: $0.0, to: $0.1) })
        }
        return pieces.sorted { $0.start < $1.start }
    }

    /// The index of the piece holding `address`, or of the first piece after it.
    func pieceIndex(atOrAfter address: UInt64) -> Int {
        var low = 0
        var high = pieces.count
        while low < high {
            let middle = (low + high) / 2
            if pieces[middle].end <= address { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Fills `buffer` from physical `address`: one `pread` per piece of file.
    /// Bytes of a dumped page that no load has in the file (a load ending inside
    /// the page) read as zeros.
    /// - Throws: ``CrashDumpError/notInDump(address:)`` in a hole,
    ///   ``CrashDumpError/pageExcluded(pfn:)`` past a load's `p_filesz`,
    ///   ``CrashDumpError/truncated(field:offset:needed:available:)`` when the file
    ///   ends before a load's data, or an I/O error.
    public func read(physical address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        let size = UInt64(pageSize)
        var done = 0
        while done < buffer.count {
            let (current, overflow) = address.addingReportingOverflow(UInt64(done))
            guard !overflow else { throw .notInDump(address: address) }
            let remaining = UInt64(buffer.count - done)
            let index = pieceIndex(atOrAfter: current)
            let pageEnd = (current / size + 1) &* size
            if index < pieces.count, pieces[index].start <= current {
                let piece = pieces[index]
                if current < piece.fileEnd {
                    let count = min(remaining, piece.fileEnd - current)
                    let offset = piece.fileOffset + (current - piece.start)
                    do {
                        try source.read(at: offset, into: RawMemory.slice(buffer, done..<done + Int(count)))
                    } catch {
                        if case .truncated = error {
                            throw .truncated(field: "program header \(piece.load) (PT_LOAD) data at physical 0x\(String(current, radix: 16))",
                                             offset: offset, needed: count, available: offset < source.size ? source.size - offset : 0)
                        }
                        throw error
                    }
                    done += Int(count)
                    continue
                }
                // Past p_filesz: excluded, except the tail of a page the file partly holds.
                guard contains(pfn: current / size) else { throw .pageExcluded(pfn: current / size) }
                let next = index + 1 < pieces.count ? pieces[index + 1].start : UInt64.max
                let count = min(remaining, min(pageEnd == 0 ? UInt64.max : pageEnd, min(piece.end, next)) - current)
                RawMemory.zero(buffer, done..<done + Int(count))
                done += Int(count)
                continue
            }
            // A hole: zeros inside a page the dump holds, else not in the dump.
            guard contains(pfn: current / size) else { throw .notInDump(address: current) }
            let next = index < pieces.count ? pieces[index].start : UInt64.max
            let count = min(remaining, min(pageEnd == 0 ? UInt64.max : pageEnd, next) - current)
            RawMemory.zero(buffer, done..<done + Int(count))
            done += Int(count)
        }
    }
}

extension ElfVmcoreMemory: MappablePhysicalMemory {
    /// Maps `[address, address + count)` when one piece's file bytes hold all of it.
    func mapping(physical address: UInt64, count: Int) -> FileMapping? {
        guard count > 0, let mappable = source as? any MappableByteSource else { return nil }
        let index = pieceIndex(atOrAfter: address)
        guard index < pieces.count else { return nil }
        let piece = pieces[index]
        let (end, overflow) = address.addingReportingOverflow(UInt64(count))
        guard !overflow, piece.start <= address, end <= piece.fileEnd else { return nil }
        return mappable.map(at: piece.fileOffset &+ (address - piece.start), count: count)
    }
}
