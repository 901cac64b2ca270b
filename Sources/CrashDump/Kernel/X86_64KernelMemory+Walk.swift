import KexecCore

extension X86_64KernelMemory {
    /// One level of the walk: its name in errors, the shift of the virtual
    /// address bits that index it, and whether a PS bit there means a large page.
    struct Level {
        let name: String
        let shift: UInt64
        let number: Int
        let allowsLargePage: Bool
    }

    static let fourLevels = [
        Level(name: "PGD", shift: 39, number: 4, allowsLargePage: false),
        Level(name: "PUD", shift: 30, number: 3, allowsLargePage: true),
        Level(name: "PMD", shift: 21, number: 2, allowsLargePage: true),
        Level(name: "PTE", shift: 12, number: 1, allowsLargePage: false),
    ]

    static let fiveLevels = [
        Level(name: "PGD", shift: 48, number: 5, allowsLargePage: false),
        Level(name: "P4D", shift: 39, number: 4, allowsLargePage: false),
    ] + fourLevels.dropFirst()

    static let presentBit: UInt64 = 1 << 0
    static let pageSizeBit: UInt64 = 1 << 7

    /// Translates `virtual` by walking the page tables, ignoring the fast paths
    /// and the cache: the mapping of the page (4 KiB, 2 MiB or 1 GiB) that holds it.
    /// - Throws: ``CrashDumpError/notMapped(virtual:reason:)`` for a
    ///   non-canonical address or a non-present entry,
    ///   ``CrashDumpError/corruptKernelData(structure:address:reason:)`` for a
    ///   table outside the dump or a PS bit where the architecture reserves it.
    public func walk(_ virtual: UInt64) throws(CrashDumpError) -> KernelMapping {
        let topBit: UInt64 = fiveLevel ? 56 : 47
        let upper = virtual >> topBit
        let allOnes: UInt64 = (1 << (64 - topBit)) - 1
        guard upper == 0 || upper == allOnes else {
            throw .notMapped(virtual: virtual, reason: "not canonical for \(fiveLevel ? 5 : 4)-level paging")
        }
        var table = pageTableRoot
        var previous: (name: String, entryAddress: UInt64, entry: UInt64)? = nil
        for level in fiveLevel ? Self.fiveLevels : Self.fourLevels {
            let index = (virtual >> level.shift) & 511
            let entryAddress = table + index * 8
            let entry: UInt64
            do {
                entry = try physical.readInteger(UInt64.self, physical: entryAddress, byteOrder: .little)
            } catch {
                if let previous {
                    throw .corruptKernelData(
                        structure: "\(previous.name) entry 0x\(String(previous.entry, radix: 16)) for virtual 0x\(String(virtual, radix: 16))",
                        address: previous.entryAddress,
                        reason: "points to a \(level.name) table at physical 0x\(String(table, radix: 16)) that cannot be read: \(error)")
                }
                throw .corruptKernelData(structure: "page-table root", address: table,
                                         reason: "the top-level table cannot be read: \(error)")
            }
            guard entry & Self.presentBit != 0 else {
                throw .notMapped(virtual: virtual,
                                 reason: "\(level.name) entry 0x\(String(entry, radix: 16)) at physical 0x\(String(entryAddress, radix: 16)) is not present")
            }
            let target = entry & entryMask
            if level.number == 1 {
                return KernelMapping(virtualStart: virtual & ~0xfff, physicalStart: target, size: 1 << 12,
                                     source: .pageTable(level: 1))
            }
            if entry & Self.pageSizeBit != 0 {
                guard level.allowsLargePage else {
                    throw .corruptKernelData(structure: "\(level.name) entry for virtual 0x\(String(virtual, radix: 16))",
                                             address: entryAddress,
                                             reason: "entry 0x\(String(entry, radix: 16)) has the PS bit, which is reserved at this level")
                }
                let size: UInt64 = 1 << level.shift
                return KernelMapping(virtualStart: virtual & ~(size - 1), physicalStart: target & ~(size - 1), size: size,
                                     source: .pageTable(level: level.number))
            }
            previous = (level.name, entryAddress, entry)
            table = target
        }
        // Unreachable: the PTE level always returns.
        throw .notMapped(virtual: virtual, reason: "the walk ended without a PTE")
    }
}
