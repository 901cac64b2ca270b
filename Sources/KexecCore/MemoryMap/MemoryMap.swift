/// A typed range of physical memory.
public struct MemoryRegion: Hashable, Sendable, CustomStringConvertible {
    public var range: PhysicalRange
    public var type: MemoryType

    public init(range: PhysicalRange, type: MemoryType) {
        self.range = range
        self.type = type
    }

    public var description: String { "\(range) \(type)" }

    /// Settles overlapping regions the way the kernel's e820 sanitizer does: where
    /// regions overlap the less usable type wins (reserved over ACPI over RAM), and
    /// adjacent pieces of one type merge. The result is sorted and disjoint.
    public static func resolve(_ regions: [MemoryRegion]) -> [MemoryRegion] {
        var boundaries: [UInt64] = []
        boundaries.reserveCapacity(regions.count * 2)
        for region in regions {
            boundaries.append(region.range.lowerBound.rawValue)
            boundaries.append(region.range.upperBound.rawValue)
        }
        boundaries = Array(Set(boundaries)).sorted()
        let byStart = regions.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var out: [MemoryRegion] = []
        var active: [MemoryRegion] = []
        var next = 0
        for (low, high) in zip(boundaries, boundaries.dropFirst()) {
            let piece = PhysicalRange(unchecked: PhysicalAddress(low), PhysicalAddress(high))
            while next < byStart.count && byStart[next].range.lowerBound.rawValue <= low {
                active.append(byStart[next])
                next += 1
            }
            active.removeAll { $0.range.upperBound.rawValue <= low }
            guard let winner = active.filter({ $0.range.contains(piece) })
                .max(by: { $0.type.overlapPriority < $1.type.overlapPriority }) else { continue }
            if let last = out.last, last.type == winner.type, last.range.upperBound == piece.lowerBound {
                out[out.count - 1] = MemoryRegion(range: PhysicalRange(unchecked: last.range.lowerBound, piece.upperBound), type: last.type)
            } else {
                out.append(MemoryRegion(range: piece, type: winner.type))
            }
        }
        return out
    }
}

/// A machine's physical memory as a loader sees it: typed regions, the crash
/// regions reserved by `crashkernel=`, and the running kernel's image.
///
/// Built from `/proc/iomem` (``init(iomem:)``) or `/sys/firmware/memmap`
/// (``FirmwareMemoryMap/memoryMap``), or by hand in tests.
public struct MemoryMap: Hashable, Sendable {
    /// Firmware-level memory regions (RAM, reserved, ACPI, ...), sorted by start.
    public var regions: [MemoryRegion]
    /// The "Crash kernel" regions, in address order (two with `crashkernel=X,high`).
    public var crashRegions: [PhysicalRange]
    /// The running kernel's code, rodata, data and bss.
    public var kernelImage: [PhysicalRange]

    public init(regions: [MemoryRegion], crashRegions: [PhysicalRange] = [], kernelImage: [PhysicalRange] = []) {
        self.regions = regions.sorted { $0.range.lowerBound < $1.range.lowerBound }
        self.crashRegions = crashRegions.sorted { $0.lowerBound < $1.lowerBound }
        self.kernelImage = kernelImage.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// The memory map `/proc/iomem` describes: every firmware memory type at any
    /// depth (System RAM, reserved, ACPI, NVS, persistent memory, ...), the crash
    /// regions and the kernel image.
    public init(iomem: IOMem) {
        var regions: [MemoryRegion] = []
        var crash: [PhysicalRange] = []
        var kernel: [PhysicalRange] = []
        for (_, resource) in iomem.allResources {
            switch resource.type {
            case .crashKernel: crash.append(resource.range)
            case .kernelImage: kernel.append(resource.range)
            case .other: break
            case let type: regions.append(MemoryRegion(range: resource.range, type: type))
            }
        }
        self.init(regions: regions, crashRegions: crash, kernelImage: kernel)
    }

    /// The union of the regions of `type`.
    public func ranges(of type: MemoryType) -> PhysicalRangeSet {
        PhysicalRangeSet(regions.lazy.filter { $0.type == type }.map(\.range))
    }

    /// All "System RAM".
    public var systemRAM: PhysicalRangeSet { ranges(of: .systemRAM) }

    /// The crash region the kernel loads crash segments into: with two (low and
    /// high, from `crashkernel=X,high`) the highest one, as kexec-tools does.
    public var loadableCrashRegion: PhysicalRange? { crashRegions.last }

    /// The sum of the crash regions' sizes.
    public var totalCrashSize: UInt64 { PhysicalRangeSet(crashRegions).totalSize }
}
