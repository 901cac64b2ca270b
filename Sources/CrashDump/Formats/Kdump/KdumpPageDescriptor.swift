public import KexecCore

/// `struct page_desc` (24 bytes; makedumpfile diskdump_mod.h): where one dumped
/// page's data lies, how long it is and how it is compressed. The table holds one
/// per set bit of the 2nd bitmap, in PFN order, right after the bitmaps.
public struct KdumpPageDescriptor: Hashable, Sendable {
    /// The encoded size.
    public static let size = 24

    /// `offset`: file offset of the page data (0 in a descriptor that was never
    /// written: an incomplete dump).
    public var offset: UInt64
    /// `size`: bytes of page data (the page size when stored raw).
    public var size: UInt32
    /// `flags`: the codec flag (``PageCodec/kdumpFlag``), 0 for raw.
    public var flags: UInt32
    /// `page_flags` (written 0).
    public var pageFlags: UInt64

    /// A descriptor with every field given.
    public init(offset: UInt64, size: UInt32, flags: UInt32, pageFlags: UInt64 = 0) {
        self.offset = offset
        self.size = size
        self.flags = flags
        self.pageFlags = pageFlags
    }

    /// A descriptor for data stored with `codec` (`.none` = raw).
    public init(offset: UInt64, size: UInt32, codec: PageCodec) {
        self.init(offset: offset, size: size, flags: codec.kdumpFlag)
    }

    /// Appends the 24 bytes to `writer` in its byte order.
    public func encode(into writer: inout ByteWriter) {
        writer.write(offset)
        writer.write(size)
        writer.write(flags)
        writer.write(pageFlags)
    }

    /// The 24 bytes in `byteOrder`.
    public func encoded(byteOrder: ByteOrder) -> [UInt8] {
        var writer = ByteWriter(byteOrder: byteOrder, reservingCapacity: Self.size)
        encode(into: &writer)
        return writer.bytes
    }

    /// Decodes the descriptor at byte `position` of `bytes`.
    /// - Throws: ``CrashDumpError/truncated(field:offset:needed:available:)``
    ///   (offsets relative to `fileOffset`, the file offset of `bytes[0]`).
    public init(decoding bytes: [UInt8], at position: Int = 0, byteOrder: ByteOrder,
                fileOffset: UInt64 = 0) throws(CrashDumpError) {
        guard position >= 0, position <= bytes.count - Self.size else {
            throw .truncated(field: "page_desc", offset: fileOffset + UInt64(max(position, 0)), needed: UInt64(Self.size),
                             available: UInt64(max(0, bytes.count - max(position, 0))))
        }
        let fields = FieldReader(bytes: bytes, byteOrder: byteOrder)
        self.init(offset: fields.u64(position), size: fields.u32(position + 8), flags: fields.u32(position + 12),
                  pageFlags: fields.u64(position + 16))
    }

    /// Decodes a whole table (`bytes.count / 24` descriptors; a partial tail is ignored).
    public static func decodeTable(_ bytes: [UInt8], byteOrder: ByteOrder) -> [KdumpPageDescriptor] {
        let fields = FieldReader(bytes: bytes, byteOrder: byteOrder)
        let count = bytes.count / size
        var table: [KdumpPageDescriptor] = []
        table.reserveCapacity(count)
        for index in 0..<count {
            let position = index * size
            table.append(KdumpPageDescriptor(offset: fields.u64(position), size: fields.u32(position + 8),
                                             flags: fields.u32(position + 12), pageFlags: fields.u64(position + 16)))
        }
        return table
    }

    /// Encodes a table of descriptors.
    public static func encodeTable(_ table: [KdumpPageDescriptor], byteOrder: ByteOrder) -> [UInt8] {
        var writer = ByteWriter(byteOrder: byteOrder, reservingCapacity: table.count * size)
        for descriptor in table { descriptor.encode(into: &writer) }
        return writer.bytes
    }
}
