public import KexecCore

/// The values the loader writes into purgatory's symbols (see Purgatory/README.md).
public struct PurgatoryParameters: Hashable, Sendable {
    /// Regions purgatory hashes, at most 16.
    public var regions: [PhysicalRange] = []
    /// Their SHA-256.
    public var digest: [UInt8] = []
    /// Print progress on COM1.
    public var serialConsole = false
    /// x86_64 purgatory: enter the next kernel in 32-bit protected mode.
    public var enter32Bit = false
    /// kdump's copy of low memory: source, destination, size (0: none).
    public var backup: (source: UInt64, destination: UInt64, size: UInt64) = (0, 0, 0)
    /// rax ... r15, rip in entry64_regs order.
    public var registers64: [UInt64] = Array(repeating: 0, count: 17)
    /// eax, ebx, ecx, edx, esi, edi, esp, ebp, eip.
    public var registers32: [UInt32] = Array(repeating: 0, count: 9)

    public init() {}

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.regions == rhs.regions && lhs.digest == rhs.digest && lhs.serialConsole == rhs.serialConsole
            && lhs.enter32Bit == rhs.enter32Bit && lhs.backup == rhs.backup
            && lhs.registers64 == rhs.registers64 && lhs.registers32 == rhs.registers32
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(regions)
        hasher.combine(digest)
    }

    /// Indices into ``registers64``.
    public enum Register64: Int { case rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip }
    /// Indices into ``registers32``.
    public enum Register32: Int { case eax, ebx, ecx, edx, esi, edi, esp, ebp, eip }

    /// The symbol patches, little-endian. `includes64` adds entry64_regs (x86_64 only).
    public func patches(includes64: Bool) -> [String: [UInt8]] {
        var regionTable = ByteWriter(byteOrder: .little)
        for region in regions.prefix(16) {
            regionTable.write(region.lowerBound.rawValue)
            regionTable.write(region.size)
        }
        regionTable.writeZeros(256 - regionTable.bytes.count)
        func word64(_ value: UInt64) -> [UInt8] {
            var writer = ByteWriter(byteOrder: .little)
            writer.write(value)
            return writer.bytes
        }
        var options: UInt32 = digest.count == 32 ? 1 : 0
        if serialConsole { options |= 2 }
        if enter32Bit { options |= 4 }
        var optionBytes = ByteWriter(byteOrder: .little)
        optionBytes.write(options)
        var regs32 = ByteWriter(byteOrder: .little)
        for value in registers32 { regs32.write(value) }
        var result: [String: [UInt8]] = [
            "sha256_regions": regionTable.bytes,
            "sha256_digest": digest.count == 32 ? digest : [UInt8](repeating: 0, count: 32),
            "purgatory_options": optionBytes.bytes,
            "backup_src": word64(backup.source),
            "backup_dest": word64(backup.destination),
            "backup_size": word64(backup.size),
            "entry32_regs": regs32.bytes,
        ]
        if includes64 {
            var regs64 = ByteWriter(byteOrder: .little)
            for value in registers64 { regs64.write(value) }
            result["entry64_regs"] = regs64.bytes
        }
        return result
    }
}
