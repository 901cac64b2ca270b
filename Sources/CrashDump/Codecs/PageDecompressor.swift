/// Decompresses single pages and checks that each comes out exactly one page
/// long: libdeflate's zlib decoder, `lzo1x_decompress_safe` and
/// `ZSTD_decompressDCtx` (contexts made on first use and reused).
///
/// Not thread-safe: one per thread (``KdumpCompressedMemory`` keeps a pool).
public final class PageDecompressor {
    /// The page size every output must have.
    public let pageSize: Int
    let contexts: DecompressionContexts

    /// A decompressor for pages of `pageSize` bytes.
    /// - Throws: ``PageCodecError/invalidPageSize(_:)``.
    public init(pageSize: Int) throws(PageCodecError) {
        guard pageSize > 0, pageSize <= 16 << 20 else { throw .invalidPageSize(pageSize) }
        self.pageSize = pageSize
        contexts = DecompressionContexts()
    }

    /// The page `input` holds, compressed with `codec` (for ``PageCodec/none``,
    /// `input` must be the page itself).
    /// - Throws: ``PageCodecError``: corrupt data, a wrong decompressed length,
    ///   or a context that cannot be allocated.
    public func decompress(_ codec: PageCodec, _ input: [UInt8]) throws(PageCodecError) -> [UInt8] {
        var page = [UInt8](repeating: 0, count: pageSize)
        try RawMemory.view(input) { source throws(PageCodecError) in
            try RawMemory.fill(&page) { destination throws(PageCodecError) in
                try decompress(codec, source, into: destination)
            }
        }
        return page
    }
}

@available(*, unavailable, message: "a PageDecompressor is for one thread")
extension PageDecompressor: Sendable {}
