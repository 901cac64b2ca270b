import ElfNotes
extension KdumpCompressedMemory {
    /// The most pages one descriptor lookup and data read cover.
    static let batchPages = 1024
    /// The most bytes of page data taken in one `pread`.
    static let readWindow: UInt64 = 4 << 20

    /// Fills `buffer` with physical memory from `address`: whole pages go
    /// straight into the buffer (raw runs with one `pread`, compressed runs read in
    /// one `pread` and decompressed page by page); partial pages go through a small
    /// cache of decoded pages.
    /// - Throws: ``CrashDumpError/notInDump(address:)`` outside RAM,
    ///   ``CrashDumpError/pageExcluded(pfn:)`` for a filtered frame,
    ///   ``CrashDumpError/corruptPage(pfn:reason:)`` for a descriptor or data that
    ///   cannot be right (offset 0 in an incomplete dump, size over a page, data past
    ///   the end of the file, a wrong decompressed length), ``CrashDumpError/unsupported(_:)``
    ///   for snappy pages, or an I/O error.
    public func read(physical address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        let size = UInt64(pageSize)
        var done = 0
        while done < buffer.count {
            let (current, overflow) = address.addingReportingOverflow(UInt64(done))
            guard !overflow else { throw .notInDump(address: address) }
            let pfn = current / size
            let inPage = Int(current % size)
            try checkDumped(pfn, address: current)
            let remaining = buffer.count - done
            if inPage != 0 || remaining < pageSize {
                let count = min(remaining, pageSize - inPage)
                let page = try decodedPage(pfn)
                RawMemory.copy(page[inPage..<inPage + count], into: buffer, at: done)
                done += count
                continue
            }
            let limit = min(remaining / pageSize, Self.batchPages)
            var run = 1
            while run < limit, dumpedBitmap.contains(pfn + UInt64(run)) { run += 1 }
            try readWholePages(firstPFN: pfn, count: run, into: RawMemory.slice(buffer, done..<done + run * pageSize))
            done += run * pageSize
        }
    }

    /// One decoded page, from the cache or the file.
    func decodedPage(_ pfn: UInt64) throws(CrashDumpError) -> [UInt8] {
        if let page = state.cachedPage(pfn) { return page }
        var page = [UInt8](repeating: 0, count: pageSize)
        try RawMemory.fill(&page) { buffer throws(CrashDumpError) in
            try readWholePages(firstPFN: pfn, count: 1, into: buffer)
        }
        state.storePage(pfn, page)
        return page
    }

    /// Reads `count` consecutive dumped frames from `firstPFN` into `destination`
    /// (exactly `count` pages long).
    func readWholePages(firstPFN: UInt64, count: Int, into destination: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        let table = try descriptors(from: rank.rank(firstPFN), count: count, firstPFN: firstPFN)
        var codecs: [PageCodec] = []
        codecs.reserveCapacity(count)
        for (index, descriptor) in table.enumerated() {
            codecs.append(try validate(descriptor, pfn: firstPFN + UInt64(index)))
        }
        let box = try state.takeDecoder()
        defer { state.returnDecoder(box) }
        let page = pageSize
        var first = 0
        while first < count {
            let descriptor = table[first]
            // Pages that share a descriptor (makedumpfile's one zero page) decode once.
            if first > 0, Self.sameData(table[first - 1], descriptor) {
                RawMemory.copy(from: UnsafeRawBufferPointer(destination), (first - 1) * page, to: destination, first * page,
                               count: page)
                first += 1
                continue
            }
            var end = first + 1
            var fileEnd = descriptor.offset + UInt64(descriptor.size)
            var allRaw = codecs[first] == .none
            while end < count, table[end].offset == fileEnd,
                  fileEnd - descriptor.offset + UInt64(table[end].size) <= Self.readWindow {
                fileEnd += UInt64(table[end].size)
                allRaw = allRaw && codecs[end] == .none
                end += 1
            }
            let pages = RawMemory.slice(destination, first * page..<end * page)
            let pfn = firstPFN + UInt64(first)
            if allRaw {
                // Raw pages are exactly one page each, so the run maps onto the destination.
                try readData(at: descriptor.offset, into: pages, pfn: pfn)
            } else {
                let length = Int(fileEnd - descriptor.offset)
                if box.scratch.count < length { box.scratch = [UInt8](repeating: 0, count: length) }
                try RawMemory.fill(&box.scratch) { scratch throws(CrashDumpError) in
                    try readData(at: descriptor.offset, into: RawMemory.slice(scratch, 0..<length), pfn: pfn)
                    var position = 0
                    for index in first..<end {
                        let size = Int(table[index].size)
                        let input = RawMemory.slice(UnsafeRawBufferPointer(scratch), position..<position + size)
                        let output = RawMemory.slice(pages, (index - first) * page..<(index - first + 1) * page)
                        do {
                            try box.decompressor.decompress(codecs[index], input, into: output)
                        } catch {
                            throw .corruptPage(pfn: firstPFN + UInt64(index), reason: "\(error)")
                        }
                        position += size
                    }
                }
            }
            first = end
        }
    }

    static func sameData(_ left: KdumpPageDescriptor, _ right: KdumpPageDescriptor) -> Bool {
        left.offset == right.offset && left.size == right.size && left.flags == right.flags
    }

    func readData(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer, pfn: UInt64) throws(CrashDumpError) {
        do {
            try source.read(at: offset, into: buffer)
        } catch {
            if case .truncated = error {
                throw .corruptPage(pfn: pfn, reason: "page data at offset \(offset) runs past the end of the file")
            }
            throw error
        }
    }

    /// Checks one descriptor and returns its codec.
    func validate(_ descriptor: KdumpPageDescriptor, pfn: UInt64) throws(CrashDumpError) -> PageCodec {
        guard descriptor.offset != 0 else {
            throw .corruptPage(pfn: pfn, reason: "its page descriptor has offset 0: the page was never written (incomplete dump)")
        }
        guard descriptor.size > 0, descriptor.size <= UInt32(pageSize) else {
            throw .corruptPage(pfn: pfn, reason: "page descriptor size \(descriptor.size) is not 1 to the \(pageSize)-byte block size")
        }
        let (end, overflow) = descriptor.offset.addingReportingOverflow(UInt64(descriptor.size))
        guard !overflow, end <= source.size else {
            throw .corruptPage(pfn: pfn, reason: "page data at offset \(descriptor.offset) (\(descriptor.size) bytes) lies past the end of the \(source.size)-byte file")
        }
        let codec: PageCodec
        do {
            codec = try PageCodec(descriptorFlags: descriptor.flags)
        } catch {
            throw .unsupported("page frame 0x\(String(pfn, radix: 16)): \(error)")
        }
        if codec == .none, descriptor.size != UInt32(pageSize) {
            throw .corruptPage(pfn: pfn, reason: "raw page data is \(descriptor.size) bytes, not the \(pageSize)-byte block size")
        }
        return codec
    }

    /// Descriptors `index..<index + count` (dumped frames from `firstPFN`).
    func descriptors(from index: UInt64, count: Int, firstPFN: UInt64) throws(CrashDumpError) -> [KdumpPageDescriptor] {
        let perBlock = UInt64(KdumpReaderState.descriptorsPerBlock)
        var result: [KdumpPageDescriptor] = []
        result.reserveCapacity(count)
        var next = index
        let last = index + UInt64(count)
        while next < last {
            let blockIndex = next / perBlock
            let block = try descriptorBlock(blockIndex)
            let start = Int(next - blockIndex * perBlock)
            let wanted = Int(min(last - next, perBlock - UInt64(start)))
            guard start + wanted <= block.count else {
                let missing = next + UInt64(max(0, block.count - start))
                let offset = header.descriptorTableOffset + missing * UInt64(KdumpPageDescriptor.size)
                throw .corruptPage(pfn: firstPFN + (missing - index),
                                   reason: "its page descriptor at offset \(offset) lies past the end of the \(source.size)-byte file (incomplete dump)")
            }
            result.append(contentsOf: block[start..<start + wanted])
            next += UInt64(wanted)
        }
        return result
    }

    /// Descriptor block `blockIndex`, decoded (shorter when the file ends inside it).
    func descriptorBlock(_ blockIndex: UInt64) throws(CrashDumpError) -> [KdumpPageDescriptor] {
        if let cached = state.cachedBlock(blockIndex) { return cached }
        let perBlock = UInt64(KdumpReaderState.descriptorsPerBlock)
        let first = blockIndex * perBlock
        let inBlock = min(perBlock, rank.total - min(first, rank.total))
        let offset = header.descriptorTableOffset + first * UInt64(KdumpPageDescriptor.size)
        let wanted = inBlock * UInt64(KdumpPageDescriptor.size)
        let available = offset < source.size ? min(wanted, source.size - offset) : 0
        let whole = available / UInt64(KdumpPageDescriptor.size) * UInt64(KdumpPageDescriptor.size)
        let bytes = try source.bytes(at: offset, count: Int(whole), field: "page descriptors")
        let descriptors = KdumpPageDescriptor.decodeTable(bytes, byteOrder: layout.byteOrder)
        state.storeBlock(blockIndex, descriptors)
        return descriptors
    }
}
