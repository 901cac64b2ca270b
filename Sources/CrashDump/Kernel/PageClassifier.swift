public import ElfNotes
public import KexecCore

/// Decides, from the crashed kernel's page descriptors, which page frames a
/// dump level leaves out, the way makedumpfile's `__exclude_unnecessary_pages`
/// does (see ``PageDescriptorLayout`` for each kernel era's rules).
///
/// The caller works in cycles (for example 2^20 frames) so memory stays bounded:
/// each ``classify(_:level:keepClasses:)`` call reads the page descriptors of
/// its range in large chunks (one coalesced read per chunk of ``chunkFrames``
/// descriptors) and allocates only per-range storage. Calls are independent and
/// may come in any order or from several threads: a free block or compound page
/// that began before the range is found again by looking back at the aligned
/// frames before it, instead of being carried from the previous call.
///
/// Frames the dump does not hold are not judged (makedumpfile's `is_in_segs`),
/// but a block that starts on a held frame covers the holes inside it, and they
/// count, as makedumpfile counts them.
public struct PageClassifier: Sendable {
    /// Where the page descriptors are.
    public let memMap: SparseMemMap
    /// What their fields mean.
    public let layout: PageDescriptorLayout
    /// Which frames the dump holds.
    public let physical: any PhysicalMemory
    /// Descriptors read per chunk (default 8192, 512 KiB of 64-byte descriptors;
    /// values below 64 count as 64).
    public var chunkFrames: Int
    /// The largest compound-page order looked back for at a range's start
    /// (18: 1 GiB pages with 4 KiB base pages; clamped to 1...40).
    public var maxCompoundOrder: Int
    /// The longest range one call accepts: 2^28 frames (1 TiB of 4 KiB pages,
    /// a 32 MiB exclusion bitmap); longer ranges must be split into cycles.
    public static let maximumRangeLength: UInt64 = 1 << 28

    /// A classifier over a located page array and a layout.
    /// - Parameters:
    ///   - memMap: the page array.
    ///   - layout: the page descriptor layout.
    ///   - physical: the dump's physical memory (which frames it holds).
    ///   - chunkFrames: descriptors per read (at least 64).
    ///   - maxCompoundOrder: the largest compound order to look back for.
    public init(memMap: SparseMemMap, layout: PageDescriptorLayout, physical: any PhysicalMemory,
                chunkFrames: Int = 8192, maxCompoundOrder: Int = 18) {
        self.memMap = memMap
        self.layout = layout
        self.physical = physical
        self.chunkFrames = max(64, chunkFrames)
        self.maxCompoundOrder = min(max(1, maxCompoundOrder), 40)
    }

    /// A classifier for the kernel described by `vmcoreInfo`, reading through `kernel`.
    /// - Parameters:
    ///   - kernel: the dump's kernel virtual memory (``X86_64KernelMemory``, ...).
    ///   - vmcoreInfo: the crashed kernel's VMCOREINFO.
    ///   - byteOrder: the crashed kernel's byte order.
    ///   - pointerSize: its `unsigned long` size, 8 or 4.
    ///   - defaultSectionSizeBits: SECTION_SIZE_BITS for kernels that do not export it.
    ///   - defaultMaxPhysmemBits: MAX_PHYSMEM_BITS for kernels that do not export it.
    /// - Throws: what ``SparseMemMap/init(kernel:vmcoreInfo:maxPFN:byteOrder:pointerSize:defaultSectionSizeBits:defaultMaxPhysmemBits:)``
    ///   and ``PageDescriptorLayout/init(vmcoreInfo:byteOrder:wordSize:)`` throw.
    public init(kernel: any KernelMemory, vmcoreInfo: VmcoreInfo, byteOrder: ByteOrder = .little, pointerSize: Int = 8,
                defaultSectionSizeBits: Int? = nil, defaultMaxPhysmemBits: Int? = nil) throws(CrashDumpError) {
        let memMap = try SparseMemMap(kernel: kernel, vmcoreInfo: vmcoreInfo, maxPFN: kernel.physical.maxPFN,
                                      byteOrder: byteOrder, pointerSize: pointerSize,
                                      defaultSectionSizeBits: defaultSectionSizeBits,
                                      defaultMaxPhysmemBits: defaultMaxPhysmemBits)
        let layout = try PageDescriptorLayout(vmcoreInfo: vmcoreInfo, byteOrder: byteOrder, wordSize: pointerSize)
        self.init(memMap: memMap, layout: layout, physical: kernel.physical)
    }

    /// Judges every frame of `pfns` at `level`.
    /// - Parameters:
    ///   - pfns: the cycle, at most ``maximumRangeLength`` frames.
    ///   - level: the dump level (its ``DumpLevel/zero`` bit is ignored).
    ///   - keepClasses: also record each frame's class (one byte per frame).
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` for a
    ///   range that is too long, or a read error of the page array.
    public func classify(_ pfns: Range<UInt64>, level: DumpLevel,
                         keepClasses: Bool = false) throws(CrashDumpError) -> PageClassification {
        guard pfns.upperBound - pfns.lowerBound <= Self.maximumRangeLength else {
            throw .invalidField(field: "page frame range length", offset: nil, value: pfns.upperBound - pfns.lowerBound,
                                reason: "more than \(Self.maximumRangeLength) frames; classify in cycles")
        }
        var result = PageClassification(pfns: pfns, level: level, keepClasses: keepClasses)
        guard !pfns.isEmpty else { return result }
        let rules = Rules(level: excludesAnything(at: level) ? level.descriptorBits : [],
                          excludeAlways: excludesAnything(at: level))
        var walk = Walk(skipUntil: pfns.lowerBound, describedUntil: 0, described: .kernel)
        if pfns.lowerBound > 0 {
            let carried = try lookBack(at: pfns.lowerBound, rules: rules)
            if let block = carried.excluded {
                result.exclude(pfns.lowerBound..<block.end, as: block.pageClass)
                walk.skipUntil = block.end
            }
            if let block = carried.described { (walk.describedUntil, walk.described) = (block.end, block.pageClass) }
        }
        // One buffer for every chunk of this call: a chunk's descriptors and the next one.
        var buffer = [UInt8](repeating: 0, count: (effectiveChunkFrames + 1) * layout.size)
        for present in presentRanges(in: pfns) where present.upperBound > walk.skipUntil {
            for run in try memMap.descriptorRuns(for: present) where run.pfns.upperBound > walk.skipUntil {
                let start = max(run.pfns.lowerBound, walk.skipUntil)
                guard let address = run.address else {
                    result.keep(start..<run.pfns.upperBound, as: .noDescriptor)
                    continue
                }
                try judge(start..<run.pfns.upperBound, runStart: run.pfns.lowerBound, address: address,
                          rules: rules, buffer: &buffer, walk: &walk, into: &result)
            }
        }
        // Frames nothing touched are not in the dump.
        let untouched = (pfns.upperBound - pfns.lowerBound) - result.statistics.framesTotal
        result.statistics.add(.notInDump, excluded: false, count: untouched)
        return result
    }

    /// Whether a pass over the page descriptors can leave anything out at
    /// `level`: makedumpfile makes the pass when the level excludes cache or user
    /// pages, when it excludes free pages and buddy pages can be recognized, or
    /// whenever the kernel exports `PG_hwpoison` (hardware-poisoned and offline
    /// pages go at every level, 0 included). When this is `false`,
    /// ``classify(_:level:keepClasses:)`` leaves every frame in, as makedumpfile
    /// does (it then skips the pass, offline pages included).
    public func excludesAnything(at level: DumpLevel) -> Bool {
        !level.intersection([.cache, .cachePrivate, .user]).isEmpty
            || layout.hwpoisonBit != nil
            || (level.contains(.free) && layout.buddy != .none)
    }

    /// Counts every class over the whole dump at `level`, classifying
    /// `cycleFrames` frames at a time.
    /// - Throws: what ``classify(_:level:keepClasses:)`` throws.
    public func statistics(level: DumpLevel, cycleFrames: UInt64 = 1 << 20) throws(CrashDumpError) -> PageClassStatistics {
        var total = PageClassStatistics()
        let step = max(64, min(cycleFrames, Self.maximumRangeLength))
        var start: UInt64 = 0
        let end = physical.maxPFN
        while start < end {
            let upper = end - start > step ? start + step : end
            total.merge(try classify(start..<upper, level: level).statistics)
            start = upper
        }
        return total
    }

    /// ``chunkFrames`` kept sane: 64...2^20.
    var effectiveChunkFrames: Int { min(max(64, chunkFrames), 1 << 20) }

    /// State carried along one call: the end of the last excluded block, and the
    /// class of the last kept block (a compound page or buddy block) for its
    /// tail frames.
    struct Walk {
        var skipUntil: UInt64
        var describedUntil: UInt64
        var described: PageClass
    }

    /// The held frames of `pfns`, clipped, in order.
    func presentRanges(in pfns: Range<UInt64>) -> [Range<UInt64>] {
        let frames = physical.pageFrames
        var low = 0
        var high = frames.count
        while low < high {
            let middle = (low + high) / 2
            if frames[middle].upperBound <= pfns.lowerBound { low = middle + 1 } else { high = middle }
        }
        var result: [Range<UInt64>] = []
        var index = low
        while index < frames.count, frames[index].lowerBound < pfns.upperBound {
            let clipped = frames[index].clamped(to: pfns)
            if !clipped.isEmpty { result.append(clipped) }
            index += 1
        }
        return result
    }

    /// Judges `frames`, all in one section whose descriptors start at `address`
    /// for frame `runStart`.
    private func judge(_ frames: Range<UInt64>, runStart: UInt64, address: UInt64, rules: Rules,
                       buffer: inout [UInt8], walk: inout Walk,
                       into result: inout PageClassification) throws(CrashDumpError) {
        let size = UInt64(layout.size)
        let sectionEnd = memMap.frames(ofSection: memMap.section(of: frames.lowerBound)).upperBound
        var cursor = frames.lowerBound
        while cursor < frames.upperBound {
            let chunkEnd = min(cursor + UInt64(effectiveChunkFrames), frames.upperBound)
            // One descriptor more when it is in the section: a head's order is in its first tail.
            let readEnd = min(chunkEnd + 1, sectionEnd)
            let chunkAddress = address &+ (cursor - runStart) &* size
            var count = Int((readEnd - cursor) * size)
            do {
                try read(chunkAddress, count: count, into: &buffer)
            } catch {
                // The extra descriptor may be unreadable where a section's page array ends early.
                count = Int((chunkEnd - cursor) * size)
                guard readEnd > chunkEnd, (try? read(chunkAddress, count: count, into: &buffer)) != nil else {
                    throw .corruptKernelData(
                        structure: "page descriptors of frames 0x\(String(cursor, radix: 16))...0x\(String(chunkEnd - 1, radix: 16))",
                        address: chunkAddress, reason: "cannot be read: \(error)")
                }
            }
            let available = UInt64(count) / size
            buffer.withUnsafeBytes { raw in
                let reader = StructureReader(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<count]), byteOrder: layout.byteOrder)
                var pfn = cursor
                while pfn < chunkEnd {
                    if pfn < walk.skipUntil {
                        pfn = min(walk.skipUntil, chunkEnd)
                        continue
                    }
                    let index = pfn - cursor
                    let decision = layout.decide(pfn: pfn, reader: reader, at: Int(index * size),
                                                 hasTail: index + 1 < available, rules: rules)
                    record(decision, pfn: pfn, walk: &walk, into: &result)
                    pfn += 1
                }
            }
            cursor = max(chunkEnd, walk.skipUntil)
        }
    }

    /// Reads `count` bytes of kernel virtual memory into the start of `buffer`.
    private func read(_ address: UInt64, count: Int, into buffer: inout [UInt8]) throws(CrashDumpError) {
        var failure: CrashDumpError?
        buffer.withUnsafeMutableBytes { raw in
            do throws(CrashDumpError) {
                try memMap.kernel.readCoalesced(virtual: address, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    @inline(__always)
    private func record(_ decision: PageDecision, pfn: UInt64, walk: inout Walk, into result: inout PageClassification) {
        if let excluded = decision.excludedAs {
            let (end, overflow) = pfn.addingReportingOverflow(decision.excludedFrames)
            let blockEnd = overflow ? UInt64.max : end
            result.exclude(pfn..<blockEnd, as: excluded)
            walk.skipUntil = blockEnd
            return
        }
        var pageClass = decision.natural
        if pfn < walk.describedUntil && (pageClass == .compoundTail || pageClass == .kernel) {
            pageClass = walk.described
        } else if decision.naturalFrames > 1 {
            let (end, overflow) = pfn.addingReportingOverflow(decision.naturalFrames)
            walk.describedUntil = overflow ? UInt64.max : end
            walk.described = decision.natural
        }
        result.keep(pfn, as: pageClass)
    }

    /// A block that began before a range and reaches into it.
    struct CarriedBlock {
        var end: UInt64
        var pageClass: PageClass
    }

    /// Finds the excluded block (and, failing that, the kept compound page or
    /// buddy block) that covers `start` but began before it, by judging the
    /// frames `start` rounded down to 2^k for k from the largest order down, as
    /// a forward walk from the start of memory would have met them.
    func lookBack(at start: UInt64, rules: Rules) throws(CrashDumpError) -> (excluded: CarriedBlock?, described: CarriedBlock?) {
        let buddyOrders = layout.freeAreaOrders ?? Int(PageDescriptorLayout.fallbackMaxOrder) + 1
        let largest = min(max(min(max(1, maxCompoundOrder), 40), buddyOrders - 1), 63)
        var skipUntil: UInt64 = 0
        var described: CarriedBlock? = nil
        var previous: UInt64? = nil
        let size = UInt64(layout.size)
        for order in stride(from: largest, through: 1, by: -1) {
            let candidate = start & ~((UInt64(1) << UInt64(order)) - 1)
            guard candidate != start, candidate != previous else { continue }
            previous = candidate
            guard candidate >= skipUntil, physical.contains(pfn: candidate),
                  let address = try memMap.pageDescriptorAddress(of: candidate) else { continue }
            let sectionEnd = memMap.frames(ofSection: memMap.section(of: candidate)).upperBound
            let count = candidate + 1 < sectionEnd ? 2 : 1
            guard let bytes = try? memMap.kernel.readBytesCoalesced(virtual: address, count: count * Int(size)) else { continue }
            let decision = bytes.withUnsafeBytes { raw in
                layout.decide(pfn: candidate, reader: StructureReader(bytes: raw, byteOrder: layout.byteOrder), at: 0,
                              hasTail: count == 2, rules: rules)
            }
            guard !decision.isTail else { continue }
            if let excluded = decision.excludedAs {
                let (end, overflow) = candidate.addingReportingOverflow(decision.excludedFrames)
                let blockEnd = overflow ? UInt64.max : end
                if blockEnd > start { return (CarriedBlock(end: blockEnd, pageClass: excluded), nil) }
                skipUntil = blockEnd
            } else if described == nil, decision.naturalFrames > 1 {
                let (end, overflow) = candidate.addingReportingOverflow(decision.naturalFrames)
                if overflow || end > start { described = CarriedBlock(end: overflow ? .max : end, pageClass: decision.natural) }
            }
        }
        return (nil, described)
    }
}
