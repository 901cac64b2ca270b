/// Typed reads of a property value. Device tree values are big-endian whatever the
/// CPU's byte order: a cell is a 32-bit big-endian number.
extension DeviceTreeProperty {
    /// The value as one 32-bit cell.
    /// - Throws: ``DeviceTreePropertyError`` unless the value is exactly 4 bytes.
    public func u32() throws(DeviceTreePropertyError) -> UInt32 {
        guard value.count == 4 else { throw error(.wrongLength(actual: value.count, expected: "4")) }
        return UInt32(truncatingIfNeeded: Self.number(value[...]))
    }

    /// The value as one 64-bit number (two cells).
    /// - Throws: ``DeviceTreePropertyError`` unless the value is exactly 8 bytes.
    public func u64() throws(DeviceTreePropertyError) -> UInt64 {
        guard value.count == 8 else { throw error(.wrongLength(actual: value.count, expected: "8")) }
        return Self.number(value[...])
    }

    /// The value as a number of one or two cells, the way the kernel stores an
    /// `unsigned long` (4 bytes on ppc32, 8 on ppc64): `linux,crashkernel-base`,
    /// `linux,initrd-start` and the like.
    /// - Throws: ``DeviceTreePropertyError`` unless the value is 4 or 8 bytes.
    public func integer() throws(DeviceTreePropertyError) -> UInt64 {
        guard value.count == 4 || value.count == 8 else {
            throw error(.wrongLength(actual: value.count, expected: "4 or 8"))
        }
        return Self.number(value[...])
    }

    /// The value as a list of 32-bit cells.
    /// - Throws: ``DeviceTreePropertyError`` unless the length is a multiple of 4.
    public func cells() throws(DeviceTreePropertyError) -> [UInt32] {
        guard value.count % 4 == 0 else { throw error(.wrongLength(actual: value.count, expected: "a multiple of 4")) }
        return stride(from: 0, to: value.count, by: 4).map { UInt32(truncatingIfNeeded: Self.number(value[$0..<$0 + 4])) }
    }

    /// The value as one NUL-terminated string (`bootargs`, `device_type`).
    /// - Throws: ``DeviceTreePropertyError/Reason/notAString`` without exactly one
    ///   NUL, at the end, or for bytes that are not UTF-8.
    public func string() throws(DeviceTreePropertyError) -> String {
        guard let last = value.last, last == 0, value.firstIndex(of: 0) == value.count - 1,
              let text = String(validating: value.dropLast(), as: UTF8.self) else { throw error(.notAString) }
        return text
    }

    /// The value as a list of NUL-terminated strings (`compatible`,
    /// `ibm,hypertas-functions`); an empty value is an empty list.
    /// - Throws: ``DeviceTreePropertyError/Reason/notAString`` when the value does
    ///   not end in NUL or holds bytes that are not UTF-8.
    public func strings() throws(DeviceTreePropertyError) -> [String] {
        if value.isEmpty { return [] }
        guard value.last == 0 else { throw error(.notAString) }
        var result: [String] = []
        for piece in value.dropLast().split(separator: 0, omittingEmptySubsequences: false) {
            guard let text = String(validating: piece, as: UTF8.self) else { throw error(.notAString) }
            result.append(text)
        }
        return result
    }

    /// A `#address-cells` or `#size-cells` value: one cell, 0...4.
    /// - Throws: ``DeviceTreePropertyError`` for another length or a larger count.
    public func cellCount() throws(DeviceTreePropertyError) -> Int {
        let count = try u32()
        guard count <= 4 else { throw error(.invalidCellCount(count)) }
        return Int(count)
    }

    /// Splits the value into numbers of `cellsPerNumber` cells each, in the layout
    /// of `reg`-like properties (`[address cells][size cells]` repeated is
    /// `numbers(of: [a, s])`).
    ///
    /// - Parameter layout: the cell count of each number in one record, 0...4 each.
    /// - Returns: one array of numbers per record.
    /// - Throws: ``DeviceTreePropertyError`` when the length is not a whole number
    ///   of records or a number does not fit 64 bits.
    public func records(layout: [Int]) throws(DeviceTreePropertyError) -> [[UInt64]] {
        let recordCells = layout.reduce(0, +)
        guard recordCells > 0 else {
            guard value.isEmpty else { throw error(.wrongLength(actual: value.count, expected: "0 (records of 0 cells)")) }
            return []
        }
        let recordBytes = recordCells * 4
        guard value.count % recordBytes == 0 else {
            throw error(.wrongLength(actual: value.count, expected: "a multiple of \(recordBytes)"))
        }
        var result: [[UInt64]] = []
        result.reserveCapacity(value.count / recordBytes)
        var offset = 0
        while offset < value.count {
            var record: [UInt64] = []
            for cells in layout {
                let bytes = value[offset..<offset + cells * 4]
                // Leading cells beyond the low two must be zero for the number to fit.
                let excess = max(0, cells - 2) * 4
                guard bytes.prefix(excess).allSatisfy({ $0 == 0 }) else { throw error(.valueTooWide(cells: cells)) }
                record.append(Self.number(bytes.dropFirst(excess)))
                offset += cells * 4
            }
            result.append(record)
        }
        return result
    }

    /// The big-endian number in `bytes` (at most 8 bytes).
    static func number(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { ($0 << 8) | UInt64($1) }
    }

    func error(_ reason: DeviceTreePropertyError.Reason) -> DeviceTreePropertyError {
        DeviceTreePropertyError(property: name, reason: reason)
    }
}
