/// The header of a flattened device tree blob (`struct fdt_header`), all fields
/// big-endian 32-bit.
///
/// Version 17 headers are 40 bytes; version 16 headers lack `size_dt_struct` and
/// are 36. See the devicetree specification, chapter 5, and the kernel's
/// `scripts/dtc/libfdt/fdt.h`.
public struct FlattenedDeviceTreeHeader: Hashable, Sendable {
    /// `FDT_MAGIC`, the first four bytes of every blob.
    public static let magic: UInt32 = 0xd00d_feed
    /// The size of a version-17 header in bytes.
    public static let version17Size = 40
    /// The size of a version-16 header in bytes.
    public static let version16Size = 36
    /// The byte offset of `boot_cpuid_phys`, which ppc64 purgatory rewrites at entry.
    public static let bootCPUOffset = 28

    /// `totalsize`: the blob's size including free space at its end.
    public var totalSize: UInt32
    /// `off_dt_struct`: where the structure block starts.
    public var structureOffset: UInt32
    /// `off_dt_strings`: where the strings block starts.
    public var stringsOffset: UInt32
    /// `off_mem_rsvmap`: where the memory reservation map starts.
    public var reservationMapOffset: UInt32
    /// `version`.
    public var version: UInt32
    /// `last_comp_version`: the oldest version this blob is compatible with.
    public var lastCompatibleVersion: UInt32
    /// `boot_cpuid_phys`.
    public var bootCPUPhysicalID: UInt32
    /// `size_dt_strings`.
    public var stringsSize: UInt32
    /// `size_dt_struct`; `nil` in a version-16 header, which lacks it.
    public var structureSize: UInt32?

    /// A header with every field given.
    public init(totalSize: UInt32, structureOffset: UInt32, stringsOffset: UInt32, reservationMapOffset: UInt32,
                version: UInt32, lastCompatibleVersion: UInt32, bootCPUPhysicalID: UInt32, stringsSize: UInt32,
                structureSize: UInt32?) {
        self.totalSize = totalSize
        self.structureOffset = structureOffset
        self.stringsOffset = stringsOffset
        self.reservationMapOffset = reservationMapOffset
        self.version = version
        self.lastCompatibleVersion = lastCompatibleVersion
        self.bootCPUPhysicalID = bootCPUPhysicalID
        self.stringsSize = stringsSize
        self.structureSize = structureSize
    }

    /// The header's own size: 40 bytes with `size_dt_struct`, 36 without.
    public var size: Int { structureSize == nil ? Self.version16Size : Self.version17Size }

    /// The header's bytes.
    public var encoded: [UInt8] {
        var fields: [UInt32] = [Self.magic, totalSize, structureOffset, stringsOffset, reservationMapOffset, version,
                                lastCompatibleVersion, bootCPUPhysicalID, stringsSize]
        if let structureSize { fields.append(structureSize) }
        return fields.flatMap { DeviceTreeProperty.encode(UInt64($0), bytes: 4) }
    }
}

/// The structure block's tokens (`FDT_BEGIN_NODE` ...), big-endian 32-bit each.
enum DeviceTreeToken: UInt32 {
    case beginNode = 1
    case endNode = 2
    case property = 3
    case nop = 4
    case end = 9
}
