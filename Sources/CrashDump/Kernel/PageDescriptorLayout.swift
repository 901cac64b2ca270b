public import ElfNotes
public import KexecCore

/// Where the fields of a `struct page` are and what their values mean for the
/// crashed kernel, from VMCOREINFO alone: offsets, page-flag bit numbers and the
/// page-type constants, with each kernel era's rules for buddy, slab, hugetlb
/// and compound pages (makedumpfile's version table).
///
/// | era | free (buddy) | slab | hugetlb head |
/// |---|---|---|---|
/// | < 2.6.38 | PG_buddy flag | PG_slab | compound_dtor |
/// | 2.6.38 | _mapcount == -2 | PG_slab | compound_dtor |
/// | 2.6.39 - 4.17 | _mapcount == -128 | PG_slab | compound_dtor (address before 4.4) |
/// | 4.18 - 6.5 | _mapcount == -129 (page_type) | PG_slab | compound_dtor / folio._folio_dtor (6.3) |
/// | 6.6 - 6.8 | -129 | PG_slab | PG_hugetlb in the first tail's flags |
/// | 6.9 | -129 | PG_slab | _mapcount == PAGE_HUGETLB_MAPCOUNT_VALUE |
/// | 6.10 - 6.11 | -129 | _mapcount == PAGE_SLAB_MAPCOUNT_VALUE | as 6.9 |
/// | 6.12 and later | `0xf0 << 24` | `0xf5 << 24` | `0xf4 << 24` |
///
/// The constants themselves come from VMCOREINFO whenever the kernel exports
/// them; the table only fills in what an older kernel did not export.
public struct PageDescriptorLayout: Hashable, Sendable {
    /// How a free buddy block's first page is recognized.
    public enum BuddyRule: Hashable, Sendable {
        /// `_mapcount` (or `page_type`) equals this value, compared as `Int32`.
        case mapcount(Int32)
        /// This bit of `flags` (`PG_buddy`, before 2.6.38).
        case flag(Int)
        /// No rule: free pages cannot be found.
        case none
    }

    /// How a compound page's order and hugetlb-ness are read from its first tail page.
    public enum CompoundRule: Hashable, Sendable {
        /// 6.9 and later: the order is the low byte of the first tail's flags
        /// (`folio._flags_1`); hugetlb when the head's `_mapcount` equals this value.
        case hugetlbPageType(Int32)
        /// 6.6 to 6.8: the order is the low byte of the first tail's flags;
        /// hugetlb when that word has this bit (`PG_hugetlb`).
        case hugetlbTailFlag(Int)
        /// Before 6.6: order and destructor are fields of the first tail page.
        /// Offsets are relative to the tail page's start; widths are in bytes.
        /// Hugetlb when the destructor equals `hugetlbDestructor` (an ID since
        /// 4.4) or `hugetlbDestructorAddress` (`free_huge_page`, before 4.4).
        case tailFields(orderOffset: Int?, orderWidth: Int, destructorOffset: Int?, destructorWidth: Int,
                        hugetlbDestructor: UInt64?, hugetlbDestructorAddress: UInt64?)
    }

    /// The crashed kernel's version, when OSRELEASE gave one.
    public var kernelVersion: KernelVersion?
    /// Byte order of the crashed kernel.
    public var byteOrder: ByteOrder
    /// Bytes of an `unsigned long` (8 or 4).
    public var wordSize: Int
    /// `SIZE(page)`.
    public var size: Int
    /// `OFFSET(page.flags)`.
    public var flagsOffset: Int
    /// `OFFSET(page.mapping)`.
    public var mappingOffset: Int
    /// `OFFSET(page._mapcount)` (also `page_type`), `nil` when not exported.
    public var mapcountOffset: Int?
    /// `OFFSET(page.private)`, `nil` when not exported.
    public var privateOffset: Int?
    /// `OFFSET(page.compound_head)` (`page.compound_info` from 7.1), `nil` when not exported.
    public var compoundHeadOffset: Int?
    /// `NUMBER(PG_head_mask)`: the flag of a compound head.
    public var headMask: UInt64
    /// `NUMBER(PG_lru)`.
    public var lruBit: Int
    /// `NUMBER(PG_private)`.
    public var privateBit: Int
    /// `NUMBER(PG_swapcache)`.
    public var swapCacheBit: Int
    /// `NUMBER(PG_swapbacked)`, `nil` before 4.10 (PG_swapcache then stands alone).
    public var swapBackedBit: Int?
    /// `NUMBER(PG_slab)`, `nil` from 6.10 when slab is a page type.
    public var slabBit: Int?
    /// `NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)` (6.10 and later).
    public var slabMapcount: Int32?
    /// `NUMBER(PG_hwpoison)`, `nil` without CONFIG_MEMORY_FAILURE.
    public var hwpoisonBit: Int?
    /// How free buddy blocks are recognized.
    public var buddy: BuddyRule
    /// `NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)` (5.0 and later).
    public var offlineMapcount: Int32?
    /// `NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)` (6.16 and later, confidential VMs).
    public var unacceptedMapcount: Int32?
    /// `LENGTH(zone.free_area)`: the number of buddy orders (MAX_ORDER + 1 since 6.4).
    public var freeAreaOrders: Int?
    /// How compound pages are read.
    public var compound: CompoundRule
    /// VMCOREINFO keys that were missing and filled in from the era table or
    /// makedumpfile's defaults, for the report.
    public var assumptions: [String]

    /// A layout with every field given (tests, other architectures).
    public init(kernelVersion: KernelVersion?, byteOrder: ByteOrder = .little, wordSize: Int = 8, size: Int,
                flagsOffset: Int, mappingOffset: Int, mapcountOffset: Int?, privateOffset: Int?,
                compoundHeadOffset: Int?, headMask: UInt64, lruBit: Int, privateBit: Int, swapCacheBit: Int,
                swapBackedBit: Int?, slabBit: Int?, slabMapcount: Int32?, hwpoisonBit: Int?, buddy: BuddyRule,
                offlineMapcount: Int32?, unacceptedMapcount: Int32?, freeAreaOrders: Int?, compound: CompoundRule,
                assumptions: [String] = []) {
        self.kernelVersion = kernelVersion
        self.byteOrder = byteOrder
        self.wordSize = wordSize
        self.size = size
        self.flagsOffset = flagsOffset
        self.mappingOffset = mappingOffset
        self.mapcountOffset = mapcountOffset
        self.privateOffset = privateOffset
        self.compoundHeadOffset = compoundHeadOffset
        self.headMask = headMask
        self.lruBit = lruBit
        self.privateBit = privateBit
        self.swapCacheBit = swapCacheBit
        self.swapBackedBit = swapBackedBit
        self.slabBit = slabBit
        self.slabMapcount = slabMapcount
        self.hwpoisonBit = hwpoisonBit
        self.buddy = buddy
        self.offlineMapcount = offlineMapcount
        self.unacceptedMapcount = unacceptedMapcount
        self.freeAreaOrders = freeAreaOrders
        self.compound = compound
        self.assumptions = assumptions
    }

    /// `PAGE_BUDDY_MAPCOUNT_VALUE` of kernels that did not export it, by era:
    /// -2 in 2.6.38, -128 to 4.17, `~PG_buddy` = -129 to 6.11, `0xf0 << 24` from 6.12;
    /// `nil` before 2.6.38 (PG_buddy flag era).
    public static func defaultBuddyMapcount(for version: KernelVersion) -> Int32? {
        if version < KernelVersion(2, 6, 38) { return nil }
        if version < KernelVersion(2, 6, 39) { return -2 }
        if version < KernelVersion(4, 18) { return -128 }
        if version < KernelVersion(6, 12) { return -129 }
        return Int32(bitPattern: 0xf0 << 24)
    }

    /// The layout of the crashed kernel described by `vmcoreInfo`.
    /// - Parameters:
    ///   - vmcoreInfo: the crashed kernel's VMCOREINFO.
    ///   - byteOrder: its byte order.
    ///   - wordSize: its `unsigned long` size (8 or 4).
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` for
    ///   `SIZE(page)`, `OFFSET(page.flags)` or `OFFSET(page.mapping)`, and
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` for an offset
    ///   that does not fit in `SIZE(page)` or a bad bit number.
    public init(vmcoreInfo info: VmcoreInfo, byteOrder: ByteOrder = .little, wordSize: Int = 8) throws(CrashDumpError) {
        let purpose = "classifying pages for the dump level"
        var assumptions: [String] = []
        let version = info.kernelVersion
        let size = try info.requiredSize("page", for: purpose)
        guard size >= 16, size <= 1024 else {
            throw .invalidVmcoreInfo(key: "SIZE(page)", value: String(size), reason: "not 16...1024 bytes")
        }
        func field(_ name: String, width: Int, required: Bool) throws(CrashDumpError) -> Int? {
            let value: UInt64?
            if required {
                value = try info.requiredOffset("page", name, for: purpose)
            } else {
                value = try info.presentOffset("page", name)
            }
            guard let value else { return nil }
            guard value + UInt64(width) <= size else {
                throw .invalidVmcoreInfo(key: "OFFSET(page.\(name))", value: String(value),
                                         reason: "a \(width)-byte field there does not fit in SIZE(page) \(size)")
            }
            return Int(value)
        }
        // Safe unwraps: `required` fields throw instead of returning nil.
        let flags = try field("flags", width: wordSize, required: true) ?? 0
        let mapping = try field("mapping", width: wordSize, required: true) ?? 0
        let mapcount = try field("_mapcount", width: 4, required: false)
        let privateField = try field("private", width: wordSize, required: false)
        var compoundHead = try field("compound_head", width: wordSize, required: false)
        if compoundHead == nil { compoundHead = try field("compound_info", width: wordSize, required: false) }

        func bit(_ name: String, default fallback: Int?) throws(CrashDumpError) -> Int? {
            if let value = try info.presentBitNumber(name) { return value }
            if let fallback { assumptions.append("NUMBER(\(name))=\(fallback)") }
            return fallback
        }
        // makedumpfile's values for kernels before 2.6.26, which exported no PG_* numbers.
        let lru = try bit("PG_lru", default: 5) ?? 5
        let privateBit = try bit("PG_private", default: 11) ?? 11
        let swapCache = try bit("PG_swapcache", default: 15) ?? 15
        var swapBacked = try info.presentBitNumber("PG_swapbacked")
        if swapBacked == nil, swapCache < privateBit {
            swapBacked = privateBit + 6
            assumptions.append("NUMBER(PG_swapbacked)=\(privateBit + 6)")
        }
        let slabMapcount = try info.presentInt32("PAGE_SLAB_MAPCOUNT_VALUE")
        // From 6.10 PG_slab is gone and slab is a page type; only kernels that
        // export neither get makedumpfile's old default bit.
        let slabBit = try bit("PG_slab", default: slabMapcount == nil ? 7 : nil)
        let hwpoison = try info.presentBitNumber("PG_hwpoison")

        let headMask: UInt64
        var headBit = try info.presentBitNumber("PG_head")
        if headBit == nil { headBit = try info.presentBitNumber("PG_compound") }
        if let mask = try info.presentNumber("PG_head_mask") {
            headMask = UInt64(bitPattern: mask)
        } else if let head = headBit {
            headMask = 1 << UInt64(head)
            assumptions.append("NUMBER(PG_head_mask)=\(headMask) from PG_head")
        } else {
            headMask = 1 << 14
            assumptions.append("NUMBER(PG_head_mask)=\(headMask)")
        }

        var buddy: BuddyRule = .none
        if let value = try info.presentInt32("PAGE_BUDDY_MAPCOUNT_VALUE") {
            buddy = mapcount != nil ? .mapcount(value) : .none
        } else if let version, let value = Self.defaultBuddyMapcount(for: version), mapcount != nil {
            buddy = .mapcount(value)
            assumptions.append("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=\(value) for \(version)")
        } else if let flag = try info.presentBitNumber("PG_buddy") {
            buddy = .flag(flag)
        }
        if privateField == nil { buddy = .none }

        let freeAreaOrders = try info.presentLength("zone.free_area").map { Int(clamping: $0) }
        if let orders = freeAreaOrders, !(1...64).contains(orders) {
            throw .invalidVmcoreInfo(key: "LENGTH(zone.free_area)", value: String(orders), reason: "not 1...64 orders")
        }

        let compound: CompoundRule
        if let hugetlb = try info.presentInt32("PAGE_HUGETLB_MAPCOUNT_VALUE") {
            compound = .hugetlbPageType(hugetlb)
        } else if let flag = try info.presentBitNumber("PG_hugetlb") {
            compound = .hugetlbTailFlag(flag)
        } else {
            let modern = version.map { $0 >= KernelVersion(4, 16) } ?? true
            let idDestructor = version.map { $0 >= KernelVersion(4, 4) } ?? true
            let before44 = version.map { $0 < KernelVersion(4, 4) } ?? false
            func tailOffset(folio: String, page: String, listField: String) throws(CrashDumpError) -> Int? {
                if let value = try info.presentOffset("folio", folio) {
                    guard value >= size, value - size < size else {
                        throw .invalidVmcoreInfo(key: "OFFSET(folio.\(folio))", value: String(value),
                                                 reason: "not in the folio's second page (SIZE(page) \(size))")
                    }
                    return Int(value - size)
                }
                if let value = try info.presentOffset("page", page) {
                    guard value < size else {
                        throw .invalidVmcoreInfo(key: "OFFSET(page.\(page))", value: String(value), reason: "outside SIZE(page) \(size)")
                    }
                    return Int(value)
                }
                if before44, let lru = try info.presentOffset("page", "lru"),
                   let member = try info.presentOffset("list_head", listField), lru + member < size {
                    return Int(lru + member)
                }
                return nil
            }
            let orderOffset = try tailOffset(folio: "_folio_order", page: "compound_order", listField: "prev")
            let destructorOffset = try tailOffset(folio: "_folio_dtor", page: "compound_dtor", listField: "next")
            let destructorID = try info.presentNumber("HUGETLB_PAGE_DTOR").map { UInt64(bitPattern: $0) }
            let destructorAddress = try info.presentSymbol("free_huge_page")
            compound = .tailFields(orderOffset: orderOffset, orderWidth: modern ? 1 : 2,
                                   destructorOffset: destructorOffset,
                                   destructorWidth: modern ? 1 : (idDestructor ? 2 : wordSize),
                                   hugetlbDestructor: destructorID, hugetlbDestructorAddress: destructorAddress)
        }

        self.init(kernelVersion: version, byteOrder: byteOrder, wordSize: wordSize, size: Int(size),
                  flagsOffset: flags, mappingOffset: mapping, mapcountOffset: mapcount, privateOffset: privateField,
                  compoundHeadOffset: compoundHead, headMask: headMask, lruBit: lru, privateBit: privateBit,
                  swapCacheBit: swapCache, swapBackedBit: swapBacked, slabBit: slabBit, slabMapcount: slabMapcount,
                  hwpoisonBit: hwpoison, buddy: buddy,
                  offlineMapcount: try info.presentInt32("PAGE_OFFLINE_MAPCOUNT_VALUE"),
                  unacceptedMapcount: try info.presentInt32("PAGE_UNACCEPTED_MAPCOUNT_VALUE"),
                  freeAreaOrders: freeAreaOrders, compound: compound, assumptions: assumptions)
    }
}
