/// A set of addresses kept as sorted, disjoint, non-adjacent ranges.
///
/// The shape memory maps are computed in: "System RAM minus the crash region minus
/// what is already placed". ``checkInvariants()`` states what every value obeys.
@frozen public struct AddressRangeSet<Bound: Address>: Hashable, Sendable, CustomStringConvertible {
    /// The ranges, sorted, pairwise disjoint, never adjacent and never empty.
    @inlinable public var ranges: [AddressRange<Bound>] { storage }
    @usableFromInline var storage: [AddressRange<Bound>]

    /// The empty set.
    @inlinable
    public init() { storage = [] }

    /// The union of `ranges`, which may overlap, touch or come in any order.
    @inlinable
    public init<S: Sequence>(_ ranges: S) where S.Element == AddressRange<Bound> {
        storage = Self.normalize(Array(ranges))
    }

    @inlinable
    static func normalize(_ input: [AddressRange<Bound>]) -> [AddressRange<Bound>] {
        var sorted = input.filter { !$0.isEmpty }
        // Maps usually arrive sorted; check in O(n) before paying for a sort.
        if zip(sorted, sorted.dropFirst()).contains(where: { $0.lowerBound > $1.lowerBound }) {
            sorted.sort { $0.lowerBound < $1.lowerBound }
        }
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
    @inlinable
    public var isEmpty: Bool { ranges.isEmpty }

    /// The number of bytes in the set (saturating at 2^64 - 1).
    @inlinable
    public var totalSize: UInt64 {
        ranges.reduce(0) { total, range in
            let (sum, overflow) = total.addingReportingOverflow(range.size)
            return overflow ? .max : sum
        }
    }

    /// Whether `address` is in the set.
    @inlinable
    public func contains(_ address: Bound) -> Bool {
        containingRange(of: address) != nil
    }

    /// Whether every byte of `range` is in the set (binary search).
    @inlinable
    public func contains(_ range: AddressRange<Bound>) -> Bool {
        if range.isEmpty { return true }
        return containingRange(of: range.lowerBound)?.contains(range) ?? false
    }

    /// The index of the first range that ends above `address`.
    @inlinable
    func firstIndex(endingAbove address: Bound) -> Int {
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
        return low
    }

    /// The range of the set that holds `address`, found by binary search.
    @inlinable
    public func containingRange(of address: Bound) -> AddressRange<Bound>? {
        let index = firstIndex(endingAbove: address)
        return index < ranges.count && ranges[index].contains(address) ? ranges[index] : nil
    }

    /// Whether any byte of `range` is in the set (binary search).
    @inlinable
    public func overlaps(_ range: AddressRange<Bound>) -> Bool {
        let index = firstIndex(endingAbove: range.lowerBound)
        return index < ranges.count && ranges[index].overlaps(range)
    }

    /// The addresses in either set.
    @inlinable
    public func union(_ other: Self) -> Self { Self(ranges + other.ranges) }

    /// The addresses in both sets.
    @inlinable
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
    @inlinable
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

    /// The addresses in this set outside `range`: a binary search and one splice,
    /// O(log n) plus the array move.
    @inlinable
    public func subtracting(_ range: AddressRange<Bound>) -> Self {
        var copy = self
        copy.remove(range)
        return copy
    }

    /// Removes `range` from the set in place.
    @inlinable
    public mutating func remove(_ range: AddressRange<Bound>) {
        guard !range.isEmpty else { return }
        let first = firstIndex(endingAbove: range.lowerBound)
        var last = first
        var replacement: [AddressRange<Bound>] = []
        while last < ranges.count && ranges[last].lowerBound < range.upperBound {
            replacement.append(contentsOf: ranges[last].subtracting(range))
            last += 1
        }
        if last > first { storage.replaceSubrange(first..<last, with: replacement) }
    }

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
