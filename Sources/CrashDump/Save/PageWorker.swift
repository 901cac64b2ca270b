/// Compresses one page into a caller buffer: the codec side of a worker.
protocol PageEncoding {
    /// The page_desc flag of pages this encoder compressed.
    var flag: UInt32 { get }
    /// The most bytes one compressed page can take.
    func bound(pageSize: Int) -> Int
    /// Compresses `page` into `output`; nil when the result would not be smaller
    /// than the page (the page is then stored raw).
    mutating func encode(_ page: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int?
}

/// One worker of the data pass: reads a chunk of pages in one request, finds zero
/// pages, compresses the rest into its own output buffer. Each worker is used by
/// one thread at a time; the committing thread reads its results afterwards.
///
/// `@unchecked Sendable`: the writers hand worker `i` only to iteration `i` of
/// `DispatchQueue.concurrentPerform` and read it after that call returns, which
/// orders every access; no two threads ever touch one worker at once.
final class PageWorker: @unchecked Sendable {
    let pageSize: Int
    let capacity: Int
    private let buffers: PageWorkerBuffers
    private var encoder: (any PageEncoding)?
    private let outputStride: Int
    /// The results of the last ``process(_:memory:detectZero:)``, one per page.
    private(set) var results: [EncodedPage] = []
    /// The chunk last processed.
    private(set) var chunk = PageChunk(firstPFN: 0, count: 0)
    /// Input bytes read by this worker so far.
    private(set) var bytesRead: UInt64 = 0
    /// Of those, bytes used in place from a mapping.
    private(set) var bytesMapped: UInt64 = 0

    init(pageSize: Int, capacity: Int, encoder: (any PageEncoding)?) {
        self.pageSize = pageSize
        self.capacity = capacity
        self.encoder = encoder
        outputStride = encoder?.bound(pageSize: pageSize) ?? 0
        buffers = PageWorkerBuffers(inputBytes: pageSize * capacity, outputBytes: outputStride * capacity)
        results.reserveCapacity(capacity)
    }

    /// The chunk's bytes mapped in place, when the memory could map them; kept
    /// until the next chunk so the committing thread can still copy raw pages.
    private var mapped: FileMapping?

    /// The bytes of page `index` of the chunk as read (pages of a chunk are contiguous).
    func page(_ index: Int) -> UnsafeRawBufferPointer {
        let bytes = mapped?.bytes ?? UnsafeRawBufferPointer(buffers.preparedInput())
        return UnsafeRawBufferPointer(rebasing: bytes[index * pageSize..<(index + 1) * pageSize])
    }

    /// The compressed bytes `offset ..< offset + size` of the output buffer.
    func output(offset: Int, size: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffers.output[offset..<offset + size])
    }

    /// Reads and encodes `chunk` (at most ``capacity`` pages): maps it in place
    /// when the memory can, else reads it into the input buffer. A failed read of
    /// the whole chunk is retried page by page so one bad page costs only itself.
    func process(_ chunk: PageChunk, memory: any PhysicalMemory, detectZero: Bool) {
        self.chunk = chunk
        results.removeAll(keepingCapacity: true)
        let count = min(chunk.count, capacity)
        var pageErrors: [Int: CrashDumpError] = [:]
        mapped = nil
        if let mappable = memory as? any MappablePhysicalMemory {
            mapped = mappable.mapping(physical: chunk.firstPFN * UInt64(pageSize), count: count * pageSize)
        }
        if mapped == nil {
            pageErrors = read(chunk, count: count, memory: memory)
        } else {
            bytesMapped += UInt64(count * pageSize)
        }
        bytesRead += UInt64(count * pageSize)
        for index in 0..<count {
            if let error = pageErrors[index] {
                results.append(.unreadable(error))
                continue
            }
            let bytes = page(index)
            if detectZero && PageWorkerBuffers.isZero(bytes) {
                results.append(.zero)
                continue
            }
            guard encoder != nil else {
                results.append(.raw)
                continue
            }
            let offset = index * outputStride
            let target = UnsafeMutableRawBufferPointer(rebasing: buffers.output[offset..<offset + outputStride])
            if let size = encoder?.encode(bytes, into: target), size > 0, size < pageSize, let flag = encoder?.flag {
                results.append(.compressed(offset: offset, size: size, flag: flag))
            } else {
                results.append(.raw)
            }
        }
    }

    /// Reads `count` pages of `chunk` into the input buffer; returns the pages
    /// that could not be read.
    private func read(_ chunk: PageChunk, count: Int, memory: any PhysicalMemory) -> [Int: CrashDumpError] {
        let size = UInt64(pageSize)
        let input = buffers.preparedInput()
        var pageErrors: [Int: CrashDumpError] = [:]
        do throws(CrashDumpError) {
            try memory.read(physical: chunk.firstPFN * size,
                            into: UnsafeMutableRawBufferPointer(rebasing: input[0..<count * pageSize]))
        } catch {
            for index in 0..<count {
                do throws(CrashDumpError) {
                    try memory.read(physical: (chunk.firstPFN + UInt64(index)) * size,
                                    into: UnsafeMutableRawBufferPointer(
                                        rebasing: input[index * pageSize..<(index + 1) * pageSize]))
                } catch {
                    pageErrors[index] = error
                }
            }
        }
        return pageErrors
    }
}
