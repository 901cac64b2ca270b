public import KexecCore

/// One `(address, size)` record of a `reg`-like property, decoded with the
/// parent's `#address-cells` and `#size-cells`.
public struct DeviceTreeRegEntry: Hashable, Sendable, CustomStringConvertible {
    /// The address (up to 64 bits; wider numbers are refused when decoding).
    public var address: UInt64
    /// The size in bytes (0 when the parent's `#size-cells` is 0).
    public var size: UInt64

    /// An entry at `address` of `size` bytes.
    public init(address: UInt64, size: UInt64) {
        self.address = address
        self.size = size
    }

    /// `[address, address + size)` as a physical range.
    /// - Throws: ``AddressError/overflow(_:_:operation:)`` past 2^64.
    public func physicalRange() throws(AddressError) -> PhysicalRange {
        try PhysicalRange(start: PhysicalAddress(address), size: size)
    }

    public var description: String { "<0x\(String(address, radix: 16)) 0x\(String(size, radix: 16))>" }
}

extension DeviceTreeProperty {
    /// The value as `reg` records with the given cell counts (the parent node's
    /// `#address-cells` and `#size-cells`).
    /// - Throws: ``DeviceTreePropertyError`` when the length is not a whole number
    ///   of records or a number does not fit 64 bits.
    public func regEntries(addressCells: Int, sizeCells: Int) throws(DeviceTreePropertyError) -> [DeviceTreeRegEntry] {
        guard (0...4).contains(addressCells) else { throw error(.invalidCellCount(UInt32(clamping: addressCells))) }
        guard (0...4).contains(sizeCells) else { throw error(.invalidCellCount(UInt32(clamping: sizeCells))) }
        return try records(layout: [addressCells, sizeCells]).map { DeviceTreeRegEntry(address: $0[0], size: $0[1]) }
    }

    /// The value as physical ranges: ``regEntries(addressCells:sizeCells:)`` with
    /// each `[address, address + size)` checked against the top of the address space.
    /// - Throws: ``DeviceTreePropertyError``, with
    ///   ``DeviceTreePropertyError/Reason/rangeOverflow(base:size:)`` for a range
    ///   past 2^64.
    public func physicalRanges(addressCells: Int, sizeCells: Int) throws(DeviceTreePropertyError) -> [PhysicalRange] {
        var ranges: [PhysicalRange] = []
        for entry in try regEntries(addressCells: addressCells, sizeCells: sizeCells) {
            guard let range = try? entry.physicalRange() else {
                throw error(.rangeOverflow(base: entry.address, size: entry.size))
            }
            ranges.append(range)
        }
        return ranges
    }

    /// A `reg`-like property from physical ranges in the given cell counts: the
    /// inverse of ``physicalRanges(addressCells:sizeCells:)``.
    /// - Throws: ``DeviceTreePropertyError/Reason/valueDoesNotFit(value:cells:)``
    ///   when an address or size needs more cells than given.
    public init(name: String, ranges: [PhysicalRange], addressCells: Int, sizeCells: Int) throws(DeviceTreePropertyError) {
        try self.init(name: name, records: ranges.map { [$0.lowerBound.rawValue, $0.size] },
                      layout: [addressCells, sizeCells])
    }
}
