/// The crashed machine's memory, read by physical address: an ELF vmcore through
/// its PT_LOADs, or a kdump-compressed dump through its bitmaps and page
/// descriptors. Implementations read in large windows (one call per request,
/// never a system call per page) and are safe to share between threads.
public protocol PhysicalMemory: Sendable {
    /// Bytes per page of the crashed kernel (from the dump; 4096 on x86).
    var pageSize: Int { get }
    /// The page frames the dump holds, as sorted, disjoint, non-empty PFN ranges.
    /// For a filtered dump these are the frames that were written.
    var pageFrames: [Range<UInt64>] { get }
    /// One past the highest page frame of the crashed machine (max_mapnr).
    var maxPFN: UInt64 { get }
    /// Fills `buffer` with the physical memory starting at `address`. A read may
    /// span pages and ranges; every byte must be in the dump.
    /// - Throws: ``CrashDumpError/notInDump(address:)``,
    ///   ``CrashDumpError/pageExcluded(pfn:)``, ``CrashDumpError/corruptPage(pfn:reason:)``
    ///   or an I/O error.
    func read(physical address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError)
}

extension PhysicalMemory {
    /// `count` bytes of physical memory from `address`.
    public func read(physical address: UInt64, count: Int) throws(CrashDumpError) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: CrashDumpError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(CrashDumpError) {
                try read(physical: address, into: buffer)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Whether page frame `pfn` is in ``pageFrames``.
    public func contains(pfn: UInt64) -> Bool {
        var low = 0
        var high = pageFrames.count
        while low < high {
            let middle = (low + high) / 2
            if pageFrames[middle].upperBound <= pfn { low = middle + 1 } else { high = middle }
        }
        return low < pageFrames.count && pageFrames[low].contains(pfn)
    }
}

/// Physical memory some of whose ranges can be mapped in place instead of read
/// (an ELF vmcore file): the save path's way to skip a copy.
protocol MappablePhysicalMemory: PhysicalMemory {
    /// The `count` bytes from physical `address` mapped read-only, or nil when they
    /// are not one contiguous piece of a mappable file (then ``read(physical:into:)``).
    func mapping(physical address: UInt64, count: Int) -> FileMapping?
}

/// The crashed kernel's virtual address space: kernel text, the direct map,
/// vmalloc and vmemmap, translated with the kernel's own page tables.
public protocol KernelMemory: Sendable {
    /// The physical memory underneath.
    var physical: any PhysicalMemory { get }
    /// The physical address `virtual` maps to.
    /// - Throws: ``CrashDumpError/notMapped(virtual:reason:)`` or a read error
    ///   from walking the page tables.
    func translate(_ virtual: UInt64) throws(CrashDumpError) -> UInt64
}

extension KernelMemory {
    /// Fills `buffer` from kernel virtual address `address`, translating page by page.
    public func read(virtual address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        let pageSize = UInt64(physical.pageSize)
        var done = 0
        while done < buffer.count {
            let (current, overflow) = address.addingReportingOverflow(UInt64(done))
            guard !overflow else { throw .notMapped(virtual: address, reason: "the read wraps past the top of the address space") }
            let inPage = Int(min(UInt64(buffer.count - done), pageSize - current % pageSize))
            let physicalAddress = try translate(current)
            try physical.read(physical: physicalAddress,
                              into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + inPage]))
            done += inPage
        }
    }

    /// `count` bytes from kernel virtual address `address`.
    public func read(virtual address: UInt64, count: Int) throws(CrashDumpError) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: CrashDumpError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(CrashDumpError) {
                try read(virtual: address, into: buffer)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return bytes
    }
}
