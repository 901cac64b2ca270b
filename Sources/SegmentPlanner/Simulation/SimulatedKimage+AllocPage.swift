import KexecCore

extension SimulatedKimage {
    /// `kimage_alloc_page(image, gfp, destination)`: a page that is either
    /// `destination` itself or lies outside every destination range.
    ///
    /// 1. A page parked on `dest_pages` whose address equals `destination` is taken back.
    /// 2. Otherwise pages come from the allocator until one fits: the destination
    ///    page itself; a page outside every destination; or a destination page whose
    ///    destination already has a source (`kimage_dst_used`), in which case the old
    ///    source is copied into it, its entry repointed, and the old page (which is
    ///    not a destination) returned. Any other destination page is parked.
    ///
    /// `destination` is compared with page addresses as the kernel compares it, so a
    /// sub-page `mem` never matches a page. Not modelled, since they never trigger
    /// here: `KEXEC_SOURCE_MEMORY_LIMIT` (`unusable_pages`; the pool holds only usable
    /// frames) and the highmem check after a swap (a 64-bit kernel has no highmem,
    /// `PageHighMem` is false, so the old page is always returned; on a 32-bit
    /// kernel an indirection-page request, which lacks `__GFP_HIGHMEM`, would free a
    /// highmem old page and keep allocating).
    mutating func allocPage(destination: UInt64, purpose: AllocationPurpose) throws(StagingFailure) -> PhysicalAddress {
        if let index = destPages.firstIndex(where: { $0.rawValue == destination }) {
            statistics.parkedPagesReused += 1
            return destPages.remove(at: index)
        }
        while true {
            guard let page = allocator.take() else { throw .poolExhausted(purpose) }
            if page.rawValue == destination { return page }
            if !layout.isDestinationPage(page) { return page }
            if let old = try dstUsed(page) {
                let oldEntry = try read(old)
                let oldPage = PhysicalAddress(oldEntry & pageMask)
                memory.copy(frame: oldPage, to: page)
                write(page.rawValue | (oldEntry & ~pageMask), to: old)
                statistics.swaps += 1
                return oldPage
            }
            destPages.insert(page, at: 0)
            statistics.parks += 1
        }
    }

    /// `kimage_dst_used`: the slot of the `IND_SOURCE` entry whose destination is the
    /// page at `page`, found by walking the list in memory as `for_each_kimage_entry`
    /// does (stop at 0 or `IND_DONE`; follow `IND_INDIRECTION`).
    func dstUsed(_ page: PhysicalAddress) throws(StagingFailure) -> EntrySlot? {
        var slot = EntrySlot.head
        var destination: UInt64 = 0
        let limit = (allocator.taken + 1) * slotsPerPage + 1
        for _ in 0 ..< limit {
            let value = try read(slot)
            if value == 0 || value & IndirectionEntry.doneFlag != 0 { return nil }
            if value & IndirectionEntry.destinationFlag != 0 {
                destination = value & pageMask
            } else if value & IndirectionEntry.sourceFlag != 0 {
                if page.rawValue == destination { return slot }
                let (next, overflow) = destination.addingReportingOverflow(layout.pageSize.bytes)
                if overflow { throw .inconsistency("destination after \(PhysicalAddress(destination)) passes 2^64") }
                destination = next
            }
            if value & IndirectionEntry.indirectionFlag != 0 {
                slot = .word(PhysicalAddress(value & pageMask))
            } else {
                slot = try self.slot(after: slot)
            }
        }
        throw .inconsistency("the list did not end within \(limit) entries")
    }
}
