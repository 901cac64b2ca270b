public import ElfNotes
import KexecCore

/// The crashed x86_64 kernel's virtual address space, translated from
/// VMCOREINFO alone (no vmlinux): the kernel's own page tables
/// (`init_top_pgt`, 4- or 5-level, 2 MiB and 1 GiB pages, the SME/SEV C-bit
/// stripped), with fast paths for the kernel text map and the direct map and a
/// small cache of recent walks.
///
/// The page-table root is `SYMBOL(init_top_pgt) - __START_KERNEL_map + NUMBER(phys_base)`,
/// the kernel's `__pa_symbol()`. The direct map's base (`page_offset_base`,
/// randomized by KASLR and not in VMCOREINFO) comes from the caller: for an ELF
/// vmcore use ``directMapBase(fromLoads:)``; without it every direct-map address
/// is walked through the page tables, which is slower but equally right.
///
/// Hostile page tables cannot make a walk loop (it has a fixed depth); entries
/// that are not present give ``CrashDumpError/notMapped(virtual:reason:)``,
/// tables outside the dump and reserved bits give
/// ``CrashDumpError/corruptKernelData(structure:address:reason:)``.
public struct X86_64KernelMemory: KernelMappingMemory {
    /// `__START_KERNEL_map`: where the kernel text map starts.
    public static let kernelTextMapStart: UInt64 = 0xffff_ffff_8000_0000
    /// The physical-address bits of a page-table entry (12...51).
    public static let entryAddressMask: UInt64 = 0x000f_ffff_ffff_f000

    /// The physical memory underneath.
    public let physical: any PhysicalMemory
    /// The physical address of the top-level page table.
    public let pageTableRoot: UInt64
    /// Whether the kernel ran with 5-level paging (LA57).
    public let fiveLevel: Bool
    /// `phys_base`: kernel text map address `v` is at `v - __START_KERNEL_map + physBase`.
    public let physBase: UInt64
    /// How far the kernel text map fast path reaches (`KERNEL_IMAGE_SIZE`), or
    /// `nil` to walk the text map too.
    public let kernelImageSize: UInt64?
    /// `PAGE_OFFSET` (`page_offset_base`), or `nil` to walk the direct map.
    public let directMapBase: UInt64?
    /// The direct-map fast path's span from ``directMapBase``: the dump's RAM
    /// rounded up to 1 GiB, at most `2^MAX_PHYSMEM_BITS` and never into the text
    /// map. (With KASLR the vmalloc area may begin right after the RAM's share
    /// of the direct map, so the fast path must not reach further.)
    public let directMapSize: UInt64
    /// The bits of an entry that hold the next table's or the page's physical
    /// address: ``entryAddressMask`` without the memory-encryption mask.
    public let entryMask: UInt64
    let cache: TranslationCache

    /// Kernel memory with every parameter given.
    /// - Parameters:
    ///   - physical: the dump's physical memory.
    ///   - pageTableRoot: the physical address of the top-level table.
    ///   - fiveLevel: 5-level paging.
    ///   - physBase: `phys_base`.
    ///   - kernelImageSize: the kernel text map fast path's span, `nil` for none.
    ///   - directMapBase: `PAGE_OFFSET`, `nil` for no direct-map fast path.
    ///   - maxPhysicalAddressBits: `MAX_PHYSMEM_BITS` (46 for 4-level, 52 for 5-level).
    ///   - memoryEncryptionMask: `sme_mask`, the C-bit to strip from entries.
    ///   - cacheCapacity: how many recent walks to remember (0 disables the cache).
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` for a
    ///   direct-map base outside the kernel half or overlapping the text map, or
    ///   a bit count outside 32...52.
    public init(physical: any PhysicalMemory, pageTableRoot: UInt64, fiveLevel: Bool, physBase: UInt64,
                kernelImageSize: UInt64?, directMapBase: UInt64?, maxPhysicalAddressBits: Int? = nil,
                memoryEncryptionMask: UInt64 = 0, cacheCapacity: Int = 32) throws(CrashDumpError) {
        let bits = maxPhysicalAddressBits ?? (fiveLevel ? 52 : 46)
        guard (32...52).contains(bits) else {
            throw .invalidField(field: "MAX_PHYSMEM_BITS", offset: nil, value: UInt64(clamping: bits),
                                reason: "x86_64 physical addresses have 32 to 52 bits")
        }
        if let base = directMapBase {
            guard base >= 0xff00_0000_0000_0000, base < Self.kernelTextMapStart, base & 0xfff == 0 else {
                throw .invalidField(field: "PAGE_OFFSET", offset: nil, value: base,
                                    reason: "the direct map starts page-aligned in the kernel half below __START_KERNEL_map")
            }
        }
        if let size = kernelImageSize {
            // phys_base is negative (two's complement) when KASLR put the kernel lower
            // physically than it was linked; the map then starts -phys_base into the text map.
            let fits = Int64(bitPattern: physBase) < 0 ? (0 &- physBase) < size : physBase.addingReportingOverflow(size).overflow == false
            guard size > 0, size <= 1 << 31, fits else {
                throw .invalidField(field: "KERNEL_IMAGE_SIZE", offset: nil, value: size,
                                    reason: "the kernel text map spans at most 2 GiB")
            }
        }
        self.physical = physical
        self.pageTableRoot = pageTableRoot
        self.fiveLevel = fiveLevel
        self.physBase = physBase
        self.kernelImageSize = kernelImageSize
        self.directMapBase = directMapBase
        // The direct map holds all RAM, but KASLR packs vmalloc and vmemmap right
        // after the RAM it needs (plus padding), so the fast path stops at the
        // dump's highest frame (rounded up to 1 GiB) rather than at 2^MAX_PHYSMEM_BITS.
        let span: UInt64 = 1 << UInt64(bits)
        let (ramEnd, ramOverflow) = physical.maxPFN.multipliedReportingOverflow(by: UInt64(max(physical.pageSize, 1)))
        let ram = ramOverflow ? span : (ramEnd &+ (1 << 30) - 1) & ~((1 << 30) - 1)
        directMapSize = directMapBase.map { min(span, ram, Self.kernelTextMapStart - $0) } ?? 0
        entryMask = Self.entryAddressMask & ~memoryEncryptionMask
        cache = TranslationCache(capacity: max(cacheCapacity, 1))
        cacheEnabled = cacheCapacity > 0
    }

    let cacheEnabled: Bool

    /// Kernel memory described by the crashed kernel's VMCOREINFO:
    /// `SYMBOL(init_top_pgt)` (or `init_level4_pgt` before 4.13), `NUMBER(phys_base)`,
    /// `NUMBER(pgtable_l5_enabled)`, `NUMBER(sme_mask)`, `NUMBER(KERNEL_IMAGE_SIZE)`
    /// and `NUMBER(MAX_PHYSMEM_BITS)` (the last four optional).
    ///
    /// When `verify` is set the fast paths are checked against a page-table walk:
    /// the text map must map `init_top_pgt` to the root it gave, and the direct
    /// map must agree with the tables at the first page frame of the dump.
    /// - Parameters:
    ///   - physical: the dump's physical memory.
    ///   - vmcoreInfo: the crashed kernel's VMCOREINFO.
    ///   - directMapBase: `PAGE_OFFSET` (``directMapBase(fromLoads:)`` for an ELF
    ///     vmcore), `nil` to walk the direct map.
    ///   - verify: check the fast paths against the page tables.
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)``,
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` (also when
    ///   verification shows `phys_base` to be wrong),
    ///   ``CrashDumpError/invalidField(field:offset:value:reason:)`` when the
    ///   page tables contradict `directMapBase`.
    public init(physical: any PhysicalMemory, vmcoreInfo: VmcoreInfo, directMapBase: UInt64?,
                verify: Bool = true) throws(CrashDumpError) {
        let purpose = "x86_64 address translation"
        // init_top_pgt since 4.13, init_level4_pgt before.
        let rootSymbolName: String
        let rootSymbol: UInt64
        if let symbol = try vmcoreInfo.presentSymbol("init_top_pgt") {
            (rootSymbolName, rootSymbol) = ("init_top_pgt", symbol)
        } else if let symbol = try vmcoreInfo.presentSymbol("init_level4_pgt") {
            (rootSymbolName, rootSymbol) = ("init_level4_pgt", symbol)
        } else {
            throw .missingVmcoreInfo(key: "SYMBOL(init_top_pgt)", purpose: purpose)
        }
        let physBaseNumber = try vmcoreInfo.requiredNumber("phys_base", for: purpose)
        let physBase = UInt64(bitPattern: physBaseNumber)
        guard rootSymbol >= Self.kernelTextMapStart else {
            throw .invalidVmcoreInfo(key: "SYMBOL(\(rootSymbolName))", value: String(rootSymbol, radix: 16),
                                     reason: "not in the kernel text map (0xffffffff80000000 and up)")
        }
        // Wrapping: a negative phys_base is added in two's complement.
        let offset = rootSymbol - Self.kernelTextMapStart
        let root = offset &+ physBase
        let overflow = Int64(bitPattern: physBase) < 0 ? offset < (0 &- physBase) : root < offset
        guard !overflow, root & 0xfff == 0 else {
            throw .invalidVmcoreInfo(key: "NUMBER(phys_base)", value: String(physBaseNumber),
                                     reason: "gives a page-table root 0x\(String(root, radix: 16)) that is not a page-aligned address")
        }
        let levels = try vmcoreInfo.presentNumber("pgtable_l5_enabled") ?? 0
        let smeMask = UInt64(bitPattern: try vmcoreInfo.presentNumber("sme_mask") ?? 0)
        let imageSize = try vmcoreInfo.presentNumber("KERNEL_IMAGE_SIZE").map { UInt64(bitPattern: $0) }
        let bits = try vmcoreInfo.presentNumber("MAX_PHYSMEM_BITS")
        if let bits, !(32...52).contains(bits) {
            throw .invalidVmcoreInfo(key: "NUMBER(MAX_PHYSMEM_BITS)", value: String(bits), reason: "not 32...52")
        }
        if let imageSize, imageSize == 0 || imageSize > 1 << 31 {
            throw .invalidVmcoreInfo(key: "NUMBER(KERNEL_IMAGE_SIZE)", value: String(imageSize), reason: "not 1 byte...2 GiB")
        }
        try self.init(physical: physical, pageTableRoot: root, fiveLevel: levels != 0, physBase: physBase,
                      kernelImageSize: imageSize, directMapBase: directMapBase,
                      maxPhysicalAddressBits: bits.map { Int($0) }, memoryEncryptionMask: smeMask)
        if verify { try verifyFastPaths(rootSymbol: rootSymbol, rootSymbolName: rootSymbolName) }
    }

    /// `PAGE_OFFSET` from an ELF vmcore's PT_LOADs as makedumpfile finds it: the
    /// last PT_LOAD whose virtual address is in the kernel half but below the
    /// kernel text map gives `p_vaddr - p_paddr`. `nil` when there is none (a
    /// qemu dump without virtual addresses, a kdump-compressed dump).
    public static func directMapBase(fromLoads loads: [CoreLoad]) -> UInt64? {
        var result: UInt64? = nil
        for load in loads {
            let virtual = load.virtualStart.rawValue
            let physicalStart = load.physical.lowerBound.rawValue
            guard virtual >= 0xff00_0000_0000_0000, virtual < kernelTextMapStart, virtual >= physicalStart else { continue }
            let base = virtual - physicalStart
            if base >= 0xff00_0000_0000_0000 && base & 0xfff == 0 { result = base }
        }
        return result
    }

    /// `PAGE_OFFSET` recovered from the page tables, for dumps without PT_LOADs
    /// (kdump-compressed): `SYMBOL(mem_section)` is a direct-map address on
    /// SPARSEMEM_EXTREME kernels since 4.15, so walking it gives
    /// `PAGE_OFFSET = virtual - physical`, which KASLR keeps 1 GiB-aligned. The
    /// answer is checked by walking the first page frame of the dump through it.
    /// `nil` when the symbol is missing, outside the direct-map range, unmapped,
    /// or the result is not 1 GiB-aligned or does not check out.
    public func inferredDirectMapBase(vmcoreInfo: VmcoreInfo) -> UInt64? {
        guard let symbol = try? vmcoreInfo.presentSymbol("mem_section"),
              symbol >= 0xff00_0000_0000_0000, symbol < Self.kernelTextMapStart,
              let physicalAddress = try? walk(symbol).physical(for: symbol), physicalAddress <= symbol else { return nil }
        let base = symbol - physicalAddress
        guard base >= 0xff00_0000_0000_0000, base & ((1 << 30) - 1) == 0 else { return nil }
        if let first = physical.pageFrames.first {
            let (address, overflow) = first.lowerBound.multipliedReportingOverflow(by: UInt64(max(physical.pageSize, 1)))
            guard !overflow, address < Self.kernelTextMapStart - base,
                  let walked = try? walk(base + address).physical(for: base + address), walked == address else { return nil }
        }
        return base
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

    /// The mapping that holds `virtual`: the text map or direct map fast path,
    /// a cached walk, or a new page-table walk.
    /// - Throws: as ``translate(_:)``.
    public func mapping(of virtual: UInt64) throws(CrashDumpError) -> KernelMapping {
        if let size = kernelImageSize, virtual >= Self.kernelTextMapStart, virtual - Self.kernelTextMapStart < size {
            if Int64(bitPattern: physBase) < 0 {
                // The text map's first -phys_base bytes lie below physical 0: nothing valid there.
                let skip = 0 &- physBase
                if virtual - Self.kernelTextMapStart >= skip {
                    return KernelMapping(virtualStart: Self.kernelTextMapStart + skip, physicalStart: 0, size: size - skip,
                                         source: .kernelText)
                }
            } else {
                return KernelMapping(virtualStart: Self.kernelTextMapStart, physicalStart: physBase, size: size, source: .kernelText)
            }
        }
        if let base = directMapBase, virtual >= base, virtual - base < directMapSize {
            return KernelMapping(virtualStart: base, physicalStart: 0, size: directMapSize, source: .directMap)
        }
        if cacheEnabled, let cached = cache.lookup(virtual) { return cached }
        let walked = try walk(virtual)
        if cacheEnabled { cache.insert(walked) }
        return walked
    }

    /// Forgets the cached walks (after the physical memory underneath changed,
    /// which a dump's never does).
    public func clearCache() { cache.removeAll() }

    private func verifyFastPaths(rootSymbol: UInt64, rootSymbolName: String) throws(CrashDumpError) {
        if kernelImageSize != nil, let walked = try? walk(rootSymbol).physical(for: rootSymbol), walked != pageTableRoot {
            throw .invalidVmcoreInfo(key: "NUMBER(phys_base)", value: String(Int64(bitPattern: physBase)),
                                     reason: "the page tables map \(rootSymbolName) to 0x\(String(walked, radix: 16)), not 0x\(String(pageTableRoot, radix: 16))")
        }
        if let base = directMapBase, let first = physical.pageFrames.first {
            let pageSize = UInt64(max(physical.pageSize, 1))
            // Test a frame a little into RAM: pfn 0 is mapped on every x86 system
            // but the first frame of a range is as good a witness as any.
            let (address, overflow) = first.lowerBound.multipliedReportingOverflow(by: pageSize)
            guard !overflow, address < directMapSize else { return }
            if let walked = try? walk(base + address).physical(for: base + address), walked != address {
                throw .invalidField(field: "PAGE_OFFSET", offset: nil, value: base,
                                    reason: "the page tables map 0x\(String(base + address, radix: 16)) to physical 0x\(String(walked, radix: 16)), not 0x\(String(address, radix: 16))")
            }
        }
    }
}
