/// A set of addresses kept as sorted, disjoint, non-adjacent ranges.
///
/// The shape memory maps are computed in: "System RAM minus the crash region minus
/// what is already placed". ``checkInvariants()`` states what every value obeys.
public struct AddressRangeSet<Bound: Address>: Hashable, Sendable, CustomStringConvertible {
    /// The ranges, sorted, pairwise disjoint, never adjacent and never empty.
    public private(set) var ranges: [AddressRange<Bound>]

    /// The empty set.
    public init() { ranges = [] }

    /// The union of `ranges`, which may overlap, touch or come in any order.
    public init<S: Sequence>(_ ranges: S) where S.Element == AddressRange<Bound> {
        self.ranges = Self.normalize(Array(ranges))
    }

    private static func normalize(_ input: [AddressRange<Bound>]) -> [AddressRange<Bound>] {
        let sorted = input.filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        var out: [AddressRange<Bound>] = []
        out.reserveCapacity(sorted.count)
        for range in sorted {
            if let last = out.last, range.lowerBound <= last.upperBound {
                if range.upperBound > last.upperBound {
                    // last.lowerBound <= range.lowerBound < range.upperBound.
                    out[out.count - 1] = AddressRange(unchecked: last.lowerBound, range.upperBound)
                }
            } else {
                out.append(range)
            }
        }
        return out
    }

    /// Whether the set holds no address.
    public var isEmpty: Bool { ranges.isEmpty }

    /// The number of bytes in the set (saturating at 2^64 - 1).
    public var totalSize: UInt64 {
        ranges.reduce(0) { total, range in
            let (sum, overflow) = total.addingReportingOverflow(range.size)
            return overflow ? .max : sum
        }
    }

    /// Whether `address` is in the set.
    public func contains(_ address: Bound) -> Bool {
        containingRange(of: address) != nil
    }

    /// Whether every byte of `range` is in the set.
    public func contains(_ range: AddressRange<Bound>) -> Bool {
        if range.isEmpty { return true }
        return ranges.contains { $0.contains(range) }
    }

    /// The range of the set that holds `address`, found by binary search.
    public func containingRange(of address: Bound) -> AddressRange<Bound>? {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound <= address {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low < ranges.count && ranges[low].contains(address) ? ranges[low] : nil
    }

    /// Whether any byte of `range` is in the set.
    public func overlaps(_ range: AddressRange<Bound>) -> Bool {
        ranges.contains { $0.overlaps(range) }
    }

    /// The addresses in either set.
    public func union(_ other: Self) -> Self { Self(ranges + other.ranges) }

    /// The addresses in both sets.
    public func intersection(_ other: Self) -> Self {
        var out: [AddressRange<Bound>] = []
        var i = 0
        var j = 0
        while i < ranges.count && j < other.ranges.count {
            if let common = ranges[i].intersection(other.ranges[j]) { out.append(common) }
            if ranges[i].upperBound < other.ranges[j].upperBound { i += 1 } else { j += 1 }
        }
        return Self(out)
    }

    /// The addresses in this set and not in `other`.
    public func subtracting(_ other: Self) -> Self {
        var out: [AddressRange<Bound>] = []
        var j = 0
        for range in ranges {
            var pieces = [range]
            while j < other.ranges.count && other.ranges[j].upperBound <= range.lowerBound { j += 1 }
            var k = j
            while k < other.ranges.count && other.ranges[k].lowerBound < range.upperBound {
                pieces = pieces.flatMap { $0.subtracting(other.ranges[k]) }
                k += 1
            }
            out.append(contentsOf: pieces)
        }
        return Self(out)
    }

    /// The addresses in this set outside `range`.
    public func subtracting(_ range: AddressRange<Bound>) -> Self { subtracting(Self([range])) }

    /// Checks the invariants every value keeps: sorted, disjoint, not adjacent, none empty.
    /// Returns a description of the first violation, or `nil`.
    public func checkInvariants() -> String? {
        for (index, range) in ranges.enumerated() {
            if range.isEmpty { return "range \(index) is empty" }
            if index > 0 && ranges[index - 1].upperBound >= range.lowerBound {
                return "ranges \(index - 1) and \(index) overlap, touch or are out of order"
            }
        }
        return nil
    }

    public var description: String { "{" + ranges.map(\.description).joined(separator: ", ") + "}" }
}

/// A set of physical addresses.
public typealias PhysicalRangeSet = AddressRangeSet<PhysicalAddress>
