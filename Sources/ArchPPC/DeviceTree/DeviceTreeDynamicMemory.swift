public import KexecCore

/// PAPR dynamic reconfiguration memory: the logical memory blocks (LMBs) of
/// `/ibm,dynamic-reconfiguration-memory`, from `ibm,dynamic-memory` (one entry per
/// LMB) or `ibm,dynamic-memory-v2` (runs of consecutive LMBs), each
/// `ibm,lmb-size` bytes.
public struct DeviceTreeDynamicMemory: Hashable, Sendable {
    /// One logical memory block.
    public struct Block: Hashable, Sendable {
        /// Its first byte.
        public var base: UInt64
        /// Its flags word (`DRCONF_MEM_ASSIGNED` 0x8, `DRCONF_MEM_RESERVED` 0x80, ...).
        public var flags: UInt32

        /// A block at `base` with `flags`.
        public init(base: UInt64, flags: UInt32) {
            self.base = base
            self.flags = flags
        }

        /// Assigned to this partition and not reserved: memory the kernel uses.
        public var isUsable: Bool { flags & 0x8 != 0 && flags & 0x80 == 0 }
    }

    /// The path of the node.
    public static let path = "/ibm,dynamic-reconfiguration-memory"
    /// The most blocks accepted (a v2 run can claim 2^32 blocks).
    public static let blockLimit = 1 << 20

    /// `ibm,lmb-size`.
    public var blockSize: UInt64
    /// Every block in property order (v2 runs expanded), usable or not.
    public var blocks: [Block]
    /// Whether the blocks came from `ibm,dynamic-memory-v2`.
    public var isVersion2: Bool

    /// Reads the blocks of the tree's dynamic reconfiguration memory node; `nil`
    /// when the tree has none. Block bases take the root's `#address-cells`.
    /// - Throws: ``DeviceTreePropertyError`` naming the node for a malformed
    ///   property or more than ``blockLimit`` blocks.
    public init?(tree: DeviceTree) throws(DeviceTreePropertyError) {
        guard let node = tree.node(at: Self.path) else { return nil }
        let v1 = node.property("ibm,dynamic-memory")
        let v2 = node.property("ibm,dynamic-memory-v2")
        guard let property = v1 ?? v2 else { return nil }
        do throws(DeviceTreePropertyError) {
            blockSize = try node.requiredProperty("ibm,lmb-size").integer()
            isVersion2 = v1 == nil
            blocks = try Self.decode(property, version2: isVersion2, addressCells: tree.root.addressCells(), blockSize: blockSize)
        } catch {
            throw error.at(Self.path)
        }
    }

    private static func decode(_ property: DeviceTreeProperty, version2: Bool, addressCells: Int,
                               blockSize: UInt64) throws(DeviceTreePropertyError) -> [Block] {
        let value = property.value
        guard value.count >= 4 else { throw property.error(.wrongLength(actual: value.count, expected: "at least 4")) }
        let count = Int(DeviceTreeProperty.number(value[0..<4]))
        // v1: base, drc index, reserved, aa index, flags; v2: run length, base, drc index, aa index, flags.
        let entryCells = version2 ? 1 + addressCells + 3 : addressCells + 4
        let body = DeviceTreeProperty(name: property.name, value: Array(value[4...]))
        let layout = version2 ? [1, addressCells, 1, 1, 1] : [addressCells, 1, 1, 1, 1]
        let entries = try body.records(layout: layout)
        guard entries.count == count else {
            throw property.error(.wrongLength(actual: value.count, expected: "\(4 + count * entryCells * 4) for \(count) entries"))
        }
        var blocks: [Block] = []
        for entry in entries {
            let run = version2 ? entry[0] : 1
            var base = version2 ? entry[1] : entry[0]
            let flags = UInt32(truncatingIfNeeded: entry[4])
            guard UInt64(blocks.count) + run <= UInt64(blockLimit) else {
                throw property.error(.malformed("more than \(blockLimit) memory blocks"))
            }
            for _ in 0..<run {
                blocks.append(Block(base: base, flags: flags))
                let (next, overflow) = base.addingReportingOverflow(blockSize)
                if overflow {
                    throw property.error(.rangeOverflow(base: base, size: blockSize))
                }
                base = next
            }
        }
        return blocks
    }

    /// The usable blocks as physical ranges.
    /// - Throws: ``DeviceTreePropertyError`` for a block past 2^64.
    public func usableRanges() throws(DeviceTreePropertyError) -> [PhysicalRange] {
        var ranges: [PhysicalRange] = []
        for block in blocks where block.isUsable {
            guard let range = try? PhysicalRange(start: PhysicalAddress(block.base), size: blockSize) else {
                throw DeviceTreePropertyError(path: Self.path, property: "ibm,lmb-size", reason: .rangeOverflow(base: block.base, size: blockSize))
            }
            ranges.append(range)
        }
        return ranges
    }
}
