import KexecCore

/// The x86 zero page (`struct boot_params`, 4096 bytes) a loader hands the kernel
/// in `esi`/`rsi`, built field by field in little-endian order.
public struct BootParams: Hashable, Sendable {
    /// The zero page's size.
    public static let size = 4096
    /// How many e820 entries fit in the zero page itself (E820_MAX_ENTRIES_ZEROPAGE).
    public static let zeroPageE820Capacity = 128
    /// type_of_loader for kexec-tools-style loaders (boot protocol loader ID 0xD).
    public static let loaderType: UInt8 = 0xd0

    /// The page's bytes.
    public private(set) var bytes: [UInt8]

    /// A zero page holding the kernel's own setup header (bytes 0x1F1 up to the
    /// header's end), with type_of_loader set.
    public init(image: [UInt8], header: SetupHeader) {
        bytes = [UInt8](repeating: 0, count: Self.size)
        let end = min(header.headerEnd, image.count, Self.size)
        bytes.replaceSubrange(0x1f1..<end, with: image[0x1f1..<end])
        bytes[0x210] = Self.loaderType
    }

    private mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (index, byte) in raw.enumerated() { bytes[offset + index] = byte }
        }
    }

    /// Reads a little-endian field (for tests and listings).
    public func field<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        var value: T = 0
        for index in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + index]) << (8 * index) }
        return value
    }

    /// cmd_line_ptr (0x228) and ext_cmd_line_ptr (0x0C8).
    public mutating func setCommandLine(address: UInt64) {
        put(UInt32(truncatingIfNeeded: address), at: 0x228)
        put(UInt32(truncatingIfNeeded: address >> 32), at: 0x0c8)
    }

    /// ramdisk_image/size (0x218/0x21C) and their high halves (0x0C0/0x0C4).
    public mutating func setInitrd(address: UInt64, size: UInt64) {
        put(UInt32(truncatingIfNeeded: address), at: 0x218)
        put(UInt32(truncatingIfNeeded: size), at: 0x21c)
        put(UInt32(truncatingIfNeeded: address >> 32), at: 0x0c0)
        put(UInt32(truncatingIfNeeded: size >> 32), at: 0x0c4)
    }

    /// code32_start (0x214): where the 32-bit entry is.
    public mutating func setCode32Start(_ address: UInt32) { put(address, at: 0x214) }

    /// acpi_rsdp_addr (0x070).
    public mutating func setACPIRSDP(_ address: UInt64) { put(address, at: 0x070) }

    /// setup_data (0x250): the first node of the setup_data list.
    public mutating func setSetupData(_ address: UInt64) { put(address, at: 0x250) }

    /// The e820 table: up to 128 entries at 0x2D0 with the count at 0x1E8, and
    /// alt_mem_k (0x1E0, KiB above 1 MiB) from the RAM entries. Entries past 128
    /// are returned for an E820_EXT setup_data node.
    @discardableResult
    public mutating func setE820(_ entries: [E820Entry]) -> [E820Entry] {
        let inPage = entries.prefix(Self.zeroPageE820Capacity)
        bytes[0x1e8] = UInt8(inPage.count)
        for (index, entry) in inPage.enumerated() {
            let offset = 0x2d0 + index * 20
            put(entry.address, at: offset)
            put(entry.size, at: offset + 8)
            put(entry.type, at: offset + 16)
        }
        let ramAbove1M = entries.filter { $0.type == 1 }.reduce(UInt64(0)) { total, entry in
            let end = entry.address &+ entry.size
            return end > 0x10_0000 ? total + (end - max(entry.address, 0x10_0000)) : total
        }
        put(UInt32(clamping: ramAbove1M >> 10), at: 0x1e0)
        return Array(entries.dropFirst(Self.zeroPageE820Capacity))
    }

    /// A setup_data node `{u64 next, u32 type, u32 len, data}` of type SETUP_E820_EXT (1)
    /// holding `entries`.
    public static func e820ExtensionNode(_ entries: [E820Entry], next: UInt64 = 0) -> [UInt8] {
        var writer = ByteWriter(byteOrder: .little)
        writer.write(next)
        writer.write(UInt32(1))
        writer.write(UInt32(entries.count * 20))
        for entry in entries {
            writer.write(entry.address)
            writer.write(entry.size)
            writer.write(entry.type)
        }
        return writer.bytes
    }
}
