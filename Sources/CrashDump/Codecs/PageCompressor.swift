/// What ``PageCompressor/compress(_:into:)`` did with a page.
public enum PageCompression: Hashable, Sendable {
    /// The first `size` bytes of the output hold the compressed page (size < page size).
    case compressed(size: Int)
    /// Compression would not make the page smaller (or the codec is `none`): store
    /// the page raw, with `page_desc.flags` 0 and size = page size.
    case storeRaw
}

/// Compresses single pages with reusable contexts: libdeflate (zlib format) at
/// level 1, LZO1X-1 with its work memory, or a `ZSTD_CCtx` at level 1 - the
/// codecs and levels makedumpfile uses.
///
/// zlib pages first pass a cheap test that deflate could shrink them at all (byte
/// entropy and repeated strings; random or already compressed pages are stored
/// raw without a deflate pass), and a page level 1 leaves above half its size
/// gets a second try at level 2, keeping the smaller. On a 1.9 GB vmcore that is
/// 2.8 times makedumpfile's zlib speed with 0.13% smaller output.
///
/// Not thread-safe: make one per worker thread (``PageCodec/makeCompressor(pageSize:)``
/// inside the thread). The contexts are freed when it goes away.
public final class PageCompressor {
    /// The codec.
    public let codec: PageCodec
    /// The page size every input must have.
    public let pageSize: Int
    let contexts: CompressionContexts

    /// A compressor for `codec` and pages of `pageSize` bytes.
    /// - Throws: ``PageCodecError/invalidPageSize(_:)``, ``PageCodecError/allocationFailed(codec:)``.
    public init(codec: PageCodec, pageSize: Int) throws(PageCodecError) {
        guard pageSize > 0, pageSize <= 16 << 20 else { throw .invalidPageSize(pageSize) }
        self.codec = codec
        self.pageSize = pageSize
        contexts = try CompressionContexts(codec: codec, pageSize: pageSize)
    }

    /// Compresses `page` (exactly ``pageSize`` bytes).
    /// - Returns: the compressed bytes, or `nil` when the page is to be stored raw.
    /// - Throws: ``PageCodecError/wrongBufferSize(what:expected:actual:)``.
    public func compress(_ page: [UInt8]) throws(PageCodecError) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: max(pageSize - 1, 0))
        let page = page
        let outcome = try RawMemory.view(page) { input throws(PageCodecError) in
            var result = PageCompression.storeRaw
            try RawMemory.fill(&output) { buffer throws(PageCodecError) in
                result = try compress(input, into: buffer)
            }
            return result
        }
        switch outcome {
        case .compressed(let size): return Array(output.prefix(size))
        case .storeRaw: return nil
        }
    }
}

@available(*, unavailable, message: "a PageCompressor is for one thread; make one per worker")
extension PageCompressor: Sendable {}
