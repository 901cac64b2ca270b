import Testing
@testable import CrashDump
import ElfNotes
import KexecCore

/// One kernel era for the synthetic page arrays: the VMCOREINFO a kernel of that
/// era exports about `struct page`, and how its compound pages record order and
/// hugetlb-ness.
struct PageEra: CustomTestStringConvertible, Sendable {
    enum Compound: Sendable {
        /// order and destructor in the first tail page at these offsets.
        case tailFields(orderOffset: Int, orderWidth: Int, destructorOffset: Int, destructorWidth: Int, hugetlbDestructor: UInt64)
        /// order in the first tail's flags low byte, PG_hugetlb bit there.
        case tailFlag(bit: Int)
        /// order in the first tail's flags low byte, hugetlb page type in the head's _mapcount.
        case pageType(Int32)
    }

    let name: String
    let release: String
    /// NUMBER()s (PG_* bits and page-type values).
    let numbers: [String: Int64]
    /// Extra keys exactly as written.
    let extra: [String: String]
    let compound: Compound
    let hasCompoundHead: Bool
    let hasMapcount: Bool

    var testDescription: String { name }

    // The struct page layout every era here shares (x86_64 6.1).
    static let size = 64
    static let flags = 0
    static let compoundHead = 8
    static let mapping = 24
    static let privateField = 40
    static let mapcount = 48

    static let oldBits: [String: Int64] = ["PG_lru": 4, "PG_private": 13, "PG_swapcache": 10, "PG_swapbacked": 19,
                                           "PG_slab": 9, "PG_hwpoison": 23, "PG_head_mask": 1 << 16]

    static let all: [PageEra] = [
        PageEra(name: "2.6.36 (PG_buddy flag, dtor address)", release: "2.6.36",
                numbers: oldBits.merging(["PG_buddy": 18]) { $1 },
                extra: ["SYMBOL(free_huge_page)": "ffffffff81234560", "OFFSET(page.lru)": "8", "OFFSET(list_head.next)": "0",
                        "OFFSET(list_head.prev)": "8"],
                compound: .tailFields(orderOffset: 16, orderWidth: 2, destructorOffset: 8, destructorWidth: 8,
                                      hugetlbDestructor: 0xffff_ffff_8123_4560),
                hasCompoundHead: false, hasMapcount: true),
        PageEra(name: "2.6.38 (buddy -2 by version)", release: "2.6.38-8-generic", numbers: oldBits,
                extra: ["SYMBOL(free_huge_page)": "ffffffff81234560", "OFFSET(page.lru)": "8", "OFFSET(list_head.next)": "0",
                        "OFFSET(list_head.prev)": "8"],
                compound: .tailFields(orderOffset: 16, orderWidth: 2, destructorOffset: 8, destructorWidth: 8,
                                      hugetlbDestructor: 0xffff_ffff_8123_4560),
                hasCompoundHead: false, hasMapcount: true),
        PageEra(name: "4.9 (-128, 16-bit dtor ID)", release: "4.9.0-19-amd64",
                numbers: oldBits.merging(["PAGE_BUDDY_MAPCOUNT_VALUE": -128, "HUGETLB_PAGE_DTOR": 2]) { $1 },
                extra: ["OFFSET(page.compound_dtor)": "16", "OFFSET(page.compound_order)": "18"],
                compound: .tailFields(orderOffset: 18, orderWidth: 2, destructorOffset: 16, destructorWidth: 2, hugetlbDestructor: 2),
                hasCompoundHead: true, hasMapcount: true),
        PageEra(name: "6.1 (-129, offline, 8-bit dtor)", release: "6.1.0-56-amd64",
                numbers: oldBits.merging(["PAGE_BUDDY_MAPCOUNT_VALUE": -129, "PAGE_OFFLINE_MAPCOUNT_VALUE": -257,
                                          "HUGETLB_PAGE_DTOR": 2]) { $1 },
                extra: ["OFFSET(page.compound_dtor)": "16", "OFFSET(page.compound_order)": "17"],
                compound: .tailFields(orderOffset: 17, orderWidth: 1, destructorOffset: 16, destructorWidth: 1, hugetlbDestructor: 2),
                hasCompoundHead: true, hasMapcount: true),
        PageEra(name: "6.3 (folio._folio_dtor)", release: "6.3.0",
                numbers: oldBits.merging(["PAGE_BUDDY_MAPCOUNT_VALUE": -129, "PAGE_OFFLINE_MAPCOUNT_VALUE": -257,
                                          "HUGETLB_PAGE_DTOR": 2]) { $1 },
                extra: ["OFFSET(folio._folio_dtor)": "80", "OFFSET(folio._folio_order)": "81"],
                compound: .tailFields(orderOffset: 17, orderWidth: 1, destructorOffset: 16, destructorWidth: 1, hugetlbDestructor: 2),
                hasCompoundHead: true, hasMapcount: true),
        PageEra(name: "6.6 (PG_hugetlb)", release: "6.6.13",
                numbers: oldBits.merging(["PAGE_BUDDY_MAPCOUNT_VALUE": -129, "PAGE_OFFLINE_MAPCOUNT_VALUE": -257,
                                          "PG_hugetlb": 22]) { $1 },
                extra: [:], compound: .tailFlag(bit: 22), hasCompoundHead: true, hasMapcount: true),
        PageEra(name: "6.9 (hugetlb page type)", release: "6.9.0",
                numbers: oldBits.merging(["PAGE_BUDDY_MAPCOUNT_VALUE": -129, "PAGE_OFFLINE_MAPCOUNT_VALUE": -257,
                                          "PAGE_HUGETLB_MAPCOUNT_VALUE": -2049]) { $1 },
                extra: [:], compound: .pageType(-2049), hasCompoundHead: true, hasMapcount: true),
        PageEra(name: "6.10 (slab page type, no PG_slab)", release: "6.10.5",
                numbers: oldBits.filter { $0.key != "PG_slab" }.merging(
                    ["PAGE_BUDDY_MAPCOUNT_VALUE": -129, "PAGE_OFFLINE_MAPCOUNT_VALUE": -257,
                     "PAGE_HUGETLB_MAPCOUNT_VALUE": -2049, "PAGE_SLAB_MAPCOUNT_VALUE": -4097]) { $1 },
                extra: [:], compound: .pageType(-2049), hasCompoundHead: true, hasMapcount: true),
        PageEra(name: "6.12 (one page type in the top byte)", release: "6.12.9",
                numbers: oldBits.filter { $0.key != "PG_slab" }.merging(
                    ["PAGE_BUDDY_MAPCOUNT_VALUE": -268_435_456, "PAGE_OFFLINE_MAPCOUNT_VALUE": -251_658_240,
                     "PAGE_HUGETLB_MAPCOUNT_VALUE": -201_326_592, "PAGE_SLAB_MAPCOUNT_VALUE": -184_549_376]) { $1 },
                extra: [:], compound: .pageType(-201_326_592), hasCompoundHead: true, hasMapcount: true),
        PageEra(name: "6.16 (unaccepted)", release: "6.16.0",
                numbers: oldBits.filter { $0.key != "PG_slab" }.merging(
                    ["PAGE_BUDDY_MAPCOUNT_VALUE": -268_435_456, "PAGE_OFFLINE_MAPCOUNT_VALUE": -251_658_240,
                     "PAGE_HUGETLB_MAPCOUNT_VALUE": -201_326_592, "PAGE_SLAB_MAPCOUNT_VALUE": -184_549_376,
                     "PAGE_UNACCEPTED_MAPCOUNT_VALUE": -150_994_944]) { $1 },
                extra: [:], compound: .pageType(-201_326_592), hasCompoundHead: true, hasMapcount: true),
    ]

    func number(_ name: String) -> Int64? { numbers[name] }
    func bit(_ name: String) -> UInt64 { numbers[name].map { 1 << UInt64($0) } ?? 0 }
    var headMask: UInt64 { UInt64(numbers["PG_head_mask"] ?? 0) }
    var buddyValue: Int32? {
        if let value = numbers["PAGE_BUDDY_MAPCOUNT_VALUE"] { return Int32(value) }
        return release.hasPrefix("2.6.38") ? -2 : nil
    }
    func mapcountValue(_ name: String) -> Int32? { numbers[name].map { Int32($0) } }
    var hasOffline: Bool { numbers["PAGE_OFFLINE_MAPCOUNT_VALUE"] != nil }
    var hasUnaccepted: Bool { numbers["PAGE_UNACCEPTED_MAPCOUNT_VALUE"] != nil }
}

/// A hand-built machine with a SPARSEMEM_EXTREME vmemmap page array: RAM frames,
/// the root array, one page of mem_section, and `struct page`s written per frame.
struct SyntheticPageArray {
    static let directMap: UInt64 = 0xffff_8880_0000_0000
    static let rootsPhysical: UInt64 = 0x80_0000
    static let sectionsPhysical: UInt64 = 0x80_1000
    static let memMapPhysical: UInt64 = 0x100_0000

    let memory: KernelTestMemory
    let kernel: LinearTestKernelMemory
    var info: VmcoreInfo
    let era: PageEra

    /// `frames` of RAM (the page array covers up to the last one).
    init(era: PageEra, frames: [Range<UInt64>] = [0..<8192], sectionSizeBits: Int = 27) {
        self.era = era
        memory = KernelTestMemory(frames: frames)
        kernel = LinearTestKernelMemory(physical: memory, base: Self.directMap)
        info = VmcoreInfo()
        info["OSRELEASE"] = era.release
        info["PAGESIZE"] = "4096"
        info.setSymbol("mem_section", VirtualAddress(Self.directMap + Self.rootsPhysical))
        info.setLength("mem_section", (1 << (46 - UInt64(sectionSizeBits))) / 256)
        info.setSize("mem_section", 16)
        info.setOffset("mem_section", "section_mem_map", 0)
        info.setNumber("SECTION_SIZE_BITS", Int64(sectionSizeBits))
        info.setNumber("MAX_PHYSMEM_BITS", 46)
        info.setSize("page", UInt64(PageEra.size))
        info.setOffset("page", "flags", UInt64(PageEra.flags))
        info.setOffset("page", "_refcount", 52)
        info.setOffset("page", "mapping", UInt64(PageEra.mapping))
        info.setOffset("page", "private", UInt64(PageEra.privateField))
        if era.hasMapcount { info.setOffset("page", "_mapcount", UInt64(PageEra.mapcount)) }
        if era.hasCompoundHead { info.setOffset("page", "compound_head", UInt64(PageEra.compoundHead)) }
        info.setLength("zone.free_area", 11)
        for (name, value) in era.numbers.sorted(by: { $0.key < $1.key }) { info.setNumber(name, value) }
        for (key, value) in era.extra.sorted(by: { $0.key < $1.key }) { info[key] = value }

        // One root, every section of it present, all sharing one vmemmap base.
        let vmemmap = Self.directMap + Self.memMapPhysical
        memory.write64(Self.directMap + Self.sectionsPhysical, at: Self.rootsPhysical)
        let pagesPerSection: UInt64 = 1 << UInt64(sectionSizeBits - 12)
        let sections = ((frames.last?.upperBound ?? 0) + pagesPerSection - 1) / pagesPerSection
        for section in 0..<min(sections, 256) {
            memory.write64(vmemmap | 0x3, at: Self.sectionsPhysical + section * 16)
        }
    }

    func descriptorAddress(_ pfn: UInt64) -> UInt64 { Self.memMapPhysical + pfn * UInt64(PageEra.size) }

    func setWord(_ pfn: UInt64, _ offset: Int, _ value: UInt64) { memory.write64(value, at: descriptorAddress(pfn) + UInt64(offset)) }
    func setMapcount(_ pfn: UInt64, _ value: Int32) {
        memory.write32(UInt32(bitPattern: value), at: descriptorAddress(pfn) + UInt64(PageEra.mapcount))
    }
    func orFlags(_ pfn: UInt64, _ bits: UInt64) {
        let address = descriptorAddress(pfn)
        let old = memory.pages[address / 4096].map { page in
            page[Int(address % 4096)..<Int(address % 4096) + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        } ?? 0
        memory.write64(old | bits, at: address)
    }

    /// A free buddy block of 2^order frames at `pfn`.
    func free(_ pfn: UInt64, order: UInt64) {
        if let value = era.buddyValue {
            setMapcount(pfn, value)
        } else {
            orFlags(pfn, era.bit("PG_buddy"))
        }
        setWord(pfn, PageEra.privateField, order)
    }

    func cache(_ pfn: UInt64, privateData: Bool = false) {
        orFlags(pfn, era.bit("PG_lru") | (privateData ? era.bit("PG_private") : 0))
        setWord(pfn, PageEra.mapping, 0xffff_8880_0123_4560)
    }

    func anonymous(_ pfn: UInt64) {
        orFlags(pfn, era.bit("PG_lru") | era.bit("PG_swapbacked"))
        setWord(pfn, PageEra.mapping, 0xffff_8880_0456_7801)
    }

    func slab(_ pfn: UInt64) {
        if let value = era.mapcountValue("PAGE_SLAB_MAPCOUNT_VALUE") { setMapcount(pfn, value) } else { orFlags(pfn, era.bit("PG_slab")) }
        // 6.2+ overlays slab fields on mapping; an odd value must not make it anonymous.
        setWord(pfn, PageEra.mapping, 0x21)
    }

    /// A compound page of 2^order frames at `pfn`; `head` sets the head's own class.
    func compound(_ pfn: UInt64, order: UInt64, hugetlb: Bool, head: (UInt64) -> Void = { _ in }) {
        orFlags(pfn, era.headMask)
        head(pfn)
        for tail in pfn + 1..<pfn + (1 << order) where era.hasCompoundHead {
            setWord(tail, PageEra.compoundHead, Self.directMap + descriptorAddress(pfn) + 1)
        }
        let tail = descriptorAddress(pfn + 1)
        switch era.compound {
        case .tailFields(let orderOffset, let orderWidth, let destructorOffset, let destructorWidth, let destructor):
            if orderWidth == 1 { memory.write([UInt8(order)], at: tail + UInt64(orderOffset)) } else {
                memory.write([UInt8(order), 0], at: tail + UInt64(orderOffset))
            }
            if hugetlb {
                let bytes = withUnsafeBytes(of: destructor.littleEndian, Array.init)
                memory.write(Array(bytes.prefix(destructorWidth)), at: tail + UInt64(destructorOffset))
            }
        case .tailFlag(let bit):
            orFlags(pfn + 1, order | (hugetlb ? 1 << UInt64(bit) : 0))
        case .pageType(let value):
            orFlags(pfn + 1, order)
            if hugetlb { setMapcount(pfn, value) }
        }
    }

    func classifier(chunkFrames: Int = 8192) throws -> PageClassifier {
        var classifier = try PageClassifier(kernel: kernel, vmcoreInfo: info)
        classifier.chunkFrames = chunkFrames
        return classifier
    }
}
