public import KexecCore

/// One entry of the x86 firmware memory map as the zero page carries it:
/// `{u64 addr, u64 size, u32 type}`, 20 bytes.
public struct E820Entry: Hashable, Sendable {
    public var address: UInt64
    public var size: UInt64
    /// 1 RAM, 2 reserved, 3 ACPI, 4 NVS, 5 unusable, 7 PMEM, 12 PRAM.
    public var type: UInt32

    public init(address: UInt64, size: UInt64, type: UInt32) {
        self.address = address
        self.size = size
        self.type = type
    }

    /// The map a new kernel is given: every region with an E820 type, overlaps
    /// resolved, sorted. Regions without one (devices, crash regions) are left out.
    public static func table(from regions: [MemoryRegion]) -> [E820Entry] {
        MemoryRegion.resolve(regions.filter { $0.type.e820Type != nil }).compactMap { region in
            region.type.e820Type.map { E820Entry(address: region.range.lowerBound.rawValue, size: region.range.size, type: $0) }
        }
    }
}
