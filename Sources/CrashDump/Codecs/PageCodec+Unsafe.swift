import CDeflate
import CLzo2
import CZstd
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Every C codec call of CrashDump. The contexts are raw C objects owned by one
// PageCompressor or PageDecompressor, which is itself used by one thread at a
// time, so no context is ever touched concurrently.

/// LZO's one-time library check (`lzo_init()`, a macro Swift cannot import):
/// the library compares the sizes of its types with the caller's.
private let lzoReady: Bool = {
    let pointer = Int32(MemoryLayout<UnsafeMutableRawPointer>.size)
    return __lzo_init_v2(UInt32(LZO_VERSION), Int32(MemoryLayout<CShort>.size), Int32(MemoryLayout<CInt>.size),
                         Int32(MemoryLayout<CLong>.size), Int32(MemoryLayout<UInt32>.size),
                         Int32(MemoryLayout<lzo_uint>.size), pointer, pointer, pointer,
                         Int32(MemoryLayout<lzo_callback_t>.size)) == 0
}()

/// `LZO1X_1_MEM_COMPRESS`: 16384 dictionary entries of one pointer each.
private let lzoWorkMemorySize = 16384 * MemoryLayout<UnsafeMutableRawPointer>.size

/// The C state of one compressor.
final class CompressionContexts {
    let codec: PageCodec
    /// libdeflate compressor at level 1 (zlib) or ZSTD_CCtx (zstd).
    private var context: OpaquePointer?
    /// libdeflate compressor at level 2 (zlib): the second try for pages level 1
    /// leaves at more than half their size.
    private var secondContext: OpaquePointer?
    /// Spots pages deflate cannot shrink, so zlib skips them (nil for other codecs).
    private var probe: IncompressiblePageProbe?
    /// LZO1X-1 work memory.
    private var workMemory: UnsafeMutableRawPointer?
    /// Worst-case output space for lzo when the caller's is smaller (then copied
    /// out), and zlib's second try.
    private var scratch: UnsafeMutableRawBufferPointer?

    /// Safe: each allocation is checked; a failure frees what was made (deinit).
    init(codec: PageCodec, pageSize: Int) throws(PageCodecError) {
        self.codec = codec
        switch codec {
        case .none:
            break
        case .zlib:
            context = libdeflate_alloc_compressor(1)
            secondContext = libdeflate_alloc_compressor(2)
            guard context != nil, secondContext != nil else { throw .allocationFailed(codec: codec) }
            scratch = .allocate(byteCount: pageSize, alignment: 16)
            probe = IncompressiblePageProbe(pageSize: pageSize)
        case .lzo:
            guard lzoReady else { throw .allocationFailed(codec: codec) }
            workMemory = UnsafeMutableRawPointer.allocate(byteCount: lzoWorkMemorySize, alignment: 16)
            // LZO1X-1 can expand incompressible input to n + n/16 + 64 + 3 bytes.
            scratch = .allocate(byteCount: pageSize + pageSize / 16 + 67, alignment: 16)
        case .zstd:
            context = ZSTD_createCCtx()
            guard context != nil else { throw .allocationFailed(codec: codec) }
        }
    }

    /// Safe: frees exactly what init allocated, once.
    deinit {
        switch codec {
        case .zlib:
            if let context { libdeflate_free_compressor(context) }
            if let secondContext { libdeflate_free_compressor(secondContext) }
        case .zstd: if let context { ZSTD_freeCCtx(context) }
        case .lzo, .none: break
        }
        workMemory?.deallocate()
        scratch?.deallocate()
    }

    /// Compresses `page` into `output`; see ``PageCompressor/compress(_:into:)``.
    ///
    /// Safe: every C call gets the real lengths of the buffers it reads and
    /// writes (LZO1X-1 takes no output bound, so it writes into `output` only
    /// when that has room for its worst case, else into `scratch`, sized for it);
    /// results count only when they fit `limit`.
    /// zlib's second try writes into `scratch` (one page) with the bound `limit`.
    func compress(_ page: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> PageCompression {
        guard let input = page.baseAddress, !page.isEmpty, let destination = output.baseAddress else { return .storeRaw }
        let limit = min(output.count, page.count - 1)
        guard limit > 0 else { return .storeRaw }
        switch codec {
        case .none:
            return .storeRaw
        case .zlib:
            guard let context else { return .storeRaw }
            if let probe, probe.isIncompressible(page) { return .storeRaw }
            let size = libdeflate_zlib_compress(context, input, page.count, destination, limit)
            guard size > 0, size <= limit else { return .storeRaw }
            // Level 2 saves most on pages level 1 leaves large (text and code that
            // level 1's single hash probe matches poorly); small results keep level 1.
            guard size > page.count / 2, let secondContext, let scratch, let scratchBase = scratch.baseAddress,
                  scratch.count >= limit else { return .compressed(size: size) }
            let second = libdeflate_zlib_compress(secondContext, input, page.count, scratchBase, size - 1)
            guard second > 0, second < size else { return .compressed(size: size) }
            destination.copyMemory(from: scratchBase, byteCount: second)
            return .compressed(size: second)
        case .lzo:
            let worstCase = page.count + page.count / 16 + 67
            // Straight into `output` when it has room for LZO's worst case, else via scratch.
            let direct = output.count >= worstCase
            guard let workMemory, let target = direct ? destination : scratch?.baseAddress,
                  direct || (scratch?.count ?? 0) >= worstCase else { return .storeRaw }
            var size = lzo_uint(worstCase)
            let result = lzo1x_1_compress(UnsafeMutablePointer(mutating: input.assumingMemoryBound(to: UInt8.self)),
                                          lzo_uint(page.count), target.assumingMemoryBound(to: UInt8.self),
                                          &size, workMemory)
            guard result == 0, size > 0, size <= UInt(limit) else { return .storeRaw }
            if !direct { destination.copyMemory(from: target, byteCount: Int(size)) }
            return .compressed(size: Int(size))
        case .zstd:
            // zstd honours the bound itself: a page that does not fit is an error, stored raw.
            guard let context else { return .storeRaw }
            let size = ZSTD_compressCCtx(context, destination, limit, input, page.count, 1)
            guard ZSTD_isError(size) == 0, size > 0, size <= limit else { return .storeRaw }
            return .compressed(size: size)
        }
    }
}

/// The C state of one decompressor, made on first use per codec.
final class DecompressionContexts {
    private var deflate: OpaquePointer?
    private var zstd: OpaquePointer?

    init() {}

    /// Safe: frees what was allocated, once.
    deinit {
        if let deflate { libdeflate_free_decompressor(deflate) }
        if let zstd { ZSTD_freeDCtx(zstd) }
    }

    /// Decompresses `input` into `page` (exactly one page long).
    ///
    /// Safe: every C call is bounded by `page.count` for output and
    /// `input.count` for input; the decoders used are the bounds-checking ones
    /// (`lzo1x_decompress_safe`, libdeflate, zstd).
    func decompress(_ codec: PageCodec, _ input: UnsafeRawBufferPointer,
                    into page: UnsafeMutableRawBufferPointer) throws(PageCodecError) {
        guard let destination = page.baseAddress, !page.isEmpty else {
            throw .wrongBufferSize(what: "page buffer", expected: page.count, actual: 0)
        }
        switch codec {
        case .none:
            guard input.count == page.count, let source = input.baseAddress else {
                throw .wrongLength(codec: codec, expected: page.count, actual: input.count)
            }
            destination.copyMemory(from: source, byteCount: page.count)
        case .zlib:
            if deflate == nil { deflate = libdeflate_alloc_decompressor() }
            guard let deflate else { throw .allocationFailed(codec: codec) }
            guard let source = input.baseAddress, !input.isEmpty else { throw .corruptData(codec: codec, detail: "no data") }
            var actual = 0
            let result = libdeflate_zlib_decompress(deflate, source, input.count, destination, page.count, &actual)
            switch result {
            case LIBDEFLATE_SUCCESS:
                guard actual == page.count else { throw .wrongLength(codec: codec, expected: page.count, actual: actual) }
            case LIBDEFLATE_INSUFFICIENT_SPACE:
                throw .wrongLength(codec: codec, expected: page.count, actual: page.count + 1)
            default:
                throw .corruptData(codec: codec, detail: "libdeflate result \(result.rawValue)")
            }
        case .lzo:
            guard let source = input.baseAddress, !input.isEmpty else { throw .corruptData(codec: codec, detail: "no data") }
            var actual = lzo_uint(page.count)
            let result = lzo1x_decompress_safe(UnsafeMutablePointer(mutating: source.assumingMemoryBound(to: UInt8.self)),
                                               lzo_uint(input.count), destination.assumingMemoryBound(to: UInt8.self),
                                               &actual, nil)
            switch result {
            case 0:
                guard actual == UInt(page.count) else {
                    throw .wrongLength(codec: codec, expected: page.count, actual: Int(actual))
                }
            case -5: // LZO_E_OUTPUT_OVERRUN
                throw .wrongLength(codec: codec, expected: page.count, actual: page.count + 1)
            default:
                throw .corruptData(codec: codec, detail: "lzo1x_decompress_safe returned \(result)")
            }
        case .zstd:
            if zstd == nil { zstd = ZSTD_createDCtx() }
            guard let zstd else { throw .allocationFailed(codec: codec) }
            guard let source = input.baseAddress, !input.isEmpty else { throw .corruptData(codec: codec, detail: "no data") }
            let result = ZSTD_decompressDCtx(zstd, destination, page.count, source, input.count)
            if ZSTD_isError(result) != 0 {
                let name = ZSTD_getErrorName(result).map { String(cString: $0) } ?? "error \(result)"
                throw .corruptData(codec: codec, detail: name)
            }
            guard result == page.count else { throw .wrongLength(codec: codec, expected: page.count, actual: result) }
        }
    }
}

extension PageCompressor {
    /// Compresses `page` (exactly ``pageSize`` bytes) into `output`.
    ///
    /// The result counts only when it is smaller than a page and fits `output`;
    /// give `output` at least `pageSize - 1` bytes to never lose a compressible page.
    /// - Returns: ``PageCompression/compressed(size:)`` with the bytes in
    ///   `output[0..<size]`, or ``PageCompression/storeRaw``.
    /// - Throws: ``PageCodecError/wrongBufferSize(what:expected:actual:)`` when
    ///   `page` is not one page long.
    public func compress(_ page: UnsafeRawBufferPointer,
                         into output: UnsafeMutableRawBufferPointer) throws(PageCodecError) -> PageCompression {
        guard page.count == pageSize else {
            throw .wrongBufferSize(what: "page", expected: pageSize, actual: page.count)
        }
        return contexts.compress(page, into: output)
    }
}

extension PageDecompressor {
    /// Decompresses `input` (compressed with `codec`) into `page`, which must be
    /// exactly ``pageSize`` bytes; the data must decompress to exactly that.
    /// - Throws: ``PageCodecError``.
    public func decompress(_ codec: PageCodec, _ input: UnsafeRawBufferPointer,
                           into page: UnsafeMutableRawBufferPointer) throws(PageCodecError) {
        guard page.count == pageSize else {
            throw .wrongBufferSize(what: "page buffer", expected: pageSize, actual: page.count)
        }
        try contexts.decompress(codec, input, into: page)
    }
}

/// Spots pages that deflate cannot shrink by more than 1/64 of their size, at a
/// fraction of deflate's own cost (random data, encrypted or already compressed
/// file contents: on a loaded machine's vmcore, half of all non-zero pages).
///
/// A page passes when (1) the order-0 entropy of its bytes leaves at least 63/64
/// of its size for any coding of literals (Huffman coding cannot beat that, and
/// deflate adds its block header and the zlib wrapper), and (2) 4-byte strings at
/// every 16th position repeat an earlier one at most four times, so matches
/// cannot win much back either. A long repeat (say a 2 KiB block twice) fails (2)
/// at once; text, code, tables and sparse pages fail (1). What such a page would
/// lose by being stored raw is bounded by the 1/64 margin; measured on two real
/// vmcores (1.9 GB and 658 MB), zlib level 1 would have saved 2.8 KB and 3.5 KB.
///
/// One per compressor (not thread-safe): it owns its tables.
final class IncompressiblePageProbe {
    private let pageSize: Int
    /// c * log2(c) for every count c in 0...pageSize.
    private let weightedLog: [Double]
    /// The least entropy (bits) a page must have: 63/64 of its size.
    private let minimumBits: Double
    /// Four interleaved histograms of 256 counts (no store-to-load stalls on runs).
    private let histogram: UnsafeMutablePointer<UInt32>
    /// The last position (+1; 0 = none) of each 4-byte string hash.
    private let positions: UnsafeMutablePointer<UInt16>
    private let hashBits: Int

    /// nil when the page size is not one the probe handles (its positions are
    /// 16-bit: up to 64 KiB pages).
    init?(pageSize: Int) {
        guard pageSize >= 1024, pageSize <= 65536 else { return nil }
        self.pageSize = pageSize
        weightedLog = (0...pageSize).map { $0 == 0 ? 0 : Double($0) * log2(Double($0)) }
        minimumBits = Double(pageSize - pageSize / 64) * 8
        histogram = .allocate(capacity: 4 * 256)
        // Twice as many slots as positions keeps evictions rare.
        var bits = 1
        while 1 << bits < 2 * pageSize { bits += 1 }
        hashBits = bits
        positions = .allocate(capacity: 1 << bits)
    }

    /// Safe: frees what init allocated, once.
    deinit {
        histogram.deallocate()
        positions.deallocate()
    }

    /// Whether `page` (``pageSize`` bytes; anything else answers false) is not
    /// worth a deflate pass.
    ///
    /// Safe: every load is at an offset below `page.count` minus its width
    /// (8-byte loads step to `page.count - 8`, 4-byte ones to `page.count - 4`,
    /// and stored positions are earlier offsets of the same page); histogram and
    /// table indexes are masked to their allocated sizes.
    func isIncompressible(_ page: UnsafeRawBufferPointer) -> Bool {
        guard page.count == pageSize, let base = page.baseAddress else { return false }
        histogram.initialize(repeating: 0, count: 4 * 256)
        var offset = 0
        while offset + 8 <= pageSize {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            histogram[Int(word & 0xff)] &+= 1
            histogram[256 | Int((word >> 8) & 0xff)] &+= 1
            histogram[512 | Int((word >> 16) & 0xff)] &+= 1
            histogram[768 | Int((word >> 24) & 0xff)] &+= 1
            histogram[Int((word >> 32) & 0xff)] &+= 1
            histogram[256 | Int((word >> 40) & 0xff)] &+= 1
            histogram[512 | Int((word >> 48) & 0xff)] &+= 1
            histogram[768 | Int(word >> 56)] &+= 1
            offset &+= 8
        }
        var sum = 0.0
        for byte in 0..<256 {
            let count = Int(histogram[byte] &+ histogram[256 | byte] &+ histogram[512 | byte] &+ histogram[768 | byte])
            sum += weightedLog[count]
        }
        // Shannon bound in bits: N*log2(N) - sum of c*log2(c).
        guard weightedLog[pageSize] - sum >= minimumBits else { return false }

        let slots = 1 << hashBits
        positions.initialize(repeating: 0, count: slots)
        let shift = UInt32(32 - hashBits)
        var repeats = 0
        var position = 0
        while position + 4 <= pageSize {
            let string = base.loadUnaligned(fromByteOffset: position, as: UInt32.self)
            let slot = Int((string &* 2_654_435_761) >> shift) & (slots - 1)
            if position & 15 == 0 {
                let earlier = Int(positions[slot])
                if earlier != 0, base.loadUnaligned(fromByteOffset: earlier - 1, as: UInt32.self) == string {
                    repeats += 1
                    if repeats > 4 { return false }
                }
            }
            positions[slot] = UInt16(truncatingIfNeeded: position + 1)
            position &+= 1
        }
        return true
    }
}
