import KexecCore

extension SimulatedKimage {
    /// `kimage_load_normal_segment` for segment `index`, as kernels before 6.18 run
    /// it (they still honour a sub-page `mem`): one `IND_DESTINATION` entry for the
    /// segment, then for each page from `mem` rounded down to `mem + memsz` a source
    /// page from ``allocPage(destination:purpose:)`` with the unrounded running
    /// address, its `IND_SOURCE` entry, `clear_page`, and the buffer's bytes copied
    /// at `maddr & ~PAGE_MASK`. What the buffer does not cover stays zero.
    mutating func loadNormalSegment(_ index: Int) throws(StagingFailure) {
        currentSegment = index
        let segment = layout.segments[index]
        let pageBytes = layout.pageSize.bytes
        var maddr = segment.destination.lowerBound
        var mbytes = segment.memorySize
        var ubytes = segment.bufferSize
        var bufferOffset = 0

        try setDestination(maddr.rawValue)
        while mbytes > 0 {
            let destinationPage = maddr.alignedDown(to: layout.pageSize.alignment)
            let page = try allocPage(destination: maddr.rawValue,
                                     purpose: .sourcePage(segment: index, destination: destinationPage))
            try addPage(page)

            memory.clear(frame: page)
            let offsetInPage = maddr.rawValue & ~pageMask
            let mchunk = min(mbytes, pageBytes - offsetInPage)
            let uchunk = min(ubytes, mchunk)
            if uchunk > 0 {
                let bytes = segment.buffer[bufferOffset ..< bufferOffset + Int(uchunk)]
                memory.write(bytes, frame: page, offset: Int(offsetInPage))
            }
            ubytes -= uchunk
            mbytes -= mchunk
            // `buf += mchunk`, as the kernel advances it; past the buffer's end only
            // zero-length copies follow.
            bufferOffset += Int(mchunk)
            guard let next = try? maddr.adding(mchunk) else {
                throw .inconsistency("segment \(index): address after \(maddr) passes 2^64")
            }
            maddr = next
        }
    }
}
