public import KexecCore

/// Finds where `size` bytes fit in a set of free ranges, the way kexec-tools'
/// `locate_hole` does: clip each free range to the window, align the start up
/// (bottom-up) or the end down (top-down), and take the first fit.
///
/// Cost: a binary search to the window plus a scan over the ranges inside it, so
/// placing k buffers into n free ranges is O(k·n) at worst and O(k·log n) when
/// the first range tried fits.
public enum HoleFinder {
    /// The start address of the placement, or `nil` when nothing fits.
    /// - Parameters:
    ///   - size: bytes needed (> 0).
    ///   - alignment: of the start address.
    ///   - window: where the whole placement must lie.
    ///   - free: the free ranges.
    ///   - topDown: highest fit when true, lowest when false.
    public static func find(size: UInt64, alignment: Alignment, window: PhysicalRange,
                            in free: PhysicalRangeSet, topDown: Bool) -> PhysicalAddress? {
        guard size > 0, size <= window.size else { return nil }
        let ranges = free.ranges
        // First range that ends above the window's start.
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound <= window.lowerBound { low = mid + 1 } else { high = mid }
        }
        let first = low
        if topDown {
            var index = ranges.count - 1
            while index >= first {
                let range = ranges[index]
                index -= 1
                if range.lowerBound >= window.upperBound { continue }
                if let start = fit(size, alignment, range, window, topDown: true) { return start }
            }
        } else {
            for range in ranges[first...] {
                if range.lowerBound >= window.upperBound { break }
                if let start = fit(size, alignment, range, window, topDown: false) { return start }
            }
        }
        return nil
    }

    private static func fit(_ size: UInt64, _ alignment: Alignment, _ range: PhysicalRange,
                            _ window: PhysicalRange, topDown: Bool) -> PhysicalAddress? {
        guard let clipped = range.intersection(window), clipped.size >= size else { return nil }
        if topDown {
            // Highest aligned start with start + size <= end.
            let start = PhysicalAddress(clipped.upperBound.rawValue - size).alignedDown(to: alignment)
            return start >= clipped.lowerBound ? start : nil
        }
        guard let start = try? clipped.lowerBound.alignedUp(to: alignment),
              start <= clipped.upperBound, clipped.upperBound.rawValue - start.rawValue >= size else { return nil }
        return start
    }

    /// The largest free range inside `window` (for error messages).
    public static func largestHole(in free: PhysicalRangeSet, window: PhysicalRange) -> PhysicalRange? {
        free.ranges.compactMap { $0.intersection(window) }.max { $0.size < $1.size }
    }
}
