/// Making property values in the device tree's big-endian encoding.
extension DeviceTreeProperty {
    /// An empty (boolean) property such as `linux,booted-from-kexec`.
    public init(flag name: String) {
        self.init(name: name, value: [])
    }

    /// One 32-bit cell.
    public init(name: String, u32: UInt32) {
        self.init(name: name, value: Self.encode(UInt64(u32), bytes: 4))
    }

    /// One 64-bit number in two cells (the form kexec-tools writes for
    /// `linux,initrd-start` and `linux,initrd-end` on ppc64).
    public init(name: String, u64: UInt64) {
        self.init(name: name, value: Self.encode(u64, bytes: 8))
    }

    /// A list of 32-bit cells.
    public init(name: String, cells: [UInt32]) {
        self.init(name: name, value: cells.flatMap { Self.encode(UInt64($0), bytes: 4) })
    }

    /// One NUL-terminated string. The caller keeps NUL out of `string`; a NUL
    /// inside it would end the string early for every reader.
    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8) + [0])
    }

    /// A list of NUL-terminated strings, as `compatible` holds them.
    public init(name: String, strings: [String]) {
        self.init(name: name, value: strings.flatMap { Array($0.utf8) + [0] })
    }

    /// Records of numbers, each number in the given number of cells
    /// (`reg`, `linux,usable-memory`): the inverse of ``records(layout:)``.
    /// - Throws: ``DeviceTreePropertyError/Reason/valueDoesNotFit(value:cells:)``
    ///   when a number needs more cells than the layout gives it, and
    ///   ``DeviceTreePropertyError/Reason/malformed(_:)`` when a record does not
    ///   have one number per layout entry.
    public init(name: String, records: [[UInt64]], layout: [Int]) throws(DeviceTreePropertyError) {
        var bytes: [UInt8] = []
        for record in records {
            guard record.count == layout.count else {
                throw DeviceTreePropertyError(property: name, reason: .malformed("a record has \(record.count) numbers for \(layout.count) fields"))
            }
            for (number, cells) in zip(record, layout) {
                guard cells <= 4 else { throw DeviceTreePropertyError(property: name, reason: .invalidCellCount(UInt32(cells))) }
                guard cells >= 2 || number >> (32 * cells) == 0 else {
                    throw DeviceTreePropertyError(property: name, reason: .valueDoesNotFit(value: number, cells: cells))
                }
                bytes.append(contentsOf: repeatElement(0, count: max(0, cells - 2) * 4))
                bytes.append(contentsOf: Self.encode(number, bytes: min(cells, 2) * 4))
            }
        }
        self.init(name: name, value: bytes)
    }

    /// The low `bytes` bytes of `number`, big-endian.
    static func encode(_ number: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).map { UInt8(truncatingIfNeeded: number >> (8 * UInt64(bytes - 1 - $0))) }
    }
}
