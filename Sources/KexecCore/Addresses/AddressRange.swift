/// A half-open range of addresses `[lowerBound, upperBound)`.
///
/// Made only through checked initializers, so `lowerBound <= upperBound` always
/// holds. The last byte of the 64-bit space (0xffff_ffff_ffff_ffff) cannot be
/// covered; parsers report such input with ``AddressError/endPastAddressSpace(start:)``.
@frozen public struct AddressRange<Bound: Address>: Hashable, Sendable, CustomStringConvertible {
    /// The first address in the range.
    public let lowerBound: Bound
    /// The first address past the range.
    public let upperBound: Bound

    /// `[start, end)`.
    /// - Throws: ``AddressError/endBeforeStart(start:end:)`` when `end < start`.
    @inlinable
    public init(start: Bound, end: Bound) throws(AddressError) {
        guard start <= end else { throw .endBeforeStart(start: start.rawValue, end: end.rawValue) }
        lowerBound = start
        upperBound = end
    }

    /// `[start, start + size)`.
    /// - Throws: ``AddressError/overflow(_:_:operation:)`` when the end passes 2^64.
    @inlinable
    public init(start: Bound, size: UInt64) throws(AddressError) {
        lowerBound = start
        upperBound = try start.adding(size)
    }

    /// `[start, inclusiveEnd + 1)`, the form `/proc/iomem` and sysfs print.
    /// - Throws: ``AddressError/endBeforeStart(start:end:)`` when `inclusiveEnd < start`,
    ///   ``AddressError/endPastAddressSpace(start:)`` when `inclusiveEnd` is the last address.
    public init(start: Bound, inclusiveEnd: Bound) throws(AddressError) {
        guard start <= inclusiveEnd else {
            throw .endBeforeStart(start: start.rawValue, end: inclusiveEnd.rawValue)
        }
        guard inclusiveEnd.rawValue != .max else { throw .endPastAddressSpace(start: start.rawValue) }
        lowerBound = start
        upperBound = Bound(rawValue: inclusiveEnd.rawValue + 1)
    }

    /// For callers in this package that have established `lower <= upper`.
    @inlinable package init(unchecked lower: Bound, _ upper: Bound) {
        assert(lower <= upper)
        lowerBound = lower
        upperBound = upper
    }

    /// The number of bytes covered.
    @inlinable
    public var size: UInt64 { upperBound.rawValue - lowerBound.rawValue }

    /// Whether the range covers no byte.
    @inlinable
    public var isEmpty: Bool { lowerBound == upperBound }

    /// The last address inside a non-empty range; `nil` for an empty one.
    public var lastAddress: Bound? { isEmpty ? nil : Bound(rawValue: upperBound.rawValue - 1) }

    /// Whether `address` lies inside.
    @inlinable
    public func contains(_ address: Bound) -> Bool {
        lowerBound <= address && address < upperBound
    }

    /// Whether all of `other` lies inside (an empty `other` inside the bounds counts).
    @inlinable
    public func contains(_ other: Self) -> Bool {
        lowerBound <= other.lowerBound && other.upperBound <= upperBound
    }

    /// Whether the two ranges share at least one byte.
    @inlinable
    public func overlaps(_ other: Self) -> Bool {
        !isEmpty && !other.isEmpty && lowerBound < other.upperBound && other.lowerBound < upperBound
    }

    /// The bytes both ranges cover, or `nil` when they share none.
    @inlinable
    public func intersection(_ other: Self) -> Self? {
        guard overlaps(other) else { return nil }
        return Self(unchecked: max(lowerBound, other.lowerBound), min(upperBound, other.upperBound))
    }

    /// This range minus `other`: zero, one or two non-empty pieces in address order.
    @inlinable
    public func subtracting(_ other: Self) -> [Self] {
        guard overlaps(other) else { return isEmpty ? [] : [self] }
        var pieces: [Self] = []
        if lowerBound < other.lowerBound { pieces.append(Self(unchecked: lowerBound, other.lowerBound)) }
        if other.upperBound < upperBound { pieces.append(Self(unchecked: other.upperBound, upperBound)) }
        return pieces
    }

    /// The largest sub-range whose bounds are both multiples of `alignment`, or
    /// `nil` when no aligned byte range fits inside.
    public func alignedInward(to alignment: Alignment) -> Self? {
        guard let start = try? lowerBound.alignedUp(to: alignment) else { return nil }
        let end = upperBound.alignedDown(to: alignment)
        guard start < end else { return nil }
        return Self(unchecked: start, end)
    }

    /// The smallest range with aligned bounds that covers this one.
    /// - Throws: ``AddressError/overflow(_:_:operation:)`` when the end cannot be
    ///   rounded up inside the address space.
    public func alignedOutward(to alignment: Alignment) throws(AddressError) -> Self {
        Self(unchecked: lowerBound.alignedDown(to: alignment), try upperBound.alignedUp(to: alignment))
    }

    /// `start-end` with an exclusive end, both `0x`-prefixed hex.
    public var description: String { "[\(lowerBound), \(upperBound))" }
}

/// A half-open range of physical addresses.
public typealias PhysicalRange = AddressRange<PhysicalAddress>

/// A half-open range of virtual addresses.
public typealias VirtualRange = AddressRange<VirtualAddress>
