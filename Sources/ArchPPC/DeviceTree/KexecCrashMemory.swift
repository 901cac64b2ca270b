public import KexecCore

/// What the capture kernel of a kdump may use, written into its tree: the
/// `linux,usable-memory` (and `linux,drconf-usable-memory`) ranges, and the extra
/// reservation-map entries that keep it off the crashed kernel's memory.
public struct KexecCrashMemory: Hashable, Sendable {
    /// The ranges written as usable on every memory node (each node gets the
    /// intersection with its own `reg`).
    public var usableMemory: PhysicalRangeSet
    /// Ranges added to the reservation map.
    public var reservations: [PhysicalRange]

    /// Usable memory and reservations as given.
    public init(usableMemory: PhysicalRangeSet, reservations: [PhysicalRange] = []) {
        self.usableMemory = usableMemory
        self.reservations = reservations
    }

    /// The size of the backup region at the bottom of memory (the first 64 KiB,
    /// which purgatory copies away before the capture kernel starts at 0).
    public static let backupSize: UInt64 = 0x10000

    /// kexec-tools' choice (kexec/arch/ppc64/kexec-ppc64.c, `add_usable_mem_rgns`):
    /// usable memory is everything from 0 to the end of the crash region plus RTAS,
    /// OPAL and the TCE tables (which the capture kernel must still reach), and the
    /// reservation map keeps it off `[64 KiB, crash region start)`, the crashed
    /// kernel's memory below the region.
    ///
    /// - Parameters:
    ///   - crashRegion: the crash kernel region.
    ///   - firmware: the firmware ranges of the running tree (``DeviceTree/firmwareRanges()``).
    public init(crashRegion: PhysicalRange, firmware: [DeviceTreeReservedRange]) {
        var usable = [PhysicalRange(unchecked: 0, crashRegion.upperBound)]
        usable.append(contentsOf: firmware.map(\.range))
        usableMemory = PhysicalRangeSet(usable)
        if crashRegion.lowerBound.rawValue > Self.backupSize {
            reservations = [PhysicalRange(unchecked: PhysicalAddress(Self.backupSize), crashRegion.lowerBound)]
        } else {
            reservations = []
        }
    }
}
