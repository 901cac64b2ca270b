/// One `struct kexec_segment` as the kernel reads it: a user-space buffer address
/// and size, and a physical destination and size.
public struct KexecSegmentTableEntry: Hashable, Sendable {
    /// `buf`: the user-space address of the bytes.
    public var buffer: UInt64
    /// `bufsz`.
    public var bufferSize: UInt64
    /// `mem`: the physical destination.
    public var memory: UInt64
    /// `memsz`.
    public var memorySize: UInt64

    public init(buffer: UInt64, bufferSize: UInt64, memory: UInt64, memorySize: UInt64) {
        self.buffer = buffer
        self.bufferSize = bufferSize
        self.memory = memory
        self.memorySize = memorySize
    }
}

/// The binary layout of the `kexec_segment` array passed to `kexec_load(2)`.
///
/// - `native64`: `{u64 buf, u64 bufsz, u64 mem, u64 memsz}`, 32 bytes (x86_64, ppc64).
/// - `compat32`: `{u32 buf, u32 bufsz, u32 mem, u32 memsz}`, 16 bytes: native i386
///   and ppc32, and `compat_kexec_segment` for 32-bit processes on a 64-bit kernel.
///   Nothing at or above 4 GiB can be described in it.
public enum KexecSegmentLayout: Hashable, Sendable, CustomStringConvertible {
    case native64(ByteOrder)
    case compat32(ByteOrder)

    /// The size of one entry in bytes.
    public var entrySize: Int {
        switch self {
        case .native64: 32
        case .compat32: 16
        }
    }

    /// The byte order of the fields.
    public var byteOrder: ByteOrder {
        switch self {
        case .native64(let order), .compat32(let order): order
        }
    }

    /// The layout this process passes to the kernel.
    public static var host: KexecSegmentLayout {
        MemoryLayout<Int>.size == 8 ? .native64(.host) : .compat32(.host)
    }

    /// Encodes `entries` as the kernel reads them.
    /// - Throws: ``KexecSegmentLayoutError/valueTooLarge(segment:field:value:)`` when a
    ///   value does not fit the 32-bit layout.
    public func encode(_ entries: [KexecSegmentTableEntry]) throws(KexecSegmentLayoutError) -> [UInt8] {
        var writer = ByteWriter(byteOrder: byteOrder, reservingCapacity: entries.count * entrySize)
        for (index, entry) in entries.enumerated() {
            let fields: [(String, UInt64)] = [
                ("buf", entry.buffer), ("bufsz", entry.bufferSize), ("mem", entry.memory), ("memsz", entry.memorySize),
            ]
            for (name, value) in fields {
                switch self {
                case .native64:
                    writer.write(value)
                case .compat32:
                    guard let narrow = UInt32(exactly: value) else {
                        throw .valueTooLarge(segment: index, field: name, value: value)
                    }
                    writer.write(narrow)
                }
            }
        }
        return writer.bytes
    }

    /// Decodes `count` entries from `bytes`.
    /// - Throws: ``KexecSegmentLayoutError/truncated(_:)`` when `bytes` is too short.
    public func decode(_ bytes: [UInt8], count: Int) throws(KexecSegmentLayoutError) -> [KexecSegmentTableEntry] {
        var reader = ByteReader(bytes, byteOrder: byteOrder)
        var entries: [KexecSegmentTableEntry] = []
        do {
            for index in 0..<max(0, count) {
                func field(_ name: String) throws(BinaryParseError) -> UInt64 {
                    switch self {
                    case .native64: try reader.read(UInt64.self, field: "segment \(index) \(name)")
                    case .compat32: UInt64(try reader.read(UInt32.self, field: "segment \(index) \(name)"))
                    }
                }
                entries.append(KexecSegmentTableEntry(
                    buffer: try field("buf"), bufferSize: try field("bufsz"),
                    memory: try field("mem"), memorySize: try field("memsz")))
            }
        } catch {
            throw .truncated(error)
        }
        return entries
    }

    public var description: String {
        switch self {
        case .native64(let order): "native 64-bit (\(order)-endian)"
        case .compat32(let order): "32-bit compat (\(order)-endian)"
        }
    }
}

/// A segment table that cannot be encoded or decoded.
public enum KexecSegmentLayoutError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `field` of segment `segment` does not fit in 32 bits.
    case valueTooLarge(segment: Int, field: String, value: UInt64)
    /// The bytes end before the last entry.
    case truncated(BinaryParseError)

    public var description: String {
        switch self {
        case .valueTooLarge(let segment, let field, let value):
            "segment \(segment): \(field) 0x\(String(value, radix: 16)) does not fit the 32-bit kexec_segment layout (nothing at or above 4 GiB can be loaded from a 32-bit process)"
        case .truncated(let error):
            "segment table: \(error)"
        }
    }
}
