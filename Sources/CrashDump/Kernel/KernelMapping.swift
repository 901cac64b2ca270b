/// One contiguous piece of the crashed kernel's virtual address space: the
/// page (4 KiB, 2 MiB, 1 GiB) or linear map that holds an address, so a reader
/// can take everything up to ``virtualEnd`` with one physical read.
public struct KernelMapping: Hashable, Sendable, CustomStringConvertible {
    /// How the translation was found.
    public enum Source: Hashable, Sendable {
        /// The kernel text map (`__START_KERNEL_map + phys_base`), without a walk.
        case kernelText
        /// The direct map of all RAM (`PAGE_OFFSET`), without a walk.
        case directMap
        /// A page-table walk ending at an entry of this level (1 = PTE, 2 = PMD,
        /// 3 = PUD on x86_64; 2 = PMD with PAE and 2 = PGD without on i386).
        case pageTable(level: Int)
    }

    /// The first virtual address of the piece.
    public var virtualStart: UInt64
    /// The physical address `virtualStart` maps to.
    public var physicalStart: UInt64
    /// The piece's length in bytes (at least 1; `virtualStart + size` does not
    /// overflow).
    public var size: UInt64
    /// Where the translation came from.
    public var source: Source

    /// A mapping of `size` bytes from `virtualStart` to `physicalStart`.
    public init(virtualStart: UInt64, physicalStart: UInt64, size: UInt64, source: Source) {
        self.virtualStart = virtualStart
        self.physicalStart = physicalStart
        self.size = size
        self.source = source
    }

    /// One past the last virtual address (saturating at the top of the address space).
    public var virtualEnd: UInt64 {
        let (end, overflow) = virtualStart.addingReportingOverflow(size)
        return overflow ? .max : end
    }

    /// Whether `virtual` lies in the piece.
    public func contains(_ virtual: UInt64) -> Bool {
        virtual >= virtualStart && virtual - virtualStart < size
    }

    /// The physical address of `virtual`, or `nil` outside the piece or when it
    /// would pass the top of the physical address space.
    public func physical(for virtual: UInt64) -> UInt64? {
        guard contains(virtual) else { return nil }
        let (result, overflow) = physicalStart.addingReportingOverflow(virtual - virtualStart)
        return overflow ? nil : result
    }

    /// `virtual..end -> physical (source)` in hex.
    public var description: String {
        "0x\(String(virtualStart, radix: 16))+0x\(String(size, radix: 16)) -> 0x\(String(physicalStart, radix: 16)) (\(source))"
    }
}

/// Kernel memory that can tell how far a translation reaches, so reads of
/// large virtual ranges (struct page arrays in vmemmap) become one physical
/// read per physically contiguous run instead of one per page.
public protocol KernelMappingMemory: KernelMemory {
    /// The mapping that holds `virtual`.
    /// - Throws: ``CrashDumpError/notMapped(virtual:reason:)`` or
    ///   ``CrashDumpError/corruptKernelData(structure:address:reason:)``.
    func mapping(of virtual: UInt64) throws(CrashDumpError) -> KernelMapping
}

extension KernelMemory {
    /// Fills `buffer` from kernel virtual `address` with as few physical reads as
    /// the mappings allow: consecutive mappings that are also physically
    /// consecutive are merged into one read. Kernel memory that is not a
    /// ``KernelMappingMemory`` is read page by page.
    /// - Throws: what ``KernelMappingMemory/mapping(of:)`` and
    ///   ``PhysicalMemory/read(physical:into:)`` throw, or
    ///   ``CrashDumpError/notMapped(virtual:reason:)`` when the range wraps.
    public func readCoalesced(virtual address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        guard let mapper = self as? any KernelMappingMemory else {
            try read(virtual: address, into: buffer)
            return
        }
        try mapper.readRuns(virtual: address, into: buffer)
    }
}

extension KernelMappingMemory {
    func readRuns(virtual address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        let total = UInt64(buffer.count)
        guard total > 0 else { return }
        guard address.addingReportingOverflow(total - 1).overflow == false else {
            throw .notMapped(virtual: address, reason: "the read of \(total) bytes wraps past the top of the address space")
        }
        var done: UInt64 = 0
        while done < total {
            let start = address + done
            let first = try mapping(of: start)
            guard let physicalStart = first.physical(for: start) else {
                throw .notMapped(virtual: start, reason: "the translation does not cover the address")
            }
            var length = min(total - done, first.virtualEnd - start)
            // Extend while the next mapping continues the same physical run.
            while done + length < total {
                let next = start + length
                let following = try mapping(of: next)
                guard let nextPhysical = following.physical(for: next),
                      nextPhysical == physicalStart &+ length else { break }
                length += min(total - done - length, following.virtualEnd - next)
            }
            let lower = Int(done)
            try physical.read(physical: physicalStart,
                              into: UnsafeMutableRawBufferPointer(rebasing: buffer[lower..<lower + Int(length)]))
            done += length
        }
    }
}
