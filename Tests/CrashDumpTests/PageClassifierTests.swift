import Testing
@testable import CrashDump
import ElfNotes
import KexecCore
import KexecTestSupport

@Suite("PageClassifier")
struct PageClassifierTests {
    /// Lays out one frame (or block) of every class; returns the expected class
    /// of each interesting frame at level 31 and the natural class.
    static func populate(_ array: SyntheticPageArray) {
        let era = array.era
        array.free(4, order: 2)                       // 4..<8
        array.cache(8)
        array.cache(9, privateData: true)
        array.anonymous(10)
        // Shmem in the swap cache: PG_swapcache with PG_swapbacked, not anonymous.
        array.orFlags(11, era.bit("PG_swapcache") | era.bit("PG_swapbacked"))
        array.setWord(11, PageEra.mapping, 0xffff_8880_0777_0000)
        array.compound(12, order: 1, hugetlb: true) { pfn in
            array.setWord(pfn, PageEra.mapping, 0xffff_8880_0999_0000)
        }
        array.compound(16, order: 2, hugetlb: false) { pfn in array.anonymous(pfn) }
        array.slab(20)
        if let offline = era.mapcountValue("PAGE_OFFLINE_MAPCOUNT_VALUE") { array.setMapcount(21, offline) }
        array.orFlags(22, era.bit("PG_hwpoison"))
        array.compound(24, order: 1, hugetlb: false) { pfn in array.slab(pfn) }
        array.free(32, order: 3)                      // 32..<40
        array.free(64, order: 40)                     // impossible order: kept
        array.free(96, order: 3)                      // 96..<104, frames 100..<104 are a hole
        if let unaccepted = era.mapcountValue("PAGE_UNACCEPTED_MAPCOUNT_VALUE") { array.setMapcount(1024, unaccepted) }
    }

    static let frames: [Range<UInt64>] = [0..<100, 104..<8192]

    /// The class each frame is left out as at `level` (nil: kept).
    static func expectedExclusion(_ pfn: UInt64, level: DumpLevel, era: PageEra) -> PageClass? {
        switch pfn {
        case 4..<8, 32..<40, 96..<104: return level.contains(.free) ? .free : nil
        case 8: return level.contains(.cache) || level.contains(.cachePrivate) ? .cache : nil
        case 9: return level.contains(.cachePrivate) ? .cachePrivate : nil
        case 10, 16..<20: return level.contains(.user) ? .user : nil
        case 11: return level.contains(.cache) || level.contains(.cachePrivate) ? .cache : nil
        case 12..<14: return level.contains(.user) ? .hugetlb : nil
        case 21: return era.hasOffline ? .offline : nil
        case 22: return .hwpoison
        case 1024..<2048: return era.hasUnaccepted && level.contains(.free) ? .unaccepted : nil
        default: return nil
        }
    }

    /// The class a kept frame is recorded as.
    static func expectedKept(_ pfn: UInt64, era: PageEra) -> PageClass {
        switch pfn {
        case 4..<8, 32..<40, 64, 96..<100: return .free
        case 100..<104: return .notInDump
        case 8, 11: return .cache
        case 9: return .cachePrivate
        case 10, 16..<20: return .user
        case 12..<14: return .hugetlb
        case 20, 24, 25: return .slab
        case 21: return era.hasOffline ? .offline : .kernel
        case 22: return .hwpoison
        case 1024..<2048: return era.hasUnaccepted ? .unaccepted : .kernel
        default: return .kernel
        }
    }

    static let levels: [DumpLevel] = [[], .cache, .cachePrivate, .user, .free, [.cache, .user], .all]

    @Test("every class in every era, at every dump level", arguments: PageEra.all)
    func eras(era: PageEra) throws {
        let array = SyntheticPageArray(era: era, frames: Self.frames)
        Self.populate(array)
        let classifier = try array.classifier()
        for level in Self.levels {
            let verdict = try classifier.classify(0..<8192, level: level, keepClasses: true)
            for pfn in UInt64(0)..<2100 {
                let expected = Self.expectedExclusion(pfn, level: level, era: era)
                #expect(verdict.isExcluded(pfn) == (expected != nil), "\(era.name) level \(level) pfn \(pfn)")
                let recorded = verdict.pageClass(of: pfn)
                #expect(recorded == (expected ?? Self.expectedKept(pfn, era: era)),
                        "\(era.name) level \(level) pfn \(pfn): \(String(describing: recorded))")
            }
            #expect(verdict.statistics.framesTotal == 8192)
        }
    }

    @Test("without PG_hwpoison makedumpfile skips the pass at levels 0, 1 and free-without-buddy: offline pages stay")
    func noHwpoison() throws {
        var array = SyntheticPageArray(era: PageEra.all[3], frames: Self.frames)
        array.info["NUMBER(PG_hwpoison)"] = nil
        Self.populate(array)
        let classifier = try array.classifier()
        #expect(!classifier.excludesAnything(at: [.zero]))
        #expect(classifier.excludesAnything(at: .free))
        #expect(try classifier.classify(0..<8192, level: [.zero]).excludedCount == 0)
        let cache = try classifier.classify(0..<8192, level: .cache)
        #expect(cache.isExcluded(21) && !cache.isExcluded(22))
    }

    @Test("statistics count makedumpfile's way: holes inside a free block count as free")
    func counts() throws {
        let era = PageEra.all[3]
        let array = SyntheticPageArray(era: era, frames: Self.frames)
        Self.populate(array)
        let verdict = try array.classifier().classify(0..<8192, level: .all)
        let stats = verdict.statistics
        #expect(stats.makedumpfileFreePages == 4 + 8 + 8)
        #expect(stats.makedumpfileCachePages == 2)
        #expect(stats.makedumpfileCachePrivatePages == 1)
        #expect(stats.makedumpfileUserPages == 1 + 4 + 2)
        #expect(stats.makedumpfileHwpoisonPages == 1)
        #expect(stats.makedumpfileOfflinePages == 1)
        #expect(stats.kept(.slab) == 3)
        #expect(stats.kept(.notInDump) == 0)
        #expect(verdict.excludedCount == stats.excludedTotal)
        #expect(verdict.excludedRuns.first == 4..<14)
    }

    @Test("cycles of any length give the same answer as one cycle", arguments: [1, 3, 5, 8, 64, 100, 1000])
    func cycles(length: UInt64) throws {
        let era = PageEra.all[8]
        let array = SyntheticPageArray(era: era, frames: Self.frames)
        Self.populate(array)
        // A block that crosses many cycle boundaries.
        array.free(2048, order: 10)
        let classifier = try array.classifier(chunkFrames: 64)
        let whole = try classifier.classify(0..<8192, level: .all, keepClasses: true)
        var merged = PageClassStatistics()
        var start: UInt64 = 0
        while start < 8192 {
            let end = min(start + length, 8192)
            let part = try classifier.classify(start..<end, level: .all, keepClasses: true)
            for pfn in start..<end {
                #expect(part.isExcluded(pfn) == whole.isExcluded(pfn), "pfn \(pfn)")
                #expect(part.pageClass(of: pfn) == whole.pageClass(of: pfn), "pfn \(pfn)")
            }
            merged.merge(part.statistics)
            start = end
        }
        #expect(merged == whole.statistics)
        #expect(try classifier.statistics(level: .all, cycleFrames: length * 64) == whole.statistics)
    }

    @Test("page arrays: small sections, absent sections, several roots, pointer-to-root VMCOREINFO")
    func sections() throws {
        let era = PageEra.all[3]
        // 8 frames per section: 256 sections per root, 8192 frames need 4 roots.
        var array = SyntheticPageArray(era: era, frames: [0..<8192], sectionSizeBits: 15)
        // Roots 1...3 point at their own section pages; section 5 is absent.
        for root in UInt64(1)..<4 {
            let page = SyntheticPageArray.sectionsPhysical + root * 0x1000
            array.memory.write64(SyntheticPageArray.directMap + page, at: SyntheticPageArray.rootsPhysical + root * 8)
            for index in UInt64(0)..<256 {
                array.memory.write64((SyntheticPageArray.directMap + SyntheticPageArray.memMapPhysical) | 1, at: page + index * 16)
            }
        }
        array.memory.write64(0, at: SyntheticPageArray.sectionsPhysical + 5 * 16)
        array.free(2040, order: 4)  // 2040...2055 crosses sections and a root boundary: not aligned, kept as makedumpfile would
        array.free(4096, order: 4)  // 4096..<4112 crosses sections
        let memMap = try array.classifier().memMap
        #expect(memMap.isExtreme)
        #expect(memMap.pagesPerSection == 8)
        #expect(try memMap.pageDescriptorAddress(of: 41) == nil)
        #expect(try memMap.pageDescriptorAddress(of: 4096) == SyntheticPageArray.directMap + array.descriptorAddress(4096))
        let runs = try memMap.descriptorRuns(for: 36..<52)
        #expect(runs.map(\.pfns) == [36..<40, 40..<48, 48..<52])
        #expect(runs[1].address == nil)

        let verdict = try array.classifier().classify(0..<8192, level: .free, keepClasses: true)
        #expect(verdict.pageClass(of: 41) == .noDescriptor)
        #expect((4096..<4112).allSatisfy { verdict.isExcluded($0) })
        #expect(!verdict.isExcluded(4112))
        #expect(verdict.statistics.kept(.noDescriptor) == 8)

        // VMCOREINFO that names the pointer to the root array (a vmlinux-style value).
        let pointer: UInt64 = 0x7f_f000
        array.memory.write64(SyntheticPageArray.directMap + SyntheticPageArray.rootsPhysical, at: pointer)
        array.info.setSymbol("mem_section", VirtualAddress(SyntheticPageArray.directMap + pointer))
        let indirect = try array.classifier()
        #expect(indirect.memMap.rootTable == SyntheticPageArray.directMap + SyntheticPageArray.rootsPhysical)
        #expect(try indirect.classify(0..<8192, level: .free).excludedWords == verdict.excludedWords)
    }

    @Test("plain SPARSEMEM: mem_section is the array itself")
    func plainSparsemem() throws {
        let era = PageEra.all[3]
        var array = SyntheticPageArray(era: era, frames: [0..<8192])
        // LENGTH = NR_MEM_SECTIONS: not extreme. The array at sectionsPhysical already holds section 0.
        array.info.setLength("mem_section", 1 << 19)
        array.info.setSymbol("mem_section", VirtualAddress(SyntheticPageArray.directMap + SyntheticPageArray.sectionsPhysical))
        array.free(8, order: 3)
        let classifier = try array.classifier()
        #expect(!classifier.memMap.isExtreme)
        #expect(try classifier.classify(0..<8192, level: .free).excludedRuns == [8..<16])
    }

    @Test("the real page array of an x86_64 vmemmap, through page tables")
    func throughPageTables() throws {
        let era = PageEra.all[3]
        let array = SyntheticPageArray(era: era, frames: Self.frames)
        Self.populate(array)
        // Map vmemmap (0xffffea0000000000) onto the page array with 2 MiB pages and
        // the direct map with a 1 GiB page, as the kernel does.
        var tables = X86_64TableBuilder(memory: array.memory, fiveLevel: false, tablePool: 0x180_0000)
        tables.map(0xffff_ea00_0000_0000, to: SyntheticPageArray.memMapPhysical, leafShift: 21)
        tables.map(SyntheticPageArray.directMap, to: 0, leafShift: 30)
        var info = array.info
        let vmemmap: UInt64 = 0xffff_ea00_0000_0000
        array.memory.write64(vmemmap | 0x3, at: SyntheticPageArray.sectionsPhysical)
        info.setNumber("pgtable_l5_enabled", 0)
        let kernel = try X86_64KernelMemory(physical: array.memory, pageTableRoot: tables.root, fiveLevel: false, physBase: 0,
                                            kernelImageSize: nil, directMapBase: nil)
        let classifier = try PageClassifier(kernel: kernel, vmcoreInfo: info)
        array.memory.resetReads()
        let verdict = try classifier.classify(0..<8192, level: .all, keepClasses: true)
        // The page array is read with one read per chunk, not per page (plus the walks).
        #expect(array.memory.readCount < 40)
        for pfn in UInt64(0)..<200 {
            let expected = Self.expectedExclusion(pfn, level: .all, era: era)
            #expect(verdict.isExcluded(pfn) == (expected != nil), "pfn \(pfn)")
        }
    }

    @Test("random page descriptors never crash the classifier")
    func randomDescriptors() throws {
        var generator = SeededGenerator(seed: 0x7061_6765)
        for era in [PageEra.all[3], PageEra.all[9]] {
            let array = SyntheticPageArray(era: era, frames: [0..<512, 2048..<2050, 4096..<4200])
            var bytes = [UInt8](repeating: 0, count: 512 * 64)
            for index in bytes.indices {
                // Mostly small values so the special constants and bits turn up.
                bytes[index] = UInt8.random(in: 0...3, using: &generator) == 0 ? UInt8.random(in: 0...255, using: &generator) : 0
            }
            for pfn in stride(from: 0, to: 512, by: 7) {
                let word = UInt64.random(in: 0...11, using: &generator)
                withUnsafeBytes(of: word.littleEndian) { bytes.replaceSubrange(pfn * 64 + 40..<pfn * 64 + 48, with: $0) }
                let mapcount = [Int32(-129), -268_435_456, -257, -1][Int.random(in: 0...3, using: &generator)]
                withUnsafeBytes(of: mapcount.littleEndian) { bytes.replaceSubrange(pfn * 64 + 48..<pfn * 64 + 52, with: $0) }
            }
            array.memory.write(bytes, at: SyntheticPageArray.memMapPhysical)
            let classifier = try array.classifier(chunkFrames: 64)
            for level in Self.levels {
                let verdict = try classifier.classify(0..<512, level: level, keepClasses: true)
                #expect(verdict.statistics.framesTotal == 512)
                _ = try classifier.classify(100..<300, level: level)
            }
        }
    }

    @Test("bad VMCOREINFO is refused with the key named")
    func badVmcoreInfo() throws {
        var array = SyntheticPageArray(era: PageEra.all[3])
        array.info["SIZE(page)"] = nil
        #expect(throws: CrashDumpError.missingVmcoreInfo(key: "SIZE(page)", purpose: "locating the page array (SPARSEMEM mem_section)")) {
            try array.classifier()
        }
        array = SyntheticPageArray(era: PageEra.all[3])
        array.info.setOffset("page", "mapping", 4000)
        #expect(throws: CrashDumpError.self) { try array.classifier() }
        array = SyntheticPageArray(era: PageEra.all[3])
        array.info.setNumber("SECTION_SIZE_BITS", 8)
        #expect(throws: CrashDumpError.self) { try array.classifier() }
        array = SyntheticPageArray(era: PageEra.all[3])
        array.info.setSymbol("mem_section", VirtualAddress(SyntheticPageArray.directMap + 0x300_0000))
        #expect(throws: CrashDumpError.self) { try array.classifier() }
        let classifier = try SyntheticPageArray(era: PageEra.all[3]).classifier()
        #expect(throws: CrashDumpError.self) { try classifier.classify(0..<(1 << 40), level: .all) }
    }

    @Test("layout from VMCOREINFO picks each era's rules")
    func layouts() throws {
        func layout(_ index: Int) throws -> PageDescriptorLayout {
            try PageDescriptorLayout(vmcoreInfo: SyntheticPageArray(era: PageEra.all[index]).info)
        }
        #expect(try layout(0).buddy == .flag(18))
        #expect(try layout(1).buddy == .mapcount(-2))
        #expect(try layout(1).assumptions.contains { $0.hasPrefix("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)") })
        #expect(try layout(2).compound == .tailFields(orderOffset: 18, orderWidth: 2, destructorOffset: 16, destructorWidth: 2,
                                                      hugetlbDestructor: 2, hugetlbDestructorAddress: nil))
        #expect(try layout(4).compound == .tailFields(orderOffset: 17, orderWidth: 1, destructorOffset: 16, destructorWidth: 1,
                                                      hugetlbDestructor: 2, hugetlbDestructorAddress: nil))
        #expect(try layout(5).compound == .hugetlbTailFlag(22))
        #expect(try layout(6).compound == .hugetlbPageType(-2049))
        #expect(try layout(7).slabBit == nil)
        #expect(try layout(7).slabMapcount == -4097)
        #expect(try layout(9).unacceptedMapcount == -150_994_944)
    }
}
