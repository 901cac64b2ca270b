public import ElfNotes
import KexecCore

/// The crashed i386 kernel's virtual address space, translated with
/// `swapper_pg_dir` from VMCOREINFO: 2-level tables with 4 MiB pages (PSE-36
/// high bits included) or, when VMCOREINFO says `CONFIG_X86_PAE=y`, 3-level PAE
/// tables with 2 MiB pages. Kernel symbols live in the direct map, so the root is
/// `SYMBOL(swapper_pg_dir) - PAGE_OFFSET`.
///
/// There is no direct-map fast path unless the caller knows how far lowmem
/// reaches (`high_memory` is not in VMCOREINFO); the walk cache makes the direct
/// map cheap anyway, since the kernel maps it with large pages.
public struct I386KernelMemory: KernelMappingMemory {
    /// The physical memory underneath.
    public let physical: any PhysicalMemory
    /// The physical address of the top-level table (the PDPT with PAE).
    public let pageTableRoot: UInt64
    /// PAE paging (64-bit entries, 3 levels).
    public let pae: Bool
    /// `PAGE_OFFSET` (0xc0000000 unless the kernel was built with another VMSPLIT).
    public let pageOffset: UInt64
    /// How many bytes from `PAGE_OFFSET` are linearly mapped (lowmem), or `nil`
    /// to walk every address.
    public let directMapSize: UInt64?
    let cache: TranslationCache

    /// Kernel memory with every parameter given.
    /// - Parameters:
    ///   - physical: the dump's physical memory.
    ///   - pageTableRoot: the physical address of `swapper_pg_dir`.
    ///   - pae: PAE paging.
    ///   - pageOffset: `PAGE_OFFSET`.
    ///   - directMapSize: the lowmem size for a fast path, `nil` for none.
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` when
    ///   `pageOffset` or the direct map does not fit in 32 bits.
    public init(physical: any PhysicalMemory, pageTableRoot: UInt64, pae: Bool, pageOffset: UInt64 = 0xc000_0000,
                directMapSize: UInt64? = nil) throws(CrashDumpError) {
        guard pageOffset < 1 << 32, pageOffset & 0xfff == 0 else {
            throw .invalidField(field: "PAGE_OFFSET", offset: nil, value: pageOffset, reason: "not a page-aligned 32-bit address")
        }
        if let size = directMapSize, size > (1 << 32) - pageOffset {
            throw .invalidField(field: "lowmem size", offset: nil, value: size, reason: "passes the top of the 32-bit address space")
        }
        self.physical = physical
        self.pageTableRoot = pageTableRoot
        self.pae = pae
        self.pageOffset = pageOffset
        self.directMapSize = directMapSize
        cache = TranslationCache()
    }

    /// Kernel memory from VMCOREINFO: `SYMBOL(swapper_pg_dir)` and `CONFIG_X86_PAE`.
    /// - Parameters:
    ///   - physical: the dump's physical memory.
    ///   - vmcoreInfo: the crashed kernel's VMCOREINFO.
    ///   - pageOffset: `PAGE_OFFSET` (from the PT_LOADs, ``pageOffset(fromLoads:)``).
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` or
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` for a
    ///   `swapper_pg_dir` below `PAGE_OFFSET`.
    public init(physical: any PhysicalMemory, vmcoreInfo: VmcoreInfo, pageOffset: UInt64 = 0xc000_0000) throws(CrashDumpError) {
        let symbol = try vmcoreInfo.requiredSymbol("swapper_pg_dir", for: "i386 address translation")
        guard symbol >= pageOffset, symbol < 1 << 32 else {
            throw .invalidVmcoreInfo(key: "SYMBOL(swapper_pg_dir)", value: String(symbol, radix: 16),
                                     reason: "not a 32-bit address above PAGE_OFFSET 0x\(String(pageOffset, radix: 16))")
        }
        try self.init(physical: physical, pageTableRoot: symbol - pageOffset, pae: vmcoreInfo.config("X86_PAE"),
                      pageOffset: pageOffset)
    }

    /// `PAGE_OFFSET` from an i386 ELF vmcore's PT_LOADs: `p_vaddr - p_paddr` of
    /// the first PT_LOAD where that difference is a non-zero multiple of 1 GiB
    /// (the VMSPLIT_3G, 2G and 1G layouts); `nil` when there is none.
    public static func pageOffset(fromLoads loads: [CoreLoad]) -> UInt64? {
        for load in loads {
            let virtual = load.virtualStart.rawValue
            let physicalStart = load.physical.lowerBound.rawValue
            guard virtual < 1 << 32, virtual > physicalStart else { continue }
            let base = virtual - physicalStart
            if base >= 0x4000_0000 && base & 0x3fff_ffff == 0 { return base }
        }
        return nil
    }

    /// The physical address `virtual` maps to.
    /// - Throws: ``CrashDumpError/notMapped(virtual:reason:)`` or
    ///   ``CrashDumpError/corruptKernelData(structure:address:reason:)``.
    public func translate(_ virtual: UInt64) throws(CrashDumpError) -> UInt64 {
        let found = try mapping(of: virtual)
        guard let result = found.physical(for: virtual) else {
            throw .notMapped(virtual: virtual, reason: "the mapping \(found) does not cover it")
        }
        return result
    }

    /// The mapping that holds `virtual`: the lowmem fast path, a cached walk or a new walk.
    /// - Throws: as ``translate(_:)``.
    public func mapping(of virtual: UInt64) throws(CrashDumpError) -> KernelMapping {
        if let size = directMapSize, virtual >= pageOffset, virtual - pageOffset < size {
            return KernelMapping(virtualStart: pageOffset, physicalStart: 0, size: size, source: .directMap)
        }
        if let cached = cache.lookup(virtual) { return cached }
        let walked = try walk(virtual)
        cache.insert(walked)
        return walked
    }

    /// Translates `virtual` by walking `swapper_pg_dir`, without fast path or cache.
    /// - Throws: as ``translate(_:)``.
    public func walk(_ virtual: UInt64) throws(CrashDumpError) -> KernelMapping {
        guard virtual < 1 << 32 else { throw .notMapped(virtual: virtual, reason: "not a 32-bit address") }
        return pae ? try walkPAE(virtual) : try walkTwoLevel(virtual)
    }

    private func entry(_ name: String, at address: UInt64, wide: Bool, virtual: UInt64,
                       pointedToBy previous: (name: String, address: UInt64)?) throws(CrashDumpError) -> UInt64 {
        do {
            return wide ? try physical.readInteger(UInt64.self, physical: address, byteOrder: .little)
                : UInt64(try physical.readInteger(UInt32.self, physical: address, byteOrder: .little))
        } catch {
            if let previous {
                throw .corruptKernelData(structure: "\(previous.name) entry for virtual 0x\(String(virtual, radix: 16))",
                                         address: previous.address,
                                         reason: "points to a \(name) table that cannot be read at 0x\(String(address, radix: 16)): \(error)")
            }
            throw .corruptKernelData(structure: "page-table root (swapper_pg_dir)", address: address,
                                     reason: "cannot be read: \(error)")
        }
    }

    private func notPresent(_ name: String, _ entry: UInt64, at address: UInt64, _ virtual: UInt64) -> CrashDumpError {
        .notMapped(virtual: virtual, reason: "\(name) entry 0x\(String(entry, radix: 16)) at physical 0x\(String(address, radix: 16)) is not present")
    }

    private func walkPAE(_ virtual: UInt64) throws(CrashDumpError) -> KernelMapping {
        let mask: UInt64 = 0x000f_ffff_ffff_f000
        let pdptAddress = pageTableRoot + ((virtual >> 30) & 3) * 8
        let pdpt = try entry("PDPT", at: pdptAddress, wide: true, virtual: virtual, pointedToBy: nil)
        guard pdpt & 1 != 0 else { throw notPresent("PDPT", pdpt, at: pdptAddress, virtual) }
        let pmdAddress = (pdpt & mask) + ((virtual >> 21) & 511) * 8
        let pmd = try entry("PMD", at: pmdAddress, wide: true, virtual: virtual, pointedToBy: ("PDPT", pdptAddress))
        guard pmd & 1 != 0 else { throw notPresent("PMD", pmd, at: pmdAddress, virtual) }
        if pmd & 0x80 != 0 {
            return KernelMapping(virtualStart: virtual & ~0x1f_ffff, physicalStart: pmd & mask & ~0x1f_ffff,
                                 size: 1 << 21, source: .pageTable(level: 2))
        }
        let pteAddress = (pmd & mask) + ((virtual >> 12) & 511) * 8
        let pte = try entry("PTE", at: pteAddress, wide: true, virtual: virtual, pointedToBy: ("PMD", pmdAddress))
        guard pte & 1 != 0 else { throw notPresent("PTE", pte, at: pteAddress, virtual) }
        return KernelMapping(virtualStart: virtual & ~0xfff, physicalStart: pte & mask, size: 1 << 12,
                             source: .pageTable(level: 1))
    }

    private func walkTwoLevel(_ virtual: UInt64) throws(CrashDumpError) -> KernelMapping {
        let pgdAddress = pageTableRoot + ((virtual >> 22) & 1023) * 4
        let pgd = try entry("PGD", at: pgdAddress, wide: false, virtual: virtual, pointedToBy: nil)
        guard pgd & 1 != 0 else { throw notPresent("PGD", pgd, at: pgdAddress, virtual) }
        if pgd & 0x80 != 0 {
            // PSE-36: bits 13...20 of a 4 MiB entry are physical address bits 32...39.
            let physicalStart = (pgd & 0xffc0_0000) | (((pgd >> 13) & 0xff) << 32)
            return KernelMapping(virtualStart: virtual & ~0x3f_ffff, physicalStart: physicalStart,
                                 size: 1 << 22, source: .pageTable(level: 2))
        }
        let pteAddress = (pgd & 0xffff_f000) + ((virtual >> 12) & 1023) * 4
        let pte = try entry("PTE", at: pteAddress, wide: false, virtual: virtual, pointedToBy: ("PGD", pgdAddress))
        guard pte & 1 != 0 else { throw notPresent("PTE", pte, at: pteAddress, virtual) }
        return KernelMapping(virtualStart: virtual & ~0xfff, physicalStart: pte & 0xffff_f000, size: 1 << 12,
                             source: .pageTable(level: 1))
    }
}
