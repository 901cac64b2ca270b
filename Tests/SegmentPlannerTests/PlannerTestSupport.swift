import SystemPackage
@testable import KexecCore
@testable import SegmentPlanner

/// The iomem fixtures of KexecCoreTests, shared here.
enum PlannerFixtures {
    static let iomemDirectory = FilePath(#filePath).removingLastComponent().removingLastComponent()
        .appending("KexecCoreTests/Fixtures/iomem")

    static func map(_ name: String) throws -> MemoryMap {
        MemoryMap(iomem: try IOMem.read(from: iomemDirectory.appending(name + ".txt")))
    }
}

let KiB: UInt64 = 1 << 10
let MiB: UInt64 = 1 << 20
let GiB: UInt64 = 1 << 30

func range(_ start: UInt64, _ end: UInt64) -> PhysicalRange {
    PhysicalRange(unchecked: PhysicalAddress(start), PhysicalAddress(end))
}

func ramMap(_ ranges: [(UInt64, UInt64)], crash: [(UInt64, UInt64)] = []) -> MemoryMap {
    MemoryMap(regions: ranges.map { MemoryRegion(range: range($0.0, $0.1), type: .systemRAM) },
              crashRegions: crash.map { range($0.0, $0.1) })
}

/// `count` non-zero bytes: a constant with a varying byte every 61 bytes, cheap
/// to make even in debug builds, and never confused with zero fill.
func filler(_ count: Int, seed: UInt8) -> [UInt8] {
    var bytes = [UInt8](repeating: seed | 1, count: count)
    var index = 0
    while index < count {
        bytes[index] = UInt8(truncatingIfNeeded: index / 61 &+ Int(seed)) | 1
        index += 61
    }
    return bytes
}
