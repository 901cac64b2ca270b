/// Which exclusions a pass applies: the level's bits, and whether
/// hardware-poisoned and offline pages go regardless of them.
struct Rules {
    var level: DumpLevel
    var excludeAlways: Bool
}

/// What the rules say about one page descriptor at one dump level.
struct PageDecision {
    /// A compound tail page (`compound_head & 1`): never judged on its own.
    var isTail: Bool
    /// The class the page was left out as at this level, `nil` when kept.
    var excludedAs: PageClass?
    /// How many frames from this one the exclusion covers (a buddy block, a
    /// compound page, an unaccepted block).
    var excludedFrames: UInt64
    /// The page's class regardless of the level.
    var natural: PageClass
    /// How many frames from this one share the natural class (its buddy block
    /// or compound page).
    var naturalFrames: UInt64

    static let tail = PageDecision(isTail: true, excludedAs: nil, excludedFrames: 1, natural: .compoundTail, naturalFrames: 1)
}

extension PageDescriptorLayout {
    /// The largest buddy order accepted when VMCOREINFO has no
    /// `LENGTH(zone.free_area)` (a larger `private` is treated as corrupt).
    static let fallbackMaxOrder: UInt64 = 20

    /// Judges the descriptor of frame `pfn` at byte `base` of `reader`, in
    /// makedumpfile's order: tail pages; free buddy blocks; unaccepted blocks;
    /// cache without private data (bit 2); all cache (bit 4); anonymous and
    /// hugetlbfs pages (bit 8); hardware-poisoned and offline pages (always).
    /// `rules` says which of these apply.
    /// `hasTail` says whether the next frame's descriptor follows in `reader`
    /// (a compound head's order and destructor are in its first tail page).
    @inline(__always)
    func decide(pfn: UInt64, reader: StructureReader, at base: Int, hasTail: Bool, rules: Rules) -> PageDecision {
        let level = rules.level
        if let offset = compoundHeadOffset, reader.word(base + offset, width: wordSize) & 1 != 0 { return .tail }
        let flags = reader.word(base + flagsOffset, width: wordSize)
        let mapping = reader.word(base + mappingOffset, width: wordSize)
        let mapcount = mapcountOffset.map { Int32(bitPattern: reader.u32(base + $0)) } ?? 0
        let privateValue = privateOffset.map { reader.word(base + $0, width: wordSize) } ?? 0

        var order: UInt64 = 0
        var hugetlb = false
        if flags & headMask != 0 && hasTail {
            let tail = base + size
            switch compound {
            case .hugetlbPageType(let value):
                order = reader.word(tail + flagsOffset, width: wordSize) & 0xff
                hugetlb = mapcount == value
            case .hugetlbTailFlag(let bit):
                let tailFlags = reader.word(tail + flagsOffset, width: wordSize)
                order = tailFlags & 0xff
                hugetlb = (tailFlags >> bit) & 1 != 0
            case .tailFields(let orderOffset, let orderWidth, let destructorOffset, let destructorWidth,
                             let destructorID, let destructorAddress):
                if let orderOffset {
                    order = orderWidth == 1 ? UInt64(reader.u8(tail + orderOffset)) : UInt64(reader.u16(tail + orderOffset))
                }
                if let destructorOffset {
                    let destructor: UInt64
                    switch destructorWidth {
                    case 1: destructor = UInt64(reader.u8(tail + destructorOffset))
                    case 2: destructor = UInt64(reader.u16(tail + destructorOffset))
                    default: destructor = reader.word(tail + destructorOffset, width: wordSize)
                    }
                    hugetlb = destructor == destructorID || destructor == destructorAddress
                }
            }
            // makedumpfile drops an order that is absurd or does not match the alignment.
            if order >= 64 || pfn & ((1 << order) - 1) != 0 { order = 0 }
        }
        let compoundFrames: UInt64 = 1 << order

        @inline(__always) func test(_ bit: Int?) -> Bool {
            guard let bit else { return false }
            return (flags >> bit) & 1 != 0
        }
        let isSlab = (slabMapcount.map { mapcount == $0 } ?? false) || test(slabBit)
        let isBuddy: Bool
        switch buddy {
        case .mapcount(let value): isBuddy = !isSlab && mapcount == value
        case .flag(let bit): isBuddy = test(bit)
        case .none: isBuddy = false
        }
        // Clamped so a hand-made layout cannot make a shift trap.
        let maxOrder = freeAreaOrders.map { UInt64(min(max($0, 1), 64)) } ?? Self.fallbackMaxOrder + 1
        let buddyValid = isBuddy && privateValue < maxOrder
        let buddyFrames: UInt64 = buddyValid ? 1 << privateValue : 1
        let isUnaccepted = unacceptedMapcount.map { mapcount == $0 } ?? false
        let unacceptedFrames: UInt64 = 1 << (UInt64(min(max(freeAreaOrders ?? 11, 1), 64)) - 1)
        let isCache = test(lruBit) || ((swapBackedBit == nil || test(swapBackedBit)) && test(swapCacheBit))
        let isPrivate = test(privateBit)
        let isAnon = mapping & 1 != 0 && !isSlab
        let isHwpoison = test(hwpoisonBit)
        let isOffline = !isSlab && (offlineMapcount.map { mapcount == $0 } ?? false)

        let natural: PageClass
        let naturalFrames: UInt64
        if isBuddy {
            (natural, naturalFrames) = (.free, buddyFrames)
        } else if isUnaccepted {
            (natural, naturalFrames) = (.unaccepted, unacceptedFrames)
        } else if hugetlb {
            (natural, naturalFrames) = (.hugetlb, compoundFrames)
        } else if isCache && !isAnon {
            (natural, naturalFrames) = (isPrivate ? .cachePrivate : .cache, compoundFrames)
        } else if isAnon {
            (natural, naturalFrames) = (.user, compoundFrames)
        } else if isHwpoison {
            (natural, naturalFrames) = (.hwpoison, compoundFrames)
        } else if isOffline {
            (natural, naturalFrames) = (.offline, compoundFrames)
        } else {
            (natural, naturalFrames) = (isSlab ? .slab : .kernel, compoundFrames)
        }

        var excludedAs: PageClass? = nil
        var excludedFrames = compoundFrames
        if level.contains(.free) && isBuddy {
            // A buddy page with an impossible order is kept and judged no further.
            if buddyValid { (excludedAs, excludedFrames) = (.free, buddyFrames) }
        } else if level.contains(.free) && isUnaccepted {
            (excludedAs, excludedFrames) = (.unaccepted, unacceptedFrames)
        } else if level.contains(.cache) && isCache && !isPrivate && !isAnon {
            excludedAs = .cache
        } else if level.contains(.cachePrivate) && isCache && !isAnon {
            excludedAs = isPrivate ? .cachePrivate : .cache
        } else if level.contains(.user) && (isAnon || hugetlb) {
            excludedAs = hugetlb ? .hugetlb : .user
        } else if rules.excludeAlways && isHwpoison {
            excludedAs = .hwpoison
        } else if rules.excludeAlways && isOffline {
            excludedAs = .offline
        }
        return PageDecision(isTail: false, excludedAs: excludedAs, excludedFrames: excludedFrames,
                            natural: natural, naturalFrames: naturalFrames)
    }
}
