public import KexecCore

/// The values a loader writes into the PowerPC purgatory's symbols (see
/// Purgatory/ppc64/README.md), in the running kernel's byte order.
public struct PPCPurgatoryParameters: Hashable, Sendable {
    /// `purgatory_options` bits.
    public struct Options: OptionSet, Hashable, Sendable {
        /// The bits as purgatory reads them.
        public let rawValue: UInt32
        /// Options from their bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Check `sha256_regions` against `sha256_digest` (bit 0).
        public static let verify = Options(rawValue: 1 << 0)
        /// Print progress on the console (bit 1).
        public static let progress = Options(rawValue: 1 << 1)
        /// A console exists (the hypervisor's terminal): print failures on it (bit 2).
        public static let console = Options(rawValue: 1 << 2)
    }

    /// The number of regions purgatory can hash.
    public static let regionLimit = 16
    /// The size of `kernel_head`: bytes 4..0x100 of purgatory's first page.
    public static let kernelHeadSize = 0xfc

    /// Regions purgatory hashes, at most ``regionLimit``.
    public var regions: [PhysicalRange] = []
    /// Their SHA-256 (32 bytes) or empty.
    public var digest: [UInt8] = []
    /// What purgatory does besides entering the kernel.
    public var options: Options = []
    /// kdump's copy of low memory: where it comes from (0: the first 64 KiB).
    public var backupSource: UInt64 = 0
    /// kdump's copy of low memory: where it goes (the backup segment).
    public var backupDestination: UInt64 = 0
    /// kdump's copy of low memory: how many bytes (0: no copy).
    public var backupSize: UInt64 = 0
    /// The kernel's entry (r4, and where purgatory jumps).
    public var kernelEntry: UInt64 = 0
    /// The device tree's address (r3); purgatory writes the boot CPU into its header.
    public var deviceTree: UInt64 = 0
    /// The next kernel's first 0x100 bytes (its secondary CPU hold code); bytes
    /// 4..0x100 replace purgatory's own. `nil` keeps purgatory's spin loop.
    public var kernelHead: [UInt8]?

    /// Parameters that do nothing yet.
    public init() {}

    /// The symbol patches for a purgatory of `byteOrder`: symbol name to bytes.
    public func patches(byteOrder: ByteOrder) -> [String: [UInt8]] {
        func encode(_ body: (inout ByteWriter) -> Void) -> [UInt8] {
            var writer = ByteWriter(byteOrder: byteOrder)
            body(&writer)
            return writer.bytes
        }
        let table = encode { writer in
            for region in regions.prefix(Self.regionLimit) {
                writer.write(region.lowerBound.rawValue)
                writer.write(region.size)
            }
            writer.writeZeros(Self.regionLimit * 16 - writer.bytes.count)
        }
        var values: [String: [UInt8]] = [
            "sha256_regions": table,
            "sha256_digest": digest.count == 32 ? digest : [UInt8](repeating: 0, count: 32),
            "purgatory_options": encode { $0.write(options.rawValue) },
            "backup_src": encode { $0.write(backupSource) },
            "backup_dest": encode { $0.write(backupDestination) },
            "backup_size": encode { $0.write(backupSize) },
            "kernel_entry": encode { $0.write(kernelEntry) },
            "device_tree": encode { $0.write(deviceTree) },
        ]
        if let kernelHead, kernelHead.count >= Self.kernelHeadSize + 4 {
            values["kernel_head"] = Array(kernelHead[4..<4 + Self.kernelHeadSize])
        }
        return values
    }
}
