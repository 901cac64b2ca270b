import KexecCore

/// `struct disk_dump_header`, block 0 of a kdump-compressed dump (makedumpfile
/// diskdump_mod.h): signature, version, the crashed kernel's utsname, the codec
/// and state, and the sizes of everything that follows, in blocks of one page.
///
/// The byte offsets depend on the ``KdumpHeaderLayout``; every integer is in the
/// crashed machine's byte order.
public struct KdumpHeader: Hashable, Sendable {
    /// The 8-byte signature.
    public enum Signature: String, Hashable, Sendable {
        /// makedumpfile's kdump-compressed format: "KDUMP" and three spaces.
        case kdump = "KDUMP   "
        /// The older diskdump format (read only): no kdump sub-header, one bitmap or two.
        case diskdump = "DISKDUMP"
    }

    /// The smallest block (page) size readers accept (4 KiB).
    public static let minimumBlockSize = 4096
    /// The largest block (page) size readers accept (256 KiB).
    public static let maximumBlockSize = 256 << 10
    /// The header version makedumpfile writes (64-bit PFNs in the sub-header).
    public static let currentVersion: Int32 = 6

    /// `signature`.
    public var signature: Signature
    /// `header_version`: 6 for makedumpfile 1.5 and later.
    public var headerVersion: Int32
    /// `utsname`.
    public var utsname: KdumpUtsname
    /// `timestamp.tv_sec`: when the dump was written.
    public var timestampSeconds: Int64
    /// `timestamp.tv_usec`.
    public var timestampMicroseconds: Int64
    /// `status`.
    public var status: KdumpStatus
    /// `block_size`: the page size.
    public var blockSize: Int32
    /// `sub_hdr_size`: blocks of sub-header and notes after block 0.
    public var subHeaderBlocks: Int32
    /// `bitmap_blocks`: blocks of both bitmaps together.
    public var bitmapBlocks: UInt32
    /// `max_mapnr`: the page count, cut to 32 bits (the full value is in the
    /// version-6 sub-header).
    public var maxMapnr32: UInt32
    /// `total_ram_blocks` (makedumpfile writes 0).
    public var totalRAMBlocks: UInt32
    /// `device_blocks` (0).
    public var deviceBlocks: UInt32
    /// `written_blocks` (0).
    public var writtenBlocks: UInt32
    /// `current_cpu` (0).
    public var currentCPU: UInt32
    /// `nr_cpus`: CPUs of the crashed machine.
    public var cpuCount: Int32

    /// A header with every field given; the obsolete counters default to 0.
    public init(signature: Signature = .kdump, headerVersion: Int32 = KdumpHeader.currentVersion,
                utsname: KdumpUtsname, timestampSeconds: Int64 = 0, timestampMicroseconds: Int64 = 0,
                status: KdumpStatus, blockSize: Int32, subHeaderBlocks: Int32, bitmapBlocks: UInt32,
                maxMapnr32: UInt32, totalRAMBlocks: UInt32 = 0, deviceBlocks: UInt32 = 0, writtenBlocks: UInt32 = 0,
                currentCPU: UInt32 = 0, cpuCount: Int32) {
        self.signature = signature
        self.headerVersion = headerVersion
        self.utsname = utsname
        self.timestampSeconds = timestampSeconds
        self.timestampMicroseconds = timestampMicroseconds
        self.status = status
        self.blockSize = blockSize
        self.subHeaderBlocks = subHeaderBlocks
        self.bitmapBlocks = bitmapBlocks
        self.maxMapnr32 = maxMapnr32
        self.totalRAMBlocks = totalRAMBlocks
        self.deviceBlocks = deviceBlocks
        self.writtenBlocks = writtenBlocks
        self.currentCPU = currentCPU
        self.cpuCount = cpuCount
    }

    /// The header's bytes (``KdumpHeaderLayout/headerSize`` of them; the rest of
    /// block 0 is zeros, which the writer adds).
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` when
    ///   the timestamp does not fit a 32-bit `struct timeval`.
    public func encoded(layout: KdumpHeaderLayout) throws(CrashDumpError) -> [UInt8] {
        var writer = ByteWriter(byteOrder: layout.byteOrder, reservingCapacity: layout.headerSize)
        writer.write(bytes: Array(signature.rawValue.utf8))
        writer.write(headerVersion)
        writer.write(bytes: utsname.encoded)
        writer.writeZeros(layout.timestampOffset - writer.bytes.count)
        if layout.is64Bit {
            writer.write(timestampSeconds)
            writer.write(timestampMicroseconds)
        } else {
            guard let seconds = Int32(exactly: timestampSeconds), let micros = Int32(exactly: timestampMicroseconds) else {
                throw .invalidField(field: "timestamp", offset: UInt64(layout.timestampOffset),
                                    value: UInt64(bitPattern: timestampSeconds), reason: "does not fit a 32-bit struct timeval")
            }
            writer.write(seconds)
            writer.write(micros)
        }
        writer.write(status.rawValue)
        writer.write(blockSize)
        writer.write(subHeaderBlocks)
        writer.write(bitmapBlocks)
        writer.write(maxMapnr32)
        writer.write(totalRAMBlocks)
        writer.write(deviceBlocks)
        writer.write(writtenBlocks)
        writer.write(currentCPU)
        writer.write(cpuCount)
        return writer.bytes
    }

    /// Decodes and checks a header written in `layout`.
    ///
    /// Checks: the signature; `header_version` >= 0; `block_size` a power of two
    /// from 4 KiB to 256 KiB; `sub_hdr_size` >= 0 (>= 1 when a kdump sub-header
    /// exists); the bitmaps hold at least `max_mapnr` bits per bitmap.
    /// - Throws: ``CrashDumpError/truncated(field:offset:needed:available:)`` or
    ///   ``CrashDumpError/invalidField(field:offset:value:reason:)`` naming the field and offset.
    public init(decoding bytes: [UInt8], layout: KdumpHeaderLayout) throws(CrashDumpError) {
        guard bytes.count >= layout.headerSize else {
            throw .truncated(field: "disk_dump_header", offset: 0, needed: UInt64(layout.headerSize),
                             available: UInt64(bytes.count))
        }
        let fields = FieldReader(bytes: bytes, byteOrder: layout.byteOrder)
        guard let signature = Self.signature(of: bytes) else {
            throw .invalidField(field: "signature", offset: 0, value: fields.u64BigEndian(0),
                                reason: "neither \"KDUMP   \" nor \"DISKDUMP\"")
        }
        self.signature = signature
        headerVersion = fields.i32(8)
        utsname = KdumpUtsname(decoding: bytes, at: 12)
        if layout.is64Bit {
            timestampSeconds = fields.i64(layout.timestampOffset)
            timestampMicroseconds = fields.i64(layout.timestampOffset + 8)
        } else {
            timestampSeconds = Int64(fields.i32(layout.timestampOffset))
            timestampMicroseconds = Int64(fields.i32(layout.timestampOffset + 4))
        }
        let base = layout.statusOffset
        status = KdumpStatus(rawValue: fields.u32(base))
        blockSize = fields.i32(base + 4)
        subHeaderBlocks = fields.i32(base + 8)
        bitmapBlocks = fields.u32(base + 12)
        maxMapnr32 = fields.u32(base + 16)
        totalRAMBlocks = fields.u32(base + 20)
        deviceBlocks = fields.u32(base + 24)
        writtenBlocks = fields.u32(base + 28)
        currentCPU = fields.u32(base + 32)
        cpuCount = fields.i32(base + 36)

        guard headerVersion >= 0 else {
            throw .invalidField(field: "header_version", offset: 8, value: UInt64(UInt32(bitPattern: headerVersion)),
                                reason: "negative")
        }
        guard Self.isPlausibleBlockSize(blockSize) else {
            throw .invalidField(field: "block_size", offset: UInt64(base + 4), value: UInt64(UInt32(bitPattern: blockSize)),
                                reason: "not a power of two from \(Self.minimumBlockSize) to \(Self.maximumBlockSize)")
        }
        guard subHeaderBlocks >= (hasKdumpSubHeader ? 1 : 0) else {
            throw .invalidField(field: "sub_hdr_size", offset: UInt64(base + 8),
                                value: UInt64(UInt32(bitPattern: subHeaderBlocks)),
                                reason: hasKdumpSubHeader ? "less than the one block the kdump sub-header needs" : "negative")
        }
        guard UInt64(bitmapBlocks) * UInt64(blockSize) * 8 >= UInt64(maxMapnr32) else {
            throw .invalidField(field: "bitmap_blocks", offset: UInt64(base + 12), value: UInt64(bitmapBlocks),
                                reason: "\(bitmapBlocks) blocks of \(blockSize) bytes hold fewer than max_mapnr \(maxMapnr32) bits")
        }
    }

    /// Whether a `kdump_sub_header` follows in block 1 (KDUMP signature, version >= 1).
    public var hasKdumpSubHeader: Bool { signature == .kdump && headerVersion >= 1 }

    /// The byte offset of the 1st bitmap: `(1 + sub_hdr_size) * block_size`.
    public var bitmapOffset: UInt64 { (1 + UInt64(max(subHeaderBlocks, 0))) * UInt64(max(blockSize, 0)) }

    /// The byte offset of the page descriptor table: after the header, the
    /// sub-header blocks and the bitmap blocks.
    public var descriptorTableOffset: UInt64 { bitmapOffset + UInt64(bitmapBlocks) * UInt64(max(blockSize, 0)) }

    /// The signature at the start of `bytes`, if any.
    public static func signature(of bytes: [UInt8]) -> Signature? {
        guard bytes.count >= 8 else { return nil }
        let text = String(decoding: bytes[0..<8], as: UTF8.self)
        return Signature(rawValue: text)
    }

    static func isPlausibleBlockSize(_ size: Int32) -> Bool {
        size >= Int32(minimumBlockSize) && size <= Int32(maximumBlockSize) && size & (size - 1) == 0
    }

    /// Works out the layout of a header: the data model from `utsname.machine`
    /// (or, for a machine name not known, the model whose fields make sense), the
    /// byte order from `header_version` and `block_size` (a power of two from
    /// 4 KiB to 256 KiB is never one byte-swapped).
    /// - Throws: ``CrashDumpError/truncated(field:offset:needed:available:)`` or
    ///   ``CrashDumpError/invalidField(field:offset:value:reason:)`` when no layout fits.
    public static func detectLayout(_ bytes: [UInt8]) throws(CrashDumpError) -> KdumpHeaderLayout {
        guard bytes.count >= 452 else {
            throw .truncated(field: "disk_dump_header", offset: 0, needed: 452, available: UInt64(bytes.count))
        }
        let machine = KdumpUtsname(decoding: bytes, at: 12).machine
        let models = KdumpHeaderLayout.model(forMachine: machine).map { [$0] } ?? [.lp64, .ilp32Packed]
        var candidates: [KdumpHeaderLayout] = []
        for model in models {
            for order in [ByteOrder.little, .big] {
                let layout = KdumpHeaderLayout(model: model, byteOrder: order)
                guard bytes.count >= layout.headerSize else { continue }
                let fields = FieldReader(bytes: bytes, byteOrder: order)
                let version = fields.i32(8)
                let block = fields.i32(layout.statusOffset + 4)
                let bitmap = UInt64(fields.u32(layout.statusOffset + 12))
                let mapnr = UInt64(fields.u32(layout.statusOffset + 16))
                guard version >= 0, version < 0x1_0000, isPlausibleBlockSize(block),
                      bitmap * UInt64(block) * 8 >= mapnr else { continue }
                candidates.append(layout)
            }
        }
        if let layout = candidates.first { return layout }
        let fallback = KdumpHeaderLayout(model: models[0], byteOrder: .little)
        let block = FieldReader(bytes: bytes, byteOrder: .little).u32(fallback.statusOffset + 4)
        throw .invalidField(field: "block_size", offset: UInt64(fallback.statusOffset + 4), value: UInt64(block),
                            reason: "no byte order and word size give a power of two from 4 KiB to 256 KiB (machine \"\(machine)\")")
    }
}

/// Fixed-offset integer reads from a buffer whose length was checked first
/// (out-of-range reads give 0 instead of trapping).
struct FieldReader {
    let bytes: [UInt8]
    let byteOrder: ByteOrder

    func value<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
        guard offset >= 0, offset <= bytes.count - MemoryLayout<T>.size else { return 0 }
        var result: T = 0
        let size = MemoryLayout<T>.size
        for index in 0..<size {
            let byte = T(truncatingIfNeeded: bytes[offset + index])
            switch byteOrder {
            case .little: result |= byte << (8 * index)
            case .big: result |= byte << (8 * (size - 1 - index))
            }
        }
        return result
    }

    func u32(_ offset: Int) -> UInt32 { value(UInt32.self, offset) }
    func i32(_ offset: Int) -> Int32 { value(Int32.self, offset) }
    func u64(_ offset: Int) -> UInt64 { value(UInt64.self, offset) }
    func i64(_ offset: Int) -> Int64 { value(Int64.self, offset) }
    /// `long`: 8 bytes on LP64, 4 otherwise.
    func word(_ offset: Int, is64: Bool) -> UInt64 { is64 ? u64(offset) : UInt64(u32(offset)) }
    /// Eight bytes as a big-endian number (signatures in errors).
    func u64BigEndian(_ offset: Int) -> UInt64 {
        FieldReader(bytes: bytes, byteOrder: .big).u64(offset)
    }
}
