import KexecCore

/// What the staging model knows about the image's destinations: the segments as the
/// kernel received them and the pages they touch.
struct StagingLayout: Sendable {
    let pageSize: PageSize
    let segments: [KexecSegment]
    /// For each segment, the base of every page from `mem` rounded down to the end
    /// of `mem + memsz` rounded up, ascending: the pages its staging loop visits.
    let pagesBySegment: [[PhysicalAddress]]

    /// - Throws: ``StagingSimulationError/destinationOutsideAddressSpace(segment:destination:)``
    ///   when a destination cannot be rounded out to whole pages.
    init(segments: [KexecSegment], pageSize: PageSize) throws(StagingSimulationError) {
        self.pageSize = pageSize
        self.segments = segments
        var pagesBySegment: [[PhysicalAddress]] = []
        for (index, segment) in segments.enumerated() {
            var pages: [PhysicalAddress] = []
            if !segment.destination.isEmpty {
                let rounded: PhysicalRange
                do {
                    rounded = try segment.destination.alignedOutward(to: pageSize.alignment)
                } catch {
                    throw .destinationOutsideAddressSpace(segment: index, destination: segment.destination)
                }
                var base = rounded.lowerBound
                while base < rounded.upperBound {
                    pages.append(base)
                    // The rounded end is page aligned and representable, so a page
                    // below it always has a successor.
                    guard let next = try? base.adding(pageSize.bytes) else { break }
                    base = next
                }
            }
            pagesBySegment.append(pages)
        }
        self.pagesBySegment = pagesBySegment
    }

    /// The number of source pages staging makes: one per page each segment touches.
    var sourcePageCount: Int { pagesBySegment.reduce(0) { $0 + $1.count } }

    /// Every page some destination touches, ascending, each once.
    var destinationPages: [PhysicalAddress] {
        Array(Set(pagesBySegment.joined())).sorted()
    }

    /// `kimage_is_destination_range(image, page, page + PAGE_SIZE)`: whether the
    /// page at `base` shares a byte with any segment's `[mem, mem + memsz)`.
    func isDestinationPage(_ base: PhysicalAddress) -> Bool {
        owner(ofPage: base) != nil
    }

    /// The first segment whose destination shares a byte with the page at `base`.
    func owner(ofPage base: PhysicalAddress) -> Int? {
        segments.firstIndex { pageOverlaps(base, $0.destination) }
    }

    /// `(end > mstart) && (start < mend)` for `[base, base + PAGE_SIZE)`, written so
    /// that nothing overflows at the top of the address space.
    private func pageOverlaps(_ base: PhysicalAddress, _ range: PhysicalRange) -> Bool {
        guard !range.isEmpty, base < range.upperBound else { return false }
        return base >= range.lowerBound || range.lowerBound.rawValue - base.rawValue < pageSize.bytes
    }

    /// An upper bound on the indirection pages staging needs: every page holds
    /// `PAGE_SIZE / 8 - 1` entries and a chaining slot.
    var indirectionPageBound: Int {
        let entries = segments.count + sourcePageCount + 1
        let perPage = Int(pageSize.bytes) / IndirectionEntry.byteWidth - 1
        return entries / perPage + 1
    }
}
