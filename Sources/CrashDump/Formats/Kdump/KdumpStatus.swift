/// `disk_dump_header.status`: the dump's codec and state (makedumpfile
/// diskdump_mod.h `DUMP_DH_*`).
public struct KdumpStatus: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The raw flags.
    public var rawValue: UInt32

    /// Flags from their raw value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `DUMP_DH_COMPRESSED_ZLIB` (0x1).
    public static let zlib = KdumpStatus(rawValue: PageCodec.zlibFlag)
    /// `DUMP_DH_COMPRESSED_LZO` (0x2).
    public static let lzo = KdumpStatus(rawValue: PageCodec.lzoFlag)
    /// `DUMP_DH_COMPRESSED_SNAPPY` (0x4).
    public static let snappy = KdumpStatus(rawValue: PageCodec.snappyFlag)
    /// `DUMP_DH_COMPRESSED_INCOMPLETE` (0x8): writing stopped early (a full disk);
    /// pages whose descriptors were never written read as incomplete.
    public static let incomplete = KdumpStatus(rawValue: 0x8)
    /// `DUMP_DH_EXCLUDED_VMEMMAP` (0x10): unused vmemmap pages were excluded.
    public static let excludedVmemmap = KdumpStatus(rawValue: 0x10)
    /// `DUMP_DH_COMPRESSED_ZSTD` (0x20).
    public static let zstd = KdumpStatus(rawValue: PageCodec.zstdFlag)

    /// The status bit for `codec` (empty for `none`).
    public init(codec: PageCodec) { self.init(rawValue: codec.kdumpFlag) }

    /// The codec the header announces (zlib, lzo, zstd in makedumpfile's order of
    /// precedence), `nil` for snappy, ``PageCodec/none`` when no bit is set.
    public var codec: PageCodec? {
        if contains(.zlib) { return .zlib }
        if contains(.lzo) { return .lzo }
        if contains(.snappy) { return nil }
        if contains(.zstd) { return .zstd }
        return PageCodec.none
    }

    /// The flags by name, e.g. "zstd,incomplete".
    public var description: String {
        var names: [String] = []
        if contains(.zlib) { names.append("zlib") }
        if contains(.lzo) { names.append("lzo") }
        if contains(.snappy) { names.append("snappy") }
        if contains(.incomplete) { names.append("incomplete") }
        if contains(.excludedVmemmap) { names.append("excluded-vmemmap") }
        if contains(.zstd) { names.append("zstd") }
        let unknown = rawValue & ~0x3f
        if unknown != 0 { names.append("0x\(String(unknown, radix: 16))") }
        return names.isEmpty ? "none" : names.joined(separator: ",")
    }
}
