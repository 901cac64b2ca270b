public import ElfNotes
public import KexecCore

/// The crashed kernel's page array (`struct page` per page frame) under
/// SPARSEMEM and SPARSEMEM_EXTREME (with or without vmemmap), located from
/// VMCOREINFO alone: `SYMBOL(mem_section)`, `LENGTH(mem_section)`,
/// `SIZE(mem_section)`, `OFFSET(mem_section.section_mem_map)`,
/// `NUMBER(SECTION_SIZE_BITS)`, `NUMBER(MAX_PHYSMEM_BITS)` and `SIZE(page)`.
///
/// Memory is split into sections of `2^SECTION_SIZE_BITS` bytes; each section's
/// `section_mem_map` holds its page array's address minus
/// `section start pfn * SIZE(page)` with flags in the low bits (bit 0: present),
/// so the descriptor of frame `pfn` is at `(section_mem_map & ~0x3f) + pfn * SIZE(page)`.
/// With SPARSEMEM_EXTREME (`LENGTH(mem_section)` = number of roots) the
/// sections hang off a root array of pointers, one page of sections per root.
///
/// Only the root pointers that cover the dump are read at creation (a few KiB
/// even on a huge machine); sections are read on demand, per range.
public struct SparseMemMap: Sendable {
    /// The kernel virtual memory the page array is read through.
    public let kernel: any KernelMemory
    /// Byte order of the crashed kernel.
    public let byteOrder: ByteOrder
    /// Bytes in an `unsigned long` / pointer of the crashed kernel (8 or 4).
    public let pointerSize: Int
    /// `log2(page size)`.
    public let pageShift: Int
    /// `NUMBER(SECTION_SIZE_BITS)`.
    public let sectionSizeBits: Int
    /// `NUMBER(MAX_PHYSMEM_BITS)`.
    public let maxPhysmemBits: Int
    /// `SIZE(mem_section)`.
    public let memSectionSize: UInt64
    /// `OFFSET(mem_section.section_mem_map)`.
    public let sectionMemMapOffset: UInt64
    /// `SIZE(page)`: bytes per page descriptor.
    public let pageDescriptorSize: UInt64
    /// SPARSEMEM_EXTREME: sections are reached through root pointers.
    public let isExtreme: Bool
    /// Sections per root (1 without SPARSEMEM_EXTREME, page size / `SIZE(mem_section)` with it).
    public let sectionsPerRoot: UInt64
    /// The address of the root array (SPARSEMEM_EXTREME) or of the `mem_section` array.
    public let rootTable: UInt64
    /// One past the highest page frame whose descriptor can be asked for.
    public let maxPFN: UInt64
    /// The root pointers (SPARSEMEM_EXTREME only), enough to cover ``maxPFN``.
    let roots: [UInt64]

    /// The low bits of `section_mem_map` that hold flags, not address: the
    /// kernel guarantees at least 6 free bits on every architecture
    /// (SECTION_MAP_LAST_BIT is 5 or, with CONFIG_SPARSEMEM_VMEMMAP_PREINIT, 6;
    /// makedumpfile masks 5).
    public static let sectionFlagMask: UInt64 = 0x3f
    /// `SECTION_MARKED_PRESENT`.
    public static let sectionPresent: UInt64 = 1

    /// Locates the page array.
    /// - Parameters:
    ///   - kernel: kernel virtual memory of the dump.
    ///   - vmcoreInfo: the crashed kernel's VMCOREINFO.
    ///   - maxPFN: one past the highest page frame to cover (the dump's `maxPFN`).
    ///   - byteOrder: the crashed kernel's byte order.
    ///   - pointerSize: 8 for 64-bit kernels, 4 for 32-bit ones.
    ///   - defaultSectionSizeBits: the architecture's SECTION_SIZE_BITS for kernels
    ///     that do not export it (`asm/sparsemem.h`: x86_64 27, i386 29 with PAE
    ///     and 26 without), `nil` to require it.
    ///   - defaultMaxPhysmemBits: the same for MAX_PHYSMEM_BITS (x86_64 46, or 52
    ///     with 5-level paging; i386 36 with PAE and 32 without).
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)``,
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)``, or
    ///   ``CrashDumpError/corruptKernelData(structure:address:reason:)`` when the
    ///   root array cannot be read either as an array or through a pointer.
    public init(kernel: any KernelMemory, vmcoreInfo: VmcoreInfo, maxPFN: UInt64, byteOrder: ByteOrder = .little,
                pointerSize: Int = 8, defaultSectionSizeBits: Int? = nil,
                defaultMaxPhysmemBits: Int? = nil) throws(CrashDumpError) {
        let purpose = "locating the page array (SPARSEMEM mem_section)"
        guard pointerSize == 4 || pointerSize == 8 else {
            throw .invalidField(field: "pointer size", offset: nil, value: UInt64(clamping: pointerSize), reason: "must be 4 or 8")
        }
        let pageSize = try vmcoreInfo.requiredPageSize(for: purpose)
        let symbol = try vmcoreInfo.requiredSymbol("mem_section", for: purpose)
        let memSectionSize = try vmcoreInfo.requiredSize("mem_section", for: purpose)
        let mapOffset = try vmcoreInfo.requiredOffset("mem_section", "section_mem_map", for: purpose)
        let pageDescriptorSize = try vmcoreInfo.requiredSize("page", for: purpose)
        let sectionBits: Int
        if let value = try vmcoreInfo.presentNumber("SECTION_SIZE_BITS") {
            sectionBits = Int(clamping: value)
        } else if let fallback = defaultSectionSizeBits {
            sectionBits = fallback
        } else {
            throw .missingVmcoreInfo(key: "NUMBER(SECTION_SIZE_BITS)", purpose: purpose)
        }
        let physmemBits: Int
        if let value = try vmcoreInfo.presentNumber("MAX_PHYSMEM_BITS") {
            physmemBits = Int(clamping: value)
        } else if let fallback = defaultMaxPhysmemBits {
            physmemBits = fallback
        } else {
            throw .missingVmcoreInfo(key: "NUMBER(MAX_PHYSMEM_BITS)", purpose: purpose)
        }
        let pageShift = pageSize.trailingZeroBitCount
        guard sectionBits > pageShift, sectionBits <= 40 else {
            throw .invalidVmcoreInfo(key: "NUMBER(SECTION_SIZE_BITS)", value: String(sectionBits),
                                     reason: "must exceed the page shift \(pageShift) and be at most 40")
        }
        guard physmemBits >= sectionBits, physmemBits <= 60 else {
            throw .invalidVmcoreInfo(key: "NUMBER(MAX_PHYSMEM_BITS)", value: String(physmemBits),
                                     reason: "must be at least SECTION_SIZE_BITS \(sectionBits) and at most 60")
        }
        guard memSectionSize >= UInt64(pointerSize), memSectionSize <= pageSize,
              mapOffset <= memSectionSize - UInt64(pointerSize) else {
            throw .invalidVmcoreInfo(key: "SIZE(mem_section)", value: String(memSectionSize),
                                     reason: "must hold section_mem_map at offset \(mapOffset) and fit in a page")
        }
        guard pageDescriptorSize >= 16, pageDescriptorSize <= 1024 else {
            throw .invalidVmcoreInfo(key: "SIZE(page)", value: String(pageDescriptorSize), reason: "not 16...1024 bytes")
        }

        // SPARSEMEM_EXTREME when LENGTH(mem_section) is the number of roots
        // (NR_SECTION_ROOTS) rather than of sections, or when it is missing.
        let totalSections: UInt64 = 1 << UInt64(physmemBits - sectionBits)
        let perRootExtreme = pageSize / memSectionSize
        let rootsExtreme = (totalSections + perRootExtreme - 1) / perRootExtreme
        let length = try vmcoreInfo.presentLength("mem_section")
        let extreme = length == nil || length == rootsExtreme
        let perRoot: UInt64 = extreme ? perRootExtreme : 1

        self.kernel = kernel
        self.byteOrder = byteOrder
        self.pointerSize = pointerSize
        self.pageShift = pageShift
        self.sectionSizeBits = sectionBits
        self.maxPhysmemBits = physmemBits
        self.memSectionSize = memSectionSize
        self.sectionMemMapOffset = mapOffset
        self.pageDescriptorSize = pageDescriptorSize
        self.isExtreme = extreme
        self.sectionsPerRoot = perRoot
        let pagesPerSection: UInt64 = 1 << UInt64(sectionBits - pageShift)
        let maxFrames: UInt64 = 1 << UInt64(physmemBits - pageShift)
        self.maxPFN = min(maxPFN, maxFrames)
        let sectionsNeeded = (self.maxPFN + pagesPerSection - 1) / pagesPerSection

        guard extreme else {
            if let length, sectionsNeeded > length {
                throw .invalidVmcoreInfo(key: "LENGTH(mem_section)", value: String(length),
                                         reason: "fewer sections than the dump's \(sectionsNeeded)")
            }
            rootTable = symbol
            roots = []
            return
        }
        var rootCount = (sectionsNeeded + perRoot - 1) / perRoot
        if let length { rootCount = min(rootCount, length) }
        guard rootCount <= 1 << 20 else {
            throw .invalidVmcoreInfo(key: "LENGTH(mem_section)", value: String(rootCount), reason: "more than 2^20 section roots")
        }
        // The kernel exports the root array's address; a vmlinux-derived value
        // is the address of the pointer to it (makedumpfile tries both).
        let direct = try? Self.readRoots(kernel: kernel, at: symbol, count: Int(rootCount), byteOrder: byteOrder,
                                         pointerSize: pointerSize)
        let probe = RootProbe(kernel: kernel, byteOrder: byteOrder, pointerSize: pointerSize, sectionsPerRoot: perRoot,
                              memSectionSize: memSectionSize, mapOffset: mapOffset, pagesPerSection: pagesPerSection,
                              pageDescriptorSize: pageDescriptorSize)
        if let direct, probe.plausible(direct) {
            rootTable = symbol
            roots = direct
            return
        }
        let pointer: UInt64
        do {
            pointer = pointerSize == 8 ? try kernel.readInteger(UInt64.self, virtual: symbol, byteOrder: byteOrder)
                : UInt64(try kernel.readInteger(UInt32.self, virtual: symbol, byteOrder: byteOrder))
        } catch {
            throw .corruptKernelData(structure: "mem_section", address: symbol, reason: "cannot be read: \(error)")
        }
        let indirect = try? Self.readRoots(kernel: kernel, at: pointer, count: Int(rootCount), byteOrder: byteOrder,
                                           pointerSize: pointerSize)
        guard let indirect, probe.plausible(indirect) else {
            throw .corruptKernelData(structure: "mem_section", address: symbol,
                                     reason: "neither the array there nor the one at 0x\(String(pointer, radix: 16)) it points to holds a readable section root")
        }
        rootTable = pointer
        roots = indirect
    }

    private static func readRoots(kernel: any KernelMemory, at address: UInt64, count: Int, byteOrder: ByteOrder,
                                  pointerSize: Int) throws(CrashDumpError) -> [UInt64] {
        let bytes = try kernel.readBytesCoalesced(virtual: address, count: count * pointerSize)
        return bytes.withUnsafeBytes { raw in
            let reader = StructureReader(bytes: raw, byteOrder: byteOrder)
            return (0..<count).map { reader.word($0 * pointerSize, width: pointerSize) }
        }
    }

    /// What is needed to test a candidate root array.
    private struct RootProbe {
        let kernel: any KernelMemory
        let byteOrder: ByteOrder
        let pointerSize: Int
        let sectionsPerRoot: UInt64
        let memSectionSize: UInt64
        let mapOffset: UInt64
        let pagesPerSection: UInt64
        let pageDescriptorSize: UInt64

    /// Whether `roots` look like the root array: among the first few non-zero
    /// roots, one holds a present section whose page array can be translated
    /// (makedumpfile's `validate_mem_section`, on a sample).
    func plausible(_ roots: [UInt64]) -> Bool {
        var tried = 0
        for (rootIndex, root) in roots.enumerated() where root != 0 {
            guard tried < 4 else { break }
            tried += 1
            let count = Int(sectionsPerRoot)
            guard let bytes = try? kernel.readBytesCoalesced(virtual: root, count: count * Int(memSectionSize)) else { continue }
            let found: UInt64? = bytes.withUnsafeBytes { raw in
                let reader = StructureReader(bytes: raw, byteOrder: byteOrder)
                for index in 0..<count {
                    let coded = reader.word(index * Int(memSectionSize) + Int(mapOffset), width: pointerSize)
                    guard coded & SparseMemMap.sectionPresent != 0, coded & ~SparseMemMap.sectionFlagMask != 0 else { continue }
                    let section = UInt64(rootIndex) * sectionsPerRoot + UInt64(index)
                    return (coded & ~SparseMemMap.sectionFlagMask) &+ section &* pagesPerSection &* pageDescriptorSize
                }
                return nil
            }
            if let found, (try? kernel.translate(found)) != nil { return true }
        }
        return false
    }
    }

    /// Page frames per section.
    public var pagesPerSection: UInt64 { 1 << UInt64(sectionSizeBits - pageShift) }

    /// The section number of frame `pfn`.
    public func section(of pfn: UInt64) -> UInt64 { pfn >> UInt64(sectionSizeBits - pageShift) }

    /// The page frames of section `section`.
    public func frames(ofSection section: UInt64) -> Range<UInt64> {
        let start = section << UInt64(sectionSizeBits - pageShift)
        return start..<start + pagesPerSection
    }

    /// The decoded `section_mem_map` of each section in `sections`: the base
    /// such that frame `pfn`'s descriptor is at `base + pfn * SIZE(page)`, or
    /// `nil` for a section that is not present, has no page array, or lies
    /// beyond ``maxPFN``. One read per root.
    /// - Throws: a read error for a root's sections.
    public func memMapBases(sections: Range<UInt64>) throws(CrashDumpError) -> [UInt64?] {
        var result: [UInt64?] = []
        result.reserveCapacity(sections.count)
        let lastSection = (maxPFN + pagesPerSection - 1) / pagesPerSection
        var section = sections.lowerBound
        while section < sections.upperBound {
            guard section < lastSection else {
                result.append(contentsOf: repeatElement(nil, count: Int(sections.upperBound - section)))
                break
            }
            let root = section / sectionsPerRoot
            let rootEnd = min((root + 1) * sectionsPerRoot, sections.upperBound, lastSection)
            let count = Int(rootEnd - section)
            let base: UInt64
            if isExtreme {
                guard root < UInt64(roots.count), roots[Int(root)] != 0 else {
                    result.append(contentsOf: repeatElement(nil, count: count))
                    section = rootEnd
                    continue
                }
                base = roots[Int(root)] &+ (section % sectionsPerRoot) * memSectionSize
            } else {
                base = rootTable &+ section * memSectionSize
            }
            let bytes: [UInt8]
            do {
                bytes = try kernel.readBytesCoalesced(virtual: base, count: count * Int(memSectionSize))
            } catch {
                throw .corruptKernelData(structure: "mem_section[\(section)...\(rootEnd - 1)]", address: base,
                                         reason: "cannot be read: \(error)")
            }
            bytes.withUnsafeBytes { raw in
                let reader = StructureReader(bytes: raw, byteOrder: byteOrder)
                for index in 0..<count {
                    let coded = reader.word(index * Int(memSectionSize) + Int(sectionMemMapOffset), width: pointerSize)
                    let address = coded & ~Self.sectionFlagMask
                    result.append(coded & Self.sectionPresent != 0 && address != 0 ? address : nil)
                }
            }
            section = rootEnd
        }
        return result
    }

    /// The kernel virtual address of frame `pfn`'s page descriptor, or `nil`
    /// when its section has no page array.
    /// - Throws: as ``memMapBases(sections:)``.
    public func pageDescriptorAddress(of pfn: UInt64) throws(CrashDumpError) -> UInt64? {
        let section = section(of: pfn)
        guard let base = try memMapBases(sections: section..<section + 1).first ?? nil else { return nil }
        return base &+ pfn &* pageDescriptorSize
    }

    /// `pfns` cut at section boundaries, each piece with the address of its first
    /// frame's page descriptor (`nil` where the section has no page array).
    /// Descriptors of one piece are consecutive in kernel virtual memory.
    /// - Throws: as ``memMapBases(sections:)``.
    public func descriptorRuns(for pfns: Range<UInt64>) throws(CrashDumpError) -> [PageDescriptorRun] {
        guard !pfns.isEmpty else { return [] }
        let firstSection = section(of: pfns.lowerBound)
        let lastSection = section(of: pfns.upperBound - 1)
        let bases = try memMapBases(sections: firstSection..<lastSection + 1)
        var runs: [PageDescriptorRun] = []
        for (index, base) in bases.enumerated() {
            let frames = self.frames(ofSection: firstSection + UInt64(index)).clamped(to: pfns)
            guard !frames.isEmpty else { continue }
            let address = base.map { $0 &+ frames.lowerBound &* pageDescriptorSize }
            if let last = runs.last, last.address == nil, address == nil, last.pfns.upperBound == frames.lowerBound {
                runs[runs.count - 1] = PageDescriptorRun(pfns: last.pfns.lowerBound..<frames.upperBound, address: nil)
            } else {
                runs.append(PageDescriptorRun(pfns: frames, address: address))
            }
        }
        return runs
    }
}

/// Consecutive page frames whose page descriptors are consecutive in kernel
/// virtual memory (one section), or that have none.
public struct PageDescriptorRun: Hashable, Sendable {
    /// The page frames.
    public var pfns: Range<UInt64>
    /// The kernel virtual address of the first frame's descriptor, `nil` when
    /// the section has no page array.
    public var address: UInt64?

    /// A run of `pfns` whose first descriptor is at `address`.
    public init(pfns: Range<UInt64>, address: UInt64?) {
        self.pfns = pfns
        self.address = address
    }
}
