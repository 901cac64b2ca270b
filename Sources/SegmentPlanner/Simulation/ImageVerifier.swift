import KexecCore

/// Compares memory after exec with the image the plan intends: each segment's
/// buffer at its destination, then zeros up to `memsz`.
enum ImageVerifier {
    /// The first differing byte of every segment that does not match, in segment order.
    static func mismatches(of segments: [KexecSegment], in memory: SimulatedMemory) -> [SegmentMismatch] {
        segments.enumerated().compactMap { mismatch(of: $1, index: $0, in: memory) }
    }

    private static func mismatch(of segment: KexecSegment, index: Int, in memory: SimulatedMemory) -> SegmentMismatch? {
        let range = segment.destination
        let pageBytes = memory.pageSize.bytes
        let zeros = [UInt8](repeating: 0, count: Int(pageBytes))
        let bufferSize = segment.bufferSize
        var address = range.lowerBound
        var offset: UInt64 = 0
        var first: (address: PhysicalAddress, expected: UInt8, actual: UInt8)?
        var differing: UInt64 = 0

        while address < range.upperBound {
            let base = memory.frameBase(of: address)
            let inPage = address.rawValue - base.rawValue
            let chunk = min(pageBytes - inPage, range.upperBound.rawValue - address.rawValue)
            let page = memory.page(containing: address)
            let start = Int(inPage)
            // The chunk's expected bytes: buffer bytes first, then zeros.
            let fromBuffer = offset < bufferSize ? Int(min(chunk, bufferSize - offset)) : 0
            let zeroCount = Int(chunk) - fromBuffer
            let bufferStart = Int(min(offset, bufferSize))
            let matches = SimulationUnsafeAccess.bytesEqual(page[start ..< start + fromBuffer],
                                                            segment.buffer[bufferStart ..< bufferStart + fromBuffer])
                && SimulationUnsafeAccess.bytesEqual(page[start + fromBuffer ..< start + Int(chunk)], zeros[0 ..< zeroCount])
            if !matches {
                for index in 0 ..< Int(chunk) {
                    let expected: UInt8 = index < fromBuffer ? segment.buffer[bufferStart + index] : 0
                    let actual = page[start + index]
                    guard expected != actual else { continue }
                    differing += 1
                    if first == nil, let at = try? address.adding(UInt64(index)) {
                        first = (at, expected, actual)
                    }
                }
            }
            offset += chunk
            // chunk > 0 and address + chunk <= range.upperBound, so this cannot overflow.
            guard let next = try? address.adding(chunk) else { break }
            address = next
        }
        guard let first else { return nil }
        return SegmentMismatch(segment: index, destination: range, address: first.address,
                               expected: first.expected, actual: first.actual, differingBytes: differing)
    }
}
