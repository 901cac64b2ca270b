/// How one page of a kdump-compressed dump is stored: each page is compressed
/// on its own, and stored raw when compression does not make it smaller
/// (makedumpfile `write_kdump_pages_cyclic`).
///
/// The values are the `DUMP_DH_COMPRESSED_*` flags of makedumpfile's
/// diskdump_mod.h, used both in `disk_dump_header.status` (the dump's codec) and
/// in each `page_desc.flags` (this page's codec; 0 = raw).
public enum PageCodec: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Stored as is.
    case none
    /// zlib format (RFC 1950), libdeflate level 1 or 2 per page; readers decompress with zlib's `uncompress()`.
    case zlib
    /// LZO1X-1.
    case lzo
    /// Zstandard frame at level 1.
    case zstd

    /// `DUMP_DH_COMPRESSED_ZLIB`.
    public static let zlibFlag: UInt32 = 0x1
    /// `DUMP_DH_COMPRESSED_LZO`.
    public static let lzoFlag: UInt32 = 0x2
    /// `DUMP_DH_COMPRESSED_SNAPPY`: read by nobody here (no snappy library); reported as unsupported.
    public static let snappyFlag: UInt32 = 0x4
    /// `DUMP_DH_COMPRESSED_ZSTD`.
    public static let zstdFlag: UInt32 = 0x20
    /// Every compression flag.
    public static let compressionMask: UInt32 = zlibFlag | lzoFlag | snappyFlag | zstdFlag

    /// The flag for `page_desc.flags` and `disk_dump_header.status` (0 for ``none``).
    public var kdumpFlag: UInt32 {
        switch self {
        case .none: 0
        case .zlib: Self.zlibFlag
        case .lzo: Self.lzoFlag
        case .zstd: Self.zstdFlag
        }
    }

    /// The codec a `page_desc.flags` value names. Like crash and libkdumpfile, the
    /// first flag set in the order zlib, lzo, snappy, zstd wins; no flag means raw.
    /// - Throws: ``PageCodecError/unsupported(flags:)`` for snappy.
    public init(descriptorFlags flags: UInt32) throws(PageCodecError) {
        if flags & Self.zlibFlag != 0 {
            self = .zlib
        } else if flags & Self.lzoFlag != 0 {
            self = .lzo
        } else if flags & Self.snappyFlag != 0 {
            throw .unsupported(flags: flags)
        } else if flags & Self.zstdFlag != 0 {
            self = .zstd
        } else {
            self = .none
        }
    }

    /// A compressor for pages of `pageSize` bytes, for one thread at a time.
    /// - Throws: ``PageCodecError/allocationFailed(codec:)``.
    public func makeCompressor(pageSize: Int) throws(PageCodecError) -> PageCompressor {
        try PageCompressor(codec: self, pageSize: pageSize)
    }

    /// The codec's name: "none", "zlib", "lzo" or "zstd".
    public var description: String { rawValue }
}
